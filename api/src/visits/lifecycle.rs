//! The states of a visit and the moves between them, as plain rules.
//!
//! ```text
//! PLANNED ─open→ OPEN ─close→ CLOSED ─start→ IN_PROGRESS ─complete→ COMPLETED
//!    │             │  ←reopen──┘                ↑
//!    │             └─────────start──────────────┤
//!    └──────────────────────start───────────────┘   (a reception needs no sign-up)
//! any state before IN_PROGRESS ─cancel→ CANCELLED
//! ```
use entity::{ParticipantStatus, VisitStatus};

use VisitStatus::*;

pub fn can_move(from: VisitStatus, to: VisitStatus) -> bool {
    matches!(
        (from, to),
        (Planned, Open)
            | (Open, Closed)
            | (Closed, Open)
            | (Planned | Open | Closed, InProgress)
            | (InProgress, Completed)
            | (Planned | Open | Closed, Cancelled)
    )
}

/// Members may sign up, cancel or ask for leave only before the visit starts.
pub fn accepts_changes_from_members(status: VisitStatus) -> bool {
    matches!(status, Open | Closed | Planned)
}

/// Attendance is taken during or after the visit.
pub fn takes_attendance(status: VisitStatus) -> bool {
    matches!(status, InProgress | Completed)
}

/// Whether a participant holds one of the counted places.
pub fn holds_place(status: ParticipantStatus) -> bool {
    matches!(status, ParticipantStatus::Confirmed | ParticipantStatus::LeaveRequested)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::Iterable;

    #[test]
    fn every_move_allowed_or_refused() {
        let allowed = [
            (Planned, Open),
            (Open, Closed),
            (Closed, Open),
            (Planned, InProgress),
            (Open, InProgress),
            (Closed, InProgress),
            (InProgress, Completed),
            (Planned, Cancelled),
            (Open, Cancelled),
            (Closed, Cancelled),
        ];
        for from in VisitStatus::iter() {
            for to in VisitStatus::iter() {
                assert_eq!(can_move(from, to), allowed.contains(&(from, to)), "{from:?} → {to:?}");
            }
        }
    }

    #[test]
    fn places_and_windows() {
        assert!(holds_place(ParticipantStatus::Confirmed));
        assert!(holds_place(ParticipantStatus::LeaveRequested));
        assert!(!holds_place(ParticipantStatus::Waitlisted));
        assert!(!holds_place(ParticipantStatus::OnLeave));
        assert!(!holds_place(ParticipantStatus::Cancelled));
        assert!(accepts_changes_from_members(Open));
        assert!(!accepts_changes_from_members(InProgress));
        assert!(takes_attendance(Completed));
        assert!(!takes_attendance(Open));
    }
}
