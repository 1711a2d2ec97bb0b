//! When each reminder falls due: pure rules on instants, counted in China time.
//!
//! A reminder is about a day (the visit's, the deadline's), so it goes out from 08:00 on
//! the day it is for, never at midnight: a push that wakes a member at 00:00 to say "a
//! visit tomorrow" is worse than none. A pass that runs late (the server was down) still
//! sends what is still meaningful, and nothing that is not:
//! - VISIT_TOMORROW from 08:00 the day before the visit's day until the visit starts (a
//!   late start on the day itself still reminds; once it has started, nothing);
//! - DEADLINE_NEAR from 08:00 seven days before the deadline's day until the deadline
//!   (past it, OVERDUE takes over);
//! - OVERDUE from 08:00 the day after the deadline's day, for as long as it is not replied.
//!
//! Each rule answers the China date that keys the claim (`reminder.due_on`): the visit's
//! or the deadline's day, so a visit moved to another day or a deadline moved later is
//! reminded again, and the same day never twice.
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};

use crate::calendar::date_of;

/// The hour (China time) from which a day's reminders go out.
pub const MORNING_HOUR: i64 = 8;
/// How many days before its deadline an assignment is reminded.
pub const DEADLINE_NEAR_DAYS: i64 = 7;

/// China Standard Time is UTC+8 all year.
const CST: Duration = Duration::hours(8);

/// The instant a China day starts.
pub fn start_of(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(NaiveTime::MIN).and_utc() - CST
}

/// The latest China day whose 08:00 has come by `now`: reminders "for" that day are due.
fn reminded_day(now: DateTime<Utc>) -> NaiveDate {
    date_of(now - Duration::hours(MORNING_HOUR))
}

/// A visit starting at `starts_at`: due from 08:00 the day before until it starts.
pub fn visit_tomorrow(starts_at: DateTime<Utc>, now: DateTime<Utc>) -> Option<NaiveDate> {
    let day = date_of(starts_at);
    (day <= reminded_day(now) + Duration::days(1) && now < starts_at).then_some(day)
}

/// An unreplied assignment: due from 08:00 seven days before the deadline's day until the
/// deadline.
pub fn deadline_near(deadline: DateTime<Utc>, now: DateTime<Utc>) -> Option<NaiveDate> {
    let day = date_of(deadline);
    (day <= reminded_day(now) + Duration::days(DEADLINE_NEAR_DAYS) && now < deadline).then_some(day)
}

/// An unreplied assignment past its deadline: due from 08:00 the day after the deadline's day.
pub fn overdue(deadline: DateTime<Utc>, now: DateTime<Utc>) -> Option<NaiveDate> {
    let day = date_of(deadline);
    (day < reminded_day(now)).then_some(day)
}

/// Visits starting before this instant may be due by `now` (the query's bound; the rule
/// above decides).
pub fn visits_before(now: DateTime<Utc>) -> DateTime<Utc> {
    start_of(reminded_day(now) + Duration::days(2))
}

/// Deadlines before this instant may be due (near or overdue) by `now`.
pub fn deadlines_before(now: DateTime<Utc>) -> DateTime<Utc> {
    start_of(reminded_day(now) + Duration::days(DEADLINE_NEAR_DAYS + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An instant given in China time.
    fn cst(s: &str) -> DateTime<Utc> {
        let t = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap_or_default();
        t.and_utc() - CST
    }

    fn day(s: &str) -> Option<NaiveDate> {
        s.parse().ok()
    }

    #[test]
    fn a_visit_is_reminded_from_the_morning_before_until_it_starts() {
        let starts = cst("2026-12-02 09:00");
        assert_eq!(visit_tomorrow(starts, cst("2026-12-01 07:59")), None, "not in the night");
        assert_eq!(visit_tomorrow(starts, cst("2026-12-01 08:00")), day("2026-12-02"));
        assert_eq!(visit_tomorrow(starts, cst("2026-12-01 23:30")), day("2026-12-02"));
        assert_eq!(visit_tomorrow(starts, cst("2026-12-02 08:59")), day("2026-12-02"), "late, still useful");
        assert_eq!(visit_tomorrow(starts, cst("2026-12-02 09:00")), None, "started");
        assert_eq!(visit_tomorrow(starts, cst("2026-11-30 12:00")), None, "two days before");
        // Just after midnight in China is still the evening before in UTC: the day is China's.
        let early = cst("2026-12-02 00:30");
        assert_eq!(visit_tomorrow(early, cst("2026-12-01 08:00")), day("2026-12-02"));
        assert_eq!(visit_tomorrow(early, cst("2026-11-30 20:00")), None);
        for now in [cst("2026-12-01 08:00"), cst("2026-12-02 08:59")] {
            assert!(starts < visits_before(now));
        }
        assert!(starts >= visits_before(cst("2026-12-01 07:59")));
    }

    #[test]
    fn a_deadline_is_near_for_seven_days_then_overdue_the_morning_after() {
        let deadline = cst("2026-12-10 17:00");
        assert_eq!(deadline_near(deadline, cst("2026-12-03 07:59")), None);
        assert_eq!(deadline_near(deadline, cst("2026-12-03 08:00")), day("2026-12-10"));
        assert_eq!(deadline_near(deadline, cst("2026-12-10 16:59")), day("2026-12-10"));
        assert_eq!(deadline_near(deadline, cst("2026-12-10 17:00")), None, "past it: overdue's turn");
        assert_eq!(overdue(deadline, cst("2026-12-10 17:30")), None, "not in the night");
        assert_eq!(overdue(deadline, cst("2026-12-11 07:59")), None);
        assert_eq!(overdue(deadline, cst("2026-12-11 08:00")), day("2026-12-10"));
        assert_eq!(overdue(deadline, cst("2027-03-01 10:00")), day("2026-12-10"), "as long as unreplied");
        assert!(deadline < deadlines_before(cst("2026-12-03 08:00")));
        assert!(deadline >= deadlines_before(cst("2026-12-03 07:59")));
    }
}
