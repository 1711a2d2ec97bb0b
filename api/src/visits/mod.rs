//! Visits (视察调研、交流考察、接待来访): planning, the sign-up with its places and waiting
//! list, leave, attendance, the report, what a visit led to, and the year's figures.
//!
//! `workflow` holds the states and moves as plain rules; `policy` who may see, sign up and
//! run; `records` ties visits and sign-ups to the one transition mechanism; `service` the
//! rules by who acts; `graphql` the schema's face.
pub mod graphql;
pub mod policy;
pub mod records;
pub mod service;
pub mod workflow;
