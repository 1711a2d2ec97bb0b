//! Checks of free text and attachment metadata shared by every domain module, so that
//! the same input gets the same answer (and the same `extensions.field`) everywhere.
use serde::{Deserialize, Serialize};

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

/// The largest file the metadata may announce (the upload limits come with attachments).
pub const MAX_ATTACHMENT_BYTES: i64 = 200 * 1024 * 1024;

/// A file attached to a record: its name, type, size and where it is served.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttachmentMeta {
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub url: String,
}

/// At most `max` attachments, each named, typed, sized and served over http(s); the
/// refusal names the attachment's index and field.
pub fn attachments(list: &[AttachmentMeta], max: usize) -> AppResult<()> {
    if list.len() > max {
        return Err(AppError::bad_input("attachments", format!("附件不能超过{max}个")));
    }
    for (i, a) in list.iter().enumerate() {
        required(&a.name, &format!("attachments.{i}.name"), 200)?;
        required(&a.content_type, &format!("attachments.{i}.contentType"), 100)?;
        if !(0..=MAX_ATTACHMENT_BYTES).contains(&a.size) {
            return Err(AppError::bad_input(format!("attachments.{i}.size"), "附件大小不正确"));
        }
        let url = a.url.trim();
        if !(url.starts_with("https://") || url.starts_with("http://") || url.starts_with('/')) || url.len() > 2000 {
            return Err(AppError::bad_input(format!("attachments.{i}.url"), "附件地址应为 http(s) 链接"));
        }
    }
    Ok(())
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

    #[test]
    fn attachment_rules() {
        let ok = AttachmentMeta {
            name: "通报.pdf".into(),
            content_type: "application/pdf".into(),
            size: 10,
            url: "https://x/y.pdf".into(),
        };
        assert!(attachments(std::slice::from_ref(&ok), 1).is_ok());
        assert!(attachments(&[ok.clone(), ok.clone()], 1).is_err());
        let script = AttachmentMeta { url: "javascript:alert(1)".into(), ..ok.clone() };
        assert!(
            matches!(attachments(&[script], 5), Err(AppError::BadInput { field, .. }) if field == "attachments.0.url")
        );
        assert!(attachments(&[AttachmentMeta { size: -1, ..ok }], 5).is_err());
    }
}
