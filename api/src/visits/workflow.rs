//! The states of a visit and of a participant's sign-up, and the moves between them, as
//! plain rules. Services only call this; `transition` makes a decided move happen once.
//!
//! ```text
//! PLANNED ─open→ OPEN ─close→ CLOSED ─start→ IN_PROGRESS ─complete→ COMPLETED
//!    │             │  ←open────┘                ↑
//!    │             └─────────start──────────────┤
//!    └──────────────────────start───────────────┘   (a reception needs no sign-up)
//! any state before IN_PROGRESS ─cancel→ CANCELLED
//!
//! (none), CANCELLED ─sign up→ CONFIRMED (a place was free) or WAITLISTED
//! WAITLISTED ─promote→ CONFIRMED          CONFIRMED ─request leave→ LEAVE_REQUESTED
//! LEAVE_REQUESTED ─approve→ ON_LEAVE      LEAVE_REQUESTED ─refuse→ CONFIRMED
//! CONFIRMED, WAITLISTED, LEAVE_REQUESTED, ON_LEAVE ─cancel→ CANCELLED
//! ```
use entity::{ParticipantStatus, VisitStatus};

/// What the office does to a visit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VisitAction {
    OpenSignup,
    CloseSignup,
    Start,
    Complete,
    Cancel,
}

impl VisitAction {
    pub const ALL: [VisitAction; 5] = [
        VisitAction::OpenSignup,
        VisitAction::CloseSignup,
        VisitAction::Start,
        VisitAction::Complete,
        VisitAction::Cancel,
    ];

    pub fn name(self) -> &'static str {
        match self {
            VisitAction::OpenSignup => "开始报名",
            VisitAction::CloseSignup => "截止报名",
            VisitAction::Start => "开始活动",
            VisitAction::Complete => "结束活动",
            VisitAction::Cancel => "取消活动",
        }
    }

    /// The timeline's and the event's name for the step.
    pub fn code(self) -> &'static str {
        match self {
            VisitAction::OpenSignup => "OPENED",
            VisitAction::CloseSignup => "CLOSED",
            VisitAction::Start => "STARTED",
            VisitAction::Complete => "COMPLETED",
            VisitAction::Cancel => "CANCELLED",
        }
    }
}

/// Where `action` leads from `from`; the refusal names the state and the action.
pub fn visit_step(action: VisitAction, from: VisitStatus) -> Result<VisitStatus, String> {
    use VisitStatus::*;
    let to = match (action, from) {
        (VisitAction::OpenSignup, Planned | Closed) => Open,
        (VisitAction::CloseSignup, Open) => Closed,
        (VisitAction::Start, Planned | Open | Closed) => InProgress,
        (VisitAction::Complete, InProgress) => Completed,
        (VisitAction::Cancel, Planned | Open | Closed) => Cancelled,
        _ => return Err(format!("活动当前为“{}”，不能{}", status_name(from), action.name())),
    };
    Ok(to)
}

/// The arrangements (time, place, places, audience) can change until the visit starts.
pub fn arrangements_open(status: VisitStatus) -> bool {
    matches!(status, VisitStatus::Planned | VisitStatus::Open | VisitStatus::Closed)
}

/// Members may cancel or ask for leave only before the visit starts (and sign up only
/// while sign-up is open: `participant_step` is told whether it is).
pub fn accepts_changes_from_members(status: VisitStatus) -> bool {
    arrangements_open(status)
}

/// Attendance (and the report) are taken during or after the visit.
pub fn takes_attendance(status: VisitStatus) -> bool {
    matches!(status, VisitStatus::InProgress | VisitStatus::Completed)
}

/// Whether a participant holds one of the counted places.
pub fn holds_place(status: ParticipantStatus) -> bool {
    matches!(status, ParticipantStatus::Confirmed | ParticipantStatus::LeaveRequested)
}

/// What happens to one person's sign-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParticipantAction {
    /// The member signs up (again, after a cancel); `place_free` says whether a place is
    /// left, else the waiting list.
    SignUp {
        place_free: bool,
    },
    Cancel,
    RequestLeave,
    ApproveLeave,
    RefuseLeave,
    /// A freed place goes to the first on the waiting list.
    Promote,
}

impl ParticipantAction {
    pub fn code(self) -> &'static str {
        match self {
            ParticipantAction::SignUp { .. } => "SIGNED_UP",
            ParticipantAction::Cancel => "SIGNUP_CANCELLED",
            ParticipantAction::RequestLeave => "LEAVE_REQUESTED",
            ParticipantAction::ApproveLeave => "LEAVE_APPROVED",
            ParticipantAction::RefuseLeave => "LEAVE_REFUSED",
            ParticipantAction::Promote => "PROMOTED",
        }
    }
}

/// Where a sign-up goes (`from` is `None` before the first sign-up); the refusal says why.
pub fn participant_step(
    action: ParticipantAction,
    from: Option<ParticipantStatus>,
) -> Result<ParticipantStatus, &'static str> {
    use ParticipantStatus::*;
    match (action, from) {
        (ParticipantAction::SignUp { place_free }, None | Some(Cancelled)) => {
            Ok(if place_free { Confirmed } else { Waitlisted })
        }
        (ParticipantAction::SignUp { .. }, Some(_)) => Err("您已报名此活动"),
        (_, None | Some(Cancelled)) => Err("您尚未报名此活动"),
        (ParticipantAction::Cancel, Some(_)) => Ok(Cancelled),
        (ParticipantAction::RequestLeave, Some(Confirmed)) => Ok(LeaveRequested),
        (ParticipantAction::RequestLeave, Some(_)) => Err("只有已确认参加的人可以请假"),
        (ParticipantAction::ApproveLeave, Some(LeaveRequested)) => Ok(OnLeave),
        (ParticipantAction::RefuseLeave, Some(LeaveRequested)) => Ok(Confirmed),
        (ParticipantAction::ApproveLeave | ParticipantAction::RefuseLeave, Some(_)) => Err("此人没有待审批的请假"),
        (ParticipantAction::Promote, Some(Waitlisted)) => Ok(Confirmed),
        (ParticipantAction::Promote, Some(_)) => Err("此人不在候补名单上"),
    }
}

/// How a step moves the count of places taken: +1, -1 or 0.
pub fn place_change(from: Option<ParticipantStatus>, to: ParticipantStatus) -> i32 {
    i32::from(holds_place(to)) - i32::from(from.is_some_and(holds_place))
}

pub fn status_name(s: VisitStatus) -> &'static str {
    match s {
        VisitStatus::Planned => "计划中",
        VisitStatus::Open => "报名中",
        VisitStatus::Closed => "报名已截止",
        VisitStatus::InProgress => "进行中",
        VisitStatus::Completed => "已完成",
        VisitStatus::Cancelled => "已取消",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ParticipantStatus as P;
    use VisitStatus::*;
    use sea_orm::Iterable;

    #[test]
    fn every_visit_move_allowed_or_refused() {
        let allowed = [
            (VisitAction::OpenSignup, Planned, Open),
            (VisitAction::OpenSignup, Closed, Open),
            (VisitAction::CloseSignup, Open, Closed),
            (VisitAction::Start, Planned, InProgress),
            (VisitAction::Start, Open, InProgress),
            (VisitAction::Start, Closed, InProgress),
            (VisitAction::Complete, InProgress, Completed),
            (VisitAction::Cancel, Planned, Cancelled),
            (VisitAction::Cancel, Open, Cancelled),
            (VisitAction::Cancel, Closed, Cancelled),
        ];
        for action in VisitAction::ALL {
            for from in VisitStatus::iter() {
                let expected = allowed.iter().find(|(a, f, _)| *a == action && *f == from).map(|(_, _, to)| *to);
                match (visit_step(action, from), expected) {
                    (Ok(to), Some(want)) => assert_eq!(to, want),
                    (Err(msg), None) => {
                        assert!(msg.contains(status_name(from)) && msg.contains(action.name()), "{msg}")
                    }
                    (got, want) => panic!("{action:?} from {from:?}: got {got:?}, want {want:?}"),
                }
            }
        }
    }

    #[test]
    fn every_participant_move_allowed_or_refused() {
        let actions = [
            ParticipantAction::SignUp { place_free: true },
            ParticipantAction::SignUp { place_free: false },
            ParticipantAction::Cancel,
            ParticipantAction::RequestLeave,
            ParticipantAction::ApproveLeave,
            ParticipantAction::RefuseLeave,
            ParticipantAction::Promote,
        ];
        let allowed = [
            (ParticipantAction::SignUp { place_free: true }, None, P::Confirmed),
            (ParticipantAction::SignUp { place_free: true }, Some(P::Cancelled), P::Confirmed),
            (ParticipantAction::SignUp { place_free: false }, None, P::Waitlisted),
            (ParticipantAction::SignUp { place_free: false }, Some(P::Cancelled), P::Waitlisted),
            (ParticipantAction::Cancel, Some(P::Confirmed), P::Cancelled),
            (ParticipantAction::Cancel, Some(P::Waitlisted), P::Cancelled),
            (ParticipantAction::Cancel, Some(P::LeaveRequested), P::Cancelled),
            (ParticipantAction::Cancel, Some(P::OnLeave), P::Cancelled),
            (ParticipantAction::RequestLeave, Some(P::Confirmed), P::LeaveRequested),
            (ParticipantAction::ApproveLeave, Some(P::LeaveRequested), P::OnLeave),
            (ParticipantAction::RefuseLeave, Some(P::LeaveRequested), P::Confirmed),
            (ParticipantAction::Promote, Some(P::Waitlisted), P::Confirmed),
        ];
        let froms: Vec<Option<P>> = std::iter::once(None).chain(P::iter().map(Some)).collect();
        for action in actions {
            for from in &froms {
                let expected = allowed.iter().find(|(a, f, _)| *a == action && f == from).map(|(_, _, to)| *to);
                assert_eq!(participant_step(action, *from).ok(), expected, "{action:?} from {from:?}");
            }
        }
    }

    #[test]
    fn places_move_with_the_status() {
        assert_eq!(place_change(None, P::Confirmed), 1);
        assert_eq!(place_change(None, P::Waitlisted), 0);
        assert_eq!(place_change(Some(P::Confirmed), P::Cancelled), -1);
        assert_eq!(place_change(Some(P::LeaveRequested), P::Cancelled), -1);
        assert_eq!(place_change(Some(P::LeaveRequested), P::OnLeave), -1);
        assert_eq!(place_change(Some(P::Confirmed), P::LeaveRequested), 0);
        assert_eq!(place_change(Some(P::OnLeave), P::Cancelled), 0);
        assert_eq!(place_change(Some(P::Waitlisted), P::Confirmed), 1);
        assert_eq!(place_change(Some(P::LeaveRequested), P::Confirmed), 0);
    }

    #[test]
    fn windows() {
        assert!(accepts_changes_from_members(Open));
        assert!(!accepts_changes_from_members(InProgress));
        assert!(takes_attendance(Completed));
        assert!(!takes_attendance(Open));
    }
}
