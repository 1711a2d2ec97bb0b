//! Plenary sessions (issue 15 item 2): 届次会议 per organization, the session a proposal was
//! submitted during, and how an organization numbers its proposals.
//!
//! - `plenary_session`: unique (organization, term, number); no two of one organization
//!   overlap (checked by the service with the organization row locked, since an exclusion
//!   constraint is PostgreSQL-only). `last_serial` is the session's own 立案号 counter.
//! - `organization.proposal_numbering`: PER_YEAR (what numbering was until now) or PER_SESSION.
//! - `proposal.session_id` / `serial_session_id`: the session it belongs to, and the session
//!   whose sequence numbered it. Plain columns without a foreign key: SQLite cannot add one
//!   to an existing table, and sessions are never deleted.
//! - `ux_proposal_serial` (organization, year, number) held every number unique; a session's
//!   numbers restart, so it now holds the year's sequence only (a partial index, which
//!   both databases have), and `ux_proposal_session_serial` each session's.
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
                    .table("plenary_session")
                    .col(uuid("id").primary_key())
                    .col(uuid("organization_id"))
                    .col(integer("term"))
                    .col(integer("number"))
                    .col(string_len("name", 100))
                    .col(date("starts_on"))
                    .col(date("ends_on"))
                    .col(integer("last_serial").default(0))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk_cascade("plenary_session", "organization_id", "organization"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_plenary_session_number")
                    .table("plenary_session")
                    .col("organization_id")
                    .col("term")
                    .col("number")
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("organization")
                    .add_column(string_len("proposal_numbering", 16).default("PER_YEAR"))
                    .to_owned(),
            )
            .await?;
        for col in ["session_id", "serial_session_id"] {
            manager.alter_table(Table::alter().table("proposal").add_column(uuid_null(col)).to_owned()).await?;
        }
        manager
            .create_index(Index::create().name("ix_proposal_session").table("proposal").col("session_id").to_owned())
            .await?;
        let db = manager.get_connection();
        // One batch on one connection: on SQLite, a pooled connection other than the one
        // that dropped the index can still see it in its schema and refuse the new one.
        db.execute_unprepared(
            "DROP INDEX ux_proposal_serial; \
             CREATE UNIQUE INDEX ux_proposal_serial ON proposal (organization_id, serial_year, serial_no) \
             WHERE serial_session_id IS NULL",
        )
        .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_proposal_session_serial")
                    .table("proposal")
                    .col("serial_session_id")
                    .col("serial_no")
                    .unique()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name("ux_proposal_session_serial").table("proposal").to_owned()).await?;
        manager
            .get_connection()
            .execute_unprepared(
                "DROP INDEX ux_proposal_serial; \
                 CREATE UNIQUE INDEX ux_proposal_serial ON proposal (organization_id, serial_year, serial_no)",
            )
            .await?;
        manager.drop_index(Index::drop().name("ix_proposal_session").table("proposal").to_owned()).await?;
        for col in ["serial_session_id", "session_id"] {
            manager.alter_table(Table::alter().table("proposal").drop_column(col).to_owned()).await?;
        }
        manager.alter_table(Table::alter().table("organization").drop_column("proposal_numbering").to_owned()).await?;
        manager.drop_table(Table::drop().table("plenary_session").to_owned()).await
    }
}
