//! Public-opinion information (社情民意信息): members submit short pieces from the phone;
//! the office accepts or declines them, edits them into numbered bulletins, reports them
//! upward and to local bodies, and records where they were adopted; the submitter sees it
//! all as feedback.
//!
//! `workflow` holds the states and moves as plain rules; `policy` who may read and act;
//! `records` ties pieces and bulletin issues to the one transition mechanism; `service`
//! the rules by who acts; `graphql` the schema's face.
pub mod graphql;
pub mod policy;
pub mod records;
pub mod service;
pub mod workflow;
