//! Proposals (提案): from a member's draft on the phone through registration, assignment to
//! handling units, their replies, the proposer's evaluation and re-handling, to a concluded
//! proposal with a published result.
pub mod graphql;
pub mod service;
pub mod workflow;
