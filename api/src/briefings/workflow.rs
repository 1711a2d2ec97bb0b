//! The briefing state machine (情况通报), as plain rules: the states, every action, which
//! states it may start from and where it leads. Only the office acts on briefings (who
//! exactly is `policy`'s question); the services ask this table before every step.
//!
//! ```text
//! DRAFT ─publish→ PUBLISHED ─withdraw→ WITHDRAWN ─publish→ PUBLISHED
//!   │ delete          ↺ update (re-screened, audience re-resolved)
//!   ↺ update                                      ↺ update
//! ```
use entity::BriefingStatus::{self, *};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// An edit: a step to the same state, guarded by the version like any other.
    Update,
    Publish,
    Withdraw,
    /// Drafts only: what was published is withdrawn, never deleted (its receipts stay).
    Delete,
}

impl Action {
    pub const ALL: [Action; 4] = [Action::Update, Action::Publish, Action::Withdraw, Action::Delete];

    /// The states the action may start from.
    pub fn from(self) -> &'static [BriefingStatus] {
        match self {
            Action::Update => &[Draft, Published, Withdrawn],
            Action::Publish => &[Draft, Withdrawn],
            Action::Withdraw => &[Published],
            Action::Delete => &[Draft],
        }
    }

    /// Where the action leads (a deleted draft leads nowhere: it is gone, and its state
    /// is the one it had).
    pub fn to(self, from: BriefingStatus) -> BriefingStatus {
        match self {
            Action::Update | Action::Delete => from,
            Action::Publish => Published,
            Action::Withdraw => Withdrawn,
        }
    }

    /// The timeline's and the event's name for the step.
    pub fn code(self) -> &'static str {
        match self {
            Action::Update => "UPDATED",
            Action::Publish => "PUBLISHED",
            Action::Withdraw => "WITHDRAWN",
            Action::Delete => "DELETED",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Action::Update => "修改",
            Action::Publish => "发布",
            Action::Withdraw => "撤回",
            Action::Delete => "删除",
        }
    }
}

/// Where `action` leads from `state`; the refusal names the current state and the action
/// (the service answers it as a CONFLICT: the briefing is not where the client thought).
pub fn check(action: Action, state: BriefingStatus) -> Result<BriefingStatus, String> {
    if !action.from().contains(&state) {
        let hint = match (action, state) {
            (Action::Delete, Published) => "；已发布的通报请撤回",
            _ => "",
        };
        return Err(format!("通报当前状态为“{}”，不能{}{hint}", status_name(state), action.name()));
    }
    Ok(action.to(state))
}

pub fn status_name(s: BriefingStatus) -> &'static str {
    match s {
        Draft => "草稿",
        Published => "已发布",
        Withdrawn => "已撤回",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::Iterable;

    /// Every (action, state) pair: allowed exactly where the table says, refused elsewhere
    /// with the state and the action named.
    #[test]
    fn every_transition_allowed_or_refused() {
        let allowed: &[(Action, BriefingStatus, BriefingStatus)] = &[
            (Action::Update, Draft, Draft),
            (Action::Update, Published, Published),
            (Action::Update, Withdrawn, Withdrawn),
            (Action::Publish, Draft, Published),
            (Action::Publish, Withdrawn, Published),
            (Action::Withdraw, Published, Withdrawn),
            (Action::Delete, Draft, Draft),
        ];
        for action in Action::ALL {
            for state in BriefingStatus::iter() {
                let expected = allowed.iter().find(|(a, s, _)| *a == action && *s == state).map(|(_, _, to)| *to);
                match (check(action, state), expected) {
                    (Ok(to), Some(want)) => assert_eq!(to, want, "{action:?} from {state:?}"),
                    (Err(msg), None) => {
                        assert!(msg.contains(status_name(state)) && msg.contains(action.name()), "{msg}")
                    }
                    (got, want) => panic!("{action:?} from {state:?}: got {got:?}, want {want:?}"),
                }
            }
        }
    }

    #[test]
    fn timeline_codes_fit_the_column() {
        // briefing_event.action is VARCHAR(16).
        for action in Action::ALL {
            assert!(action.code().len() <= 16, "{action:?}");
        }
    }
}
