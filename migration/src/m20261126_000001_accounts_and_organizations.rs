//! The foundation: organizations (the tenant tree), users, memberships, and the
//! per-organization catalogues members are attached to (sectors, special committees,
//! handling units).
use sea_orm_migration::{prelude::*, schema::*};

use crate::common::fk;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn timestamps(table: &mut TableCreateStatement) -> &mut TableCreateStatement {
    table.col(timestamp_with_time_zone("created_at")).col(timestamp_with_time_zone("updated_at"))
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                timestamps(
                    Table::create()
                        .table("organization")
                        .col(pk_uuid("id"))
                        .col(string("name"))
                        .col(string_null("short_name"))
                        .col(string_len("level", 16))
                        .col(uuid_null("parent_id"))
                        // Materialised path "/<root id>/…/<own id>/": "is X within Y's
                        // subtree" becomes one indexed prefix comparison.
                        .col(string("path"))
                        .col(string_null("region"))
                        .foreign_key(&mut fk("organization", "parent_id", "organization", ForeignKeyAction::Restrict)),
                )
                .to_owned(),
            )
            .await?;
        manager
            .create_index(Index::create().name("ix_organization_path").table("organization").col("path").to_owned())
            .await?;
        manager
            .create_index(
                Index::create().name("ix_organization_parent").table("organization").col("parent_id").to_owned(),
            )
            .await?;

        manager
            .create_table(
                timestamps(
                    Table::create()
                        .table("app_user")
                        .col(pk_uuid("id"))
                        .col(string_len_uniq("phone", 20))
                        .col(string("name"))
                        .col(string("password_hash"))
                        .col(string_len("status", 16))
                        .col(boolean("must_change_password").default(false))
                        .col(timestamp_with_time_zone("password_changed_at")),
                )
                .to_owned(),
            )
            .await?;

        for table in ["sector", "special_committee", "handling_unit"] {
            let mut create = Table::create();
            create
                .table(table)
                .col(pk_uuid("id"))
                .col(uuid("organization_id"))
                .col(string("name"))
                .foreign_key(&mut fk(table, "organization_id", "organization", ForeignKeyAction::Cascade));
            if table == "handling_unit" {
                create.col(string_null("contact_person")).col(string_null("contact_phone"));
            }
            manager.create_table(timestamps(&mut create).to_owned()).await?;
            manager
                .create_index(
                    Index::create()
                        .name(format!("ux_{table}_org_name"))
                        .table(table)
                        .col("organization_id")
                        .col("name")
                        .unique()
                        .to_owned(),
                )
                .await?;
        }

        manager
            .create_table(
                timestamps(
                    Table::create()
                        .table("membership")
                        .col(pk_uuid("id"))
                        .col(uuid("user_id"))
                        .col(uuid("organization_id"))
                        .col(string_len("role", 16))
                        .col(uuid_null("sector_id"))
                        .col(string_len_null("party", 16))
                        .col(boolean("standing_committee").default(false))
                        .col(string_len_null("office", 32))
                        .col(integer_null("term"))
                        .col(uuid_null("handling_unit_id"))
                        .foreign_key(&mut fk("membership", "user_id", "app_user", ForeignKeyAction::Cascade))
                        .foreign_key(&mut fk(
                            "membership",
                            "organization_id",
                            "organization",
                            ForeignKeyAction::Cascade,
                        ))
                        .foreign_key(&mut fk("membership", "sector_id", "sector", ForeignKeyAction::SetNull))
                        .foreign_key(&mut fk(
                            "membership",
                            "handling_unit_id",
                            "handling_unit",
                            ForeignKeyAction::Restrict,
                        )),
                )
                .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_membership_user_org")
                    .table("membership")
                    .col("user_id")
                    .col("organization_id")
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_membership_org_role")
                    .table("membership")
                    .col("organization_id")
                    .col("role")
                    .col("id")
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("sector_convener")
                    .col(uuid("sector_id"))
                    .col(uuid("user_id"))
                    .primary_key(Index::create().col("sector_id").col("user_id"))
                    .foreign_key(&mut fk("sector_convener", "sector_id", "sector", ForeignKeyAction::Cascade))
                    .foreign_key(&mut fk("sector_convener", "user_id", "app_user", ForeignKeyAction::Cascade))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "sector_convener",
            "membership",
            "handling_unit",
            "special_committee",
            "sector",
            "app_user",
            "organization",
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
