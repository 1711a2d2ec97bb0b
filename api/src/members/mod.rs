//! Users (the people who log in) and memberships (their roles in organizations): the
//! member directory.
pub mod graphql;
pub mod policy;
pub mod service;
