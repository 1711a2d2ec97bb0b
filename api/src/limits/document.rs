//! What a GraphQL document asks for once its fragments are inlined, measured before
//! async-graphql validates it. Validation (and the depth and complexity rules with it)
//! walks the document with every fragment spread expanded, so a 1.5 KB document whose
//! fragments each spread the next one twice costs 2^depth before a single rule refuses
//! it. Here each fragment is measured once and its figures reused wherever it is spread,
//! so the walk costs the size of the text, whatever the expansion; cycles are refused.
//!
//! The cost counts every field of the expanded selection (`__typename` and aliases
//! included). A field taking `first` multiplies what it selects by `first` (at most 100,
//! 20 when not given), as the paged fields' own complexity does; a list without paging
//! (`organizations`, `children`, `conveners`, …) multiplies it by an estimate of its length
//! (`GRAPHQL_LIST_SIZE_ESTIMATE`): otherwise 999 aliases of four nested lists cost 999 × 5.
use std::{
    collections::{HashMap, HashSet},
    sync::LazyLock,
};

use async_graphql::{
    Variables,
    parser::types::{
        BaseType, ExecutableDocument, OperationType, Selection, SelectionSet, Type, TypeKind, TypeSystemDefinition,
    },
};

/// What the schema says about a field, for the cost.
#[derive(Debug, Clone)]
struct FieldInfo {
    /// The named type at the bottom of the field's type (`Organization` for `[Organization!]!`).
    ty: String,
    list: bool,
    /// Takes `first` (a page).
    paged: bool,
}

/// The object and interface types of the schema with their fields' types, read from the
/// SDL once (introspection types are not in it: they are counted without multipliers).
pub struct CostModel {
    types: HashMap<String, HashMap<String, FieldInfo>>,
}

static MODEL: LazyLock<CostModel> = LazyLock::new(|| CostModel::from_sdl(&crate::graphql::sdl()));

impl CostModel {
    /// The model of this API's schema, built on first use.
    pub fn global() -> &'static Self {
        &MODEL
    }

    pub fn from_sdl(sdl: &str) -> Self {
        fn named(ty: &Type) -> (String, bool) {
            match &ty.base {
                BaseType::Named(name) => (name.to_string(), false),
                BaseType::List(inner) => (named(inner).0, true),
            }
        }
        let mut types = HashMap::new();
        let Ok(doc) = async_graphql::parser::parse_schema(sdl) else { return Self { types } };
        for def in doc.definitions {
            let TypeSystemDefinition::Type(def) = def else { continue };
            let fields = match &def.node.kind {
                TypeKind::Object(o) => &o.fields,
                TypeKind::Interface(i) => &i.fields,
                _ => continue,
            };
            let fields = fields
                .iter()
                .map(|f| {
                    let (ty, list) = named(&f.node.ty.node);
                    let paged = f.node.arguments.iter().any(|a| a.node.name.node == "first");
                    (f.node.name.node.to_string(), FieldInfo { ty, list, paged })
                })
                .collect();
            types.insert(def.node.name.node.to_string(), fields);
        }
        Self { types }
    }

    fn field(&self, ty: Option<&str>, name: &str) -> Option<&FieldInfo> {
        self.types.get(ty?)?.get(name)
    }
}

/// The figures of a document (or of a part of one), with inlined fragments.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Shape {
    /// Fields of the expanded selection, `__typename` included.
    pub fields: u64,
    /// Fields of the expanded selection that carry an alias.
    pub aliases: u64,
    /// Fields weighted by the length of the lists they are in.
    pub cost: u64,
    /// Asks about the schema (`__schema` or `__type`).
    pub introspection: bool,
}

impl Shape {
    fn add(&mut self, other: Self) {
        self.fields = self.fields.saturating_add(other.fields);
        self.aliases = self.aliases.saturating_add(other.aliases);
        self.cost = self.cost.saturating_add(other.cost);
        self.introspection |= other.introspection;
    }

    fn max(self, other: Self) -> Self {
        Self {
            fields: self.fields.max(other.fields),
            aliases: self.aliases.max(other.aliases),
            cost: self.cost.max(other.cost),
            introspection: self.introspection || other.introspection,
        }
    }
}

/// Why a document cannot be measured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unmeasurable {
    /// A fragment spreads itself, directly or through others.
    Cycle(String),
    /// Selections nested deeper than any valid query (fragments included).
    TooDeep,
}

/// Nesting (fragments included) beyond this is refused outright: it bounds the walk's
/// stack. async-graphql refuses selections nested past 32 anyway.
const MAX_NESTING: usize = 128;
/// `first` when a paged field is not given one, and the most it may be.
const DEFAULT_PAGE: u64 = 20;
const MAX_PAGE: u64 = 100;

struct Walk<'a> {
    model: &'a CostModel,
    doc: &'a ExecutableDocument,
    variables: &'a Variables,
    list_estimate: u64,
    memo: HashMap<&'a str, Shape>,
    visiting: HashSet<&'a str>,
}

/// Measures every operation of the document (all of them are validated, whichever runs)
/// and every fragment (an unused one is still walked by validation).
pub fn measure(
    model: &CostModel,
    doc: &ExecutableDocument,
    variables: &Variables,
    list_estimate: u64,
) -> Result<Shape, Unmeasurable> {
    let mut walk = Walk { model, doc, variables, list_estimate, memo: HashMap::new(), visiting: HashSet::new() };
    let mut total = Shape::default();
    for (_, op) in doc.operations.iter() {
        let root = match op.node.ty {
            OperationType::Query => "Query",
            OperationType::Mutation => "Mutation",
            OperationType::Subscription => "Subscription",
        };
        total.add(walk.selection_set(Some(root), &op.node.selection_set.node, 0)?);
    }
    let mut worst_fragment = Shape::default();
    for name in doc.fragments.keys() {
        worst_fragment = worst_fragment.max(walk.fragment(name.as_str(), 0)?);
    }
    Ok(total.max(worst_fragment))
}

impl<'a> Walk<'a> {
    fn fragment(&mut self, name: &'a str, depth: usize) -> Result<Shape, Unmeasurable> {
        if let Some(shape) = self.memo.get(name) {
            return Ok(*shape);
        }
        // An unknown fragment is validation's to refuse; it adds nothing here.
        let Some(fragment) = self.doc.fragments.get(name) else { return Ok(Shape::default()) };
        if !self.visiting.insert(name) {
            return Err(Unmeasurable::Cycle(name.to_owned()));
        }
        let ty = fragment.node.type_condition.node.on.node.as_str();
        let shape = self.selection_set(Some(ty), &fragment.node.selection_set.node, depth + 1)?;
        self.visiting.remove(name);
        self.memo.insert(name, shape);
        Ok(shape)
    }

    fn selection_set(&mut self, ty: Option<&str>, set: &'a SelectionSet, depth: usize) -> Result<Shape, Unmeasurable> {
        if depth > MAX_NESTING {
            return Err(Unmeasurable::TooDeep);
        }
        let mut shape = Shape::default();
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    let name = field.name.node.as_str();
                    let info = self.model.field(ty, name).cloned();
                    let inner =
                        self.selection_set(info.as_ref().map(|i| i.ty.as_str()), &field.selection_set.node, depth + 1)?;
                    let times = match &info {
                        Some(i) if i.paged => self.first(field),
                        Some(i) if i.list && !ty.is_some_and(|t| t.ends_with("Connection")) => self.list_estimate,
                        _ => 1,
                    };
                    shape.add(Shape {
                        fields: inner.fields.saturating_add(1),
                        aliases: inner.aliases.saturating_add(u64::from(field.alias.is_some())),
                        cost: times.saturating_mul(inner.cost).saturating_add(1),
                        introspection: inner.introspection || name == "__schema" || name == "__type",
                    });
                }
                Selection::FragmentSpread(spread) => {
                    shape.add(self.fragment(spread.node.fragment_name.node.as_str(), depth + 1)?);
                }
                Selection::InlineFragment(inline) => {
                    let inner_ty = inline.node.type_condition.as_ref().map_or(ty, |c| Some(c.node.on.node.as_str()));
                    shape.add(self.selection_set(inner_ty, &inline.node.selection_set.node, depth + 1)?);
                }
            }
        }
        Ok(shape)
    }

    /// The page size a field asks for: its `first`, literal or variable.
    fn first(&self, field: &async_graphql::parser::types::Field) -> u64 {
        use async_graphql::Value;
        let Some((_, value)) = field.arguments.iter().find(|(n, _)| n.node == "first") else { return DEFAULT_PAGE };
        let variable = |name| Ok::<_, ()>(self.variables.get(&name).cloned().unwrap_or(Value::Null));
        match value.node.clone().into_const_with(variable) {
            Ok(Value::Number(n)) => n.as_u64().unwrap_or(0).min(MAX_PAGE),
            _ => DEFAULT_PAGE,
        }
    }
}

/// The root fields of the document's mutations (through fragments at the root too), for
/// the stricter budgets of some operations.
pub fn mutation_fields(doc: &ExecutableDocument) -> Vec<String> {
    fn collect(doc: &ExecutableDocument, set: &SelectionSet, out: &mut Vec<String>, depth: usize) {
        if depth > 8 {
            return;
        }
        for item in &set.items {
            match &item.node {
                Selection::Field(f) => out.push(f.node.name.node.to_string()),
                Selection::InlineFragment(i) => collect(doc, &i.node.selection_set.node, out, depth + 1),
                Selection::FragmentSpread(s) => {
                    if let Some(f) = doc.fragments.get(&s.node.fragment_name.node) {
                        collect(doc, &f.node.selection_set.node, out, depth + 1);
                    }
                }
            }
        }
    }
    let mut out = Vec::new();
    for (_, op) in doc.operations.iter() {
        if op.node.ty == OperationType::Mutation {
            collect(doc, &op.node.selection_set.node, &mut out, 0);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;

    use super::*;

    const SDL: &str = r"
        type Query { organizations: [Organization!]! members(first: Int): MemberConnection! me: User }
        type Organization { name: String! children: [Organization!]! }
        type MemberConnection { edges: [MemberEdge!]! totalCount: Int! }
        type MemberEdge { node: User! }
        type User { name: String! }
    ";

    fn shape(query: &str) -> Result<Shape, Unmeasurable> {
        let model = CostModel::from_sdl(SDL);
        let doc = parse_query(query).map_err(|_| Unmeasurable::TooDeep)?;
        measure(&model, &doc, &Variables::default(), 10)
    }

    #[test]
    fn fragments_are_counted_expanded_and_measured_once() {
        let mut q = String::from("{ ...F0 }\n");
        for i in 0..40 {
            q.push_str(&format!("fragment F{i} on Query {{ ...F{} ...F{} }}\n", i + 1, i + 1));
        }
        q.push_str("fragment F40 on Query { a: __typename b: __typename }");
        let started = std::time::Instant::now();
        let s = shape(&q).unwrap_or_default();
        assert!(started.elapsed() < std::time::Duration::from_millis(50));
        assert_eq!(s.fields, 2 << 40);
        assert_eq!(s.aliases, 2 << 40);
    }

    #[test]
    fn cycles_are_refused() {
        let cyclic = shape("{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }");
        assert!(matches!(cyclic, Err(Unmeasurable::Cycle(_))), "{cyclic:?}");
        let itself = shape("{ me { name } } fragment A on Query { ...A }");
        assert!(matches!(itself, Err(Unmeasurable::Cycle(_))), "unused fragments are walked too: {itself:?}");
    }

    #[test]
    fn lists_multiply_and_pages_use_first() {
        // organizations: 1 + 10 × (children: 1 + 10 × name 1)
        assert_eq!(shape("{ organizations { children { name } } }").map(|s| s.cost), Ok(1 + 10 * (1 + 10)));
        // members(first: 50): 1 + 50 × (edges 1 + node (1 + name 1)); edges in a connection is not an estimate
        assert_eq!(shape("{ members(first: 50) { edges { node { name } } } }").map(|s| s.cost), Ok(1 + 50 * 3));
        assert_eq!(shape("{ me { name } __typename x: __typename }").map(|s| (s.fields, s.aliases)), Ok((4, 1)));
        assert!(shape("{ __schema { types { name } } }").is_ok_and(|s| s.introspection && s.cost == 3));
    }
}
