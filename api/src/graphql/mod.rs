//! The GraphQL schema: one query and one mutation object per domain module, merged here.
//! Building the schema does no I/O, so `schema.graphql` can be exported (and checked by a
//! test) without a database; the HTTP layer attaches the state per server.
pub mod audience;
pub mod context;
pub mod enums;
pub mod loaders;
pub mod pagination;

use async_graphql::{MergedObject, SDLExportOptions, Schema, SchemaBuilder};

use crate::{
    attachments, audit, auth, briefings, commendations, duty, live, members, notifications, organizations, plenary,
    proposals, reports, suggestions, visits,
};

/// Named `Query` and `Mutation` in the schema, the names clients assume: Apollo Client's
/// and urql's caches treat an object typed `Query` in a mutation's answer as the root, so
/// a payload's `query` field refreshes root fields such as `unreadBriefingCount`.
#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(
    auth::graphql::AuthQuery,
    members::graphql::MemberQuery,
    organizations::graphql::OrganizationQuery,
    briefings::graphql::BriefingQuery,
    visits::graphql::VisitQuery,
    suggestions::graphql::SuggestionQuery,
    proposals::graphql::ProposalQuery,
    audit::graphql::AuditQuery,
    notifications::graphql::NotificationQuery,
    live::graphql::LiveQuery,
    plenary::graphql::PlenaryQuery,
    commendations::graphql::CommendationQuery,
    reports::graphql::ReportQuery,
    duty::graphql::DutyQuery,
);

#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(
    auth::graphql::AuthMutation,
    members::graphql::MemberMutation,
    organizations::graphql::OrganizationMutation,
    briefings::graphql::BriefingMutation,
    visits::graphql::VisitMutation,
    suggestions::graphql::SuggestionMutation,
    proposals::graphql::ProposalMutation,
    attachments::graphql::AttachmentMutation,
    notifications::graphql::NotificationMutation,
    notifications::push_graphql::PushMutation,
    plenary::graphql::PlenaryMutation,
    commendations::graphql::CommendationMutation,
    reports::graphql::ReportMutation,
    duty::graphql::DutyMutation,
);

pub type AppSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// Subscriptions run over WebSocket at `/graphql` (`live::socket`).
pub use live::graphql::SubscriptionRoot;

/// The same schema with the depth limit the introspection query needs.
#[derive(Clone)]
pub struct IntrospectionSchema(pub AppSchema);

/// Limits that async-graphql leaves open by default.
/// (Fields, aliases, lists without paging and the request budget are `crate::limits`,
/// checked before the schema sees a request.)
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub depth: usize,
    pub complexity: usize,
    /// “Did you mean …” in validation errors: off where the schema is not public
    /// (`GRAPHQL_INTROSPECTION=admin`), since the suggestions spell it out field by field.
    pub suggestions: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Self { depth: 12, complexity: 5000, suggestions: true }
    }
}

pub fn builder(limits: &Limits) -> SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot> {
    let builder = Schema::build(QueryRoot::default(), MutationRoot::default(), SubscriptionRoot)
        .limit_depth(limits.depth)
        .limit_complexity(limits.complexity)
        .limit_recursive_depth(32)
        .limit_directives(20);
    if limits.suggestions { builder } else { builder.disable_suggestions() }
}

/// The standard introspection query of graphql-js (`getIntrospectionQuery()`, which GraphiQL,
/// codegen and graphql-inspector send) nests 15 levels deep; ordinary queries stay within
/// `Limits::depth`.
pub const INTROSPECTION_DEPTH: usize = 15;

/// The schema's twin for introspection-only requests: the same types with room for the
/// introspection query's depth, so tools can load the schema without raising the limit
/// for ordinary queries.
pub fn introspection_limits(limits: &Limits) -> Limits {
    Limits { depth: limits.depth.max(INTROSPECTION_DEPTH), ..*limits }
}

/// Whether a request asks about the schema only (`__schema`, `__type`, `__typename` at the
/// root of every operation). A cheap look at the text first, so ordinary requests do not
/// pay for a second parse.
pub fn is_introspection(query: &str) -> bool {
    use async_graphql::parser::{parse_query, types::Selection};
    if !query.contains("__schema") && !query.contains("__type") {
        return false;
    }
    let Ok(doc) = parse_query(query) else { return false };
    let mut operations = doc.operations.iter().peekable();
    operations.peek().is_some()
        && operations.all(|(_, op)| {
            op.node.selection_set.node.items.iter().all(|item| match &item.node {
                Selection::Field(f) => f.node.name.node.starts_with("__"),
                _ => false,
            })
        })
}

/// The SDL committed as `schema.graphql`: regenerate with `cargo run -p api -- export-schema`.
pub fn sdl() -> String {
    builder(&Limits::default()).finish().sdl_with_options(SDLExportOptions::new().sorted_fields().sorted_enum_items())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn introspection_is_recognised_and_nothing_else() {
        assert!(is_introspection("query IntrospectionQuery { __schema { types { name } } }"));
        assert!(is_introspection("{ __type(name: \"Proposal\") { name } __typename }"));
        assert!(!is_introspection("{ __schema { types { name } } me { phone } }"), "mixed with data");
        assert!(!is_introspection("{ me { name } }"));
        assert!(!is_introspection("{ me { __typename } }"));
        assert!(!is_introspection("not graphql __schema"));
    }
}
