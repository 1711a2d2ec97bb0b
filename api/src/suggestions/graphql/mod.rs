//! GraphQL face of public-opinion information: the types, what is read, what is done.
mod mutation;
mod query;
mod types;

pub use mutation::SuggestionMutation;
pub use query::SuggestionQuery;
pub use types::{BulletinIssue, Suggestion, SuggestionStatus};
