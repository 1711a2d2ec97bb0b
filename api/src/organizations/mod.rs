//! Organizations (the tenant tree) and their catalogues: sectors with conveners, special
//! committees, handling units.
pub mod access;
pub mod graphql;
pub mod platform;
pub mod service;
