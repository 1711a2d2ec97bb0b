//! The GraphQL schema: one query and one mutation object per domain module, merged here.
//! Building the schema does no I/O, so `schema.graphql` can be exported (and checked by a
//! test) without a database; the HTTP layer attaches the state per server.
pub mod audience;
pub mod context;
pub mod enums;
pub mod loaders;
pub mod pagination;

use async_graphql::{EmptySubscription, MergedObject, SDLExportOptions, Schema, SchemaBuilder};

use crate::{attachments, audit, auth, briefings, members, organizations, proposals, suggestions, visits};

#[derive(MergedObject, Default)]
pub struct QueryRoot(
    auth::graphql::AuthQuery,
    members::graphql::MemberQuery,
    organizations::graphql::OrganizationQuery,
    briefings::graphql::BriefingQuery,
    visits::graphql::VisitQuery,
    suggestions::graphql::SuggestionQuery,
    proposals::graphql::ProposalQuery,
    audit::graphql::AuditQuery,
);

#[derive(MergedObject, Default)]
pub struct MutationRoot(
    auth::graphql::AuthMutation,
    members::graphql::MemberMutation,
    organizations::graphql::OrganizationMutation,
    briefings::graphql::BriefingMutation,
    visits::graphql::VisitMutation,
    suggestions::graphql::SuggestionMutation,
    proposals::graphql::ProposalMutation,
    attachments::graphql::AttachmentMutation,
);

pub type AppSchema = Schema<QueryRoot, MutationRoot, EmptySubscription>;

/// Limits that async-graphql leaves open by default.
pub struct Limits {
    pub depth: usize,
    pub complexity: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self { depth: 12, complexity: 5000 }
    }
}

pub fn builder(limits: &Limits) -> SchemaBuilder<QueryRoot, MutationRoot, EmptySubscription> {
    Schema::build(QueryRoot::default(), MutationRoot::default(), EmptySubscription)
        .limit_depth(limits.depth)
        .limit_complexity(limits.complexity)
        .limit_recursive_depth(32)
        .limit_directives(20)
}

/// The SDL committed as `schema.graphql`: regenerate with `cargo run -p api -- export-schema`.
pub fn sdl() -> String {
    builder(&Limits::default()).finish().sdl_with_options(SDLExportOptions::new().sorted_fields().sorted_enum_items())
}
