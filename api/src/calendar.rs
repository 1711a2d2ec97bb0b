//! Dates as the committees count them: calendar years and days in China Standard Time
//! (UTC+8), whatever the server's clock zone.
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};

use crate::error::{AppError, AppResult};

/// China Standard Time is UTC+8 all year (no daylight saving).
const CST: Duration = Duration::hours(8);

/// Today in China.
pub fn today() -> NaiveDate {
    date_of(Utc::now())
}

/// The day an instant falls on in China.
pub fn date_of(at: DateTime<Utc>) -> NaiveDate {
    (at + CST).date_naive()
}

/// An instant as people in China read it: `2025-03-05 09:30`.
pub fn display(at: DateTime<Utc>) -> String {
    (at + CST).format("%Y-%m-%d %H:%M").to_string()
}

/// The instant a China calendar day starts.
pub fn start_of(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(chrono::NaiveTime::MIN).and_utc() - CST
}

/// The current year in China.
pub fn this_year() -> i32 {
    today().year()
}

/// The instants a China calendar year covers: `[from, to)`.
pub fn year_range(year: i32) -> AppResult<(DateTime<Utc>, DateTime<Utc>)> {
    let start =
        |y: i32| NaiveDate::from_ymd_opt(y, 1, 1).and_then(|d| d.and_hms_opt(0, 0, 0)).map(|d| d.and_utc() - CST);
    match (start(year), start(year + 1)) {
        (Some(a), Some(b)) if (1949..=2200).contains(&year) => Ok((a, b)),
        _ => Err(AppError::bad_input("year", "年份不正确")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years_are_counted_in_china_time() {
        let (from, to) = year_range(2019).unwrap_or_else(|_| (Utc::now(), Utc::now()));
        assert_eq!(from.to_rfc3339(), "2018-12-31T16:00:00+00:00");
        assert_eq!(to.to_rfc3339(), "2019-12-31T16:00:00+00:00");
        assert!(year_range(1800).is_err());
        assert!((this_year() - (Utc::now() + chrono::Duration::hours(8)).year()).abs() <= 1);
        let late_evening_in_beijing = from - Duration::seconds(1);
        assert_eq!(date_of(late_evening_in_beijing).to_string(), "2018-12-31");
        assert_eq!(date_of(from).to_string(), "2019-01-01");
        assert_eq!(start_of(date_of(from)), from);
        assert_eq!(display(from), "2019-01-01 00:00");
    }
}
