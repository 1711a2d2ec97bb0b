//! Plenary sessions (届次会议): an organization's sessions, the session a proposal was
//! submitted during, and the per-session sequence of registration numbers (立案号).
pub mod graphql;
pub mod rules;
pub mod service;
