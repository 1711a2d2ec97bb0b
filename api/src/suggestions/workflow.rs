//! The states of a piece of public-opinion information and of a bulletin issue, and the
//! moves between them, as plain rules: for every action, the states it may start from and
//! where it leads. The service asks this table on the row it has locked, then moves the
//! record through `crate::transition`.
//!
//! ```text
//! SUBMITTED ─accept→ ACCEPTED ─publish (with its bulletin issue)→ PUBLISHED ─report→ REPORTED
//!     │ decline          │ decline                                     │               │
//!     │ merge            │ merge                                       └──adopt→ ADOPTED ←┘ (adopt, report: stay)
//!     ↓                  ↓
//! DECLINED, MERGED (final)        an incoming copy may be adopted from SUBMITTED or ACCEPTED
//! ```
//! A piece that receives merges stays where it is (SUBMITTED or ACCEPTED); one entering a
//! bulletin issue stays ACCEPTED until the issue is published. An issue is a DRAFT while the
//! office edits it, and PUBLISHED (印发) once.
use entity::{
    BulletinStatus,
    SuggestionStatus::{self, *},
};

/// Where a piece comes from: the organization's own members, or a committee below that
/// reported it up (an incoming copy, 来件).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Own,
    Incoming,
}

impl Origin {
    pub fn of(source_suggestion_id: Option<uuid::Uuid>) -> Self {
        if source_suggestion_id.is_some() { Origin::Incoming } else { Origin::Own }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// 采编
    Accept,
    /// 不予采用
    Decline,
    /// Folded into another piece (汇总).
    Merge,
    /// Receives the pieces merged into it.
    ReceiveMerge,
    /// Edited into a draft bulletin issue.
    EnterBulletin,
    /// 编发: printed by the publication of its issue.
    Publish,
    /// 报送
    Report,
    /// 采用
    Adopt,
}

impl Action {
    pub const ALL: [Action; 8] = [
        Action::Accept,
        Action::Decline,
        Action::Merge,
        Action::ReceiveMerge,
        Action::EnterBulletin,
        Action::Publish,
        Action::Report,
        Action::Adopt,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Action::Accept => "采编",
            Action::Decline => "不予采用",
            Action::Merge => "合并",
            Action::ReceiveMerge => "接收合并",
            Action::EnterBulletin => "编入期刊",
            Action::Publish => "编发",
            Action::Report => "报送",
            Action::Adopt => "登记采用",
        }
    }

    /// The timeline's and the event's name for the step.
    pub fn code(self) -> &'static str {
        match self {
            Action::Accept => "ACCEPTED",
            Action::Decline => "DECLINED",
            Action::Merge => "MERGED",
            Action::ReceiveMerge => "MERGED_IN",
            Action::EnterBulletin => "ENTERED_BULLETIN",
            Action::Publish => "PUBLISHED",
            Action::Report => "REPORTED",
            Action::Adopt => "ADOPTED",
        }
    }
}

/// The whole table: where `action` leads a piece of `origin` in `state`, if it may be
/// taken there at all.
fn table(action: Action, origin: Origin, state: SuggestionStatus) -> Option<SuggestionStatus> {
    use Action as A;
    match (action, state) {
        (A::Accept, Submitted) => Some(Accepted),
        (A::Decline, Submitted | Accepted) => Some(Declined),
        (A::Merge, Submitted | Accepted) => Some(Merged),
        (A::ReceiveMerge, Submitted | Accepted) => Some(state),
        (A::EnterBulletin, Accepted) => Some(Accepted),
        (A::Publish, Accepted) => Some(Published),
        // Reporting never moves a piece backwards: ADOPTED stays ADOPTED.
        (A::Report, Published | Reported) => Some(Reported),
        (A::Report, Adopted) => Some(Adopted),
        // A level adopts what it has edited, or what came to it from below.
        (A::Adopt, Published | Reported | Adopted) => Some(Adopted),
        (A::Adopt, Submitted | Accepted) if origin == Origin::Incoming => Some(Adopted),
        _ => None,
    }
}

/// Whether `action` may be taken on a piece of `origin` in `state`, and where it leads; the
/// refusal names the current state and the action.
pub fn check(action: Action, origin: Origin, state: SuggestionStatus) -> Result<SuggestionStatus, String> {
    table(action, origin, state)
        .ok_or_else(|| format!("该信息当前状态为“{}”，不能{}", status_name(state), action.name()))
}

pub fn status_name(s: SuggestionStatus) -> &'static str {
    match s {
        Submitted => "已报送待处理",
        Accepted => "已采编",
        Declined => "未采用",
        Merged => "已合并",
        Published => "已编发",
        Reported => "已报送上级",
        Adopted => "已被采用",
    }
}

/// What the office does to a bulletin issue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssueAction {
    /// Put a piece in, or change its edited text.
    Edit,
    /// 印发
    Publish,
}

impl IssueAction {
    pub const ALL: [IssueAction; 2] = [IssueAction::Edit, IssueAction::Publish];

    pub fn name(self) -> &'static str {
        match self {
            IssueAction::Edit => "再修改",
            IssueAction::Publish => "再次印发",
        }
    }
}

/// The issue's moves: edited while a draft, published once.
pub fn check_issue(action: IssueAction, state: BulletinStatus) -> Result<BulletinStatus, String> {
    match (action, state) {
        (IssueAction::Edit, BulletinStatus::Draft) => Ok(BulletinStatus::Draft),
        (IssueAction::Publish, BulletinStatus::Draft) => Ok(BulletinStatus::Published),
        _ => Err(format!("该期{}，不能{}", issue_status_name(state), action.name())),
    }
}

pub fn issue_status_name(s: BulletinStatus) -> &'static str {
    match s {
        BulletinStatus::Draft => "尚未印发",
        BulletinStatus::Published => "已印发",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::Iterable;

    /// Every (action, origin, state): allowed exactly where the table says, refused
    /// elsewhere with the state and the action named.
    #[test]
    fn every_move_allowed_or_refused() {
        use Action as A;
        use Origin::{Incoming, Own};
        let both = [Own, Incoming];
        let mut allowed: Vec<(Action, Origin, SuggestionStatus, SuggestionStatus)> = Vec::new();
        for o in both {
            allowed.extend([
                (A::Accept, o, Submitted, Accepted),
                (A::Decline, o, Submitted, Declined),
                (A::Decline, o, Accepted, Declined),
                (A::Merge, o, Submitted, Merged),
                (A::Merge, o, Accepted, Merged),
                (A::ReceiveMerge, o, Submitted, Submitted),
                (A::ReceiveMerge, o, Accepted, Accepted),
                (A::EnterBulletin, o, Accepted, Accepted),
                (A::Publish, o, Accepted, Published),
                (A::Report, o, Published, Reported),
                (A::Report, o, Reported, Reported),
                (A::Report, o, Adopted, Adopted),
                (A::Adopt, o, Published, Adopted),
                (A::Adopt, o, Reported, Adopted),
                (A::Adopt, o, Adopted, Adopted),
            ]);
        }
        allowed.extend([(A::Adopt, Incoming, Submitted, Adopted), (A::Adopt, Incoming, Accepted, Adopted)]);
        for action in Action::ALL {
            for origin in both {
                for state in SuggestionStatus::iter() {
                    let expected = allowed
                        .iter()
                        .find(|(a, o, s, _)| *a == action && *o == origin && *s == state)
                        .map(|(_, _, _, to)| *to);
                    match (check(action, origin, state), expected) {
                        (Ok(to), Some(want)) => assert_eq!(to, want, "{action:?} {origin:?} from {state:?}"),
                        (Err(msg), None) => {
                            assert!(msg.contains(status_name(state)) && msg.contains(action.name()), "{msg}")
                        }
                        (got, want) => panic!("{action:?} {origin:?} from {state:?}: got {got:?}, want {want:?}"),
                    }
                }
            }
        }
    }

    #[test]
    fn declined_and_merged_are_final() {
        for action in Action::ALL {
            for origin in [Origin::Own, Origin::Incoming] {
                assert!(check(action, origin, Declined).is_err(), "{action:?}");
                assert!(check(action, origin, Merged).is_err(), "{action:?}");
            }
        }
    }

    #[test]
    fn every_issue_move_allowed_or_refused() {
        let allowed = [
            (IssueAction::Edit, BulletinStatus::Draft, BulletinStatus::Draft),
            (IssueAction::Publish, BulletinStatus::Draft, BulletinStatus::Published),
        ];
        for action in IssueAction::ALL {
            for state in BulletinStatus::iter() {
                let expected = allowed.iter().find(|(a, s, _)| *a == action && *s == state).map(|(_, _, to)| *to);
                match (check_issue(action, state), expected) {
                    (Ok(to), Some(want)) => assert_eq!(to, want, "{action:?} from {state:?}"),
                    (Err(msg), None) => {
                        assert!(msg.contains(issue_status_name(state)) && msg.contains(action.name()), "{msg}")
                    }
                    (got, want) => panic!("{action:?} from {state:?}: got {got:?}, want {want:?}"),
                }
            }
        }
    }

    #[test]
    fn origins() {
        assert_eq!(Origin::of(None), Origin::Own);
        assert_eq!(Origin::of(Some(uuid::Uuid::nil())), Origin::Incoming);
    }
}
