//! What a GraphQL request did, as the audit log records it: each top-level field, the ids
//! it named, and how it ended. Pure: the request's text and variables and the response's
//! errors in, entries out — nothing of the arguments but ids (and, for a sign-in, a masked
//! phone) is kept, so no password, token or phone number reaches the log.
use async_graphql::{
    PathSegment, ServerError, Variables,
    parser::{
        parse_query,
        types::{DocumentOperations, ExecutableDocument, OperationType, Selection},
    },
};
use uuid::Uuid;

use crate::phone;

/// Sign-in events, recorded whoever sends them.
const SIGN_IN: [&str; 6] = ["login", "refreshSession", "logout", "logoutAll", "revokeSession", "changePassword"];
/// Refusals recorded whoever receives them.
const REFUSALS: [&str; 2] = ["FORBIDDEN", "RATE_LIMITED"];
/// Ids named by one step, at most (a list of a thousand people is not copied in full).
const MAX_TARGETS: usize = 50;

/// One top-level field of a request and how it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub operation: String,
    pub targets: Vec<Uuid>,
    /// OK, or the error code the client received.
    pub outcome: String,
    /// A masked phone, for a sign-in.
    pub detail: Option<String>,
}

/// Whether a request may have steps worth auditing even if it succeeds: a mutation (a
/// cheap look at the text, so that the members' feed costs nothing here). Requests that
/// fail are looked at anyway.
pub fn may_matter(query: &str) -> bool {
    query.contains("mutation")
}

/// The request's steps worth auditing: every sign-in event; every mutation when `office`
/// (staff, units, admins) sent it; every refusal for permission or rate.
pub fn audited(
    query: &str,
    operation_name: Option<&str>,
    variables: &Variables,
    errors: &[ServerError],
    office: bool,
) -> Vec<Step> {
    let Ok(doc) = parse_query(query) else { return Vec::new() };
    let Some((ty, fields)) = root_fields(&doc, operation_name, variables) else { return Vec::new() };
    fields
        .into_iter()
        .map(|(key, name, args)| {
            let outcome = errors
                .iter()
                .find(|e| matches!(e.path.first(), Some(PathSegment::Field(f)) if *f == key))
                .map_or_else(|| "OK".to_owned(), code_of);
            let detail = (name == "login").then(|| login_phone(&args)).flatten();
            let mut targets = Vec::new();
            collect_ids(&args, &mut targets);
            targets.dedup();
            targets.truncate(MAX_TARGETS);
            Step { operation: name, targets, outcome, detail }
        })
        .filter(|s| {
            SIGN_IN.contains(&s.operation.as_str())
                || (office && ty == OperationType::Mutation)
                || REFUSALS.contains(&s.outcome.as_str())
        })
        .collect()
}

fn code_of(e: &ServerError) -> String {
    e.extensions
        .as_ref()
        .and_then(|ext| ext.get("code"))
        .and_then(|c| match c {
            async_graphql::Value::String(s) => Some(s.clone()),
            _ => None,
        })
        .unwrap_or_else(|| "ERROR".to_owned())
}

/// A top-level field: its response key (alias or name), its name, and its arguments with
/// the variables filled in.
type RootField = (String, String, serde_json::Value);

/// The chosen operation's type and its top-level fields.
fn root_fields(
    doc: &ExecutableDocument,
    operation_name: Option<&str>,
    variables: &Variables,
) -> Option<(OperationType, Vec<RootField>)> {
    let op = match (&doc.operations, operation_name) {
        (DocumentOperations::Single(op), _) => op,
        (DocumentOperations::Multiple(ops), Some(name)) => ops.iter().find(|(n, _)| n.as_str() == name)?.1,
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => ops.values().next()?,
        _ => return None,
    };
    let mut out = Vec::new();
    for selection in &op.node.selection_set.node.items {
        let Selection::Field(field) = &selection.node else { continue };
        let field = &field.node;
        let mut args = serde_json::Map::new();
        for (name, value) in &field.arguments {
            let value = value
                .node
                .clone()
                .into_const_with(|var| variables.get(&var).cloned().ok_or(()))
                .ok()
                .and_then(|v| v.into_json().ok())
                .unwrap_or(serde_json::Value::Null);
            args.insert(name.node.to_string(), value);
        }
        out.push((field.response_key().node.to_string(), field.name.node.to_string(), serde_json::Value::Object(args)));
    }
    Some((op.node.ty, out))
}

fn collect_ids(value: &serde_json::Value, out: &mut Vec<Uuid>) {
    match value {
        serde_json::Value::String(s) => {
            if let Ok(id) = s.parse::<Uuid>()
                && !out.contains(&id)
            {
                out.push(id);
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_ids(v, out)),
        // A device's push token is no record id, whatever it looks like (个推's client ids
        // are 32 hex digits, which parse as a UUID): it stays out of the log.
        serde_json::Value::Object(map) => {
            map.iter().filter(|(k, _)| k.as_str() != "token").for_each(|(_, v)| collect_ids(v, out))
        }
        _ => {}
    }
}

fn login_phone(args: &serde_json::Value) -> Option<String> {
    let raw = args.get("input")?.get("phone")?.as_str()?;
    Some(phone::mask(raw))
}

#[cfg(test)]
mod tests {
    use async_graphql::{ErrorExtensionValues, Pos};

    use super::*;

    fn error(path: &str, code: &str) -> ServerError {
        let mut e = ServerError::new("refused", Some(Pos::default()));
        e.path = vec![PathSegment::Field(path.to_owned())];
        let mut ext = ErrorExtensionValues::default();
        ext.set("code", code);
        e.extensions = Some(ext);
        e
    }

    #[test]
    fn mutations_by_the_office_with_their_ids_and_outcomes() {
        let id = Uuid::now_v7();
        let vars = Variables::from_json(serde_json::json!({ "id": id.to_string(), "r": "理由" }));
        let q = "mutation($id: ID!, $r: String!) { a: returnProposal(id: $id, reason: $r) { id } registerProposal(id: \"x\") { id } }";
        let steps = audited(q, None, &vars, &[error("registerProposal", "BAD_USER_INPUT")], true);
        assert_eq!(steps.len(), 2);
        assert_eq!(
            steps[0],
            Step { operation: "returnProposal".into(), targets: vec![id], outcome: "OK".into(), detail: None }
        );
        assert_eq!(steps[1].outcome, "BAD_USER_INPUT");
        assert!(audited(q, None, &vars, &[], false).is_empty(), "members' mutations are not audited");
    }

    #[test]
    fn a_push_token_is_not_taken_for_a_record_id() {
        let vars = Variables::from_json(serde_json::json!({ "t": "0123456789abcdef0123456789abcdef" }));
        let q = "mutation($t: String!) { registerPushToken(platform: ANDROID, token: $t) { id } }";
        let steps = audited(q, None, &vars, &[], true);
        assert_eq!(steps.len(), 1);
        assert!(steps[0].targets.is_empty(), "{steps:?}");
    }

    #[test]
    fn sign_ins_and_refusals_whoever_sends_them_without_secrets() {
        let vars = Variables::from_json(serde_json::json!({ "i": { "phone": "13812345678", "password": "secret-1" } }));
        let q = "mutation($i: LoginInput!) { login(input: $i) { accessToken } }";
        let steps = audited(q, None, &vars, &[error("login", "UNAUTHENTICATED")], false);
        assert_eq!(steps.len(), 1);
        assert_eq!(steps[0].outcome, "UNAUTHENTICATED");
        let detail = steps[0].detail.clone().unwrap_or_default();
        assert!(!detail.contains("12345678") && !format!("{steps:?}").contains("secret-1"), "{steps:?}");
        let q = "{ proposals { totalCount } members { totalCount } }";
        let steps = audited(q, None, &Variables::default(), &[error("proposals", "FORBIDDEN")], false);
        assert_eq!(steps.iter().map(|s| s.operation.as_str()).collect::<Vec<_>>(), vec!["proposals"]);
        assert!(audited("not graphql", None, &Variables::default(), &[], true).is_empty());
    }
}
