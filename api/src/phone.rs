//! Mainland mobile numbers: the login name of every user. Normalised before storage and
//! lookup; masked whenever one has to appear in a log line.
use crate::error::{AppError, AppResult};

/// `+86 138-0013-8000` → `13800138000`; anything that is not an 11-digit mobile number
/// starting with 1[3-9] is refused with a `BAD_USER_INPUT` naming `field`.
pub fn normalize(raw: &str, field: &str) -> AppResult<String> {
    let digits: String = raw.chars().filter(|c| !matches!(c, ' ' | '-' | '(' | ')')).collect();
    let digits = digits.strip_prefix("+86").or_else(|| digits.strip_prefix("0086")).unwrap_or(&digits);
    let valid = digits.len() == 11
        && digits.chars().all(|c| c.is_ascii_digit())
        && digits.starts_with('1')
        && matches!(digits.as_bytes()[1], b'3'..=b'9');
    if valid {
        Ok(digits.to_owned())
    } else {
        Err(AppError::bad_input(field, "手机号格式不正确，应为11位大陆手机号"))
    }
}

/// `13800138000` → `138****8000`, for logs.
pub fn mask(phone: &str) -> String {
    if phone.len() == 11 && phone.is_ascii() { format!("{}****{}", &phone[..3], &phone[7..]) } else { "***".into() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_common_spellings() {
        for raw in ["13800138000", "+86 138 0013 8000", "138-0013-8000", "008613800138000"] {
            assert_eq!(normalize(raw, "phone").ok().as_deref(), Some("13800138000"), "{raw}");
        }
    }

    #[test]
    fn refuses_non_mobile_numbers() {
        for raw in ["", "1380013800", "23800138000", "12800138000", "1380013800a", "010-12345678"] {
            assert!(normalize(raw, "phone").is_err(), "{raw}");
        }
    }

    #[test]
    fn masks_the_middle() {
        assert_eq!(mask("13800138000"), "138****8000");
        assert_eq!(mask("x"), "***");
    }
}
