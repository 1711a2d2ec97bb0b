//! Checks of free text shared by every domain module, so that
//! the same input gets the same answer (and the same `extensions.field`) everywhere.
use crate::error::{AppError, AppResult};

/// Required text: trimmed, not blank, at most `max` characters.
pub fn required(value: &str, field: &str, max: usize) -> AppResult<String> {
    let t = bounded(value, field, max)?;
    if t.is_empty() {
        return Err(AppError::bad_input(field, "不能为空"));
    }
    Ok(t)
}

/// Text that may be empty: trimmed, at most `max` characters.
pub fn bounded(value: &str, field: &str, max: usize) -> AppResult<String> {
    let t = value.trim();
    if t.chars().count() > max {
        return Err(AppError::bad_input(field, format!("不能超过{max}个字")));
    }
    Ok(t.to_owned())
}

/// Optional text: blank becomes none.
pub fn optional(value: Option<String>, field: &str, max: usize) -> AppResult<Option<String>> {
    Ok(value.map(|v| bounded(&v, field, max)).transpose()?.filter(|t| !t.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_rules() {
        assert_eq!(required("  标题 ", "title", 10).ok().as_deref(), Some("标题"));
        assert!(required("   ", "title", 10).is_err());
        assert!(required("一二三", "title", 2).is_err());
        assert_eq!(bounded("", "summary", 10).ok().as_deref(), Some(""));
        assert_eq!(optional(Some("  ".into()), "x", 5).ok(), Some(None));
    }
}
