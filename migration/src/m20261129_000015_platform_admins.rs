//! Platform admins (issue 15, the committee tree upward): the people who run the
//! deployment itself rather than one committee. They may create a committee above an
//! existing root (a province above the city the deployment started with) and attach roots
//! under another. The first admin is one; so are the admins of roots in a database made
//! before this table existed (the same people).
use sea_orm_migration::{prelude::*, schema::*};

use crate::common::fk_cascade;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("platform_admin")
                    .col(uuid("user_id").primary_key())
                    .col(timestamp_with_time_zone("granted_at"))
                    .foreign_key(&mut fk_cascade("platform_admin", "user_id", "app_user"))
                    .to_owned(),
            )
            .await?;
        let roots =
            Query::select().column("id").from("organization").and_where(Expr::col("parent_id").is_null()).to_owned();
        let admins = Query::select()
            .distinct()
            .column("user_id")
            .expr(Expr::current_timestamp())
            .from("membership")
            .and_where(Expr::col("role").eq("ADMIN"))
            .and_where(Expr::col("organization_id").in_subquery(roots))
            .to_owned();
        let insert = Query::insert()
            .into_table("platform_admin")
            .columns(["user_id", "granted_at"])
            .select_from(admins)
            .map_err(|e| DbErr::Migration(e.to_string()))?
            .to_owned();
        manager.exec_stmt(insert).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("platform_admin").to_owned()).await?;
        Ok(())
    }
}
