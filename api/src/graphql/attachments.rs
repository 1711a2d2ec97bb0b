//! The GraphQL faces of attachment metadata, shared by briefings, suggestions and proposals.
use async_graphql::{InputObject, SimpleObject};

use crate::validate::AttachmentMeta;

/// 附件：名称、类型、大小（字节）和地址
#[derive(InputObject)]
pub struct AttachmentInput {
    pub name: String,
    pub content_type: String,
    /// 字节数
    pub size: i64,
    pub url: String,
}

impl From<AttachmentInput> for AttachmentMeta {
    fn from(a: AttachmentInput) -> Self {
        Self { name: a.name, content_type: a.content_type, size: a.size, url: a.url }
    }
}

/// 附件
#[derive(SimpleObject)]
pub struct FileAttachment {
    pub name: String,
    pub content_type: String,
    /// 字节数
    pub size: i64,
    pub url: String,
}

impl From<AttachmentMeta> for FileAttachment {
    fn from(a: AttachmentMeta) -> Self {
        Self { name: a.name, content_type: a.content_type, size: a.size, url: a.url }
    }
}

/// Reads a JSON column of attachment metadata.
pub fn from_json(value: &serde_json::Value) -> Vec<FileAttachment> {
    serde_json::from_value::<Vec<AttachmentMeta>>(value.clone())
        .unwrap_or_default()
        .into_iter()
        .map(Into::into)
        .collect()
}
