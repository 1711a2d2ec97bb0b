//! Visits (视察调研、交流考察、接待来访): staff plan them, members sign up from the phone,
//! staff mark who attended, a report closes them, and the year's figures count batches
//! and person-times the way the annual review does.
pub mod graphql;
pub mod lifecycle;
pub mod service;
