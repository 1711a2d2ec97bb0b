//! GraphQL face of visits: the types, what is read, what is done.
mod mutation;
mod query;
mod types;

pub use mutation::VisitMutation;
pub use query::VisitQuery;
pub use types::{Participant, Visit, VisitKind};
