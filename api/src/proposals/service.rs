//! Rules for proposals, free of GraphQL. Every transition goes through `workflow::check`
//! and an optimistic-lock UPDATE on `version`, so two concurrent transitions cannot both win,
//! and writes its step to the append-only timeline in the same transaction.
use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, QueryOrder, TransactionTrait,
    sea_query::{Expr, ExprTrait, Func, OnConflict, Query},
};
use uuid::Uuid;

use super::workflow::{self, Action, Actor};
use crate::{
    attachments::service::{self as attachments, AttachmentList},
    auth::Viewer,
    calendar::year_range,
    content_safety,
    error::{AppError, AppResult},
    members::service as members,
    organizations::access::require,
    paging,
    sql::like_contains,
    validate,
};
use entity::{
    AssignmentRole, AssignmentStatus, AttachmentPurpose, CoSignStatus, ProposalKind, ProposalStatus, ReplyOutcome,
    Role, Satisfaction, SubmittedDuring, handling_unit, membership, proposal, proposal_assignment, proposal_cosigner,
    proposal_evaluation, proposal_event, proposal_reply, proposal_serial, sector_convener, special_committee,
};

const NOT_FOUND: &str = "提案不存在";
/// Three months, the default handling time.
pub const DEFAULT_DEADLINE_DAYS: i64 = 91;

/// The viewer's relation to proposals: their handling unit when they operate one.
pub struct Who {
    pub viewer: Viewer,
    pub unit: Option<Uuid>,
}

impl Who {
    pub async fn load(db: &impl ConnectionTrait, viewer: &Viewer) -> AppResult<Self> {
        let unit = if viewer.role == Role::Unit {
            members::membership_in(db, viewer.user_id, viewer.organization_id).await?.and_then(|m| m.handling_unit_id)
        } else {
            None
        };
        Ok(Self { viewer: viewer.clone(), unit })
    }
}

#[derive(Debug, Default)]
pub struct DraftFields {
    pub title: Option<String>,
    pub background: Option<String>,
    pub suggestions: Option<String>,
    pub category: Option<String>,
    pub kind: Option<ProposalKind>,
    pub submitted_during: Option<SubmittedDuring>,
    pub party: Option<Option<String>>,
    pub sector_id: Option<Option<Uuid>>,
    pub committee_id: Option<Option<Uuid>>,
    /// Replaces the attachments when given.
    pub attachments: Option<AttachmentList>,
}

fn apply(am: &mut proposal::ActiveModel, f: &DraftFields) -> AppResult<()> {
    if let Some(v) = &f.title {
        am.title = Set(validate::required(v, "title", 100)?);
    }
    if let Some(v) = &f.background {
        am.background = Set(validate::bounded(v, "background", 20_000)?);
    }
    if let Some(v) = &f.suggestions {
        am.suggestions = Set(validate::bounded(v, "suggestions", 20_000)?);
    }
    if let Some(v) = &f.category {
        am.category = Set(validate::required(v, "category", 50)?);
    }
    if let Some(v) = f.kind {
        am.kind = Set(v);
    }
    if let Some(v) = f.submitted_during {
        am.submitted_during = Set(v);
    }
    if let Some(v) = &f.party {
        am.party = Set(v.clone());
    }
    if let Some(v) = f.sector_id {
        am.sector_id = Set(v);
    }
    if let Some(v) = f.committee_id {
        am.committee_id = Set(v);
    }
    Ok(())
}

/// Who may draft which kind: members their own and joint proposals; a sector's conveners in
/// the sector's name; the office on behalf of a party or a special committee.
async fn check_kind(db: &impl ConnectionTrait, viewer: &Viewer, p: &proposal::ActiveModel) -> AppResult<()> {
    let kind = *p.kind.as_ref();
    match kind {
        ProposalKind::Individual | ProposalKind::Joint => {
            if viewer.role != Role::Member {
                return Err(AppError::forbidden("个人和联名提案由委员提出"));
            }
        }
        ProposalKind::Sector => {
            let sector = p.sector_id.as_ref().ok_or_else(|| AppError::bad_input("sectorId", "界别提案须指定界别"))?;
            if sector_convener::Entity::find_by_id((sector, viewer.user_id)).one(db).await?.is_none() {
                return Err(AppError::forbidden("只有该界别的召集人可以以界别名义提出提案"));
            }
        }
        ProposalKind::Party => {
            require(viewer.is_office())?;
            if p.party.as_ref().is_none() {
                return Err(AppError::bad_input("party", "党派提案须指定党派"));
            }
        }
        ProposalKind::Committee => {
            require(viewer.is_office())?;
            let committee =
                p.committee_id.as_ref().ok_or_else(|| AppError::bad_input("committeeId", "须指定专门委员会"))?;
            let found = special_committee::Entity::find_by_id(committee).one(db).await?;
            if found.is_none_or(|c| c.organization_id != viewer.organization_id) {
                return Err(AppError::bad_input("committeeId", "专门委员会不存在"));
            }
        }
    }
    Ok(())
}

async fn record(
    db: &impl ConnectionTrait,
    id: Uuid,
    action: &str,
    from: Option<ProposalStatus>,
    to: Option<ProposalStatus>,
    actor: Uuid,
    note: Option<String>,
) -> AppResult<()> {
    use sea_orm::ActiveEnum;
    proposal_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        proposal_id: Set(id),
        action: Set(action.to_owned()),
        from_status: Set(from.map(|s| s.to_value())),
        to_status: Set(to.map(|s| s.to_value())),
        actor_id: Set(actor),
        at: Set(Utc::now()),
        note: Set(note),
    }
    .insert(db)
    .await?;
    Ok(())
}

pub async fn create_draft(db: &DatabaseConnection, viewer: &Viewer, f: DraftFields) -> AppResult<proposal::Model> {
    let now = Utc::now().trunc_subsecs(6);
    let mut am = proposal::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(viewer.organization_id),
        serial_year: Set(None),
        serial_no: Set(None),
        title: Set(String::new()),
        background: Set(String::new()),
        suggestions: Set(String::new()),
        category: Set("其他".into()),
        kind: Set(ProposalKind::Individual),
        submitted_during: Set(SubmittedDuring::Recess),
        author_id: Set(viewer.user_id),
        party: Set(None),
        sector_id: Set(None),
        committee_id: Set(None),
        status: Set(ProposalStatus::Draft),
        version: Set(0),
        round: Set(1),
        merged_into_id: Set(None),
        is_key: Set(false),
        lead_official: Set(None),
        supervisor_id: Set(None),
        promoting_committee_id: Set(None),
        assisting_office: Set(None),
        return_reason: Set(None),
        reject_reason: Set(None),
        converted_suggestion_id: Set(None),
        result_summary: Set(None),
        result_published_at: Set(None),
        idempotency_key: Set(None),
        submitted_at: Set(None),
        registered_at: Set(None),
        concluded_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    };
    if f.title.is_none() {
        return Err(AppError::bad_input("title", "不能为空"));
    }
    apply(&mut am, &f)?;
    check_kind(db, viewer, &am).await?;
    let txn = db.begin().await?;
    let created = am.insert(&txn).await?;
    if let Some(list) = &f.attachments {
        attachments::set_for(&txn, viewer, AttachmentPurpose::Proposal, created.id, list).await?;
    }
    record(&txn, created.id, "DRAFTED", None, Some(ProposalStatus::Draft), viewer.user_id, None).await?;
    txn.commit().await?;
    Ok(created)
}

async fn find(db: &impl ConnectionTrait, id: Uuid) -> AppResult<proposal::Model> {
    proposal::Entity::find_by_id(id).one(db).await?.ok_or_else(|| AppError::not_found(NOT_FOUND))
}

/// The proposal as its author: anyone else gets `NOT_FOUND` (drafts are private).
async fn authored(db: &impl ConnectionTrait, viewer: &Viewer, id: Uuid) -> AppResult<proposal::Model> {
    let p = find(db, id).await?;
    if p.author_id != viewer.user_id {
        return Err(AppError::not_found(NOT_FOUND));
    }
    Ok(p)
}

/// The proposal as the office of its organization.
async fn handled(db: &impl ConnectionTrait, viewer: &Viewer, id: Uuid) -> AppResult<proposal::Model> {
    let p = find(db, id).await?;
    if p.organization_id != viewer.organization_id || p.status == ProposalStatus::Draft {
        return Err(AppError::not_found(NOT_FOUND));
    }
    require(viewer.is_office())?;
    Ok(p)
}

pub async fn update_draft(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: Uuid,
    f: DraftFields,
) -> AppResult<proposal::Model> {
    let p = authored(db, viewer, id).await?;
    if !matches!(p.status, ProposalStatus::Draft | ProposalStatus::Returned) {
        return Err(AppError::bad_input(
            "id",
            format!("提案当前状态为“{}”，不能修改", workflow::status_name(p.status)),
        ));
    }
    let version = p.version;
    let mut am = p.into_active_model();
    apply(&mut am, &f)?;
    check_kind(db, viewer, &am).await?;
    am.updated_at = Set(Utc::now());
    am.version = Set(version + 1);
    let txn = db.begin().await?;
    let res = proposal::Entity::update_many()
        .set(am)
        .filter(proposal::Column::Id.eq(id))
        .filter(proposal::Column::Version.eq(version))
        .exec(&txn)
        .await?;
    if res.rows_affected != 1 {
        return Err(raced());
    }
    if let Some(list) = &f.attachments {
        attachments::set_for(&txn, viewer, AttachmentPurpose::Proposal, id, list).await?;
    }
    txn.commit().await?;
    find(db, id).await
}

fn raced() -> AppError {
    AppError::Conflict { field: None, message: "提案刚被他人处理，请刷新后重试".into() }
}

/// Moves a proposal by `action`, checked by the workflow and guarded by its version; `set`
/// adds the other columns the step changes. (Every argument is one fact of the step; a
/// struct around them would only rename them.)
#[allow(clippy::too_many_arguments)]
async fn step(
    txn: &impl ConnectionTrait,
    p: &proposal::Model,
    action: Action,
    actor: Actor,
    by: Uuid,
    to_override: Option<ProposalStatus>,
    set: impl FnOnce(&mut proposal::ActiveModel),
    note: Option<String>,
) -> AppResult<ProposalStatus> {
    let to = workflow::check(action, actor, p.status).map_err(|m| AppError::bad_input("id", m))?;
    let to = to_override.unwrap_or(to);
    let mut am = proposal::ActiveModel {
        status: Set(to),
        version: Set(p.version + 1),
        updated_at: Set(Utc::now()),
        ..Default::default()
    };
    set(&mut am);
    let res = proposal::Entity::update_many()
        .set(am)
        .filter(proposal::Column::Id.eq(p.id))
        .filter(proposal::Column::Version.eq(p.version))
        .exec(txn)
        .await?;
    if res.rows_affected != 1 {
        return Err(raced());
    }
    record(txn, p.id, action_code(action), Some(p.status), Some(to), by, note).await?;
    Ok(to)
}

fn action_code(a: Action) -> &'static str {
    match a {
        Action::Submit => "SUBMITTED",
        Action::Resubmit => "RESUBMITTED",
        Action::Withdraw => "WITHDRAWN",
        Action::Return => "RETURNED",
        Action::Register => "REGISTERED",
        Action::Reject => "REJECTED",
        Action::Merge => "MERGED",
        Action::Assign => "ASSIGNED",
        Action::RequestReassignment => "REASSIGNMENT_REQUESTED",
        Action::Reply => "REPLIED",
        Action::Evaluate => "EVALUATED",
        Action::Conclude => "CONCLUDED",
        Action::PublishResult => "RESULT_PUBLISHED",
        Action::DesignateKey => "KEY_DESIGNATED",
    }
}

pub async fn invite_cosigners(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: Uuid,
    users: &[Uuid],
) -> AppResult<proposal::Model> {
    let p = authored(db, viewer, id).await?;
    if p.kind != ProposalKind::Joint || p.status != ProposalStatus::Draft {
        return Err(AppError::bad_input("proposalId", "只能为联名提案的草稿邀请联名人"));
    }
    let users: Vec<Uuid> =
        users.iter().copied().filter(|u| *u != viewer.user_id).collect::<HashSet<_>>().into_iter().collect();
    if users.is_empty() {
        return Err(AppError::bad_input("userIds", "请选择联名委员"));
    }
    let members = membership::Entity::find()
        .filter(membership::Column::OrganizationId.eq(p.organization_id))
        .filter(membership::Column::Role.eq(Role::Member))
        .filter(membership::Column::UserId.is_in(users.clone()))
        .count(db)
        .await?;
    if members != users.len() as u64 {
        return Err(AppError::bad_input("userIds", "联名人必须是本组织的委员"));
    }
    let now = Utc::now();
    let txn = db.begin().await?;
    for user in &users {
        let row = proposal_cosigner::ActiveModel {
            proposal_id: Set(id),
            user_id: Set(*user),
            status: Set(CoSignStatus::Invited),
            invited_at: Set(now),
            responded_at: Set(None),
        };
        proposal_cosigner::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([proposal_cosigner::Column::ProposalId, proposal_cosigner::Column::UserId])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await
            .or_else(ignore_conflict)?;
    }
    record(&txn, id, "COSIGNERS_INVITED", None, None, viewer.user_id, Some(format!("{}人", users.len()))).await?;
    txn.commit().await?;
    find(db, id).await
}

fn ignore_conflict(e: DbErr) -> Result<u64, DbErr> {
    if matches!(e, DbErr::RecordNotInserted) { Ok(0) } else { Err(e) }
}

pub async fn respond_to_cosign(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: Uuid,
    accept: bool,
) -> AppResult<proposal::Model> {
    let invitation = proposal_cosigner::Entity::find_by_id((id, viewer.user_id))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found(NOT_FOUND))?;
    let p = find(db, id).await?;
    if invitation.status != CoSignStatus::Invited || p.status != ProposalStatus::Draft {
        return Err(AppError::bad_input("proposalId", "该联名邀请已处理或已失效"));
    }
    let status = if accept { CoSignStatus::Accepted } else { CoSignStatus::Declined };
    let mut am = invitation.into_active_model();
    am.status = Set(status);
    am.responded_at = Set(Some(Utc::now()));
    let txn = db.begin().await?;
    am.update(&txn).await?;
    record(&txn, id, if accept { "COSIGN_ACCEPTED" } else { "COSIGN_DECLINED" }, None, None, viewer.user_id, None)
        .await?;
    txn.commit().await?;
    Ok(p)
}

pub async fn cosigners(db: &impl ConnectionTrait, id: Uuid) -> AppResult<Vec<proposal_cosigner::Model>> {
    Ok(proposal_cosigner::Entity::find()
        .filter(proposal_cosigner::Column::ProposalId.eq(id))
        .order_by_asc(proposal_cosigner::Column::InvitedAt)
        .order_by_asc(proposal_cosigner::Column::UserId)
        .all(db)
        .await?)
}

/// Submits a draft. Phones retry: the same key returns the proposal as the first request
/// left it, without a second submission.
pub async fn submit(db: &DatabaseConnection, viewer: &Viewer, id: Uuid, key: &str) -> AppResult<proposal::Model> {
    let key = key.trim();
    if !(8..=100).contains(&key.len()) {
        return Err(AppError::bad_input("idempotencyKey", "幂等键长度应为8到100个字符"));
    }
    let p = authored(db, viewer, id).await?;
    if p.status != ProposalStatus::Draft && p.idempotency_key.as_deref() == Some(key) {
        return Ok(p);
    }
    if p.title.trim().is_empty() || p.suggestions.trim().is_empty() {
        return Err(AppError::bad_input("suggestions", "提交前请填写案由和具体建议"));
    }
    let list = cosigners(db, id).await?;
    if p.kind == ProposalKind::Joint && !list.iter().any(|c| c.status == CoSignStatus::Accepted) {
        return Err(AppError::bad_input("id", "联名提案须至少有一位委员同意联名"));
    }
    let used = proposal::Entity::find()
        .filter(proposal::Column::AuthorId.eq(viewer.user_id))
        .filter(proposal::Column::IdempotencyKey.eq(key))
        .filter(proposal::Column::Id.ne(id))
        .count(db)
        .await?;
    if used > 0 {
        return Err(AppError::conflict("idempotencyKey", "该幂等键已用于另一件提案"));
    }
    let txn = db.begin().await?;
    let now = Utc::now().trunc_subsecs(6);
    let key_owned = key.to_owned();
    step(
        &txn,
        &p,
        Action::Submit,
        Actor::Proposer,
        viewer.user_id,
        None,
        |am| {
            am.idempotency_key = Set(Some(key_owned));
            am.submitted_at = Set(Some(now));
        },
        None,
    )
    .await?;
    // Invitations still pending lapse at submission.
    proposal_cosigner::Entity::update_many()
        .col_expr(proposal_cosigner::Column::Status, Expr::value(CoSignStatus::Lapsed))
        .filter(proposal_cosigner::Column::ProposalId.eq(id))
        .filter(proposal_cosigner::Column::Status.eq(CoSignStatus::Invited))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    find(db, id).await
}

/// The proposer's simple steps: withdraw, resubmit.
pub async fn proposer_step(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: Uuid,
    action: Action,
) -> AppResult<proposal::Model> {
    let p = authored(db, viewer, id).await?;
    let txn = db.begin().await?;
    let now = Utc::now();
    step(
        &txn,
        &p,
        action,
        Actor::Proposer,
        viewer.user_id,
        None,
        |am| {
            if action == Action::Resubmit {
                am.submitted_at = Set(Some(now));
            }
        },
        None,
    )
    .await?;
    txn.commit().await?;
    find(db, id).await
}

pub async fn return_proposal(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: Uuid,
    reason: &str,
) -> AppResult<proposal::Model> {
    let p = handled(db, viewer, id).await?;
    let reason = validate::required(reason, "reason", 1000)?;
    let txn = db.begin().await?;
    let r = reason.clone();
    step(
        &txn,
        &p,
        Action::Return,
        Actor::Office,
        viewer.user_id,
        None,
        |am| am.return_reason = Set(Some(r)),
        Some(reason),
    )
    .await?;
    txn.commit().await?;
    find(db, id).await
}

/// The next registration number of an organization's year: one counter row, incremented
/// inside the registering transaction. The row lock (PostgreSQL) or the write lock
/// (SQLite) serialises registrations, and a failed registration rolls its number back, so
/// numbers are unique and without gaps.
async fn next_serial(txn: &impl ConnectionTrait, org: Uuid, year: i32) -> AppResult<i32> {
    proposal_serial::Entity::insert(proposal_serial::ActiveModel {
        organization_id: Set(org),
        year: Set(year),
        last: Set(0),
    })
    .on_conflict(
        OnConflict::columns([proposal_serial::Column::OrganizationId, proposal_serial::Column::Year])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(txn)
    .await
    .or_else(ignore_conflict)?;
    proposal_serial::Entity::update_many()
        .col_expr(proposal_serial::Column::Last, Expr::col(proposal_serial::Column::Last).add(1))
        .filter(proposal_serial::Column::OrganizationId.eq(org))
        .filter(proposal_serial::Column::Year.eq(year))
        .exec(txn)
        .await?;
    let row = proposal_serial::Entity::find_by_id((org, year))
        .one(txn)
        .await?
        .ok_or_else(|| AppError::internal("serial row"))?;
    Ok(row.last)
}

pub async fn register(db: &DatabaseConnection, viewer: &Viewer, id: Uuid) -> AppResult<proposal::Model> {
    let p = handled(db, viewer, id).await?;
    workflow::check(Action::Register, Actor::Office, p.status).map_err(|m| AppError::bad_input("id", m))?;
    let year = crate::calendar::this_year();
    let txn = db.begin().await?;
    // The counter first: on SQLite the transaction then holds the write lock from its start.
    let no = next_serial(&txn, p.organization_id, year).await?;
    let now = Utc::now();
    step(
        &txn,
        &p,
        Action::Register,
        Actor::Office,
        viewer.user_id,
        None,
        |am| {
            am.serial_year = Set(Some(year));
            am.serial_no = Set(Some(no));
            am.registered_at = Set(Some(now));
        },
        Some(format!("{year}年第{no}号")),
    )
    .await?;
    txn.commit().await?;
    find(db, id).await
}

pub async fn authors_of(db: &impl ConnectionTrait, p: &proposal::Model) -> AppResult<Vec<Uuid>> {
    let mut out = vec![p.author_id];
    out.extend(
        cosigners(db, p.id).await?.into_iter().filter(|c| c.status == CoSignStatus::Accepted).map(|c| c.user_id),
    );
    Ok(out)
}

/// 不予立案, with a reason; optionally turned into a piece of public-opinion information.
pub async fn reject(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: Uuid,
    reason: &str,
    convert: bool,
) -> AppResult<proposal::Model> {
    let p = handled(db, viewer, id).await?;
    let reason = validate::required(reason, "reason", 1000)?;
    workflow::check(Action::Reject, Actor::Office, p.status).map_err(|m| AppError::bad_input("id", m))?;
    let txn = db.begin().await?;
    let converted = if convert {
        let content = format!("{}\n\n{}", p.background.trim(), p.suggestions.trim()).trim().to_owned();
        let s = crate::suggestions::service::insert_converted(
            &txn,
            p.organization_id,
            &authors_of(&txn, &p).await?,
            &p.title,
            &content,
            &p.category,
            viewer.user_id,
        )
        .await?;
        attachments::copy_all(&txn, p.id, s.id, p.organization_id, AttachmentPurpose::Suggestion).await?;
        Some(s.id)
    } else {
        None
    };
    let r = reason.clone();
    let note = if convert { format!("{reason}（转为社情民意信息）") } else { reason };
    step(
        &txn,
        &p,
        Action::Reject,
        Actor::Office,
        viewer.user_id,
        None,
        |am| {
            am.reject_reason = Set(Some(r));
            am.converted_suggestion_id = Set(converted);
        },
        Some(note),
    )
    .await?;
    txn.commit().await?;
    find(db, id).await
}

/// 并案: the proposal follows the one it was merged into from then on.
pub async fn merge(db: &DatabaseConnection, viewer: &Viewer, id: Uuid, into: Uuid) -> AppResult<proposal::Model> {
    if id == into {
        return Err(AppError::bad_input("intoId", "不能并入自身"));
    }
    let p = handled(db, viewer, id).await?;
    let master = handled(db, viewer, into).await.map_err(|_| AppError::bad_input("intoId", "要并入的提案不存在"))?;
    if matches!(
        master.status,
        ProposalStatus::Submitted
            | ProposalStatus::Returned
            | ProposalStatus::Withdrawn
            | ProposalStatus::Rejected
            | ProposalStatus::Merged
    ) {
        return Err(AppError::bad_input("intoId", "只能并入已立案的提案"));
    }
    let txn = db.begin().await?;
    let note = format!("并入“{}”", master.title);
    step(
        &txn,
        &p,
        Action::Merge,
        Actor::Office,
        viewer.user_id,
        None,
        |am| am.merged_into_id = Set(Some(into)),
        Some(note),
    )
    .await?;
    record(&txn, into, "MERGED_IN", None, None, viewer.user_id, Some(format!("“{}”并入本案", p.title))).await?;
    txn.commit().await?;
    find(db, id).await
}

pub struct NewAssignment {
    pub unit_id: Uuid,
    pub role: AssignmentRole,
    pub deadline: Option<DateTime<Utc>>,
}

/// 交办 to one or more units; at least one LEAD or SEPARATE unit answers for the proposal.
pub async fn assign(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: Uuid,
    list: Vec<NewAssignment>,
) -> AppResult<proposal::Model> {
    let p = handled(db, viewer, id).await?;
    workflow::check(Action::Assign, Actor::Office, p.status).map_err(|m| AppError::bad_input("id", m))?;
    if list.is_empty() || list.len() > 20 {
        return Err(AppError::bad_input("assignments", "请指定1到20个承办单位"));
    }
    let active: Vec<proposal_assignment::Model> =
        assignments(db, id).await?.into_iter().filter(|a| a.status != AssignmentStatus::ReassignRequested).collect();
    let mut units: HashSet<Uuid> = active.iter().map(|a| a.unit_id).collect();
    for a in &list {
        if !units.insert(a.unit_id) {
            return Err(AppError::bad_input("assignments", "同一承办单位不能重复交办"));
        }
    }
    let ids: Vec<Uuid> = list.iter().map(|a| a.unit_id).collect();
    let found = handling_unit::Entity::find()
        .filter(handling_unit::Column::Id.is_in(ids.clone()))
        .filter(handling_unit::Column::OrganizationId.eq(p.organization_id))
        .count(db)
        .await?;
    if found != ids.len() as u64 {
        return Err(AppError::bad_input("assignments", "承办单位不存在或不属于本组织"));
    }
    let answering = |r: AssignmentRole| matches!(r, AssignmentRole::Lead | AssignmentRole::Separate);
    if !list.iter().any(|a| answering(a.role)) && !active.iter().any(|a| answering(a.role)) {
        return Err(AppError::bad_input("assignments", "至少要有一个主办或分办单位"));
    }
    let now = Utc::now().trunc_subsecs(6);
    let default_deadline = now + chrono::Duration::days(DEFAULT_DEADLINE_DAYS);
    for (i, a) in list.iter().enumerate() {
        if a.deadline.is_some_and(|d| d <= now) {
            return Err(AppError::bad_input(format!("assignments.{i}.deadline"), "办理期限应晚于现在"));
        }
    }
    let txn = db.begin().await?;
    let rows: Vec<proposal_assignment::ActiveModel> = list
        .iter()
        .map(|a| proposal_assignment::ActiveModel {
            id: Set(Uuid::now_v7()),
            proposal_id: Set(id),
            unit_id: Set(a.unit_id),
            role: Set(a.role),
            deadline: Set(a.deadline.unwrap_or(default_deadline).trunc_subsecs(6)),
            deadline_fixed: Set(a.deadline.is_some()),
            status: Set(AssignmentStatus::Assigned),
            round: Set(p.round),
            acknowledged_at: Set(None),
            reassign_reason: Set(None),
            created_at: Set(now),
        })
        .collect();
    proposal_assignment::Entity::insert_many(rows).exec(&txn).await?;
    step(&txn, &p, Action::Assign, Actor::Office, viewer.user_id, None, |_| {}, Some(format!("{}个单位", list.len())))
        .await?;
    txn.commit().await?;
    find(db, id).await
}

pub async fn assignments(db: &impl ConnectionTrait, id: Uuid) -> AppResult<Vec<proposal_assignment::Model>> {
    Ok(proposal_assignment::Entity::find()
        .filter(proposal_assignment::Column::ProposalId.eq(id))
        .order_by_asc(proposal_assignment::Column::CreatedAt)
        .order_by_asc(proposal_assignment::Column::Id)
        .all(db)
        .await?)
}

/// The unit's live assignment on a proposal; a unit without one does not see the proposal.
async fn unit_assignment(
    db: &impl ConnectionTrait,
    who: &Who,
    id: Uuid,
) -> AppResult<(proposal::Model, proposal_assignment::Model)> {
    let unit = who.unit.ok_or_else(|| AppError::forbidden("只有承办单位可以办理"))?;
    let p = find(db, id).await?;
    let a = proposal_assignment::Entity::find()
        .filter(proposal_assignment::Column::ProposalId.eq(id))
        .filter(proposal_assignment::Column::UnitId.eq(unit))
        .filter(proposal_assignment::Column::Status.ne(AssignmentStatus::ReassignRequested))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found(NOT_FOUND))?;
    Ok((p, a))
}

/// 签收: the unit acknowledges its assignment, which starts the clock: unless the office
/// set a deadline, the default period runs from now.
pub async fn acknowledge(db: &DatabaseConnection, who: &Who, id: Uuid) -> AppResult<proposal::Model> {
    let (p, a) = unit_assignment(db, who, id).await?;
    if a.status != AssignmentStatus::Assigned {
        return Err(AppError::bad_input("id", "该交办已签收或已答复"));
    }
    let txn = db.begin().await?;
    let fixed = a.deadline_fixed;
    let mut am = a.into_active_model();
    let now = Utc::now().trunc_subsecs(6);
    am.status = Set(AssignmentStatus::Acknowledged);
    am.acknowledged_at = Set(Some(now));
    if !fixed {
        am.deadline = Set(now + chrono::Duration::days(DEFAULT_DEADLINE_DAYS));
    }
    am.update(&txn).await?;
    record(&txn, id, "ACKNOWLEDGED", None, None, who.viewer.user_id, None).await?;
    txn.commit().await?;
    Ok(p)
}

/// 申退: the unit asks to be relieved; the proposal goes back to the office to re-assign.
pub async fn request_reassignment(
    db: &DatabaseConnection,
    who: &Who,
    id: Uuid,
    reason: &str,
) -> AppResult<proposal::Model> {
    let (p, a) = unit_assignment(db, who, id).await?;
    let reason = validate::required(reason, "reason", 1000)?;
    if a.status == AssignmentStatus::Replied {
        return Err(AppError::bad_input("id", "已答复的交办不能申退"));
    }
    let txn = db.begin().await?;
    step(&txn, &p, Action::RequestReassignment, Actor::Unit, who.viewer.user_id, None, |_| {}, Some(reason.clone()))
        .await?;
    let mut am = a.into_active_model();
    am.status = Set(AssignmentStatus::ReassignRequested);
    am.reassign_reason = Set(Some(reason));
    am.update(&txn).await?;
    txn.commit().await?;
    find(db, id).await
}

pub struct NewReply {
    pub outcome: ReplyOutcome,
    pub content: String,
    pub contact: String,
    /// The written reply as the unit signed it, and its enclosures.
    pub attachments: AttachmentList,
}

/// 答复: once per assignment and round. When every lead and separate unit has answered
/// this round, the proposal is REPLIED and waits for the proposer's evaluation.
pub async fn reply(db: &DatabaseConnection, who: &Who, id: Uuid, r: NewReply) -> AppResult<proposal::Model> {
    let (p, a) = unit_assignment(db, who, id).await?;
    workflow::check(Action::Reply, Actor::Unit, p.status).map_err(|m| AppError::bad_input("id", m))?;
    if a.status == AssignmentStatus::Replied {
        return Err(AppError::Conflict { field: None, message: "本轮已答复".into() });
    }
    let content = validate::required(&r.content, "content", 20_000)?;
    let contact = validate::required(&r.contact, "contact", 100)?;
    let txn = db.begin().await?;
    let mut am = a.clone().into_active_model();
    am.status = Set(AssignmentStatus::Replied);
    am.update(&txn).await?;
    let reply_id = Uuid::now_v7();
    proposal_reply::ActiveModel {
        id: Set(reply_id),
        proposal_id: Set(id),
        assignment_id: Set(a.id),
        unit_id: Set(a.unit_id),
        round: Set(p.round),
        outcome: Set(r.outcome),
        content: Set(content),
        contact: Set(contact),
        replied_by: Set(who.viewer.user_id),
        replied_at: Set(Utc::now()),
    }
    .insert(&txn)
    .await
    .map_err(|e| {
        if AppError::is_unique_violation(&e) {
            AppError::Conflict { field: None, message: "本轮已答复".into() }
        } else {
            e.into()
        }
    })?;
    attachments::set_for(&txn, &who.viewer, AttachmentPurpose::ProposalReply, reply_id, &r.attachments).await?;
    let waiting = proposal_assignment::Entity::find()
        .filter(proposal_assignment::Column::ProposalId.eq(id))
        .filter(proposal_assignment::Column::Role.is_in([AssignmentRole::Lead, AssignmentRole::Separate]))
        .filter(proposal_assignment::Column::Status.is_in([AssignmentStatus::Assigned, AssignmentStatus::Acknowledged]))
        .count(&txn)
        .await?;
    let to = workflow::after_reply(p.status, waiting == 0);
    if to == p.status {
        record(&txn, id, "UNIT_REPLIED", None, None, who.viewer.user_id, None).await?;
    } else {
        step(&txn, &p, Action::Reply, Actor::Unit, who.viewer.user_id, None, |_| {}, None).await?;
    }
    txn.commit().await?;
    find(db, id).await
}

pub struct NewEvaluation {
    pub satisfaction: Satisfaction,
    pub communication: Satisfaction,
    pub attitude: Satisfaction,
    pub implementation: Satisfaction,
    pub comment: Option<String>,
}

/// The proposer's evaluation. UNSATISFIED sends the proposal to re-handling: the lead and
/// separate units are asked again, in a new round, with a new deadline.
pub async fn evaluate(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: Uuid,
    e: NewEvaluation,
) -> AppResult<proposal::Model> {
    let p = authored(db, viewer, id).await?;
    workflow::check(Action::Evaluate, Actor::Proposer, p.status).map_err(|m| AppError::bad_input("id", m))?;
    let comment = e.comment.map(|c| validate::bounded(&c, "comment", 2000)).transpose()?.filter(|c| !c.is_empty());
    let unsatisfied = e.satisfaction == Satisfaction::Unsatisfied;
    let txn = db.begin().await?;
    proposal_evaluation::ActiveModel {
        id: Set(Uuid::now_v7()),
        proposal_id: Set(id),
        round: Set(p.round),
        satisfaction: Set(e.satisfaction),
        communication: Set(e.communication),
        attitude: Set(e.attitude),
        implementation: Set(e.implementation),
        comment: Set(comment.clone()),
        evaluated_by: Set(viewer.user_id),
        evaluated_at: Set(Utc::now()),
    }
    .insert(&txn)
    .await?;
    let to = workflow::after_evaluation(unsatisfied);
    let next_round = p.round + 1;
    step(
        &txn,
        &p,
        Action::Evaluate,
        Actor::Proposer,
        viewer.user_id,
        Some(to),
        |am| {
            if unsatisfied {
                am.round = Set(next_round);
            }
        },
        comment,
    )
    .await?;
    if unsatisfied {
        // The units that answer are asked again (the notification to them is this timeline
        // step and their list; push notifications come with the notifications issue).
        proposal_assignment::Entity::update_many()
            .col_expr(proposal_assignment::Column::Status, Expr::value(AssignmentStatus::Assigned))
            .col_expr(proposal_assignment::Column::Round, Expr::value(next_round))
            .col_expr(
                proposal_assignment::Column::Deadline,
                Expr::value(Utc::now() + chrono::Duration::days(DEFAULT_DEADLINE_DAYS)),
            )
            .filter(proposal_assignment::Column::ProposalId.eq(id))
            .filter(proposal_assignment::Column::Role.is_in([AssignmentRole::Lead, AssignmentRole::Separate]))
            .filter(proposal_assignment::Column::Status.eq(AssignmentStatus::Replied))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    find(db, id).await
}

pub async fn evaluations(db: &impl ConnectionTrait, id: Uuid) -> AppResult<Vec<proposal_evaluation::Model>> {
    Ok(proposal_evaluation::Entity::find()
        .filter(proposal_evaluation::Column::ProposalId.eq(id))
        .order_by_asc(proposal_evaluation::Column::EvaluatedAt)
        .order_by_asc(proposal_evaluation::Column::Id)
        .all(db)
        .await?)
}

pub struct KeyDesignation {
    pub lead_official: Option<String>,
    pub supervisor_id: Option<Uuid>,
    pub promoting_committee_id: Option<Uuid>,
    pub assisting_office: Option<String>,
}

/// 重点提案: 领办, 督办, 促办, 协办.
pub async fn designate_key(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: Uuid,
    k: KeyDesignation,
) -> AppResult<proposal::Model> {
    let p = handled(db, viewer, id).await?;
    let lead = k.lead_official.map(|v| validate::required(&v, "leadOfficial", 100)).transpose()?;
    let office = k.assisting_office.map(|v| validate::required(&v, "assistingOffice", 100)).transpose()?;
    if let Some(s) = k.supervisor_id
        && members::membership_in(db, s, p.organization_id).await?.is_none()
    {
        return Err(AppError::bad_input("supervisorId", "督办领导须为本组织成员"));
    }
    if let Some(c) = k.promoting_committee_id {
        let found = special_committee::Entity::find_by_id(c).one(db).await?;
        if found.is_none_or(|c| c.organization_id != p.organization_id) {
            return Err(AppError::bad_input("promotingCommitteeId", "专门委员会不存在"));
        }
    }
    let txn = db.begin().await?;
    step(
        &txn,
        &p,
        Action::DesignateKey,
        Actor::Office,
        viewer.user_id,
        None,
        |am| {
            am.is_key = Set(true);
            am.lead_official = Set(lead);
            am.supervisor_id = Set(k.supervisor_id);
            am.promoting_committee_id = Set(k.promoting_committee_id);
            am.assisting_office = Set(office);
        },
        None,
    )
    .await?;
    txn.commit().await?;
    find(db, id).await
}

pub async fn conclude(db: &DatabaseConnection, viewer: &Viewer, id: Uuid) -> AppResult<proposal::Model> {
    let p = handled(db, viewer, id).await?;
    let txn = db.begin().await?;
    let now = Utc::now();
    step(&txn, &p, Action::Conclude, Actor::Office, viewer.user_id, None, |am| am.concluded_at = Set(Some(now)), None)
        .await?;
    txn.commit().await?;
    find(db, id).await
}

/// 公开办理结果: screened like everything published.
pub async fn publish_result(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: Uuid,
    summary: &str,
) -> AppResult<proposal::Model> {
    let p = handled(db, viewer, id).await?;
    let summary = validate::required(summary, "summary", 20_000)?;
    content_safety::check(&[("summary", &summary)])?;
    let txn = db.begin().await?;
    let now = Utc::now();
    step(
        &txn,
        &p,
        Action::PublishResult,
        Actor::Office,
        viewer.user_id,
        None,
        |am| {
            am.result_summary = Set(Some(summary));
            am.result_published_at = Set(Some(now));
        },
        None,
    )
    .await?;
    txn.commit().await?;
    find(db, id).await
}

/// States in which other members of the committee may read a proposal.
const PUBLIC_WITHIN: [ProposalStatus; 6] = [
    ProposalStatus::Registered,
    ProposalStatus::Assigned,
    ProposalStatus::Replied,
    ProposalStatus::Evaluated,
    ProposalStatus::Rehandling,
    ProposalStatus::Concluded,
];

/// A proposal as a viewer may see it: drafts to their author (and invited co-signers, who
/// must read before they sign); everything but drafts to the office; to a unit only what is
/// assigned to it; to other members from registration on. Anyone else: `NOT_FOUND`.
pub async fn visible(db: &impl ConnectionTrait, who: &Who, id: Uuid) -> AppResult<proposal::Model> {
    let p = find(db, id).await?;
    let v = &who.viewer;
    if p.author_id == v.user_id {
        return Ok(p);
    }
    if proposal_cosigner::Entity::find_by_id((id, v.user_id)).one(db).await?.is_some() {
        return Ok(p);
    }
    if p.organization_id != v.organization_id || p.status == ProposalStatus::Draft {
        return Err(AppError::not_found(NOT_FOUND));
    }
    if v.is_office() {
        return Ok(p);
    }
    if who.unit.is_some() {
        return unit_assignment(db, who, id).await.map(|(p, _)| p);
    }
    if v.role == Role::Member && PUBLIC_WITHIN.contains(&p.status) {
        return Ok(p);
    }
    Err(AppError::not_found(NOT_FOUND))
}

/// Assignments past their deadline without this round's reply.
fn overdue_assignments() -> Condition {
    Condition::all()
        .add(proposal_assignment::Column::Deadline.lt(Utc::now()))
        .add(proposal_assignment::Column::Status.is_in([AssignmentStatus::Assigned, AssignmentStatus::Acknowledged]))
}

pub fn is_overdue(p: &proposal::Model, a: &proposal_assignment::Model) -> bool {
    matches!(p.status, ProposalStatus::Assigned | ProposalStatus::Rehandling)
        && a.deadline < Utc::now()
        && matches!(a.status, AssignmentStatus::Assigned | AssignmentStatus::Acknowledged)
}

#[derive(Debug, Default)]
pub struct Filter {
    pub status: Option<ProposalStatus>,
    pub kind: Option<ProposalKind>,
    pub category: Option<String>,
    pub year: Option<i32>,
    pub key: Option<bool>,
    pub unit_id: Option<Uuid>,
    pub overdue: Option<bool>,
    pub search: Option<String>,
}

/// The office's list (all but drafts), or a unit's (what is assigned to it), newest first.
pub async fn list(
    db: &impl ConnectionTrait,
    who: &Who,
    f: &Filter,
    after: Option<Uuid>,
    limit: u64,
) -> AppResult<(Vec<proposal::Model>, u64)> {
    let v = &who.viewer;
    let mut cond = Condition::all()
        .add(proposal::Column::OrganizationId.eq(v.organization_id))
        .add(proposal::Column::Status.ne(ProposalStatus::Draft));
    let unit_filter = match (who.unit, v.is_office()) {
        (Some(unit), _) => Some(unit),
        (None, true) => f.unit_id,
        (None, false) => return Err(AppError::forbidden("没有权限查看提案列表")),
    };
    if let Some(unit) = unit_filter {
        let mut assigned = Query::select()
            .column(proposal_assignment::Column::ProposalId)
            .from(proposal_assignment::Entity)
            .and_where(proposal_assignment::Column::UnitId.eq(unit))
            .to_owned();
        if who.unit.is_some() {
            assigned.and_where(proposal_assignment::Column::Status.ne(AssignmentStatus::ReassignRequested));
        }
        cond = cond.add(proposal::Column::Id.in_subquery(assigned));
    }
    if let Some(s) = f.status {
        cond = cond.add(proposal::Column::Status.eq(s));
    }
    if let Some(k) = f.kind {
        cond = cond.add(proposal::Column::Kind.eq(k));
    }
    if let Some(c) = f.category.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        cond = cond.add(proposal::Column::Category.eq(c));
    }
    if let Some(year) = f.year {
        let (from, to) = year_range(year)?;
        cond = cond.add(proposal::Column::SubmittedAt.gte(from)).add(proposal::Column::SubmittedAt.lt(to));
    }
    if let Some(key) = f.key {
        cond = cond.add(proposal::Column::IsKey.eq(key));
    }
    if let Some(overdue) = f.overdue {
        let late = Query::select()
            .column(proposal_assignment::Column::ProposalId)
            .from(proposal_assignment::Entity)
            .cond_where(overdue_assignments())
            .to_owned();
        let late_now = Condition::all()
            .add(proposal::Column::Id.in_subquery(late))
            .add(proposal::Column::Status.is_in([ProposalStatus::Assigned, ProposalStatus::Rehandling]));
        cond = cond.add(if overdue { late_now } else { late_now.not() });
    }
    if let Some(q) = f.search.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let pattern = like_contains(&q.to_lowercase());
        cond = cond.add(
            Condition::any()
                .add(Expr::expr(Func::lower(Expr::col(proposal::Column::Title))).like(pattern.clone()))
                .add(Expr::expr(Func::lower(Expr::col(proposal::Column::Suggestions))).like(pattern)),
        );
    }
    paging::newest_first::<proposal::Entity>(db, cond, proposal::Column::Id, after, limit).await
}

/// The viewer's proposals: authored (drafts included) and co-signed, newest first.
pub async fn mine(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    after: Option<Uuid>,
    limit: u64,
) -> AppResult<(Vec<proposal::Model>, u64)> {
    let signed = Query::select()
        .column(proposal_cosigner::Column::ProposalId)
        .from(proposal_cosigner::Entity)
        .and_where(proposal_cosigner::Column::UserId.eq(viewer.user_id))
        .and_where(proposal_cosigner::Column::Status.eq(CoSignStatus::Accepted))
        .to_owned();
    let cond = Condition::all().add(proposal::Column::OrganizationId.eq(viewer.organization_id)).add(
        Condition::any()
            .add(proposal::Column::AuthorId.eq(viewer.user_id))
            .add(proposal::Column::Id.in_subquery(signed)),
    );
    paging::newest_first::<proposal::Entity>(db, cond, proposal::Column::Id, after, limit).await
}

/// Invitations waiting for the viewer's answer.
pub async fn invitations(db: &impl ConnectionTrait, viewer: &Viewer) -> AppResult<Vec<proposal::Model>> {
    let waiting = Query::select()
        .column(proposal_cosigner::Column::ProposalId)
        .from(proposal_cosigner::Entity)
        .and_where(proposal_cosigner::Column::UserId.eq(viewer.user_id))
        .and_where(proposal_cosigner::Column::Status.eq(CoSignStatus::Invited))
        .to_owned();
    Ok(proposal::Entity::find()
        .filter(proposal::Column::Id.in_subquery(waiting))
        .filter(proposal::Column::Status.eq(ProposalStatus::Draft))
        .order_by_desc(proposal::Column::Id)
        .all(db)
        .await?)
}

pub async fn timeline(db: &impl ConnectionTrait, id: Uuid) -> AppResult<Vec<proposal_event::Model>> {
    Ok(proposal_event::Entity::find()
        .filter(proposal_event::Column::ProposalId.eq(id))
        .order_by_asc(proposal_event::Column::At)
        .order_by_asc(proposal_event::Column::Id)
        .all(db)
        .await?)
}

#[derive(Debug, Default)]
pub struct Stats {
    pub submitted: u64,
    pub registered: u64,
    pub not_registered: u64,
    pub merged: u64,
    pub withdrawn: u64,
    pub by_kind: BTreeMap<String, u64>,
    pub by_category: BTreeMap<String, u64>,
    /// Unit id → (assignments, replies).
    pub by_unit: Vec<(Uuid, u64, u64)>,
    pub key: u64,
    pub outcomes: BTreeMap<String, u64>,
    pub satisfaction: BTreeMap<String, u64>,
    pub evaluated: u64,
    pub overdue: u64,
}

/// The year's figures (proposals submitted that year, China time), counted from the rows.
pub async fn stats(db: &impl ConnectionTrait, viewer: &Viewer, year: i32) -> AppResult<Stats> {
    use sea_orm::ActiveEnum;
    require(viewer.is_office())?;
    let (from, to) = year_range(year)?;
    let all = proposal::Entity::find()
        .filter(proposal::Column::OrganizationId.eq(viewer.organization_id))
        .filter(proposal::Column::SubmittedAt.gte(from))
        .filter(proposal::Column::SubmittedAt.lt(to))
        .all(db)
        .await?;
    let ids: Vec<Uuid> = all.iter().map(|p| p.id).collect();
    let assigned = proposal_assignment::Entity::find()
        .filter(proposal_assignment::Column::ProposalId.is_in(ids.clone()))
        .all(db)
        .await?;
    let replies =
        proposal_reply::Entity::find().filter(proposal_reply::Column::ProposalId.is_in(ids.clone())).all(db).await?;
    let evals =
        proposal_evaluation::Entity::find().filter(proposal_evaluation::Column::ProposalId.is_in(ids)).all(db).await?;
    let mut s = Stats { submitted: all.len() as u64, ..Stats::default() };
    let by_id: HashMap<Uuid, &proposal::Model> = all.iter().map(|p| (p.id, p)).collect();
    for p in &all {
        s.registered += u64::from(p.serial_no.is_some());
        s.not_registered += u64::from(p.status == ProposalStatus::Rejected);
        s.merged += u64::from(p.status == ProposalStatus::Merged);
        s.withdrawn += u64::from(p.status == ProposalStatus::Withdrawn);
        s.key += u64::from(p.is_key);
        *s.by_kind.entry(p.kind.to_value()).or_default() += 1;
        *s.by_category.entry(p.category.clone()).or_default() += 1;
    }
    let mut units: BTreeMap<Uuid, (u64, u64)> = BTreeMap::new();
    for a in &assigned {
        if a.status != AssignmentStatus::ReassignRequested {
            units.entry(a.unit_id).or_default().0 += 1;
        }
        if by_id.get(&a.proposal_id).is_some_and(|p| is_overdue(p, a)) {
            s.overdue += 1;
        }
    }
    for r in &replies {
        units.entry(r.unit_id).or_default().1 += 1;
        *s.outcomes.entry(r.outcome.to_value()).or_default() += 1;
    }
    s.by_unit = units.into_iter().map(|(u, (a, r))| (u, a, r)).collect();
    // Each proposal's latest evaluation counts.
    let mut latest: HashMap<Uuid, &proposal_evaluation::Model> = HashMap::new();
    for e in &evals {
        let keep = latest.get(&e.proposal_id).is_none_or(|prev| prev.round < e.round);
        if keep {
            latest.insert(e.proposal_id, e);
        }
    }
    s.evaluated = latest.len() as u64;
    for e in latest.values() {
        *s.satisfaction.entry(e.satisfaction.to_value()).or_default() += 1;
    }
    Ok(s)
}
