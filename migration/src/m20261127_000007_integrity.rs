//! Integrity: one way to change state, retries that are safe by construction.
//!
//! - `outbox`: the domain event every state change writes in its own transaction; the
//!   consumers (notifications, live updates, the audit log) read it later.
//! - `idempotency_key`: `(user, operation, key) → (request fingerprint, result)` under a
//!   unique key, for every create a phone can retry. The keys kept on `proposal` and
//!   `suggestion` move into it (with no fingerprint: any payload matches them).
//! - `version` on every record with a status, so a stale client's step is refused.
//! - `from_status` / `to_status` on the timelines that lacked them, and on the visit's the
//!   participant a step concerns.
//! - one outcome per (visit, linked record).
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Records with a status that had no version column.
const VERSIONED: [&str; 7] = [
    "visit",
    "visit_participant",
    "suggestion",
    "bulletin_issue",
    "briefing",
    "proposal_assignment",
    "proposal_cosigner",
];
/// Timelines that had no from / to.
const TIMELINES: [&str; 3] = ["visit_event", "suggestion_event", "briefing_event"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("outbox")
                    // UUIDv7: time-ordered, so consumers read in order of writing.
                    .col(pk_uuid("id"))
                    .col(uuid("organization_id"))
                    // proposal, proposal_assignment, visit, visit_participant, suggestion, …
                    .col(string_len("subject_type", 32))
                    .col(uuid("subject_id"))
                    // What happened: SUBMITTED, REPLIED, SIGNED_UP, …
                    .col(string_len("kind", 48))
                    .col(uuid("actor_id"))
                    // from, to, note and what the step adds (ids of the people concerned, …).
                    .col(json("payload"))
                    .col(timestamp_with_time_zone("occurred_at"))
                    .col(timestamp_with_time_zone_null("dispatched_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("ix_outbox_pending").table("outbox").col("dispatched_at").col("id").to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_outbox_subject")
                    .table("outbox")
                    .col("subject_type")
                    .col("subject_id")
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("idempotency_key")
                    .col(uuid("user_id"))
                    // The GraphQL operation, e.g. createProposalDraft.
                    .col(string_len("operation", 64))
                    .col(string_len("key", 100))
                    // SHA-256 of the request's arguments (hex); NULL for keys carried over.
                    .col(string_len_null("fingerprint", 64))
                    .col(uuid("result_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .primary_key(Index::create().col("user_id").col("operation").col("key"))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared(
            "INSERT INTO idempotency_key (user_id, operation, \"key\", fingerprint, result_id, created_at) \
             SELECT author_id, 'submitProposal', idempotency_key, NULL, id, COALESCE(submitted_at, created_at) \
             FROM proposal WHERE idempotency_key IS NOT NULL",
        )
        .await?;
        db.execute_unprepared(
            "INSERT INTO idempotency_key (user_id, operation, \"key\", fingerprint, result_id, created_at) \
             SELECT submitted_by, 'submitSuggestion', idempotency_key, NULL, id, created_at \
             FROM suggestion WHERE idempotency_key IS NOT NULL",
        )
        .await?;
        for (table, index) in [("proposal", "ux_proposal_idempotency"), ("suggestion", "ux_suggestion_idempotency")] {
            manager.drop_index(Index::drop().name(index).table(table).to_owned()).await?;
            manager.alter_table(Table::alter().table(table).drop_column("idempotency_key").to_owned()).await?;
        }

        for table in VERSIONED {
            manager
                .alter_table(Table::alter().table(table).add_column(integer("version").default(0)).to_owned())
                .await?;
        }
        for table in TIMELINES {
            for col in ["from_status", "to_status"] {
                manager
                    .alter_table(Table::alter().table(table).add_column(string_len_null(col, 32)).to_owned())
                    .await?;
            }
        }
        manager
            .alter_table(Table::alter().table("visit_event").add_column(uuid_null("participant_id")).to_owned())
            .await?;

        // Earlier code could link one record twice to a visit; keep the first link.
        db.execute_unprepared(
            "DELETE FROM visit_outcome WHERE EXISTS (SELECT 1 FROM visit_outcome o \
             WHERE o.visit_id = visit_outcome.visit_id AND o.ref_id = visit_outcome.ref_id \
             AND (o.linked_at < visit_outcome.linked_at \
                  OR (o.linked_at = visit_outcome.linked_at AND o.id < visit_outcome.id)))",
        )
        .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_visit_outcome_ref")
                    .table("visit_outcome")
                    .col("visit_id")
                    .col("ref_id")
                    .unique()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name("ux_visit_outcome_ref").table("visit_outcome").to_owned()).await?;
        manager.alter_table(Table::alter().table("visit_event").drop_column("participant_id").to_owned()).await?;
        for table in TIMELINES {
            for col in ["from_status", "to_status"] {
                manager.alter_table(Table::alter().table(table).drop_column(col).to_owned()).await?;
            }
        }
        for table in VERSIONED {
            manager.alter_table(Table::alter().table(table).drop_column("version").to_owned()).await?;
        }
        for (table, index, user) in [
            ("proposal", "ux_proposal_idempotency", "author_id"),
            ("suggestion", "ux_suggestion_idempotency", "submitted_by"),
        ] {
            manager
                .alter_table(Table::alter().table(table).add_column(string_len_null("idempotency_key", 100)).to_owned())
                .await?;
            manager
                .create_index(
                    Index::create().name(index).table(table).col(user).col("idempotency_key").unique().to_owned(),
                )
                .await?;
        }
        let db = manager.get_connection();
        for (table, operation) in [("proposal", "submitProposal"), ("suggestion", "submitSuggestion")] {
            db.execute_unprepared(&format!(
                "UPDATE {table} SET idempotency_key = (SELECT k.\"key\" FROM idempotency_key k \
                 WHERE k.operation = '{operation}' AND k.result_id = {table}.id LIMIT 1)"
            ))
            .await?;
        }
        manager.drop_table(Table::drop().table("idempotency_key").to_owned()).await?;
        manager.drop_table(Table::drop().table("outbox").to_owned()).await?;
        Ok(())
    }
}
