//! The rules of attachments, free of GraphQL and HTTP: who may upload what, linking uploads
//! to records (and letting go of them), who may download, and the sweep that removes
//! uploads nobody linked and files no record uses any more.
use std::{
    collections::{HashMap, HashSet},
    io::Read,
    sync::Arc,
    time::Duration,
};

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
    sea_query::{Expr, ExprTrait},
};
use tokio::sync::Semaphore;
use uuid::Uuid;

use super::owners::Owners;
use super::{
    intake::{self, human_size},
    store::{self, Files},
};
use crate::{
    auth::Viewer,
    error::{AppError, AppResult},
    kv::Kv,
    state::AppState,
};
use entity::{AttachmentPurpose, Role, attachment};

const FIELD: &str = "attachmentIds";
const GONE: &str = "附件不存在或已过期，请重新上传";

pub fn purpose_name(p: AttachmentPurpose) -> &'static str {
    match p {
        AttachmentPurpose::Briefing => "情况通报",
        AttachmentPurpose::Proposal => "提案",
        AttachmentPurpose::ProposalReply => "提案答复",
        AttachmentPurpose::Suggestion => "社情民意信息",
        AttachmentPurpose::VisitReport => "活动报告",
    }
}

/// Briefings and visit reports are written by the office, replies by handling units,
/// proposals and public-opinion pieces by members (and the office on their behalf).
fn may_upload(viewer: &Viewer, purpose: AttachmentPurpose) -> AppResult<()> {
    let allowed = match purpose {
        AttachmentPurpose::Briefing | AttachmentPurpose::VisitReport => viewer.is_office(),
        AttachmentPurpose::ProposalReply => viewer.role == Role::Unit,
        AttachmentPurpose::Proposal | AttachmentPurpose::Suggestion => viewer.role != Role::Unit,
    };
    if allowed {
        Ok(())
    } else {
        Err(AppError::forbidden(format!("您不能上传{}的附件", purpose_name(purpose))))
    }
}

/// Guards the machine against floods of uploads: a per-person hourly count shared by every
/// process (in the session store, like the login limits), and a bound on the files checked
/// and re-encoded at once in this process (a decoded photo can take hundreds of MB).
pub struct UploadGuard {
    kv: Arc<dyn Kv>,
    prefix: String,
    per_hour: u64,
    processing: Arc<Semaphore>,
}

impl UploadGuard {
    pub fn new(kv: Arc<dyn Kv>, prefix: &str, per_hour: u32) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self { kv, prefix: prefix.to_owned(), per_hour: per_hour.into(), processing: Arc::new(Semaphore::new(cores)) }
    }

    async fn admit(&self, user: Uuid) -> AppResult<()> {
        let key = format!("{}uploads:{user}", self.prefix);
        let (count, left) = self.kv.incr_in_window(&key, Duration::from_secs(3600)).await?;
        if count > self.per_hour {
            return Err(AppError::retry_later("上传过于频繁", left));
        }
        Ok(())
    }
}

/// Checks, prepares and stores one uploaded file; returns its (unlinked) record. A file
/// refused for its type or size leaves nothing behind.
pub async fn upload(
    state: &AppState,
    viewer: &Viewer,
    purpose: AttachmentPurpose,
    file_name: &str,
    content: std::fs::File,
) -> AppResult<attachment::Model> {
    may_upload(viewer, purpose)?;
    state.uploads.admit(viewer.user_id).await?;
    let (db, files, max_bytes) = (&state.db, &state.files, state.settings.upload_max_file_bytes);
    let max_pixels = state.settings.upload_max_image_pixels;
    // The permit is held while the file is checked and re-encoded, not while it is stored.
    let permit = Arc::clone(&state.uploads.processing)
        .acquire_owned()
        .await
        .map_err(|_| AppError::internal("upload guard closed"))?;
    let accepted = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let mut bytes = Vec::new();
        content
            .take(max_bytes as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| AppError::internal(format!("reading an upload: {e}")))?;
        intake::accept(bytes, max_bytes, max_pixels)
    })
    .await
    .map_err(|e| AppError::internal(format!("upload worker: {e}")))??;

    let id = Uuid::now_v7();
    let key = store::key(&accepted.checksum, id);
    let size = i64::try_from(accepted.bytes.len()).unwrap_or(i64::MAX);
    files.put(&key, accepted.bytes).await?;
    let mut preview_key = None;
    if let Some(photo) = &accepted.photo {
        let k = store::preview_key(&accepted.checksum, id);
        if let Err(e) = files.put(&k, photo.preview.clone()).await {
            let _ = files.delete(&key).await;
            return Err(e);
        }
        preview_key = Some(k);
    }
    let row = attachment::ActiveModel {
        id: Set(id),
        organization_id: Set(viewer.organization_id),
        purpose: Set(purpose),
        file_name: Set(intake::clean_name(file_name, accepted.kind)),
        content_type: Set(accepted.kind.mime().to_owned()),
        size: Set(size),
        checksum: Set(accepted.checksum),
        storage_key: Set(key.clone()),
        preview_key: Set(preview_key.clone()),
        width: Set(accepted.photo.as_ref().and_then(|p| i32::try_from(p.width).ok())),
        height: Set(accepted.photo.as_ref().and_then(|p| i32::try_from(p.height).ok())),
        created_by: Set(viewer.user_id),
        created_at: Set(Utc::now()),
        copied_from_id: Set(None),
        owner_id: Set(None),
        position: Set(0),
        linked_at: Set(None),
        deleted_at: Set(None),
    }
    .insert(db)
    .await;
    match row {
        Ok(row) => {
            tracing::info!(attachment = %row.id, by = %viewer.user_id, size, kind = row.content_type, "uploaded");
            Ok(row)
        }
        Err(e) => {
            let _ = files.delete(&key).await;
            if let Some(k) = preview_key {
                let _ = files.delete(&k).await;
            }
            Err(e.into())
        }
    }
}

/// How much one record may carry.
#[derive(Debug, Clone, Copy)]
pub struct PerRecord {
    pub files: usize,
    pub bytes: u64,
}

/// The attachments a record is to have, in order, as the client listed them by id.
#[derive(Debug, Clone)]
pub struct AttachmentList {
    pub ids: Vec<Uuid>,
    pub limits: PerRecord,
}

/// Makes `list` the attachments of `owner` (in the caller's transaction): each must be an
/// upload of the viewer's for this purpose not linked elsewhere, or already this record's.
/// Attachments the record had and the list leaves out are let go (the sweep removes them).
/// Returns how many the record now has.
pub async fn set_for(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    purpose: AttachmentPurpose,
    owner: Uuid,
    list: &AttachmentList,
) -> AppResult<usize> {
    let ids = &list.ids;
    if ids.len() > list.limits.files {
        return Err(AppError::bad_input(FIELD, format!("附件不能超过{}个", list.limits.files)));
    }
    if ids.iter().collect::<HashSet<_>>().len() != ids.len() {
        return Err(AppError::bad_input(FIELD, "同一附件不能重复添加"));
    }
    let rows: HashMap<Uuid, attachment::Model> = attachment::Entity::find()
        .filter(attachment::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    let mut total: u64 = 0;
    for (i, id) in ids.iter().enumerate() {
        let field = format!("{FIELD}.{i}");
        let row = rows
            .get(id)
            .filter(|r| r.deleted_at.is_none())
            .filter(|r| r.owner_id == Some(owner) || r.created_by == viewer.user_id)
            .ok_or_else(|| AppError::bad_input(&field, GONE))?;
        if row.owner_id.is_some_and(|o| o != owner) {
            return Err(AppError::bad_input(field, "该附件已用于其他记录，请重新上传"));
        }
        if row.purpose != purpose {
            return Err(AppError::bad_input(
                field,
                format!("该附件是为{}上传的，不能用于{}", purpose_name(row.purpose), purpose_name(purpose)),
            ));
        }
        total += u64::try_from(row.size).unwrap_or_default();
    }
    if total > list.limits.bytes {
        return Err(AppError::bad_input(FIELD, format!("附件总大小不能超过{}", human_size(list.limits.bytes))));
    }

    let now = Utc::now();
    attachment::Entity::update_many()
        .col_expr(attachment::Column::DeletedAt, Expr::value(now))
        .filter(attachment::Column::OwnerId.eq(owner))
        .filter(attachment::Column::DeletedAt.is_null())
        .filter(attachment::Column::Id.is_not_in(ids.iter().copied()))
        .exec(db)
        .await?;
    for (i, id) in ids.iter().enumerate() {
        // Conditional, so that two records racing for one upload cannot both have it.
        let linked = attachment::Entity::update_many()
            .col_expr(attachment::Column::OwnerId, Expr::value(owner))
            .col_expr(attachment::Column::Position, Expr::value(i32::try_from(i).unwrap_or(i32::MAX)))
            .col_expr(attachment::Column::LinkedAt, Expr::value(now))
            .filter(attachment::Column::Id.eq(*id))
            .filter(attachment::Column::DeletedAt.is_null())
            .filter(attachment::Column::OwnerId.is_null().or(attachment::Column::OwnerId.eq(owner)))
            .exec(db)
            .await?;
        if linked.rows_affected != 1 {
            return Err(AppError::conflict(format!("{FIELD}.{i}"), "该附件刚被其他记录使用或已删除，请重新上传"));
        }
    }
    Ok(ids.len())
}

/// A record was deleted: its attachments are let go.
pub async fn release_all(db: &impl ConnectionTrait, owner: Uuid) -> AppResult<u64> {
    let done = attachment::Entity::update_many()
        .col_expr(attachment::Column::DeletedAt, Expr::value(Utc::now()))
        .filter(attachment::Column::OwnerId.eq(owner))
        .filter(attachment::Column::DeletedAt.is_null())
        .exec(db)
        .await?;
    Ok(done.rows_affected)
}

/// Gives a copy of a record (a piece reported to the committee above, a proposal turned
/// into a piece of information) the attachments of the original. The copies share the
/// stored bytes; the purge keeps them while any record uses them.
pub async fn copy_all(
    db: &impl ConnectionTrait,
    from: Uuid,
    to: Uuid,
    organization_id: Uuid,
    purpose: AttachmentPurpose,
) -> AppResult<()> {
    let now = Utc::now();
    let copies: Vec<attachment::ActiveModel> = of(db, from)
        .await?
        .into_iter()
        .map(|a| attachment::ActiveModel {
            id: Set(Uuid::now_v7()),
            organization_id: Set(organization_id),
            purpose: Set(purpose),
            owner_id: Set(Some(to)),
            linked_at: Set(Some(now)),
            created_at: Set(now),
            deleted_at: Set(None),
            file_name: Set(a.file_name),
            content_type: Set(a.content_type),
            size: Set(a.size),
            checksum: Set(a.checksum),
            storage_key: Set(a.storage_key),
            preview_key: Set(a.preview_key),
            width: Set(a.width),
            height: Set(a.height),
            created_by: Set(a.created_by),
            copied_from_id: Set(Some(a.id)),
            position: Set(a.position),
        })
        .collect();
    if !copies.is_empty() {
        attachment::Entity::insert_many(copies).exec(db).await?;
    }
    Ok(())
}

/// A record's attachments, in order.
pub async fn of(db: &impl ConnectionTrait, owner: Uuid) -> AppResult<Vec<attachment::Model>> {
    Ok(attachment::Entity::find()
        .filter(attachment::Column::OwnerId.eq(owner))
        .filter(attachment::Column::DeletedAt.is_null())
        .order_by_asc(attachment::Column::Position)
        .all(db)
        .await?)
}

/// Whether a viewer may download an attachment: the same rule as for the record it
/// belongs to, as its domain registered it (an upload not linked yet: only its uploader).
/// `NOT_FOUND` otherwise.
pub async fn readable(
    db: &DatabaseConnection,
    owners: &Owners,
    viewer: &Viewer,
    id: Uuid,
) -> AppResult<attachment::Model> {
    let not_found = || AppError::not_found("附件不存在");
    let a =
        attachment::Entity::find_by_id(id).one(db).await?.filter(|a| a.deleted_at.is_none()).ok_or_else(not_found)?;
    let Some(owner) = a.owner_id else {
        return if a.created_by == viewer.user_id { Ok(a) } else { Err(not_found()) };
    };
    owners.readable(db, viewer, a.purpose, owner).await.map_err(|e| match e {
        AppError::Internal(_) => e,
        _ => not_found(),
    })?;
    Ok(a)
}

/// What one sweep did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Swept {
    /// Uploads never linked, now let go.
    pub orphaned: u64,
    /// Records removed (their bytes too, when no other record shares them).
    pub purged: u64,
}

/// Lets go of uploads older than `orphan_after` that no record took, then removes every
/// attachment let go of, and its bytes unless a copy still uses them.
pub async fn sweep(db: &impl ConnectionTrait, files: &Files, orphan_after: Duration) -> AppResult<Swept> {
    let now = Utc::now();
    let cutoff = now - chrono::Duration::from_std(orphan_after).unwrap_or_default();
    let orphaned = attachment::Entity::update_many()
        .col_expr(attachment::Column::DeletedAt, Expr::value(now))
        .filter(attachment::Column::OwnerId.is_null())
        .filter(attachment::Column::DeletedAt.is_null())
        .filter(attachment::Column::CreatedAt.lt(cutoff))
        .exec(db)
        .await?
        .rows_affected;
    let mut purged = 0;
    loop {
        let batch = attachment::Entity::find()
            .filter(attachment::Column::DeletedAt.is_not_null())
            .order_by_asc(attachment::Column::DeletedAt)
            .limit(200)
            .all(db)
            .await?;
        if batch.is_empty() {
            break;
        }
        for a in batch {
            let in_use = attachment::Entity::find()
                .filter(attachment::Column::StorageKey.eq(&a.storage_key))
                .filter(attachment::Column::DeletedAt.is_null())
                .count(db)
                .await?
                > 0;
            // Bytes first, then the row: a sweep cut short leaves a row the next one finishes.
            if !in_use {
                files.delete(&a.storage_key).await?;
                if let Some(k) = &a.preview_key {
                    files.delete(k).await?;
                }
            }
            attachment::Entity::delete_by_id(a.id).exec(db).await?;
            purged += 1;
        }
    }
    Ok(Swept { orphaned, purged })
}
