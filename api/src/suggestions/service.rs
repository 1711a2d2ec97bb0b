//! Rules for public-opinion information, free of GraphQL.
use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{NaiveDate, SubsecRound, Utc};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionTrait,
    sea_query::{Expr, ExprTrait, Func, Query},
};
use uuid::Uuid;

use super::workflow;
use crate::{
    attachments::service::{self as attachments, AttachmentList},
    auth::Viewer,
    calendar::year_range,
    content_safety,
    error::{AppError, AppResult},
    idempotency::{self, Key},
    organizations::access::require,
    paging,
    sql::like_contains,
    validate,
};
use entity::{
    AdoptionForm, AttachmentPurpose, BulletinStatus, OrganizationLevel, Role, SuggestionStatus, bulletin_issue,
    bulletin_item, membership, organization, sector_convener, suggestion, suggestion_adoption, suggestion_author,
    suggestion_event, suggestion_report,
};

const NOT_FOUND: &str = "社情民意信息不存在";
/// Photos per piece, at most.
pub const MAX_ATTACHMENTS: usize = 9;

pub struct NewSuggestion {
    pub title: String,
    pub content: String,
    pub category: String,
    pub anonymous_to_public: bool,
    pub attachments: AttachmentList,
    pub co_author_ids: Vec<Uuid>,
    /// Submit in a sector's name (conveners only).
    pub sector_id: Option<Uuid>,
}

async fn record(db: &impl ConnectionTrait, id: Uuid, action: &str, actor: Uuid, note: Option<String>) -> AppResult<()> {
    suggestion_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        suggestion_id: Set(id),
        action: Set(action.to_owned()),
        from_status: Set(None),
        to_status: Set(None),
        actor_id: Set(actor),
        at: Set(Utc::now()),
        note: Set(note),
    }
    .insert(db)
    .await?;
    Ok(())
}

async fn set_status(db: &impl ConnectionTrait, id: Uuid, status: SuggestionStatus) -> AppResult<()> {
    suggestion::Entity::update_many()
        .col_expr(suggestion::Column::Status, Expr::value(status))
        .col_expr(suggestion::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(suggestion::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

async fn add_authors(db: &impl ConnectionTrait, id: Uuid, users: &[Uuid], from: i32) -> AppResult<()> {
    let existing: HashSet<Uuid> = suggestion_author::Entity::find()
        .filter(suggestion_author::Column::SuggestionId.eq(id))
        .all(db)
        .await?
        .into_iter()
        .map(|a| a.user_id)
        .collect();
    let mut position = from;
    let mut rows = Vec::new();
    for user in users {
        if existing.contains(user) || rows.iter().any(|r: &suggestion_author::ActiveModel| r.user_id.as_ref() == user) {
            continue;
        }
        rows.push(suggestion_author::ActiveModel {
            suggestion_id: Set(id),
            user_id: Set(*user),
            position: Set(position),
        });
        position += 1;
    }
    if !rows.is_empty() {
        suggestion_author::Entity::insert_many(rows).exec(db).await?;
    }
    Ok(())
}

/// Submits a piece. The same idempotency key from the same member returns the piece the
/// first request made (also while the first is still running); the key with another
/// request is a CONFLICT on `idempotencyKey`. Phones on bad networks retry.
pub async fn submit(
    db: &DatabaseConnection,
    viewer: &Viewer,
    input: NewSuggestion,
    key: Key,
) -> AppResult<(suggestion::Model, bool)> {
    if let Some(first) = idempotency::find(db, viewer.user_id, "submitSuggestion", &key).await? {
        return Ok((reload(db, first).await?, false));
    }
    if viewer.role != Role::Member {
        return Err(AppError::forbidden("只有委员可以报送社情民意信息"));
    }
    let title = validate::required(&input.title, "title", 100)?;
    let content = validate::required(&input.content, "content", 5000)?;
    let category = validate::required(&input.category, "category", 50)?;
    let co_authors: Vec<Uuid> = input
        .co_author_ids
        .iter()
        .copied()
        .filter(|u| *u != viewer.user_id)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    if !co_authors.is_empty() {
        let found = membership::Entity::find()
            .filter(membership::Column::OrganizationId.eq(viewer.organization_id))
            .filter(membership::Column::Role.eq(Role::Member))
            .filter(membership::Column::UserId.is_in(co_authors.clone()))
            .count(db)
            .await?;
        if found != co_authors.len() as u64 {
            return Err(AppError::bad_input("coAuthorIds", "联名人必须是本组织的委员"));
        }
    }
    if let Some(sector) = input.sector_id {
        let convener = sector_convener::Entity::find_by_id((sector, viewer.user_id)).one(db).await?;
        if convener.is_none() {
            return Err(AppError::bad_input("sectorId", "只有该界别的召集人可以以界别名义报送"));
        }
    }
    let now = Utc::now().trunc_subsecs(6);
    let id = Uuid::now_v7();
    let txn = crate::db::write(db).await?;
    if let idempotency::Claim::Replay(first) =
        idempotency::claim(&txn, viewer.user_id, "submitSuggestion", &key, id).await?
    {
        drop(txn);
        return Ok((reload(db, first).await?, false));
    }
    let created = suggestion::ActiveModel {
        id: Set(id),
        organization_id: Set(viewer.organization_id),
        title: Set(title),
        content: Set(content),
        category: Set(category),
        status: Set(SuggestionStatus::Submitted),
        version: Set(0),
        submitted_by: Set(viewer.user_id),
        sector_id: Set(input.sector_id),
        anonymous_to_public: Set(input.anonymous_to_public),
        decline_reason: Set(None),
        merged_into_id: Set(None),
        source_suggestion_id: Set(None),
        source_organization_id: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    let mut authors = vec![viewer.user_id];
    authors.extend(co_authors);
    add_authors(&txn, created.id, &authors, 0).await?;
    // Nine photos at most, as in a WeChat post; fewer if the deployment allows fewer.
    let mut list = input.attachments;
    list.limits.files = list.limits.files.min(MAX_ATTACHMENTS);
    attachments::set_for(&txn, viewer, AttachmentPurpose::Suggestion, created.id, &list).await?;
    record(&txn, created.id, "SUBMITTED", viewer.user_id, None).await?;
    txn.commit().await?;
    Ok((created, true))
}

pub async fn authors(db: &impl ConnectionTrait, id: Uuid) -> AppResult<Vec<Uuid>> {
    Ok(suggestion_author::Entity::find()
        .filter(suggestion_author::Column::SuggestionId.eq(id))
        .order_by_asc(suggestion_author::Column::Position)
        .all(db)
        .await?
        .into_iter()
        .map(|a| a.user_id)
        .collect())
}

/// A piece as a viewer may see it: its authors, and the office of its organization.
/// Anyone else — other members above all — gets `NOT_FOUND`.
pub async fn visible(db: &impl ConnectionTrait, viewer: &Viewer, id: Uuid) -> AppResult<suggestion::Model> {
    let found = suggestion::Entity::find_by_id(id).one(db).await?.ok_or_else(|| AppError::not_found(NOT_FOUND))?;
    if viewer.is_office() && viewer.organization_id == found.organization_id {
        return Ok(found);
    }
    if authors(db, id).await?.contains(&viewer.user_id) {
        return Ok(found);
    }
    Err(AppError::not_found(NOT_FOUND))
}

/// Attachments of a piece are read by its authors and its office.
pub struct SuggestionAttachments;

impl crate::attachments::owners::OwnerRule for SuggestionAttachments {
    fn readable<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        viewer: &'a Viewer,
        owner: Uuid,
    ) -> futures_util::future::BoxFuture<'a, AppResult<()>> {
        Box::pin(async move { visible(db, viewer, owner).await.map(drop) })
    }
}

/// A piece the viewer's office handles.
async fn handled(db: &impl ConnectionTrait, viewer: &Viewer, id: Uuid) -> AppResult<suggestion::Model> {
    let found = suggestion::Entity::find_by_id(id).one(db).await?.ok_or_else(|| AppError::not_found(NOT_FOUND))?;
    if found.organization_id != viewer.organization_id {
        return Err(AppError::not_found(NOT_FOUND));
    }
    require(viewer.is_office())?;
    Ok(found)
}

fn wrong_state(s: SuggestionStatus) -> AppError {
    AppError::Conflict {
        field: None, message: format!("该信息当前状态为{}，不能进行此操作", status_name(s))
    }
}

pub fn status_name(s: SuggestionStatus) -> &'static str {
    match s {
        SuggestionStatus::Submitted => "已报送待处理",
        SuggestionStatus::Accepted => "已采编",
        SuggestionStatus::Declined => "未采用",
        SuggestionStatus::Merged => "已合并",
        SuggestionStatus::Published => "已编发",
        SuggestionStatus::Reported => "已报送上级",
        SuggestionStatus::Adopted => "已被采用",
    }
}

pub async fn accept(db: &DatabaseConnection, viewer: &Viewer, id: Uuid) -> AppResult<suggestion::Model> {
    let s = handled(db, viewer, id).await?;
    if !workflow::can_accept(s.status) {
        return Err(wrong_state(s.status));
    }
    let txn = db.begin().await?;
    set_status(&txn, id, SuggestionStatus::Accepted).await?;
    record(&txn, id, "ACCEPTED", viewer.user_id, None).await?;
    txn.commit().await?;
    reload(db, id).await
}

pub async fn decline(db: &DatabaseConnection, viewer: &Viewer, id: Uuid, reason: &str) -> AppResult<suggestion::Model> {
    let s = handled(db, viewer, id).await?;
    if !workflow::can_decline(s.status) {
        return Err(wrong_state(s.status));
    }
    let reason = validate::required(reason, "reason", 500)?;
    let txn = db.begin().await?;
    suggestion::Entity::update_many()
        .col_expr(suggestion::Column::Status, Expr::value(SuggestionStatus::Declined))
        .col_expr(suggestion::Column::DeclineReason, Expr::value(Some(reason.clone())))
        .col_expr(suggestion::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(suggestion::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    record(&txn, id, "DECLINED", viewer.user_id, Some(reason)).await?;
    txn.commit().await?;
    reload(db, id).await
}

async fn reload(db: &impl ConnectionTrait, id: Uuid) -> AppResult<suggestion::Model> {
    suggestion::Entity::find_by_id(id).one(db).await?.ok_or_else(|| AppError::not_found(NOT_FOUND))
}

/// Folds pieces that report the same problem into one (汇总); their authors become
/// co-authors of the piece they were merged into, so they follow its feedback.
pub async fn merge(db: &DatabaseConnection, viewer: &Viewer, ids: &[Uuid], into: Uuid) -> AppResult<suggestion::Model> {
    let master = handled(db, viewer, into).await?;
    if !workflow::can_merge(master.status) {
        return Err(wrong_state(master.status));
    }
    let ids: Vec<Uuid> = ids.iter().copied().filter(|id| *id != into).collect::<HashSet<_>>().into_iter().collect();
    if ids.is_empty() {
        return Err(AppError::bad_input("ids", "请选择要合并的信息"));
    }
    let mut merged_authors = Vec::new();
    for id in &ids {
        let s = handled(db, viewer, *id).await?;
        if !workflow::can_merge(s.status) {
            return Err(wrong_state(s.status));
        }
        merged_authors.extend(authors(db, *id).await?);
    }
    let txn = db.begin().await?;
    suggestion::Entity::update_many()
        .col_expr(suggestion::Column::Status, Expr::value(SuggestionStatus::Merged))
        .col_expr(suggestion::Column::MergedIntoId, Expr::value(Some(into)))
        .col_expr(suggestion::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(suggestion::Column::Id.is_in(ids.clone()))
        .exec(&txn)
        .await?;
    let next = i32::try_from(authors(&txn, into).await?.len()).unwrap_or(0);
    add_authors(&txn, into, &merged_authors, next).await?;
    for id in &ids {
        record(&txn, *id, "MERGED", viewer.user_id, Some(format!("并入“{}”", master.title))).await?;
    }
    record(&txn, into, "MERGED_IN", viewer.user_id, Some(format!("合并{}条", ids.len()))).await?;
    txn.commit().await?;
    reload(db, into).await
}

pub async fn create_bulletin(
    db: &DatabaseConnection,
    viewer: &Viewer,
    title: &str,
    number: i32,
    year: Option<i32>,
) -> AppResult<bulletin_issue::Model> {
    require(viewer.is_office())?;
    let title = validate::required(title, "title", 100)?;
    if !(1..=9999).contains(&number) {
        return Err(AppError::bad_input("number", "期号应为1到9999"));
    }
    let year = year.unwrap_or_else(crate::calendar::this_year);
    year_range(year)?;
    bulletin_issue::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(viewer.organization_id),
        year: Set(year),
        number: Set(number),
        title: Set(title),
        status: Set(BulletinStatus::Draft),
        version: Set(0),
        published_at: Set(None),
        created_by: Set(viewer.user_id),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await
    .map_err(|e| {
        if AppError::is_unique_violation(&e) {
            AppError::conflict("number", format!("{year}年第{number}期已存在"))
        } else {
            e.into()
        }
    })
}

async fn issue_of(db: &impl ConnectionTrait, viewer: &Viewer, id: Uuid) -> AppResult<bulletin_issue::Model> {
    let found =
        bulletin_issue::Entity::find_by_id(id).one(db).await?.ok_or_else(|| AppError::not_found("期刊不存在"))?;
    if found.organization_id != viewer.organization_id {
        return Err(AppError::not_found("期刊不存在"));
    }
    require(viewer.is_office())?;
    Ok(found)
}

/// Puts an accepted piece into a draft issue with the office's edited text; the member's
/// original stays as it was. Adding it again to the same issue replaces the edit.
pub async fn add_to_bulletin(
    db: &DatabaseConnection,
    viewer: &Viewer,
    issue_id: Uuid,
    suggestion_id: Uuid,
    edited_title: &str,
    edited_content: &str,
) -> AppResult<bulletin_issue::Model> {
    let issue = issue_of(db, viewer, issue_id).await?;
    if issue.status != BulletinStatus::Draft {
        return Err(AppError::Conflict { field: None, message: "该期已印发，不能再修改".into() });
    }
    let s = handled(db, viewer, suggestion_id).await?;
    let title = validate::required(edited_title, "editedTitle", 100)?;
    let content = validate::required(edited_content, "editedContent", 10_000)?;
    let existing =
        bulletin_item::Entity::find().filter(bulletin_item::Column::SuggestionId.eq(suggestion_id)).one(db).await?;
    match existing {
        Some(item) if item.issue_id != issue_id => {
            return Err(AppError::Conflict { field: None, message: "该信息已编入其他期".into() });
        }
        Some(item) => {
            let mut am: bulletin_item::ActiveModel = item.into();
            am.edited_title = Set(title);
            am.edited_content = Set(content);
            am.update(db).await?;
        }
        None => {
            if !workflow::can_enter_bulletin(s.status) {
                return Err(wrong_state(s.status));
            }
            let count =
                bulletin_item::Entity::find().filter(bulletin_item::Column::IssueId.eq(issue_id)).count(db).await?;
            bulletin_item::ActiveModel {
                issue_id: Set(issue_id),
                suggestion_id: Set(suggestion_id),
                position: Set(i32::try_from(count).unwrap_or(i32::MAX)),
                edited_title: Set(title),
                edited_content: Set(content),
            }
            .insert(db)
            .await?;
        }
    }
    Ok(issue)
}

pub async fn bulletin_items(db: &impl ConnectionTrait, issue: Uuid) -> AppResult<Vec<bulletin_item::Model>> {
    Ok(bulletin_item::Entity::find()
        .filter(bulletin_item::Column::IssueId.eq(issue))
        .order_by_asc(bulletin_item::Column::Position)
        .all(db)
        .await?)
}

/// Publishes an issue (编发): its edited texts are screened, its pieces become PUBLISHED.
pub async fn publish_bulletin(
    db: &DatabaseConnection,
    viewer: &Viewer,
    issue_id: Uuid,
) -> AppResult<bulletin_issue::Model> {
    let issue = issue_of(db, viewer, issue_id).await?;
    if issue.status != BulletinStatus::Draft {
        return Err(AppError::Conflict { field: None, message: "该期已印发".into() });
    }
    let items = bulletin_items(db, issue_id).await?;
    if items.is_empty() {
        return Err(AppError::bad_input("issueId", "该期还没有编入任何信息"));
    }
    for item in &items {
        content_safety::check(&[("editedTitle", &item.edited_title), ("editedContent", &item.edited_content)])?;
    }
    let txn = db.begin().await?;
    let mut am: bulletin_issue::ActiveModel = issue.into();
    am.status = Set(BulletinStatus::Published);
    am.published_at = Set(Some(Utc::now()));
    let published = am.update(&txn).await?;
    for item in &items {
        set_status(&txn, item.suggestion_id, SuggestionStatus::Published).await?;
        let note = format!("{}年第{}期《{}》", published.year, published.number, published.title);
        record(&txn, item.suggestion_id, "PUBLISHED", viewer.user_id, Some(note)).await?;
    }
    txn.commit().await?;
    Ok(published)
}

/// The bulletin item that carried a piece, with its issue.
pub async fn bulletin_of(
    db: &impl ConnectionTrait,
    suggestion: Uuid,
) -> AppResult<Option<(bulletin_item::Model, bulletin_issue::Model)>> {
    let Some(item) =
        bulletin_item::Entity::find().filter(bulletin_item::Column::SuggestionId.eq(suggestion)).one(db).await?
    else {
        return Ok(None);
    };
    let issue = bulletin_issue::Entity::find_by_id(item.issue_id).one(db).await?;
    Ok(issue.map(|i| (item, i)))
}

pub struct Recipients {
    /// Committees above this one (parent, grandparent, …).
    pub organization_ids: Vec<Uuid>,
    /// Named local bodies: 市委, 市政府, ….
    pub bodies: Vec<String>,
}

/// Reports a published piece (报送). A committee above that lives in this deployment gets an
/// incoming copy in its own office's list, linked to the original.
pub async fn report(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: Uuid,
    to: Recipients,
) -> AppResult<suggestion::Model> {
    let s = handled(db, viewer, id).await?;
    if !workflow::can_report(s.status) {
        return Err(wrong_state(s.status));
    }
    if to.organization_ids.is_empty() && to.bodies.iter().all(|b| b.trim().is_empty()) {
        return Err(AppError::bad_input("recipients", "请选择报送对象"));
    }
    let home = organization::Entity::find_by_id(s.organization_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found(NOT_FOUND))?;
    let mut above = Vec::new();
    for org_id in to.organization_ids.iter().collect::<HashSet<_>>() {
        let org = organization::Entity::find_by_id(*org_id)
            .one(db)
            .await?
            .filter(|o| o.id != home.id && o.contains(&home))
            .ok_or_else(|| AppError::bad_input("recipients.organizationIds", "只能报送给上级政协组织"))?;
        above.push(org);
    }
    let bodies: Vec<String> =
        to.bodies.iter().map(|b| validate::required(b, "recipients.bodies", 50)).collect::<AppResult<Vec<_>>>()?;
    let already: HashSet<String> = suggestion_report::Entity::find()
        .filter(suggestion_report::Column::SuggestionId.eq(id))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.recipient_organization_id.map_or(r.recipient_name, |o| o.to_string()))
        .collect();
    let (title, content) = match bulletin_of(db, id).await? {
        Some((item, _)) => (item.edited_title, item.edited_content),
        None => (s.title.clone(), s.content.clone()),
    };
    let authors = authors(db, id).await?;
    let now = Utc::now().trunc_subsecs(6);
    let txn = db.begin().await?;
    let mut names = Vec::new();
    for org in above {
        if already.contains(&org.id.to_string()) {
            continue;
        }
        let copy = suggestion::ActiveModel {
            id: Set(Uuid::now_v7()),
            organization_id: Set(org.id),
            title: Set(title.clone()),
            content: Set(content.clone()),
            category: Set(s.category.clone()),
            status: Set(SuggestionStatus::Submitted),
            submitted_by: Set(s.submitted_by),
            sector_id: Set(None),
            anonymous_to_public: Set(s.anonymous_to_public),
            version: Set(0),
            decline_reason: Set(None),
            merged_into_id: Set(None),
            source_suggestion_id: Set(Some(s.id)),
            source_organization_id: Set(Some(s.organization_id)),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await?;
        add_authors(&txn, copy.id, &authors, 0).await?;
        attachments::copy_all(&txn, s.id, copy.id, org.id, AttachmentPurpose::Suggestion).await?;
        record(&txn, copy.id, "RECEIVED", viewer.user_id, Some(format!("{}报送", home.name))).await?;
        insert_report(&txn, id, Some(org.id), &org.name, Some(copy.id), viewer.user_id, now).await?;
        names.push(org.name);
    }
    for body in bodies {
        if already.contains(&body) {
            continue;
        }
        insert_report(&txn, id, None, &body, None, viewer.user_id, now).await?;
        names.push(body);
    }
    if names.is_empty() {
        return Err(AppError::Conflict { field: None, message: "已报送过这些对象".into() });
    }
    set_status(&txn, id, workflow::after_report(s.status)).await?;
    record(&txn, id, "REPORTED", viewer.user_id, Some(names.join("、"))).await?;
    txn.commit().await?;
    reload(db, id).await
}

async fn insert_report(
    db: &impl ConnectionTrait,
    id: Uuid,
    org: Option<Uuid>,
    name: &str,
    copy: Option<Uuid>,
    by: Uuid,
    at: chrono::DateTime<Utc>,
) -> AppResult<()> {
    suggestion_report::ActiveModel {
        id: Set(Uuid::now_v7()),
        suggestion_id: Set(id),
        recipient_organization_id: Set(org),
        recipient_name: Set(name.to_owned()),
        forwarded_suggestion_id: Set(copy),
        reported_by: Set(by),
        reported_at: Set(at),
    }
    .insert(db)
    .await?;
    Ok(())
}

pub struct NewAdoption {
    pub level: OrganizationLevel,
    pub form: AdoptionForm,
    pub adopted_by: String,
    pub adopted_at: NaiveDate,
    pub instruction: Option<String>,
    pub instructed_by: Option<String>,
}

/// Records an adoption (采用). On an incoming copy it also lands on the original below,
/// and so on down the chain, so every level and the submitter see it.
pub async fn record_adoption(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: Uuid,
    a: NewAdoption,
) -> AppResult<suggestion::Model> {
    let s = handled(db, viewer, id).await?;
    if !workflow::can_adopt(s.status, s.source_suggestion_id.is_some()) {
        return Err(wrong_state(s.status));
    }
    let adopted_by = validate::required(&a.adopted_by, "adoptedBy", 100)?;
    let instruction = a.instruction.map(|i| validate::required(&i, "instruction", 2000)).transpose()?;
    let instructed_by = a.instructed_by.map(|i| validate::required(&i, "instructedBy", 100)).transpose()?;
    if instructed_by.is_some() && instruction.is_none() {
        return Err(AppError::bad_input("instruction", "填写批示人时请填写批示内容"));
    }
    if a.adopted_at > crate::calendar::today() {
        return Err(AppError::bad_input("adoptedAt", "采用日期不能晚于今天"));
    }
    let txn = db.begin().await?;
    let mut current = Some(s);
    let mut origin: Option<Uuid> = None;
    while let Some(piece) = current {
        let row = suggestion_adoption::ActiveModel {
            id: Set(Uuid::now_v7()),
            suggestion_id: Set(piece.id),
            level: Set(a.level),
            form: Set(a.form),
            adopted_by: Set(adopted_by.clone()),
            adopted_at: Set(a.adopted_at),
            instruction: Set(instruction.clone()),
            instructed_by: Set(instructed_by.clone()),
            origin_adoption_id: Set(origin),
            recorded_by: Set(viewer.user_id),
            recorded_at: Set(Utc::now()),
        }
        .insert(&txn)
        .await?;
        origin = origin.or(Some(row.id));
        set_status(&txn, piece.id, SuggestionStatus::Adopted).await?;
        let mut note = format!("{}采用", adopted_by);
        if let Some(i) = &instruction {
            note.push_str(&format!("；{}批示：{}", instructed_by.as_deref().unwrap_or("领导"), i));
        }
        record(&txn, piece.id, "ADOPTED", viewer.user_id, Some(note)).await?;
        current = match piece.source_suggestion_id {
            Some(below) => suggestion::Entity::find_by_id(below).one(&txn).await?,
            None => None,
        };
    }
    txn.commit().await?;
    reload(db, id).await
}

pub async fn timeline(db: &impl ConnectionTrait, id: Uuid) -> AppResult<Vec<suggestion_event::Model>> {
    Ok(suggestion_event::Entity::find()
        .filter(suggestion_event::Column::SuggestionId.eq(id))
        .order_by_asc(suggestion_event::Column::At)
        .order_by_asc(suggestion_event::Column::Id)
        .all(db)
        .await?)
}

/// The viewer's own pieces (submitted or co-authored), newest first.
pub async fn mine(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    after: Option<Uuid>,
    limit: u64,
) -> AppResult<(Vec<suggestion::Model>, u64)> {
    let authored = Query::select()
        .column(suggestion_author::Column::SuggestionId)
        .from(suggestion_author::Entity)
        .and_where(suggestion_author::Column::UserId.eq(viewer.user_id))
        .to_owned();
    let cond = Condition::all()
        .add(suggestion::Column::Id.in_subquery(authored))
        .add(suggestion::Column::OrganizationId.eq(viewer.organization_id));
    paging::newest_first::<suggestion::Entity>(db, cond, suggestion::Column::Id, after, limit).await
}

#[derive(Debug, Default)]
pub struct Filter {
    pub status: Option<SuggestionStatus>,
    pub category: Option<String>,
    pub year: Option<i32>,
    pub search: Option<String>,
    pub adopted_level: Option<OrganizationLevel>,
    /// Only pieces reported from below (true) or only the organization's own (false).
    pub incoming: Option<bool>,
}

/// The office's list of its organization's pieces, incoming ones included, newest first.
pub async fn list(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    f: &Filter,
    after: Option<Uuid>,
    limit: u64,
) -> AppResult<(Vec<suggestion::Model>, u64)> {
    require(viewer.is_office())?;
    let mut cond = Condition::all().add(suggestion::Column::OrganizationId.eq(viewer.organization_id));
    if let Some(s) = f.status {
        cond = cond.add(suggestion::Column::Status.eq(s));
    }
    if let Some(c) = f.category.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        cond = cond.add(suggestion::Column::Category.eq(c));
    }
    if let Some(year) = f.year {
        let (from, to) = year_range(year)?;
        cond = cond.add(suggestion::Column::CreatedAt.gte(from)).add(suggestion::Column::CreatedAt.lt(to));
    }
    if let Some(q) = f.search.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let pattern = like_contains(&q.to_lowercase());
        cond = cond.add(
            Condition::any()
                .add(Expr::expr(Func::lower(Expr::col(suggestion::Column::Title))).like(pattern.clone()))
                .add(Expr::expr(Func::lower(Expr::col(suggestion::Column::Content))).like(pattern)),
        );
    }
    if let Some(level) = f.adopted_level {
        let adopted = Query::select()
            .column(suggestion_adoption::Column::SuggestionId)
            .from(suggestion_adoption::Entity)
            .and_where(suggestion_adoption::Column::Level.eq(level))
            .to_owned();
        cond = cond.add(suggestion::Column::Id.in_subquery(adopted));
    }
    match f.incoming {
        Some(true) => cond = cond.add(suggestion::Column::SourceSuggestionId.is_not_null()),
        Some(false) => cond = cond.add(suggestion::Column::SourceSuggestionId.is_null()),
        None => {}
    }
    paging::newest_first::<suggestion::Entity>(db, cond, suggestion::Column::Id, after, limit).await
}

pub async fn bulletins(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    year: Option<i32>,
) -> AppResult<Vec<bulletin_issue::Model>> {
    require(viewer.is_office())?;
    let mut q =
        bulletin_issue::Entity::find().filter(bulletin_issue::Column::OrganizationId.eq(viewer.organization_id));
    if let Some(y) = year {
        q = q.filter(bulletin_issue::Column::Year.eq(y));
    }
    Ok(q.order_by_desc(bulletin_issue::Column::Year).order_by_desc(bulletin_issue::Column::Number).all(db).await?)
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Counts {
    pub received: u64,
    pub accepted: u64,
    pub adopted: u64,
}

pub struct Stats {
    pub received: u64,
    pub accepted: u64,
    pub declined: u64,
    pub merged: u64,
    pub bulletins_published: u64,
    pub reported: u64,
    /// Pieces adopted per level, each piece once per level.
    pub adopted_by_level: Vec<(OrganizationLevel, u64)>,
    pub adopted: u64,
    pub with_instruction: u64,
    pub by_sector: Vec<(Option<Uuid>, Counts)>,
    pub by_member: Vec<(Uuid, Counts)>,
}

/// The year's figures of the viewer's organization ("全国政协采用6篇,省政协采用17篇").
/// Counted over the pieces received that year (by submission date, China time).
pub async fn stats(db: &impl ConnectionTrait, viewer: &Viewer, year: i32) -> AppResult<Stats> {
    require(viewer.is_office())?;
    let (from, to) = year_range(year)?;
    let pieces = suggestion::Entity::find()
        .filter(suggestion::Column::OrganizationId.eq(viewer.organization_id))
        .filter(suggestion::Column::CreatedAt.gte(from))
        .filter(suggestion::Column::CreatedAt.lt(to))
        .all(db)
        .await?;
    let ids: Vec<Uuid> = pieces.iter().map(|p| p.id).collect();
    let adoptions = suggestion_adoption::Entity::find()
        .filter(suggestion_adoption::Column::SuggestionId.is_in(ids.clone()))
        .all(db)
        .await?;
    let reported: HashSet<Uuid> = suggestion_report::Entity::find()
        .select_only()
        .column(suggestion_report::Column::SuggestionId)
        .filter(suggestion_report::Column::SuggestionId.is_in(ids.clone()))
        .into_tuple::<Uuid>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let bulletins_published = bulletin_issue::Entity::find()
        .filter(bulletin_issue::Column::OrganizationId.eq(viewer.organization_id))
        .filter(bulletin_issue::Column::Status.eq(BulletinStatus::Published))
        .filter(bulletin_issue::Column::Year.eq(year))
        .count(db)
        .await?;
    let accepted_states = [
        SuggestionStatus::Accepted,
        SuggestionStatus::Published,
        SuggestionStatus::Reported,
        SuggestionStatus::Adopted,
    ];
    let adopted_ids: HashSet<Uuid> = adoptions.iter().map(|a| a.suggestion_id).collect();
    let mut per_level: BTreeMap<u8, (OrganizationLevel, HashSet<Uuid>)> = BTreeMap::new();
    for a in &adoptions {
        per_level.entry(a.level.depth()).or_insert_with(|| (a.level, HashSet::new())).1.insert(a.suggestion_id);
    }
    let with_instruction: HashSet<Uuid> =
        adoptions.iter().filter(|a| a.instruction.is_some()).map(|a| a.suggestion_id).collect();

    // By sector: the piece's sector when sent in a sector's name, else the submitter's.
    let members: HashMap<Uuid, Option<Uuid>> = membership::Entity::find()
        .filter(membership::Column::OrganizationId.eq(viewer.organization_id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.user_id, m.sector_id))
        .collect();
    let mut by_sector: BTreeMap<Option<Uuid>, Counts> = BTreeMap::new();
    let mut by_member: BTreeMap<Uuid, Counts> = BTreeMap::new();
    let own: Vec<&suggestion::Model> = pieces.iter().filter(|p| p.source_suggestion_id.is_none()).collect();
    for p in &own {
        let accepted = accepted_states.contains(&p.status);
        let adopted = adopted_ids.contains(&p.id);
        let bump = |c: &mut Counts| {
            c.received += 1;
            c.accepted += u64::from(accepted);
            c.adopted += u64::from(adopted);
        };
        let sector = p.sector_id.or_else(|| members.get(&p.submitted_by).copied().flatten());
        bump(by_sector.entry(sector).or_default());
        bump(by_member.entry(p.submitted_by).or_default());
    }
    Ok(Stats {
        received: pieces.len() as u64,
        accepted: pieces.iter().filter(|p| accepted_states.contains(&p.status)).count() as u64,
        declined: pieces.iter().filter(|p| p.status == SuggestionStatus::Declined).count() as u64,
        merged: pieces.iter().filter(|p| p.status == SuggestionStatus::Merged).count() as u64,
        bulletins_published,
        reported: reported.len() as u64,
        adopted_by_level: per_level.into_values().map(|(level, set)| (level, set.len() as u64)).collect(),
        adopted: adopted_ids.len() as u64,
        with_instruction: with_instruction.len() as u64,
        by_sector: by_sector.into_iter().collect(),
        by_member: by_member.into_iter().collect(),
    })
}

/// A suggestion made from a proposal that was not registered (不予立案，转为社情民意信息):
/// the proposal's authors become its authors; the office handles it from SUBMITTED on.
pub async fn insert_converted(
    db: &impl ConnectionTrait,
    organization: Uuid,
    authors_in_order: &[Uuid],
    title: &str,
    content: &str,
    category: &str,
    actor: Uuid,
) -> AppResult<suggestion::Model> {
    let submitter = *authors_in_order.first().ok_or_else(|| AppError::internal("conversion without authors"))?;
    let now = Utc::now().trunc_subsecs(6);
    let created = suggestion::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(organization),
        title: Set(title.chars().take(100).collect()),
        content: Set(content.to_owned()),
        category: Set(category.to_owned()),
        status: Set(SuggestionStatus::Submitted),
        submitted_by: Set(submitter),
        sector_id: Set(None),
        anonymous_to_public: Set(false),
        version: Set(0),
        decline_reason: Set(None),
        merged_into_id: Set(None),
        source_suggestion_id: Set(None),
        source_organization_id: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?;
    add_authors(db, created.id, authors_in_order, 0).await?;
    record(db, created.id, "CONVERTED", actor, Some("由不予立案的提案转来".into())).await?;
    Ok(created)
}
