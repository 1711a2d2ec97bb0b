//! The GraphQL face of attachments: the `Attachment` every record lists, the upload, and
//! the `attachmentIds` argument records take.
use async_graphql::{Context, Enum, ID, Object, Result, Upload};
use chrono::{DateTime, Utc};

use super::{
    service::{self, AttachmentList, PerRecord},
    signing::{LinkClaims, Variant},
};
use crate::{
    error::AppError,
    graphql::{
        context::{ContextExt, parse_ids, to_id},
        loaders::{self, AttachmentsOf, UserKey},
    },
    members::graphql::User,
};
use entity::attachment;

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::AttachmentPurpose")]
/// 附件用途：上传时说明将用于哪类记录
pub enum AttachmentPurpose {
    /// 情况通报（机关）
    Briefing,
    /// 提案
    Proposal,
    /// 提案答复（承办单位）
    ProposalReply,
    /// 社情民意信息
    Suggestion,
    /// 视察调研报告（机关）
    VisitReport,
}

/// 附件：上传后得到，再以 id 关联到通报、提案、答复、社情民意信息或活动报告
pub struct Attachment(pub attachment::Model);

impl Attachment {
    fn claims(ctx: &Context<'_>) -> Result<LinkClaims, AppError> {
        let viewer = ctx.viewer()?;
        let expires = ctx.state()?.links.expiry(Utc::now());
        Ok(LinkClaims { user_id: viewer.user_id, organization_id: viewer.organization_id, expires })
    }
}

#[Object]
impl Attachment {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }
    /// 文件名（上传时的名称，扩展名与内容相符）
    async fn file_name(&self) -> &str {
        &self.0.file_name
    }
    /// 文件类型，依据文件内容判定
    async fn content_type(&self) -> &str {
        &self.0.content_type
    }
    /// 字节数
    async fn size(&self) -> i64 {
        self.0.size
    }
    /// 文件内容的 SHA-256（十六进制），也是下载的 ETag
    async fn checksum(&self) -> &str {
        &self.0.checksum
    }
    async fn purpose(&self) -> AttachmentPurpose {
        self.0.purpose.into()
    }
    /// 是否图片（图片已去除 EXIF 位置信息并按拍摄方向摆正）
    async fn is_image(&self) -> bool {
        self.0.preview_key.is_some()
    }
    /// 图片宽度（像素）
    async fn width(&self) -> Option<i32> {
        self.0.width
    }
    /// 图片高度（像素）
    async fn height(&self) -> Option<i32> {
        self.0.height
    }
    /// 上传人；随记录转送的副本（如报送上级的信息）不显示，作者按记录本身的规则显示
    async fn created_by(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        if self.0.copied_from_id.is_some() {
            return Ok(None);
        }
        Ok(loaders::load(ctx, UserKey(self.0.created_by)).await?.map(User::new))
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// 下载地址：只对当前用户有效，几分钟后过期（见 urlExpiresAt），过期后重新查询即可
    async fn url(&self, ctx: &Context<'_>) -> Result<String> {
        Ok(ctx.state()?.links.url(self.0.id, Variant::Original, &Self::claims(ctx)?))
    }
    /// 预览图地址（不超过 480 像素宽的 JPEG），仅图片有
    async fn preview_url(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        if self.0.preview_key.is_none() {
            return Ok(None);
        }
        Ok(Some(ctx.state()?.links.url(self.0.id, Variant::Preview, &Self::claims(ctx)?)))
    }
    /// url 与 previewUrl 的过期时间
    async fn url_expires_at(&self, ctx: &Context<'_>) -> Result<DateTime<Utc>> {
        let expires = Self::claims(ctx)?.expires;
        Ok(DateTime::from_timestamp(expires, 0).unwrap_or_else(Utc::now))
    }
}

/// A record's attachments, through the request's DataLoader (one query for a page).
pub async fn of(ctx: &Context<'_>, owner: uuid::Uuid) -> Result<Vec<Attachment>> {
    let list = loaders::load(ctx, AttachmentsOf(owner)).await?.unwrap_or_default();
    Ok(list.into_iter().map(Attachment).collect())
}

/// The `attachmentIds` a record was given, with the configured per-record limits.
pub fn list(ctx: &Context<'_>, ids: &[ID]) -> Result<AttachmentList, AppError> {
    let s = &ctx.state()?.settings;
    Ok(AttachmentList {
        ids: parse_ids(ids, "attachmentIds")?,
        limits: PerRecord { files: s.attachments_max_per_record, bytes: s.attachments_max_bytes_per_record },
    })
}

pub fn list_opt(ctx: &Context<'_>, ids: Option<&[ID]>) -> Result<Option<AttachmentList>, AppError> {
    ids.map(|ids| list(ctx, ids)).transpose()
}

#[derive(Default)]
pub struct AttachmentMutation;

#[Object]
impl AttachmentMutation {
    /// 上传附件（multipart 请求，须带 `Apollo-Require-Preflight: true` 头）。只接受 JPEG、PNG、
    /// PDF、DOCX、XLSX（依据内容判定）；照片去除 EXIF（含位置）、按方向摆正并生成预览。
    /// 返回的附件以 id 关联到记录；一天内未关联的上传会被清理
    async fn upload_attachment(
        &self,
        ctx: &Context<'_>,
        file: Upload,
        purpose: AttachmentPurpose,
    ) -> Result<Attachment> {
        let viewer = ctx.viewer()?;
        let state = ctx.state()?;
        let value = file.value(ctx).map_err(|e| AppError::bad_input("file", format!("读取上传文件失败: {e}")))?;
        let model = service::upload(state, viewer, purpose.into(), &value.filename, value.content).await?;
        Ok(Attachment(model))
    }
}
