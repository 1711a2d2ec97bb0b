//! Proposals (提案): from a member's draft on the phone through registration, assignment to
//! handling units, their replies, the proposer's evaluation and re-handling, to a concluded
//! proposal with a published result.
//!
//! `workflow` holds the states and moves as plain rules; `policy` who may read and act;
//! `records` ties proposals, assignments and co-sign invitations to the one transition
//! mechanism; `service` the rules by who acts; `graphql` the schema's face.
pub mod graphql;
pub mod policy;
pub mod records;
pub mod service;
pub mod workflow;
