use sea_orm::entity::prelude::*;

/// The weights of an organization's duty score (履职得分), in whole points per figure; the
/// briefing weight is the points for reading every briefing (a read rate of 100%).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "duty_score_weights")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub organization_id: Uuid,
    pub proposal_led: i32,
    pub proposal_cosigned: i32,
    pub proposal_registered: i32,
    pub proposal_key: i32,
    pub piece_submitted: i32,
    pub adopted_national: i32,
    pub adopted_provincial: i32,
    pub adopted_municipal: i32,
    pub adopted_county: i32,
    pub visit_attended: i32,
    pub visit_leave: i32,
    pub briefing_read_rate: i32,
    pub commendation: i32,
    pub updated_by: Uuid,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
