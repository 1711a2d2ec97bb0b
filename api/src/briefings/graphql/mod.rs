//! GraphQL face of briefings: the types, what is read, what is done.
mod mutation;
mod query;
mod types;

pub use mutation::BriefingMutation;
pub use query::BriefingQuery;
pub use types::{Briefing, BriefingStatus};
