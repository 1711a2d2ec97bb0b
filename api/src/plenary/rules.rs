//! The rules of a plenary session's fields, as plain functions over values.
use chrono::NaiveDate;

use crate::error::{AppError, AppResult};

/// Terms and numbers are small positive integers (a committee sits five years a term, a
/// session or two a year); anything else is a typing mistake.
pub fn check_ordinal(value: i32, field: &str) -> AppResult<i32> {
    if (1..=99).contains(&value) {
        Ok(value)
    } else {
        Err(AppError::bad_input(field, "请填写1到99之间的整数"))
    }
}

/// A session lasts at least its first day and at most a month (plenary sessions last a
/// few days; a longer span is a wrong year or month).
pub fn check_dates(starts_on: NaiveDate, ends_on: NaiveDate) -> AppResult<()> {
    if ends_on < starts_on {
        return Err(AppError::bad_input("endsOn", "闭幕日期不能早于开幕日期"));
    }
    if (ends_on - starts_on).num_days() > 31 {
        return Err(AppError::bad_input("endsOn", "会期不能超过31天"));
    }
    if !(1949..=2200).contains(&chrono::Datelike::year(&starts_on)) {
        return Err(AppError::bad_input("startsOn", "日期不正确"));
    }
    Ok(())
}

/// Whether two day spans (both ends included) share a day.
pub fn overlaps(a: (NaiveDate, NaiveDate), b: (NaiveDate, NaiveDate)) -> bool {
    a.0 <= b.1 && b.0 <= a.1
}

/// The default name of a session, e.g. “十二届三次会议”.
pub fn default_name(term: i32, number: i32) -> String {
    format!("{}届{}次会议", chinese_number(term), chinese_number(number))
}

fn chinese_number(n: i32) -> String {
    const DIGITS: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    let digit = |d: i32| DIGITS[d.clamp(0, 9) as usize];
    match n {
        0..=9 => digit(n).to_owned(),
        10..=19 => format!("十{}", if n % 10 == 0 { "" } else { digit(n % 10) }),
        20..=99 => format!("{}十{}", digit(n / 10), if n % 10 == 0 { "" } else { digit(n % 10) }),
        _ => n.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap_or_default()
    }

    #[test]
    fn spans_that_share_a_day_overlap() {
        let a = (d("2026-01-10"), d("2026-01-14"));
        assert!(overlaps(a, (d("2026-01-14"), d("2026-01-16"))), "closing day of one, opening of the next");
        assert!(overlaps(a, (d("2026-01-11"), d("2026-01-12"))));
        assert!(!overlaps(a, (d("2026-01-15"), d("2026-01-16"))));
        assert!(!overlaps(a, (d("2025-01-10"), d("2025-01-14"))));
    }

    #[test]
    fn dates_and_ordinals_are_checked() {
        assert!(check_dates(d("2026-01-10"), d("2026-01-10")).is_ok(), "a one-day session");
        let field = |r: AppResult<()>| r.err().map(|e| e.to_graphql().extensions.map(|x| format!("{x:?}")));
        assert!(field(check_dates(d("2026-01-10"), d("2026-01-09"))).is_some());
        assert!(check_dates(d("2026-01-01"), d("2026-03-01")).is_err());
        assert!(check_ordinal(0, "term").is_err());
        assert!(check_ordinal(12, "term").is_ok());
    }

    #[test]
    fn names_read_as_the_committees_write_them() {
        assert_eq!(default_name(12, 3), "十二届三次会议");
        assert_eq!(default_name(10, 1), "十届一次会议");
        assert_eq!(default_name(21, 5), "二十一届五次会议");
    }
}
