//! Briefings (情况通报): staff publish what the government, the discipline commission and
//! the committee brief members on, to a chosen audience; members read them on the phone;
//! staff see who has read.
//!
//! `workflow` holds the states and moves as plain rules; `policy` who may read and manage;
//! `records` ties briefings to the one transition mechanism; `service` the rules by who
//! acts; `graphql` the schema's face; `search` the Chinese substring index; `kept` the
//! badge and first feed pages kept in the process, right by the live signals.
pub mod graphql;
pub mod kept;
pub mod policy;
pub mod records;
pub mod search;
pub mod service;
pub mod workflow;
