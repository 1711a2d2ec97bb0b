//! Public-opinion information (社情民意信息): members submit short pieces from the phone;
//! the office accepts or declines them, edits them into numbered bulletins, reports them
//! upward and to local bodies, and records where they were adopted; the submitter sees it
//! all as feedback.
pub mod graphql;
pub mod service;
pub mod workflow;
