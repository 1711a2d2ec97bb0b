//! GraphQL face of proposals: the types, what is read, what is done.
mod mutation;
mod query;
mod types;

pub use mutation::ProposalMutation;
pub use query::ProposalQuery;
pub use types::{Proposal, ProposalKind, ProposalStatus, ReplyOutcome};
