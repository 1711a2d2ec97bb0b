//! Rules for visits: planning, the sign-up with its capacity, leave, attendance, the
//! report, and the year's figures. Free of GraphQL.
use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionTrait,
    sea_query::{Expr, ExprTrait},
};
use uuid::Uuid;

use super::lifecycle::{self, accepts_changes_from_members, holds_place, takes_attendance};
use crate::{
    attachments::service::{self as attachments, AttachmentList},
    audience::{self, Audience},
    auth::Viewer,
    calendar::year_range,
    content_safety,
    error::{AppError, AppResult},
    members::service as members,
    organizations::access::{Actor, require},
    validate,
};
use entity::{
    AttachmentPurpose, ParticipantStatus, Role, VisitKind, VisitStatus, membership, organization, visit,
    visit_agenda_item, visit_event, visit_invitation, visit_outcome, visit_participant,
};

const NOT_FOUND: &str = "活动不存在";

#[derive(Debug, Clone)]
pub struct AgendaItem {
    pub starts_at: Option<DateTime<Utc>>,
    pub title: String,
    pub place: Option<String>,
}

/// The editable fields; `None` leaves a field as it is (for updates).
#[derive(Debug, Default)]
pub struct VisitFields {
    pub kind: Option<VisitKind>,
    pub title: Option<String>,
    pub topic: Option<String>,
    pub place: Option<String>,
    pub counterpart: Option<Option<String>>,
    pub counterpart_region: Option<Option<String>>,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub capacity: Option<Option<i32>>,
    pub signup_deadline: Option<Option<DateTime<Utc>>>,
    pub audience: Option<Audience>,
    pub guest_count: Option<i32>,
    pub agenda: Option<Vec<AgendaItem>>,
    pub invited_organization_ids: Option<Vec<Uuid>>,
}

fn apply(am: &mut visit::ActiveModel, f: &VisitFields) -> AppResult<()> {
    if let Some(v) = f.kind {
        am.kind = Set(v);
    }
    if let Some(v) = &f.title {
        am.title = Set(validate::required(v, "title", 200)?);
    }
    if let Some(v) = &f.topic {
        am.topic = Set(validate::bounded(v, "topic", 2000)?);
    }
    if let Some(v) = &f.place {
        am.place = Set(validate::required(v, "place", 200)?);
    }
    if let Some(v) = &f.counterpart {
        am.counterpart = Set(validate::optional(v.clone(), "counterpart", 100)?);
    }
    if let Some(v) = &f.counterpart_region {
        am.counterpart_region = Set(validate::optional(v.clone(), "counterpartRegion", 100)?);
    }
    if let Some(v) = f.starts_at {
        am.starts_at = Set(v.trunc_subsecs(6));
    }
    if let Some(v) = f.ends_at {
        am.ends_at = Set(v.trunc_subsecs(6));
    }
    if let Some(v) = f.capacity {
        if v.is_some_and(|c| !(1..=10_000).contains(&c)) {
            return Err(AppError::bad_input("capacity", "名额应为1到10000"));
        }
        am.capacity = Set(v);
    }
    if let Some(v) = f.signup_deadline {
        am.signup_deadline = Set(v.map(|d| d.trunc_subsecs(6)));
    }
    if let Some(v) = &f.audience {
        am.audience = Set(v.to_json());
    }
    if let Some(v) = f.guest_count {
        if !(0..=100_000).contains(&v) {
            return Err(AppError::bad_input("guestCount", "人数不正确"));
        }
        am.guest_count = Set(v);
    }
    let (starts, ends) = (am.starts_at.as_ref(), am.ends_at.as_ref());
    if ends < starts {
        return Err(AppError::bad_input("endsAt", "结束时间不能早于开始时间"));
    }
    if let Some(deadline) = am.signup_deadline.as_ref()
        && deadline > starts
    {
        return Err(AppError::bad_input("signupDeadline", "报名截止时间不能晚于开始时间"));
    }
    if let Some(agenda) = &f.agenda {
        if agenda.len() > 50 {
            return Err(AppError::bad_input("agenda", "日程不能超过50项"));
        }
        for (i, item) in agenda.iter().enumerate() {
            validate::required(&item.title, &format!("agenda.{i}.title"), 200)?;
            validate::optional(item.place.clone(), &format!("agenda.{i}.place"), 200)?;
        }
    }
    Ok(())
}

/// Joint inspections invite organizations of the same tree: the host's ancestors (the
/// parent's committee) and descendants (the counties').
async fn check_invitations(
    db: &impl ConnectionTrait,
    host: &organization::Model,
    kind: VisitKind,
    ids: &[Uuid],
) -> AppResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    if kind != VisitKind::JointInspection {
        return Err(AppError::bad_input("invitedOrganizationIds", "只有联动视察可以邀请其他政协组织"));
    }
    let found =
        organization::Entity::find().filter(organization::Column::Id.is_in(ids.iter().copied())).all(db).await?;
    let related = |o: &organization::Model| o.id != host.id && (host.contains(o) || o.contains(host));
    if found.len() != ids.iter().collect::<HashSet<_>>().len() || !found.iter().all(related) {
        return Err(AppError::bad_input("invitedOrganizationIds", "只能邀请上级或下级政协组织"));
    }
    Ok(())
}

async fn record(
    db: &impl ConnectionTrait,
    visit: Uuid,
    action: &str,
    actor: Uuid,
    note: Option<String>,
) -> AppResult<()> {
    visit_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        visit_id: Set(visit),
        action: Set(action.to_owned()),
        from_status: Set(None),
        to_status: Set(None),
        actor_id: Set(actor),
        at: Set(Utc::now()),
        note: Set(note),
        participant_id: Set(None),
    }
    .insert(db)
    .await?;
    Ok(())
}

async fn replace_agenda(db: &impl ConnectionTrait, visit: Uuid, items: &[AgendaItem]) -> AppResult<()> {
    visit_agenda_item::Entity::delete_many().filter(visit_agenda_item::Column::VisitId.eq(visit)).exec(db).await?;
    let rows: Vec<visit_agenda_item::ActiveModel> = items
        .iter()
        .enumerate()
        .map(|(i, item)| visit_agenda_item::ActiveModel {
            id: Set(Uuid::now_v7()),
            visit_id: Set(visit),
            position: Set(i32::try_from(i).unwrap_or(i32::MAX)),
            starts_at: Set(item.starts_at),
            title: Set(item.title.trim().to_owned()),
            place: Set(item.place.as_ref().map(|p| p.trim().to_owned()).filter(|p| !p.is_empty())),
        })
        .collect();
    if !rows.is_empty() {
        visit_agenda_item::Entity::insert_many(rows).exec(db).await?;
    }
    Ok(())
}

async fn replace_invitations(db: &impl ConnectionTrait, visit: Uuid, orgs: &[Uuid]) -> AppResult<()> {
    visit_invitation::Entity::delete_many().filter(visit_invitation::Column::VisitId.eq(visit)).exec(db).await?;
    let rows: Vec<visit_invitation::ActiveModel> = orgs
        .iter()
        .collect::<HashSet<_>>()
        .into_iter()
        .map(|org| visit_invitation::ActiveModel { visit_id: Set(visit), organization_id: Set(*org) })
        .collect();
    if !rows.is_empty() {
        visit_invitation::Entity::insert_many(rows).exec(db).await?;
    }
    Ok(())
}

pub async fn create(db: &DatabaseConnection, actor: &Actor, f: VisitFields) -> AppResult<visit::Model> {
    require(actor.viewer.is_office())?;
    let kind = f.kind.ok_or_else(|| AppError::bad_input("kind", "请选择活动类型"))?;
    let starts = f.starts_at.ok_or_else(|| AppError::bad_input("startsAt", "请填写开始时间"))?;
    if f.title.is_none() {
        return Err(AppError::bad_input("title", "不能为空"));
    }
    if let Some(a) = &f.audience {
        audience::validate(db, actor.org.id, a).await?;
    }
    let invited = f.invited_organization_ids.clone().unwrap_or_default();
    check_invitations(db, &actor.org, kind, &invited).await?;
    let now = Utc::now();
    let mut am = visit::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(actor.org.id),
        kind: Set(kind),
        title: Set(String::new()),
        topic: Set(String::new()),
        place: Set(String::new()),
        counterpart: Set(None),
        counterpart_region: Set(None),
        starts_at: Set(starts.trunc_subsecs(6)),
        ends_at: Set(f.ends_at.unwrap_or(starts).trunc_subsecs(6)),
        capacity: Set(None),
        confirmed_count: Set(0),
        signup_deadline: Set(None),
        audience: Set(Audience { everyone: true, ..Audience::default() }.to_json()),
        guest_count: Set(0),
        status: Set(VisitStatus::Planned),
        version: Set(0),
        cancel_reason: Set(None),
        report_summary: Set(None),
        report_findings: Set(None),
        report_suggestions: Set(None),
        reported_by: Set(None),
        reported_at: Set(None),
        created_by: Set(actor.viewer.user_id),
        created_at: Set(now),
        updated_at: Set(now),
    };
    if f.place.is_none() {
        return Err(AppError::bad_input("place", "不能为空"));
    }
    apply(&mut am, &f)?;
    let txn = db.begin().await?;
    let created = am.insert(&txn).await?;
    replace_agenda(&txn, created.id, f.agenda.as_deref().unwrap_or_default()).await?;
    replace_invitations(&txn, created.id, &invited).await?;
    record(&txn, created.id, "CREATED", actor.viewer.user_id, None).await?;
    txn.commit().await?;
    Ok(created)
}

/// A visit the viewer's office runs.
async fn managed(db: &impl ConnectionTrait, viewer: &Viewer, id: Uuid) -> AppResult<visit::Model> {
    let found = visit::Entity::find_by_id(id).one(db).await?.ok_or_else(|| AppError::not_found(NOT_FOUND))?;
    if found.organization_id != viewer.organization_id {
        return Err(AppError::not_found(NOT_FOUND));
    }
    require(viewer.is_office())?;
    Ok(found)
}

pub async fn update(db: &DatabaseConnection, actor: &Actor, id: Uuid, f: VisitFields) -> AppResult<visit::Model> {
    let found = managed(db, &actor.viewer, id).await?;
    if !matches!(found.status, VisitStatus::Planned | VisitStatus::Open | VisitStatus::Closed) {
        return Err(AppError::Conflict {
            field: None, message: "活动已开始或已结束，不能再修改安排".into()
        });
    }
    if let Some(Some(capacity)) = f.capacity
        && capacity < found.confirmed_count
    {
        return Err(AppError::bad_input("capacity", format!("已有{}人报名，名额不能少于此数", found.confirmed_count)));
    }
    if let Some(a) = &f.audience {
        audience::validate(db, found.organization_id, a).await?;
    }
    let kind = f.kind.unwrap_or(found.kind);
    if let Some(invited) = &f.invited_organization_ids {
        check_invitations(db, &actor.org, kind, invited).await?;
    }
    let mut am: visit::ActiveModel = found.into();
    apply(&mut am, &f)?;
    am.updated_at = Set(Utc::now());
    let txn = db.begin().await?;
    let updated = am.update(&txn).await?;
    if let Some(agenda) = &f.agenda {
        replace_agenda(&txn, updated.id, agenda).await?;
    }
    if let Some(invited) = &f.invited_organization_ids {
        replace_invitations(&txn, updated.id, invited).await?;
    }
    // More places (or none at all) may let people off the waiting list.
    promote_waitlist(&txn, updated.id).await?;
    record(&txn, updated.id, "UPDATED", actor.viewer.user_id, None).await?;
    txn.commit().await?;
    visit::Entity::find_by_id(updated.id).one(db).await?.ok_or_else(|| AppError::not_found(NOT_FOUND))
}

/// Moves a visit along its lifecycle (see `lifecycle`).
pub async fn transition(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: Uuid,
    to: VisitStatus,
    reason: Option<String>,
) -> AppResult<visit::Model> {
    let found = managed(db, viewer, id).await?;
    if !lifecycle::can_move(found.status, to) {
        return Err(AppError::Conflict {
            field: None,
            message: format!("活动当前为“{}”，不能变为“{}”", status_name(found.status), status_name(to)),
        });
    }
    let reason = validate::optional(reason, "reason", 500)?;
    if to == VisitStatus::Cancelled && reason.is_none() {
        return Err(AppError::bad_input("reason", "请说明取消原因"));
    }
    let txn = db.begin().await?;
    let changed = visit::Entity::update_many()
        .col_expr(visit::Column::Status, Expr::value(to))
        .col_expr(visit::Column::UpdatedAt, Expr::value(Utc::now()))
        .col_expr(
            visit::Column::CancelReason,
            Expr::value(if to == VisitStatus::Cancelled { reason.clone() } else { None }),
        )
        .filter(visit::Column::Id.eq(id))
        .filter(visit::Column::Status.eq(found.status))
        .exec(&txn)
        .await?;
    if changed.rows_affected != 1 {
        return Err(AppError::Conflict {
            field: None, message: "活动状态刚被他人修改，请刷新后重试".into()
        });
    }
    let mut note = reason;
    if to == VisitStatus::Cancelled {
        // Everyone signed up sees the cancellation and its reason on their list; the
        // notifications issue will also push it to their phones.
        let told = visit_participant::Entity::find()
            .filter(visit_participant::Column::VisitId.eq(id))
            .filter(visit_participant::Column::Status.ne(ParticipantStatus::Cancelled))
            .count(&txn)
            .await?;
        note = Some(format!("{}；已告知{}人", note.unwrap_or_default(), told));
    }
    record(&txn, id, action_name(to), viewer.user_id, note).await?;
    txn.commit().await?;
    visit::Entity::find_by_id(id).one(db).await?.ok_or_else(|| AppError::not_found(NOT_FOUND))
}

fn status_name(s: VisitStatus) -> &'static str {
    match s {
        VisitStatus::Planned => "计划中",
        VisitStatus::Open => "报名中",
        VisitStatus::Closed => "报名已截止",
        VisitStatus::InProgress => "进行中",
        VisitStatus::Completed => "已完成",
        VisitStatus::Cancelled => "已取消",
    }
}

fn action_name(s: VisitStatus) -> &'static str {
    match s {
        VisitStatus::Planned => "PLANNED",
        VisitStatus::Open => "OPENED",
        VisitStatus::Closed => "CLOSED",
        VisitStatus::InProgress => "STARTED",
        VisitStatus::Completed => "COMPLETED",
        VisitStatus::Cancelled => "CANCELLED",
    }
}

/// How a viewer stands towards a visit.
pub struct Access {
    pub visit: visit::Model,
    pub participant: Option<visit_participant::Model>,
    /// The viewer may sign up (in the audience, or a member of an invited organization).
    pub invited: bool,
}

async fn membership_of(db: &impl ConnectionTrait, viewer: &Viewer) -> AppResult<Option<membership::Model>> {
    members::membership_in(db, viewer.user_id, viewer.organization_id).await
}

async fn invited_orgs(db: &impl ConnectionTrait, visit: Uuid) -> AppResult<Vec<Uuid>> {
    Ok(visit_invitation::Entity::find()
        .filter(visit_invitation::Column::VisitId.eq(visit))
        .all(db)
        .await?
        .into_iter()
        .map(|i| i.organization_id)
        .collect())
}

/// Whether a membership may take part: handling-unit operators never; in the host
/// organization by the audience rules; in an invited organization, every member.
fn eligible(v: &visit::Model, invited: &[Uuid], m: &membership::Model) -> bool {
    if m.role == Role::Unit {
        return false;
    }
    if m.organization_id == v.organization_id {
        return Audience::from_json(&v.audience).includes(m);
    }
    v.kind == VisitKind::JointInspection && invited.contains(&m.organization_id)
}

/// A visit as the viewer may see it. Outside the host and invited organizations it does
/// not exist; inside them but outside the audience it is `FORBIDDEN` with the reason.
pub async fn access(db: &impl ConnectionTrait, viewer: &Viewer, id: Uuid) -> AppResult<Access> {
    let v = visit::Entity::find_by_id(id).one(db).await?.ok_or_else(|| AppError::not_found(NOT_FOUND))?;
    let invited_orgs = invited_orgs(db, id).await?;
    let host_side = v.organization_id == viewer.organization_id;
    let invited_side = v.kind == VisitKind::JointInspection && invited_orgs.contains(&viewer.organization_id);
    if !host_side && !invited_side {
        return Err(AppError::not_found(NOT_FOUND));
    }
    let participant = visit_participant::Entity::find_by_id((id, viewer.user_id)).one(db).await?;
    let invited = match membership_of(db, viewer).await? {
        Some(m) => eligible(&v, &invited_orgs, &m),
        None => false,
    };
    if !invited && participant.is_none() && !(host_side && viewer.is_office()) {
        return Err(AppError::forbidden("您不在本次活动的邀请范围内"));
    }
    Ok(Access { visit: v, participant, invited })
}

/// Who reads a visit's report (and its attachments): those who took part and the office.
pub fn may_read_report(viewer: &Viewer, participant: Option<&visit_participant::Model>) -> bool {
    viewer.is_office() || participant.is_some_and(|p| p.status != entity::ParticipantStatus::Cancelled)
}

/// `NOT_FOUND` unless the viewer may read the visit's report.
pub async fn report_readable(db: &impl ConnectionTrait, viewer: &Viewer, id: Uuid) -> AppResult<()> {
    let a = access(db, viewer, id).await?;
    if may_read_report(viewer, a.participant.as_ref()) { Ok(()) } else { Err(AppError::not_found(NOT_FOUND)) }
}

/// Attachments of a visit's report are read by those who took part and the office.
pub struct ReportAttachments;

impl crate::attachments::owners::OwnerRule for ReportAttachments {
    fn readable<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        viewer: &'a Viewer,
        owner: Uuid,
    ) -> futures_util::future::BoxFuture<'a, AppResult<()>> {
        Box::pin(async move { report_readable(db, viewer, owner).await })
    }
}

#[derive(Debug, Default)]
pub struct VisitFilter {
    pub kind: Option<VisitKind>,
    pub upcoming: bool,
    pub mine: bool,
    pub year: Option<i32>,
}

/// The visits a viewer sees, newest start first: those of their organization they are
/// invited to (all of them for the office), joint inspections their organization is
/// invited to, and any they signed up for. A committee holds tens of visits a year, so
/// the audience rules are checked here rather than in SQL.
pub async fn list(db: &impl ConnectionTrait, viewer: &Viewer, filter: &VisitFilter) -> AppResult<Vec<Access>> {
    let invited_here: Vec<Uuid> = visit_invitation::Entity::find()
        .filter(visit_invitation::Column::OrganizationId.eq(viewer.organization_id))
        .all(db)
        .await?
        .into_iter()
        .map(|i| i.visit_id)
        .collect();
    let mut cond = Condition::any().add(visit::Column::OrganizationId.eq(viewer.organization_id));
    if !invited_here.is_empty() {
        cond = cond.add(visit::Column::Id.is_in(invited_here));
    }
    let mut query = visit::Entity::find().filter(cond);
    if let Some(kind) = filter.kind {
        query = query.filter(visit::Column::Kind.eq(kind));
    }
    if filter.upcoming {
        query = query
            .filter(visit::Column::StartsAt.gt(Utc::now()))
            .filter(visit::Column::Status.ne(VisitStatus::Cancelled));
    }
    if let Some(year) = filter.year {
        let (from, to) = year_range(year)?;
        query = query.filter(visit::Column::StartsAt.gte(from)).filter(visit::Column::StartsAt.lt(to));
    }
    let visits = query.order_by_desc(visit::Column::StartsAt).order_by_desc(visit::Column::Id).all(db).await?;
    let ids: Vec<Uuid> = visits.iter().map(|v| v.id).collect();
    let mine: BTreeMap<Uuid, visit_participant::Model> = visit_participant::Entity::find()
        .filter(visit_participant::Column::UserId.eq(viewer.user_id))
        .filter(visit_participant::Column::VisitId.is_in(ids.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.visit_id, p))
        .collect();
    let invitations =
        visit_invitation::Entity::find().filter(visit_invitation::Column::VisitId.is_in(ids)).all(db).await?;
    let me = membership_of(db, viewer).await?;
    let mut out = Vec::new();
    for v in visits {
        let invited_orgs: Vec<Uuid> =
            invitations.iter().filter(|i| i.visit_id == v.id).map(|i| i.organization_id).collect();
        let participant = mine.get(&v.id).cloned();
        let invited = me.as_ref().is_some_and(|m| eligible(&v, &invited_orgs, m));
        let office_here = viewer.is_office() && v.organization_id == viewer.organization_id;
        if !(invited || office_here || participant.is_some()) {
            continue;
        }
        if filter.mine && !participant.as_ref().is_some_and(|p| p.status != ParticipantStatus::Cancelled) {
            continue;
        }
        out.push(Access { visit: v, participant, invited });
    }
    Ok(out)
}

/// Takes one place if there is one: a single conditional UPDATE, atomic on both
/// databases, so concurrent sign-ups can never exceed the capacity.
async fn take_place(db: &impl ConnectionTrait, visit: Uuid) -> AppResult<bool> {
    let res = visit::Entity::update_many()
        .col_expr(visit::Column::ConfirmedCount, Expr::col(visit::Column::ConfirmedCount).add(1))
        .filter(visit::Column::Id.eq(visit))
        .filter(
            Condition::any()
                .add(visit::Column::Capacity.is_null())
                .add(Expr::col(visit::Column::ConfirmedCount).lt(Expr::col(visit::Column::Capacity))),
        )
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

async fn free_place(db: &impl ConnectionTrait, visit: Uuid) -> AppResult<()> {
    visit::Entity::update_many()
        .col_expr(visit::Column::ConfirmedCount, Expr::col(visit::Column::ConfirmedCount).sub(1))
        .filter(visit::Column::Id.eq(visit))
        .filter(visit::Column::ConfirmedCount.gt(0))
        .exec(db)
        .await?;
    Ok(())
}

/// Gives free places to the waiting list, first come first served.
async fn promote_waitlist(db: &impl ConnectionTrait, visit: Uuid) -> AppResult<()> {
    loop {
        let Some(next) = visit_participant::Entity::find()
            .filter(visit_participant::Column::VisitId.eq(visit))
            .filter(visit_participant::Column::Status.eq(ParticipantStatus::Waitlisted))
            .order_by_asc(visit_participant::Column::SignedUpAt)
            .one(db)
            .await?
        else {
            return Ok(());
        };
        if !take_place(db, visit).await? {
            return Ok(());
        }
        set_status(db, &next, ParticipantStatus::Confirmed, None).await?;
    }
}

async fn set_status(
    db: &impl ConnectionTrait,
    p: &visit_participant::Model,
    status: ParticipantStatus,
    leave_reason: Option<String>,
) -> AppResult<()> {
    visit_participant::Entity::update_many()
        .col_expr(visit_participant::Column::Status, Expr::value(status))
        .col_expr(visit_participant::Column::LeaveReason, Expr::value(leave_reason))
        .col_expr(visit_participant::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(visit_participant::Column::VisitId.eq(p.visit_id))
        .filter(visit_participant::Column::UserId.eq(p.user_id))
        .exec(db)
        .await?;
    Ok(())
}

fn member_window(v: &visit::Model) -> AppResult<()> {
    if !accepts_changes_from_members(v.status) {
        return Err(AppError::Conflict {
            field: None,
            message: format!("活动{}，不能再报名或变更", status_name(v.status)),
        });
    }
    Ok(())
}

pub async fn sign_up(db: &DatabaseConnection, viewer: &Viewer, id: Uuid) -> AppResult<visit_participant::Model> {
    let Access { visit: v, participant, invited } = access(db, viewer, id).await?;
    if !invited {
        return Err(AppError::forbidden("您不在本次活动的邀请范围内"));
    }
    match v.status {
        VisitStatus::Open => {}
        VisitStatus::Planned => return Err(AppError::Conflict { field: None, message: "报名尚未开始".into() }),
        other => {
            return Err(AppError::Conflict {
                field: None, message: format!("活动{}，不能报名", status_name(other))
            });
        }
    }
    if v.signup_deadline.is_some_and(|d| d < Utc::now()) {
        return Err(AppError::Conflict { field: None, message: "报名已截止".into() });
    }
    if participant.as_ref().is_some_and(|p| p.status != ParticipantStatus::Cancelled) {
        return Err(AppError::Conflict { field: None, message: "您已报名此活动".into() });
    }
    // The write comes first in the transaction: SQLite then takes its write lock at once
    // instead of failing to upgrade a read lock under contention.
    let txn = db.begin().await?;
    let status = if take_place(&txn, id).await? { ParticipantStatus::Confirmed } else { ParticipantStatus::Waitlisted };
    let now = Utc::now().trunc_subsecs(6);
    let row = visit_participant::ActiveModel {
        visit_id: Set(id),
        user_id: Set(viewer.user_id),
        organization_id: Set(viewer.organization_id),
        status: Set(status),
        version: Set(0),
        leave_reason: Set(None),
        attended: Set(None),
        signed_up_at: Set(now),
        updated_at: Set(now),
    };
    let saved = if participant.is_some() { row.update(&txn).await } else { row.insert(&txn).await };
    let saved = saved.map_err(|e| {
        if AppError::is_unique_violation(&e) {
            AppError::Conflict { field: None, message: "您已报名此活动".into() }
        } else {
            e.into()
        }
    })?;
    txn.commit().await?;
    Ok(saved)
}

async fn my_participation(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    id: Uuid,
) -> AppResult<(visit::Model, visit_participant::Model)> {
    let Access { visit: v, participant, .. } = access(db, viewer, id).await?;
    let p = participant
        .filter(|p| p.status != ParticipantStatus::Cancelled)
        .ok_or_else(|| AppError::Conflict { field: None, message: "您尚未报名此活动".into() })?;
    Ok((v, p))
}

pub async fn cancel_signup(db: &DatabaseConnection, viewer: &Viewer, id: Uuid) -> AppResult<visit_participant::Model> {
    let (v, p) = my_participation(db, viewer, id).await?;
    member_window(&v)?;
    let txn = db.begin().await?;
    set_status(&txn, &p, ParticipantStatus::Cancelled, None).await?;
    if holds_place(p.status) {
        free_place(&txn, id).await?;
        promote_waitlist(&txn, id).await?;
    }
    txn.commit().await?;
    participant(db, id, viewer.user_id).await
}

pub async fn request_leave(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: Uuid,
    reason: &str,
) -> AppResult<visit_participant::Model> {
    let (v, p) = my_participation(db, viewer, id).await?;
    member_window(&v)?;
    let reason = validate::required(reason, "reason", 500)?;
    if p.status != ParticipantStatus::Confirmed {
        return Err(AppError::Conflict { field: None, message: "只有已确认参加的人可以请假".into() });
    }
    set_status(db, &p, ParticipantStatus::LeaveRequested, Some(reason)).await?;
    participant(db, id, viewer.user_id).await
}

async fn participant(db: &impl ConnectionTrait, visit: Uuid, user: Uuid) -> AppResult<visit_participant::Model> {
    visit_participant::Entity::find_by_id((visit, user))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("报名记录不存在"))
}

/// The office decides a leave request: approved, the place goes to the waiting list;
/// refused, the person stays confirmed.
pub async fn approve_leave(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: Uuid,
    user: Uuid,
    approve: bool,
) -> AppResult<visit_participant::Model> {
    let v = managed(db, viewer, id).await?;
    let p = participant(db, id, user).await?;
    if p.status != ParticipantStatus::LeaveRequested {
        return Err(AppError::Conflict { field: None, message: "此人没有待审批的请假".into() });
    }
    let txn = db.begin().await?;
    if approve {
        set_status(&txn, &p, ParticipantStatus::OnLeave, p.leave_reason.clone()).await?;
        free_place(&txn, id).await?;
        if accepts_changes_from_members(v.status) {
            promote_waitlist(&txn, id).await?;
        }
    } else {
        set_status(&txn, &p, ParticipantStatus::Confirmed, p.leave_reason.clone()).await?;
    }
    record(&txn, id, if approve { "LEAVE_APPROVED" } else { "LEAVE_REFUSED" }, viewer.user_id, Some(user.to_string()))
        .await?;
    txn.commit().await?;
    participant(db, id, user).await
}

/// Marks who attended (or did not). People the office brings without a sign-up (a
/// reception's hosts) are added as confirmed participants, if they may take part.
pub async fn mark_attendance(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: Uuid,
    users: &[Uuid],
    attended: bool,
) -> AppResult<Vec<visit_participant::Model>> {
    let v = managed(db, viewer, id).await?;
    if !takes_attendance(v.status) {
        return Err(AppError::Conflict { field: None, message: "活动开始后才能登记出席".into() });
    }
    if users.is_empty() || users.len() > 1000 {
        return Err(AppError::bad_input("userIds", "请选择1到1000人"));
    }
    let invited = invited_orgs(db, id).await?;
    let mut orgs = invited.clone();
    orgs.push(v.organization_id);
    let memberships = membership::Entity::find()
        .filter(membership::Column::UserId.is_in(users.iter().copied()))
        .filter(membership::Column::OrganizationId.is_in(orgs))
        .all(db)
        .await?;
    let existing: BTreeMap<Uuid, visit_participant::Model> = visit_participant::Entity::find()
        .filter(visit_participant::Column::VisitId.eq(id))
        .filter(visit_participant::Column::UserId.is_in(users.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.user_id, p))
        .collect();
    let now = Utc::now().trunc_subsecs(6);
    let mut new_rows = Vec::new();
    for user in users.iter().collect::<HashSet<_>>() {
        if existing.contains_key(user) {
            continue;
        }
        let m = memberships
            .iter()
            .find(|m| m.user_id == *user && eligible(&v, &invited, m))
            .ok_or_else(|| AppError::bad_input("userIds", "名单中有人不在本次活动的邀请范围内"))?;
        new_rows.push(visit_participant::ActiveModel {
            visit_id: Set(id),
            user_id: Set(*user),
            organization_id: Set(m.organization_id),
            status: Set(ParticipantStatus::Confirmed),
            version: Set(0),
            leave_reason: Set(None),
            attended: Set(Some(attended)),
            signed_up_at: Set(now),
            updated_at: Set(now),
        });
    }
    let txn = db.begin().await?;
    visit_participant::Entity::update_many()
        .col_expr(visit_participant::Column::Attended, Expr::value(Some(attended)))
        .col_expr(visit_participant::Column::UpdatedAt, Expr::value(now))
        .filter(visit_participant::Column::VisitId.eq(id))
        .filter(visit_participant::Column::UserId.is_in(existing.keys().copied()))
        .exec(&txn)
        .await?;
    if !new_rows.is_empty() {
        visit_participant::Entity::insert_many(new_rows).exec(&txn).await?;
    }
    let note = format!("{}：{}人", if attended { "出席" } else { "缺席" }, users.len());
    record(&txn, id, "ATTENDANCE", viewer.user_id, Some(note)).await?;
    txn.commit().await?;
    Ok(visit_participant::Entity::find()
        .filter(visit_participant::Column::VisitId.eq(id))
        .filter(visit_participant::Column::UserId.is_in(users.iter().copied()))
        .all(db)
        .await?)
}

pub struct Report {
    pub summary: String,
    pub findings: Option<String>,
    pub suggestions: Option<String>,
    /// Replaces the report's attachments when given.
    pub attachments: Option<AttachmentList>,
}

pub async fn submit_report(db: &DatabaseConnection, viewer: &Viewer, id: Uuid, r: Report) -> AppResult<visit::Model> {
    let v = managed(db, viewer, id).await?;
    if !takes_attendance(v.status) {
        return Err(AppError::Conflict { field: None, message: "活动开始后才能提交报告".into() });
    }
    let summary = validate::required(&r.summary, "summary", 20_000)?;
    let findings = validate::optional(r.findings, "findings", 20_000)?;
    let suggestions = validate::optional(r.suggestions, "suggestions", 20_000)?;
    // Participants read the report: it is screened like everything published to members.
    content_safety::check(&[
        ("summary", &summary),
        ("findings", findings.as_deref().unwrap_or_default()),
        ("suggestions", suggestions.as_deref().unwrap_or_default()),
    ])?;
    let mut am: visit::ActiveModel = v.into();
    am.report_summary = Set(Some(summary));
    am.report_findings = Set(findings);
    am.report_suggestions = Set(suggestions);
    am.reported_by = Set(Some(viewer.user_id));
    am.reported_at = Set(Some(Utc::now()));
    am.updated_at = Set(Utc::now());
    let txn = db.begin().await?;
    let saved = am.update(&txn).await?;
    if let Some(list) = &r.attachments {
        attachments::set_for(&txn, viewer, AttachmentPurpose::VisitReport, id, list).await?;
    }
    record(&txn, id, "REPORTED", viewer.user_id, None).await?;
    txn.commit().await?;
    Ok(saved)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutcomeKind {
    Proposal,
    Suggestion,
}

pub async fn link_outcome(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: Uuid,
    kind: OutcomeKind,
    ref_id: Uuid,
    title: &str,
) -> AppResult<visit_outcome::Model> {
    let v = managed(db, viewer, id).await?;
    let title = validate::required(title, "title", 200)?;
    let kind = match kind {
        OutcomeKind::Proposal => {
            let found = entity::proposal::Entity::find_by_id(ref_id).one(db).await?;
            if found.is_none_or(|p| p.organization_id != v.organization_id || p.status == entity::ProposalStatus::Draft)
            {
                return Err(AppError::bad_input("proposalId", "本组织没有这件提案"));
            }
            "PROPOSAL"
        }
        OutcomeKind::Suggestion => {
            let found = entity::suggestion::Entity::find_by_id(ref_id).one(db).await?;
            if found.is_none_or(|s| s.organization_id != v.organization_id) {
                return Err(AppError::bad_input("suggestionId", "本组织没有这条社情民意信息"));
            }
            "SUGGESTION"
        }
    };
    let exists = visit_outcome::Entity::find()
        .filter(visit_outcome::Column::VisitId.eq(id))
        .filter(visit_outcome::Column::RefId.eq(ref_id))
        .one(db)
        .await?;
    if exists.is_some() {
        return Err(AppError::Conflict { field: None, message: "该成果已关联".into() });
    }
    Ok(visit_outcome::ActiveModel {
        id: Set(Uuid::now_v7()),
        visit_id: Set(id),
        kind: Set(kind.to_owned()),
        ref_id: Set(Some(ref_id)),
        title: Set(title),
        linked_by: Set(viewer.user_id),
        linked_at: Set(Utc::now()),
    }
    .insert(db)
    .await?)
}

pub async fn outcomes(db: &impl ConnectionTrait, visit: Uuid) -> AppResult<Vec<visit_outcome::Model>> {
    Ok(visit_outcome::Entity::find()
        .filter(visit_outcome::Column::VisitId.eq(visit))
        .order_by_asc(visit_outcome::Column::LinkedAt)
        .order_by_asc(visit_outcome::Column::Id)
        .all(db)
        .await?)
}

/// Participants by status (all of them when `None`), in sign-up order.
pub async fn participants(
    db: &impl ConnectionTrait,
    visit: Uuid,
    statuses: Option<&[ParticipantStatus]>,
) -> AppResult<Vec<visit_participant::Model>> {
    let mut q = visit_participant::Entity::find().filter(visit_participant::Column::VisitId.eq(visit));
    if let Some(statuses) = statuses {
        q = q.filter(visit_participant::Column::Status.is_in(statuses.iter().copied()));
    }
    Ok(q.order_by_asc(visit_participant::Column::SignedUpAt)
        .order_by_asc(visit_participant::Column::UserId)
        .all(db)
        .await?)
}

pub async fn history(db: &impl ConnectionTrait, visit: Uuid) -> AppResult<Vec<visit_event::Model>> {
    Ok(visit_event::Entity::find()
        .filter(visit_event::Column::VisitId.eq(visit))
        .order_by_asc(visit_event::Column::At)
        .order_by_asc(visit_event::Column::Id)
        .all(db)
        .await?)
}

/// One kind's figures for a year.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KindFigures {
    /// 批: visits that took place (completed).
    pub batches: u64,
    /// 人次: attended participants plus guests, summed over the visits.
    pub person_times: u64,
    /// Members (people in the system) who attended at least one.
    pub members: u64,
}

pub struct YearFigures {
    pub by_kind: Vec<(VisitKind, KindFigures)>,
    pub total: KindFigures,
}

/// The year's figures of the viewer's organization, counted as the annual review counts
/// them ("外出考察调研4批18人次").
pub async fn stats(db: &impl ConnectionTrait, viewer: &Viewer, year: i32) -> AppResult<YearFigures> {
    require(viewer.is_office())?;
    let (from, to) = year_range(year)?;
    let visits = visit::Entity::find()
        .filter(visit::Column::OrganizationId.eq(viewer.organization_id))
        .filter(visit::Column::Status.eq(VisitStatus::Completed))
        .filter(visit::Column::StartsAt.gte(from))
        .filter(visit::Column::StartsAt.lt(to))
        .all(db)
        .await?;
    let ids: Vec<Uuid> = visits.iter().map(|v| v.id).collect();
    let attended: Vec<(Uuid, Uuid)> = visit_participant::Entity::find()
        .select_only()
        .column(visit_participant::Column::VisitId)
        .column(visit_participant::Column::UserId)
        .filter(visit_participant::Column::VisitId.is_in(ids))
        .filter(visit_participant::Column::Attended.eq(true))
        .into_tuple()
        .all(db)
        .await?;
    let figures = |of: &[&visit::Model]| {
        let ids: HashSet<Uuid> = of.iter().map(|v| v.id).collect();
        let present: Vec<&(Uuid, Uuid)> = attended.iter().filter(|(v, _)| ids.contains(v)).collect();
        let guests: u64 = of.iter().map(|v| u64::try_from(v.guest_count).unwrap_or(0)).sum();
        KindFigures {
            batches: of.len() as u64,
            person_times: present.len() as u64 + guests,
            members: present.iter().map(|(_, u)| u).collect::<HashSet<_>>().len() as u64,
        }
    };
    use sea_orm::Iterable;
    let by_kind = VisitKind::iter()
        .map(|kind| {
            let of: Vec<&visit::Model> = visits.iter().filter(|v| v.kind == kind).collect();
            (kind, figures(&of))
        })
        .collect();
    let all: Vec<&visit::Model> = visits.iter().collect();
    Ok(YearFigures { by_kind, total: figures(&all) })
}
