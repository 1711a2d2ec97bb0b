//! Commendations (表彰): honours an organization records for a proposal, a piece of
//! information, a handling unit, a person or an organization in its reach; public to
//! everyone who sees the organization.
pub mod graphql;
pub mod policy;
pub mod service;
