//! The states of a suggestion and which steps they allow, as plain rules.
//!
//! ```text
//! SUBMITTED ─accept→ ACCEPTED ─(bulletin published)→ PUBLISHED ─report→ REPORTED
//!     │ decline          │ decline / merge                 └───────────┴─adopt→ ADOPTED
//!     └─merge→ MERGED ←──┘
//! ```
use entity::SuggestionStatus::{self, *};

pub fn can_accept(s: SuggestionStatus) -> bool {
    s == Submitted
}

pub fn can_decline(s: SuggestionStatus) -> bool {
    matches!(s, Submitted | Accepted)
}

/// Pieces that can be folded into another, and pieces that can receive them.
pub fn can_merge(s: SuggestionStatus) -> bool {
    matches!(s, Submitted | Accepted)
}

pub fn can_enter_bulletin(s: SuggestionStatus) -> bool {
    s == Accepted
}

pub fn can_report(s: SuggestionStatus) -> bool {
    matches!(s, Published | Reported | Adopted)
}

/// A level may adopt what it has edited, or what came to it from below.
pub fn can_adopt(s: SuggestionStatus, incoming: bool) -> bool {
    matches!(s, Published | Reported | Adopted) || (incoming && matches!(s, Submitted | Accepted))
}

/// Reporting or adopting never moves a piece backwards (ADOPTED stays ADOPTED).
pub fn after_report(s: SuggestionStatus) -> SuggestionStatus {
    if s == Adopted { Adopted } else { Reported }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::Iterable;

    #[test]
    fn each_step_from_each_state() {
        for s in SuggestionStatus::iter() {
            assert_eq!(can_accept(s), s == Submitted, "{s:?}");
            assert_eq!(can_decline(s), matches!(s, Submitted | Accepted), "{s:?}");
            assert_eq!(can_merge(s), matches!(s, Submitted | Accepted), "{s:?}");
            assert_eq!(can_enter_bulletin(s), s == Accepted, "{s:?}");
            assert_eq!(can_report(s), matches!(s, Published | Reported | Adopted), "{s:?}");
            assert_eq!(can_adopt(s, false), matches!(s, Published | Reported | Adopted), "{s:?}");
        }
        assert!(can_adopt(Submitted, true));
        assert!(!can_adopt(Declined, true));
        assert!(!can_adopt(Merged, true));
        assert_eq!(after_report(Published), Reported);
        assert_eq!(after_report(Adopted), Adopted);
    }
}
