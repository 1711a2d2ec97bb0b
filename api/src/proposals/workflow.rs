//! The proposal state machine (提案办理), as plain rules: the states, every action, which
//! states it may start from, where it leads, and who may take it. GraphQL only calls this.
//!
//! ```text
//! DRAFT ─submit→ SUBMITTED ─register→ REGISTERED ─assign→ ASSIGNED ─(all lead/separate units reply)→ REPLIED
//!   ↑ resubmit       │ return → RETURNED                ↑ requestReassignment            │ evaluate
//!   │                │ reject → REJECTED                └─────────────────────┘           ↓
//! WITHDRAWN ←withdraw (before registration)                         REHANDLING ←UNSATISFIED─ EVALUATED
//!                    │ merge → MERGED (also from REGISTERED)            └─(replies)→ REPLIED     │ conclude
//!                                                                                   CONCLUDED ─publishResult
//! ```
use entity::{
    AssignmentRole, AssignmentStatus,
    ProposalStatus::{self, *},
};

/// Who acts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// The proposer (or, for collective proposals, the person who drafted it).
    Proposer,
    /// Proposal committee office: staff and admins.
    Office,
    /// A handling unit with an assignment on the proposal.
    Unit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Submit,
    Resubmit,
    Withdraw,
    Return,
    Register,
    Reject,
    Merge,
    Assign,
    RequestReassignment,
    Reply,
    Evaluate,
    Conclude,
    PublishResult,
    DesignateKey,
}

impl Action {
    pub const ALL: [Action; 14] = [
        Action::Submit,
        Action::Resubmit,
        Action::Withdraw,
        Action::Return,
        Action::Register,
        Action::Reject,
        Action::Merge,
        Action::Assign,
        Action::RequestReassignment,
        Action::Reply,
        Action::Evaluate,
        Action::Conclude,
        Action::PublishResult,
        Action::DesignateKey,
    ];

    /// Who may take the action.
    pub fn actor(self) -> Actor {
        match self {
            Action::Submit | Action::Resubmit | Action::Withdraw | Action::Evaluate => Actor::Proposer,
            Action::RequestReassignment | Action::Reply => Actor::Unit,
            _ => Actor::Office,
        }
    }

    /// The states the action may start from.
    pub fn from(self) -> &'static [ProposalStatus] {
        match self {
            Action::Submit => &[Draft],
            Action::Resubmit => &[Returned],
            Action::Withdraw => &[Submitted, Returned],
            Action::Return | Action::Register | Action::Reject => &[Submitted],
            Action::Merge => &[Submitted, Registered],
            Action::Assign => &[Registered],
            Action::RequestReassignment => &[Assigned],
            Action::Reply => &[Assigned, Rehandling],
            Action::Evaluate => &[Replied],
            Action::Conclude => &[Replied, Evaluated],
            Action::PublishResult => &[Concluded],
            Action::DesignateKey => &[Registered, Assigned, Replied, Rehandling, Evaluated],
        }
    }

    /// Where the action leads. `Reply` leads to REPLIED only once every lead and separate
    /// unit has answered, and `Evaluate` to REHANDLING when the proposer is unsatisfied:
    /// the service decides those with `after_reply` and `after_evaluation`.
    pub fn to(self, from: ProposalStatus) -> ProposalStatus {
        match self {
            Action::Submit | Action::Resubmit => Submitted,
            Action::Withdraw => Withdrawn,
            Action::Return => Returned,
            Action::Register => Registered,
            Action::Reject => Rejected,
            Action::Merge => Merged,
            Action::Assign => Assigned,
            Action::RequestReassignment => Registered,
            Action::Reply => Replied,
            Action::Evaluate => Evaluated,
            Action::Conclude => Concluded,
            Action::PublishResult | Action::DesignateKey => from,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Action::Submit => "提交",
            Action::Resubmit => "重新提交",
            Action::Withdraw => "撤回",
            Action::Return => "退回修改",
            Action::Register => "立案",
            Action::Reject => "不予立案",
            Action::Merge => "并案",
            Action::Assign => "交办",
            Action::RequestReassignment => "申请退回重新交办",
            Action::Reply => "答复",
            Action::Evaluate => "评价",
            Action::Conclude => "办结",
            Action::PublishResult => "公开办理结果",
            Action::DesignateKey => "确定为重点提案",
        }
    }
}

/// Whether `actor` may take `action` on a proposal in `state`; the refusal says why, naming
/// the current state and the action.
pub fn check(action: Action, actor: Actor, state: ProposalStatus) -> Result<ProposalStatus, String> {
    if action.actor() != actor {
        return Err(format!("无权{}此提案", action.name()));
    }
    if !action.from().contains(&state) {
        return Err(format!("提案当前状态为“{}”，不能{}", status_name(state), action.name()));
    }
    Ok(action.to(state))
}

/// After a reply: REPLIED once every unit that must answer has, else unchanged.
pub fn after_reply(state: ProposalStatus, all_answered: bool) -> ProposalStatus {
    if all_answered { Replied } else { state }
}

/// After the proposer's evaluation: re-handling when unsatisfied.
pub fn after_evaluation(unsatisfied: bool) -> ProposalStatus {
    if unsatisfied { Rehandling } else { Evaluated }
}

/// Whether a unit holding an assignment in `role` may reply while the proposal is in
/// `state`. Lead (主办) and separate (分办) units answer for the proposal while it is being
/// handled; joint (会办) units give their opinion until it is evaluated or concluded, and
/// their replies never decide whether it counts as replied.
pub fn unit_may_reply(role: AssignmentRole, state: ProposalStatus) -> Result<(), String> {
    let open: &[ProposalStatus] = match role {
        AssignmentRole::Lead | AssignmentRole::Separate => &[Assigned, Rehandling],
        AssignmentRole::Joint => &[Assigned, Replied, Rehandling],
    };
    if open.contains(&state) {
        Ok(())
    } else {
        Err(format!("提案当前状态为“{}”，不能{}", status_name(state), Action::Reply.name()))
    }
}

/// Whether the unit's answer counts towards REPLIED.
pub fn answers_for_proposal(role: AssignmentRole) -> bool {
    matches!(role, AssignmentRole::Lead | AssignmentRole::Separate)
}

/// A proposal others may be merged into (并案): one the office registered and that is
/// still alive — not merged, withdrawn or rejected itself.
pub fn receives_merges(state: ProposalStatus) -> bool {
    matches!(state, Registered | Assigned | Replied | Evaluated | Rehandling | Concluded)
}

/// What happens to one unit's assignment (交办).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssignmentAction {
    /// 签收
    Acknowledge,
    /// 答复
    Reply,
    /// 申退
    RequestReassignment,
    /// Asked again after an unsatisfied evaluation (lead and separate units).
    Reopen,
}

impl AssignmentAction {
    pub const ALL: [AssignmentAction; 4] = [
        AssignmentAction::Acknowledge,
        AssignmentAction::Reply,
        AssignmentAction::RequestReassignment,
        AssignmentAction::Reopen,
    ];

    pub fn name(self) -> &'static str {
        match self {
            AssignmentAction::Acknowledge => "签收",
            AssignmentAction::Reply => "答复",
            AssignmentAction::RequestReassignment => "申请退回",
            AssignmentAction::Reopen => "重新办理",
        }
    }
}

/// The assignment's own moves: where each action may start and where it leads.
pub fn assignment_step(action: AssignmentAction, from: AssignmentStatus) -> Result<AssignmentStatus, String> {
    use AssignmentStatus as A;
    let to = match (action, from) {
        (AssignmentAction::Acknowledge, A::Assigned) => A::Acknowledged,
        (AssignmentAction::Reply, A::Assigned | A::Acknowledged) => A::Replied,
        (AssignmentAction::RequestReassignment, A::Assigned | A::Acknowledged) => A::ReassignRequested,
        (AssignmentAction::Reopen, A::Replied) => A::Assigned,
        _ => {
            return Err(format!("该交办当前为“{}”，不能{}", assignment_status_name(from), action.name()));
        }
    };
    Ok(to)
}

pub fn assignment_status_name(s: AssignmentStatus) -> &'static str {
    match s {
        AssignmentStatus::Assigned => "已交办",
        AssignmentStatus::Acknowledged => "已签收",
        AssignmentStatus::Replied => "已答复",
        AssignmentStatus::ReassignRequested => "已申退",
    }
}

pub fn status_name(s: ProposalStatus) -> &'static str {
    match s {
        Draft => "草稿",
        Submitted => "已提交",
        Returned => "退回修改",
        Withdrawn => "已撤回",
        Registered => "已立案",
        Rejected => "不予立案",
        Merged => "已并案",
        Assigned => "已交办",
        Replied => "已答复",
        Evaluated => "已评价",
        Rehandling => "重新办理",
        Concluded => "已办结",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::Iterable;

    /// Every (action, state) pair: allowed exactly where the table says, refused elsewhere
    /// with the state and the action named; and refused to the wrong actor everywhere.
    #[test]
    fn every_transition_allowed_or_refused() {
        let allowed: &[(Action, ProposalStatus, ProposalStatus)] = &[
            (Action::Submit, Draft, Submitted),
            (Action::Resubmit, Returned, Submitted),
            (Action::Withdraw, Submitted, Withdrawn),
            (Action::Withdraw, Returned, Withdrawn),
            (Action::Return, Submitted, Returned),
            (Action::Register, Submitted, Registered),
            (Action::Reject, Submitted, Rejected),
            (Action::Merge, Submitted, Merged),
            (Action::Merge, Registered, Merged),
            (Action::Assign, Registered, Assigned),
            (Action::RequestReassignment, Assigned, Registered),
            (Action::Reply, Assigned, Replied),
            (Action::Reply, Rehandling, Replied),
            (Action::Evaluate, Replied, Evaluated),
            (Action::Conclude, Replied, Concluded),
            (Action::Conclude, Evaluated, Concluded),
            (Action::PublishResult, Concluded, Concluded),
            (Action::DesignateKey, Registered, Registered),
            (Action::DesignateKey, Assigned, Assigned),
            (Action::DesignateKey, Replied, Replied),
            (Action::DesignateKey, Rehandling, Rehandling),
            (Action::DesignateKey, Evaluated, Evaluated),
        ];
        let actors = [Actor::Proposer, Actor::Office, Actor::Unit];
        for action in Action::ALL {
            for state in ProposalStatus::iter() {
                let expected = allowed.iter().find(|(a, s, _)| *a == action && *s == state).map(|(_, _, to)| *to);
                let got = check(action, action.actor(), state);
                match expected {
                    Some(to) => assert_eq!(got, Ok(to), "{action:?} from {state:?}"),
                    None => match got {
                        Err(msg) => assert!(msg.contains(status_name(state)) && msg.contains(action.name()), "{msg}"),
                        Ok(to) => panic!("{action:?} from {state:?} allowed (to {to:?})"),
                    },
                }
                for other in actors.iter().filter(|a| **a != action.actor()) {
                    assert!(check(action, *other, state).is_err(), "{other:?} may not {action:?}");
                }
            }
        }
    }

    #[test]
    fn who_may_reply_when() {
        for state in ProposalStatus::iter() {
            let answering = matches!(state, Assigned | Rehandling);
            assert_eq!(unit_may_reply(AssignmentRole::Lead, state).is_ok(), answering, "{state:?}");
            assert_eq!(unit_may_reply(AssignmentRole::Separate, state).is_ok(), answering, "{state:?}");
            let joint = matches!(state, Assigned | Replied | Rehandling);
            assert_eq!(unit_may_reply(AssignmentRole::Joint, state).is_ok(), joint, "{state:?}");
        }
        assert!(answers_for_proposal(AssignmentRole::Lead));
        assert!(answers_for_proposal(AssignmentRole::Separate));
        assert!(!answers_for_proposal(AssignmentRole::Joint));
    }

    #[test]
    fn merges_go_only_into_live_registered_proposals() {
        for state in ProposalStatus::iter() {
            let live = !matches!(state, Draft | Submitted | Returned | Withdrawn | Rejected | Merged);
            assert_eq!(receives_merges(state), live, "{state:?}");
        }
    }

    #[test]
    fn every_assignment_move_allowed_or_refused() {
        use AssignmentStatus as A;
        let allowed = [
            (AssignmentAction::Acknowledge, A::Assigned, A::Acknowledged),
            (AssignmentAction::Reply, A::Assigned, A::Replied),
            (AssignmentAction::Reply, A::Acknowledged, A::Replied),
            (AssignmentAction::RequestReassignment, A::Assigned, A::ReassignRequested),
            (AssignmentAction::RequestReassignment, A::Acknowledged, A::ReassignRequested),
            (AssignmentAction::Reopen, A::Replied, A::Assigned),
        ];
        for action in AssignmentAction::ALL {
            for from in AssignmentStatus::iter() {
                let expected = allowed.iter().find(|(a, f, _)| *a == action && *f == from).map(|(_, _, to)| *to);
                match (assignment_step(action, from), expected) {
                    (Ok(to), Some(want)) => assert_eq!(to, want, "{action:?} from {from:?}"),
                    (Err(msg), None) => assert!(msg.contains(assignment_status_name(from)), "{msg}"),
                    (got, want) => panic!("{action:?} from {from:?}: got {got:?}, want {want:?}"),
                }
            }
        }
    }

    #[test]
    fn replies_and_evaluations_decide_the_next_state() {
        assert_eq!(after_reply(Assigned, false), Assigned);
        assert_eq!(after_reply(Assigned, true), Replied);
        assert_eq!(after_reply(Rehandling, true), Replied);
        assert_eq!(after_evaluation(true), Rehandling);
        assert_eq!(after_evaluation(false), Evaluated);
    }
}
