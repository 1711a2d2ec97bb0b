//! The office plans a visit and moves it along: create, change the arrangements (until it
//! starts), open and close the sign-up, start, complete or cancel.
use std::collections::HashSet;

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter,
};
use serde_json::json;
use uuid::Uuid;

use super::{places, reload};
use crate::{
    audience::{self, Audience},
    auth::principal::Principal,
    db,
    error::{AppError, AppResult},
    idempotency::{self, Key},
    organizations::access::require,
    transition::{self, Step},
    validate,
    visits::{
        policy,
        records::VisitRecord,
        workflow::{self, VisitAction},
    },
};
use entity::{
    ParticipantStatus, VisitKind, VisitStatus, organization, visit, visit_agenda_item, visit_invitation,
    visit_participant,
};

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

/// A new visit, PLANNED. With a key, a retry returns the visit the first request made.
pub async fn create(
    db: &DatabaseConnection,
    actor: &Principal,
    f: VisitFields,
    key: Option<Key>,
) -> AppResult<visit::Model> {
    require(actor.viewer.is_office())?;
    let kind = f.kind.ok_or_else(|| AppError::bad_input("kind", "请选择活动类型"))?;
    let starts = f.starts_at.ok_or_else(|| AppError::bad_input("startsAt", "请填写开始时间"))?;
    if f.title.is_none() {
        return Err(AppError::bad_input("title", "不能为空"));
    }
    if f.place.is_none() {
        return Err(AppError::bad_input("place", "不能为空"));
    }
    let invited = f.invited_organization_ids.clone().unwrap_or_default();
    let now = transition::now();
    let id = Uuid::now_v7();
    let mut am = visit::ActiveModel {
        id: Set(id),
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
    apply(&mut am, &f)?;
    let txn = db::write(db).await?;
    if let Some(first) = idempotency::claim_opt(&txn, actor.viewer.user_id, "createVisit", key.as_ref(), id).await? {
        drop(txn);
        let v = reload(db, first).await?;
        policy::as_office(&actor.viewer, &v)?;
        return Ok(v);
    }
    if let Some(a) = &f.audience {
        audience::validate(&txn, actor.org.id, a).await?;
    }
    check_invitations(&txn, &actor.org, kind, &invited).await?;
    let created = am.insert(&txn).await?;
    replace_agenda(&txn, id, f.agenda.as_deref().unwrap_or_default()).await?;
    replace_invitations(&txn, id, &invited).await?;
    transition::created::<VisitRecord>(
        &txn,
        id,
        actor.org.id,
        VisitStatus::Planned,
        "CREATED",
        actor.viewer.user_id,
        None,
        json!({}),
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// Changes the arrangements until the visit starts. The places can go down only as far as
/// the people already confirmed, decided with the visit locked, so sign-ups racing the
/// change cannot end above the new capacity; more places let people off the waiting list.
pub async fn update(db: &DatabaseConnection, actor: &Principal, id: Uuid, f: VisitFields) -> AppResult<visit::Model> {
    let txn = db::write(db).await?;
    let found = policy::load_for_office(&txn, actor, id).await?;
    if !workflow::arrangements_open(found.status) {
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
        audience::validate(&txn, found.organization_id, a).await?;
    }
    let kind = f.kind.unwrap_or(found.kind);
    if let Some(invited) = &f.invited_organization_ids {
        check_invitations(&txn, &actor.org, kind, invited).await?;
    }
    let (status, version, org) = (found.status, found.version, found.organization_id);
    let mut am: visit::ActiveModel = found.into();
    apply(&mut am, &f)?;
    let edit =
        Step::<VisitRecord>::new(id, org, status, version, status, "UPDATED", actor.viewer.user_id).set_changed(&am);
    transition::apply(&txn, edit).await?;
    if let Some(agenda) = &f.agenda {
        replace_agenda(&txn, id, agenda).await?;
    }
    if let Some(invited) = &f.invited_organization_ids {
        replace_invitations(&txn, id, invited).await?;
    }
    // More places (or none at all) may let people off the waiting list.
    places::promote_waitlist(&txn, id, org, actor.viewer.user_id).await?;
    txn.commit().await?;
    reload(db, id).await
}

/// Moves a visit along its lifecycle (see `workflow`).
pub async fn transition(
    db: &DatabaseConnection,
    who: &Principal,
    id: Uuid,
    action: VisitAction,
    reason: Option<String>,
) -> AppResult<visit::Model> {
    let reason = validate::optional(reason, "reason", 500)?;
    if action == VisitAction::Cancel && reason.is_none() {
        return Err(AppError::bad_input("reason", "请说明取消原因"));
    }
    let txn = db::write(db).await?;
    let v = policy::load_for_office(&txn, who, id).await?;
    let to = workflow::visit_step(action, v.status).map_err(|m| AppError::Conflict { field: None, message: m })?;
    let mut step = Step::<VisitRecord>::new(id, v.organization_id, v.status, v.version, to, action.code(), who.user_id);
    if action == VisitAction::Cancel {
        // Everyone signed up sees the cancellation and its reason on their list.
        let told = visit_participant::Entity::find()
            .filter(visit_participant::Column::VisitId.eq(id))
            .filter(visit_participant::Column::Status.ne(ParticipantStatus::Cancelled))
            .count(&txn)
            .await?;
        step = step.set(visit::Column::CancelReason, reason.clone()).note(format!(
            "{}；已告知{}人",
            reason.unwrap_or_default(),
            told
        ));
    } else {
        step = step.note(reason);
    }
    transition::apply(&txn, step).await?;
    txn.commit().await?;
    reload(db, id).await
}
