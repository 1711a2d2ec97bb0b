//! sea-orm entities: one module per table. Models are plain data; the rules that act on
//! them live in the `api` crate's domain modules, and GraphQL types wrap them there (an
//! entity is never exposed to clients as it is).
pub mod briefing;
pub mod briefing_attachment;
pub mod briefing_event;
pub mod briefing_recipient;
pub mod briefing_term;
pub mod enums;
pub mod handling_unit;
pub mod membership;
pub mod organization;
pub mod sector;
pub mod sector_convener;
pub mod special_committee;
pub mod user;
pub mod visit;
pub mod visit_agenda_item;
pub mod visit_event;
pub mod visit_invitation;
pub mod visit_outcome;
pub mod visit_participant;

pub use enums::*;
