use sea_orm::entity::prelude::*;

/// An organization invited to a joint inspection (联动视察): its members see it and sign up.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "visit_invitation")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub visit_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub organization_id: Uuid,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Entity {
    /// The organizations invited to a visit.
    pub async fn find_by_visit<C: ConnectionTrait>(db: &C, visit: Uuid) -> Result<Vec<Uuid>, DbErr> {
        Ok(Self::find()
            .filter(Column::VisitId.eq(visit))
            .all(db)
            .await?
            .into_iter()
            .map(|i| i.organization_id)
            .collect())
    }
}
