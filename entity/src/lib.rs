//! sea-orm entities: one module per table. Models are plain data; the rules that act on
//! them live in the `api` crate's domain modules, and GraphQL types wrap them there (an
//! entity is never exposed to clients as it is).
pub mod attachment;
pub mod audit_log;
pub mod briefing;
pub mod briefing_event;
pub mod briefing_recipient;
pub mod briefing_term;
pub mod bulletin_issue;
pub mod bulletin_item;
pub mod commendation;
pub mod enums;
pub mod handling_unit;
pub mod idempotency_key;
pub mod membership;
pub mod notification;
pub mod notification_preference;
pub mod organization;
pub mod outbox;
pub mod plenary_session;
pub mod proposal;
pub mod proposal_assignment;
pub mod proposal_cosigner;
pub mod proposal_evaluation;
pub mod proposal_event;
pub mod proposal_reply;
pub mod proposal_serial;
pub mod reminder;
pub mod sector;
pub mod sector_convener;
pub mod special_committee;
pub mod suggestion;
pub mod suggestion_adoption;
pub mod suggestion_author;
pub mod suggestion_event;
pub mod suggestion_report;
pub mod user;
pub mod visit;
pub mod visit_agenda_item;
pub mod visit_event;
pub mod visit_invitation;
pub mod visit_outcome;
pub mod visit_participant;

pub use enums::*;
