//! Who looks after an account that has no membership (issue 12, account takeover): the
//! organization whose office created it, until it joins one; the organization of its last
//! membership, once that ended. Nobody else may rename, re-phone, reset or re-attach it.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

const COLUMNS: [&str; 2] = ["created_in_organization_id", "left_organization_id"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for col in COLUMNS {
            manager.alter_table(Table::alter().table("app_user").add_column(uuid_null(col)).to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for col in COLUMNS {
            manager.alter_table(Table::alter().table("app_user").drop_column(col).to_owned()).await?;
        }
        Ok(())
    }
}
