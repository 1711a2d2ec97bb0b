//! Briefings (情况通报): staff publish what the government, the discipline commission and
//! the committee brief members on, to a chosen audience; members read them on the phone;
//! staff see who has read.
pub mod graphql;
pub mod search;
pub mod service;
