//! Chinese substring search that uses an index on SQLite and PostgreSQL alike.
//!
//! Chinese has no spaces, so word-based full-text search (PostgreSQL's `tsvector`, SQLite's
//! FTS5 default tokenizer) cannot find "创卫" inside "全市创卫工作进展", and trigram
//! indexes (`pg_trgm`, FTS5 `trigram`) need three characters, while most Chinese search
//! words have two. So, like CJK bigram analyzers in search engines, every briefing's text
//! is cut into its distinct character bigrams, stored in `briefing_term` (primary key
//! `term, briefing_id`: a B-tree both databases have). A query is cut the same way; the
//! candidates are the briefings holding all its bigrams (index lookups), and a `LIKE` on
//! those few candidates confirms the exact substring. A one-character query has no bigram:
//! it falls back to `LIKE` over the viewer's own feed, which is already an index range.
use std::collections::BTreeSet;

/// Runs of letters and digits, lower-cased; punctuation and spaces split them.
fn runs(text: &str) -> Vec<Vec<char>> {
    let mut out = Vec::new();
    let mut current = Vec::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            current.push(c);
        } else if !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// The distinct bigrams of a text (what the index holds).
pub fn terms(text: &str) -> BTreeSet<String> {
    runs(text).iter().flat_map(|run| run.windows(2).map(|w| w.iter().collect::<String>())).collect()
}

/// The bigrams a query needs; empty when it is too short to use the index.
pub fn query_terms(query: &str) -> Vec<String> {
    terms(query).into_iter().collect()
}

/// The normalised query for the confirming `LIKE` (lower case, trimmed).
pub fn normalize(query: &str) -> String {
    query.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bigrams_of_chinese_and_latin() {
        let t = terms("全市创卫工作进展 GDP");
        assert!(t.contains("创卫"));
        assert!(t.contains("gd") && t.contains("dp"));
        assert!(!t.contains("展g"), "runs split at spaces");
        assert_eq!(query_terms("创卫"), vec!["创卫".to_owned()]);
        assert!(query_terms("卫").is_empty());
        let q = query_terms("创卫工作");
        assert!(q.iter().all(|term| t.contains(term)));
    }
}
