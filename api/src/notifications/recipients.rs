//! Per event: who it concerns and what their notice says. Each audience is a condition on
//! `app_user.id` evaluated by the database, so a briefing to 500 members is one
//! `INSERT … SELECT`, not 500 round trips; it is the audience as the tables hold it when
//! the event is dispatched (a fraction of a second after the step). Nobody is notified of
//! their own step.
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
    sea_query::{Expr, OnConflict, Query},
};
use serde_json::Value;
use uuid::Uuid;

use crate::{
    error::{AppError, AppResult},
    reminders, transition,
};
use entity::{
    CoSignStatus, ParticipantStatus, Role, briefing, briefing_recipient, membership, notification, outbox, proposal,
    proposal_cosigner, suggestion, suggestion_adoption, suggestion_author, user, visit, visit_participant,
};

/// Every kind of notification, with what it is called in settings (`notificationPreferences`).
pub const KINDS: &[(&str, &str)] = &[
    ("BRIEFING_PUBLISHED", "情况通报"),
    ("COSIGN_INVITED", "联名邀请"),
    ("COSIGN_ANSWERED", "联名邀请的答复"),
    ("PROPOSAL_RETURNED", "提案退回修改"),
    ("PROPOSAL_REGISTERED", "提案立案"),
    ("PROPOSAL_REJECTED", "提案不予立案"),
    ("PROPOSAL_MERGED", "提案并案"),
    ("PROPOSAL_ASSIGNED", "提案交办"),
    ("PROPOSAL_REPLIED", "提案答复"),
    ("PROPOSAL_CONCLUDED", "提案办结"),
    ("PROPOSAL_RESULT_PUBLISHED", "提案办理结果公开"),
    ("UNIT_ASSIGNED", "新交办提案（承办单位）"),
    ("UNIT_REHANDLING", "提案重新办理（承办单位）"),
    ("SUGGESTION_ACCEPTED", "社情民意信息采编"),
    ("SUGGESTION_DECLINED", "社情民意信息未予采编"),
    ("SUGGESTION_PUBLISHED", "社情民意信息编发"),
    ("SUGGESTION_REPORTED", "社情民意信息报送"),
    ("SUGGESTION_ADOPTED", "社情民意信息采用"),
    ("VISIT_OPENED", "活动开始报名"),
    ("VISIT_CHANGED", "活动变更"),
    ("VISIT_CANCELLED", "活动取消"),
    ("LEAVE_APPROVED", "请假获批"),
    ("LEAVE_REFUSED", "请假未获批"),
    ("WAITLIST_CONFIRMED", "候补转正"),
    ("VISIT_TOMORROW", "活动前一天提醒"),
    ("DEADLINE_NEAR", "办理期限临近（承办单位）"),
    ("OVERDUE", "办理超期（承办单位）"),
];

/// Who an event concerns.
#[derive(Debug, Clone)]
pub enum Audience {
    /// A published briefing's recipients (its materialized audience).
    Briefing(Uuid),
    /// A proposal's author and the co-signers who accepted.
    Proposers(Uuid),
    /// The operators of handling units in an organization.
    Units { organization: Uuid, units: Vec<Uuid> },
    /// A suggestion's authors.
    SuggestionAuthors(Uuid),
    /// A visit's participants who have not cancelled.
    Participants(Uuid),
    /// Named people (ids from the event).
    People(Vec<Uuid>),
    /// A visit's participants holding a place (confirmed, or asking for leave).
    Going(Uuid),
    /// The people with a membership of `organization` that `condition` (on `membership`
    /// rows) picks: a visit's audience, whose rules are not stored per person. Their
    /// notices go to that organization's inbox (an invited organization's members do not
    /// see the host's).
    Members { organization: Uuid, condition: Condition },
}

impl Audience {
    fn condition(&self) -> Condition {
        let id = user::Column::Id;
        match self {
            Audience::Briefing(b) => Condition::all().add(
                id.in_subquery(
                    Query::select()
                        .column(briefing_recipient::Column::UserId)
                        .from(briefing_recipient::Entity)
                        .and_where(briefing_recipient::Column::BriefingId.eq(*b))
                        .and_where(briefing_recipient::Column::Active.eq(true))
                        .to_owned(),
                ),
            ),
            Audience::Proposers(p) => Condition::any()
                .add(
                    id.in_subquery(
                        Query::select()
                            .column(proposal::Column::AuthorId)
                            .from(proposal::Entity)
                            .and_where(proposal::Column::Id.eq(*p))
                            .to_owned(),
                    ),
                )
                .add(
                    id.in_subquery(
                        Query::select()
                            .column(proposal_cosigner::Column::UserId)
                            .from(proposal_cosigner::Entity)
                            .and_where(proposal_cosigner::Column::ProposalId.eq(*p))
                            .and_where(proposal_cosigner::Column::Status.eq(CoSignStatus::Accepted))
                            .to_owned(),
                    ),
                ),
            Audience::Units { organization, units } => Condition::all().add(
                id.in_subquery(
                    Query::select()
                        .column(membership::Column::UserId)
                        .from(membership::Entity)
                        .and_where(membership::Column::OrganizationId.eq(*organization))
                        .and_where(membership::Column::Role.eq(Role::Unit))
                        .and_where(membership::Column::HandlingUnitId.is_in(units.iter().copied()))
                        .to_owned(),
                ),
            ),
            Audience::SuggestionAuthors(s) => Condition::all().add(
                id.in_subquery(
                    Query::select()
                        .column(suggestion_author::Column::UserId)
                        .from(suggestion_author::Entity)
                        .and_where(suggestion_author::Column::SuggestionId.eq(*s))
                        .to_owned(),
                ),
            ),
            Audience::Participants(v) => Condition::all().add(
                id.in_subquery(
                    Query::select()
                        .column(visit_participant::Column::UserId)
                        .from(visit_participant::Entity)
                        .and_where(visit_participant::Column::VisitId.eq(*v))
                        .and_where(visit_participant::Column::Status.ne(ParticipantStatus::Cancelled))
                        .to_owned(),
                ),
            ),
            Audience::People(ids) => Condition::all().add(id.is_in(ids.iter().copied())),
            Audience::Going(v) => Condition::all().add(
                id.in_subquery(
                    Query::select()
                        .column(visit_participant::Column::UserId)
                        .from(visit_participant::Entity)
                        .and_where(visit_participant::Column::VisitId.eq(*v))
                        .and_where(
                            visit_participant::Column::Status
                                .is_in([ParticipantStatus::Confirmed, ParticipantStatus::LeaveRequested]),
                        )
                        .to_owned(),
                ),
            ),
            Audience::Members { organization, condition } => Condition::all().add(
                id.in_subquery(
                    Query::select()
                        .column(membership::Column::UserId)
                        .from(membership::Entity)
                        .and_where(membership::Column::OrganizationId.eq(*organization))
                        .cond_where(condition.clone())
                        .to_owned(),
                ),
            ),
        }
    }

    /// The inbox the notices go to, when not the event's organization.
    fn organization(&self) -> Option<Uuid> {
        match self {
            Audience::Members { organization, .. } => Some(*organization),
            _ => None,
        }
    }
}

/// What the audience's notices say.
#[derive(Debug, Clone)]
pub struct Notice {
    pub kind: &'static str,
    pub title: String,
    pub body: Option<String>,
    /// What the notice links to: briefing, proposal, suggestion, visit.
    pub subject_type: &'static str,
}

/// Writes the notifications of one event; returns who got one (for live subscriptions).
pub async fn notify(db: &impl ConnectionTrait, event: &outbox::Model) -> AppResult<Vec<Uuid>> {
    let mut notified = Vec::new();
    for (i, (audience, notice)) in plan(db, event).await?.into_iter().enumerate() {
        notified.extend(insert(db, event, &audience, &notice, i > 0).await?);
    }
    // The pushes go with the notifications they carry: same transaction, after them. A step
    // typed in later is history, not news: no phone buzzes for it.
    if !entered_later(event) {
        super::push::enqueue(db, event).await?;
    }
    Ok(notified)
}

/// Whether the event records a step typed in later with its business date (代录): its
/// notices go to the inbox already read — the people concerned see what was recorded about
/// their records, without a badge or a push for something that happened on paper.
fn entered_later(event: &outbox::Model) -> bool {
    event.payload.get("enteredLater").and_then(Value::as_bool) == Some(true)
}

/// One `INSERT … SELECT` over the audience, returning who got a notice. With `overlap` (the
/// event's second audience or later) a person already holding a notice of this event keeps
/// the first; the first audience needs no such check — an event is claimed by one pass, in
/// one transaction, so no notice of it exists yet — and skipping `ON CONFLICT` spares a
/// speculative insertion per row (a quarter of the insert for 500 people).
pub async fn insert(
    db: &impl ConnectionTrait,
    event: &outbox::Model,
    audience: &Audience,
    n: &Notice,
    overlap: bool,
) -> AppResult<Vec<Uuid>> {
    let select = Query::select()
        .column(user::Column::Id)
        .expr(Expr::val(event.id))
        .expr(Expr::val(audience.organization().unwrap_or(event.organization_id)))
        .expr(Expr::val(n.kind))
        .expr(Expr::val(n.title.clone()))
        .expr(Expr::val(n.body.clone()))
        .expr(Expr::val(n.subject_type))
        .expr(Expr::val(event.subject_id))
        .expr(Expr::val(transition::now()))
        .expr(Expr::val(entered_later(event).then(transition::now)))
        .from(user::Entity)
        .cond_where(audience.condition())
        .and_where(user::Column::Id.ne(event.actor_id))
        .to_owned();
    use notification::Column as C;
    let mut insert = Query::insert();
    insert
        .into_table(notification::Entity)
        .columns([
            C::UserId,
            C::EventId,
            C::OrganizationId,
            C::Kind,
            C::Title,
            C::Body,
            C::SubjectType,
            C::SubjectId,
            C::CreatedAt,
            C::ReadAt,
        ])
        .select_from(select)
        .map_err(AppError::internal)?
        .returning_col(C::UserId);
    if overlap {
        insert.on_conflict(OnConflict::columns([C::UserId, C::EventId]).do_nothing().to_owned());
    }
    let rows = db.query_all_raw(db.get_database_backend().build(&insert)).await?;
    Ok(rows.iter().filter_map(|row| row.try_get::<Uuid>("", "user_id").ok()).collect())
}

/// People whose badge numbers an event may move without notifying them: whoever took the
/// step (an answered invitation, an evaluation), and the readers of a briefing that was
/// withdrawn or changed.
pub async fn badge_moved(db: &impl ConnectionTrait, e: &outbox::Model) -> AppResult<Vec<Uuid>> {
    let mut people = vec![e.actor_id];
    if e.subject_type == "briefing" && e.kind != "PUBLISHED" {
        let readers: Vec<Uuid> = briefing_recipient::Entity::find()
            .select_only()
            .column(briefing_recipient::Column::UserId)
            .filter(briefing_recipient::Column::BriefingId.eq(e.subject_id))
            .into_tuple()
            .all(db)
            .await?;
        people.extend(readers);
    }
    Ok(people)
}

fn ids(v: &Value) -> Vec<Uuid> {
    match v {
        Value::Array(items) => items.iter().filter_map(|i| i.as_str()?.parse().ok()).collect(),
        Value::String(s) => s.parse().into_iter().collect(),
        _ => Vec::new(),
    }
}

fn note(event: &outbox::Model) -> Option<String> {
    event.payload.get("note").and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_owned)
}

/// 《title》, then the step's note (a reason, an issue, the recipients) on its own line.
fn body(title: &str, note: Option<String>) -> Option<String> {
    Some(match note {
        Some(n) => format!("《{title}》\n{n}"),
        None => format!("《{title}》"),
    })
}

/// Who an event concerns and what they are told; empty for events nobody is notified of.
pub async fn plan(db: &impl ConnectionTrait, e: &outbox::Model) -> AppResult<Vec<(Audience, Notice)>> {
    let notice = |kind, title: String, body| Notice { kind, title, body, subject_type: "" };
    let plan = match (e.subject_type.as_str(), e.kind.as_str()) {
        // Reminders (from the clock, not a step): `reminders/notice.rs`.
        ("visit", reminders::VISIT_TOMORROW) | ("proposal", reminders::DEADLINE_NEAR | reminders::OVERDUE) => {
            return reminders::notice::plan(db, e).await;
        }
        ("briefing", "PUBLISHED") => {
            let Some(b) = briefing::Entity::find_by_id(e.subject_id).one(db).await? else { return Ok(vec![]) };
            // A confidential briefing's summary stays inside the app: no body, so nothing of
            // it reaches a lock screen.
            let text = (!b.confidential).then(|| b.summary.clone()).filter(|s| !s.is_empty());
            let n = Notice {
                subject_type: "briefing",
                ..notice("BRIEFING_PUBLISHED", format!("通报：{}", b.title), text)
            };
            vec![(Audience::Briefing(b.id), n)]
        }
        ("proposal", kind) => {
            let Some(p) = proposal::Entity::find_by_id(e.subject_id).one(db).await? else { return Ok(vec![]) };
            proposal_plan(db, e, &p, kind).await?
        }
        ("suggestion", kind) => {
            let Some(s) = suggestion::Entity::find_by_id(e.subject_id).one(db).await? else { return Ok(vec![]) };
            let (k, title) = match kind {
                "ACCEPTED" => ("SUGGESTION_ACCEPTED", "您的社情民意信息已采编"),
                "DECLINED" => ("SUGGESTION_DECLINED", "您的社情民意信息未予采编"),
                "PUBLISHED" => ("SUGGESTION_PUBLISHED", "您的社情民意信息已编发"),
                "REPORTED" => ("SUGGESTION_REPORTED", "您的社情民意信息已报送"),
                "ADOPTED" => ("SUGGESTION_ADOPTED", "您的社情民意信息已被采用"),
                _ => return Ok(vec![]),
            };
            let mut text = note(e);
            if kind == "ADOPTED" {
                // The leader's written instruction (批示) is the feedback members wait for.
                let adoption = match e.payload.get("adoptionId").and_then(Value::as_str).and_then(|s| s.parse().ok()) {
                    Some(id) => suggestion_adoption::Entity::find_by_id::<Uuid>(id).one(db).await?,
                    None => None,
                };
                // Told from the adoption row, not the step's note: the note already carries
                // the instruction, which the notice sets on a line of its own.
                if let Some(a) = adoption {
                    let mut told = format!("{}采用", a.adopted_by);
                    if let Some(instruction) = a.instruction.filter(|i| !i.is_empty()) {
                        let by = a.instructed_by.map(|b| format!("（{b}）")).unwrap_or_default();
                        told.push_str(&format!("\n批示{by}：{instruction}"));
                    }
                    text = Some(told);
                }
            }
            let n = Notice { subject_type: "suggestion", ..notice(k, title.to_owned(), body(&s.title, text)) };
            vec![(Audience::SuggestionAuthors(s.id), n)]
        }
        ("visit", "OPENED") => {
            let Some(v) = visit::Entity::find_by_id(e.subject_id).one(db).await? else { return Ok(vec![]) };
            visit_opened(db, &v).await?
        }
        ("visit" | "visit_participant", kind) => {
            let Some(v) = visit::Entity::find_by_id(e.subject_id).one(db).await? else { return Ok(vec![]) };
            let person = || Audience::People(ids(e.payload.get("userId").unwrap_or(&Value::Null)));
            let (audience, k, title) = match (e.subject_type.as_str(), kind) {
                ("visit", "CANCELLED") => (Audience::Participants(v.id), "VISIT_CANCELLED", "活动已取消"),
                ("visit", "UPDATED") => (Audience::Participants(v.id), "VISIT_CHANGED", "活动安排有变更"),
                ("visit_participant", "LEAVE_APPROVED") => (person(), "LEAVE_APPROVED", "您的请假已获批准"),
                ("visit_participant", "LEAVE_REFUSED") => (person(), "LEAVE_REFUSED", "您的请假未获批准"),
                ("visit_participant", "PROMOTED") => (person(), "WAITLIST_CONFIRMED", "您已由候补转为正式参加"),
                _ => return Ok(vec![]),
            };
            // A cancellation tells its reason (the step's note also counts who was told).
            let text = if kind == "CANCELLED" { v.cancel_reason.clone() } else { note(e) };
            let n = Notice { subject_type: "visit", ..notice(k, title.to_owned(), body(&v.title, text)) };
            vec![(audience, n)]
        }
        _ => vec![],
    };
    Ok(plan)
}

/// A visit opened for sign-up reaches exactly who may sign up (`policy::eligible_condition`,
/// the sign-up check's own rules as SQL): in the host organization and in each invited
/// one, its notices in that organization's inbox. Those already signed up (the sign-up
/// reopened after closing) know it already.
async fn visit_opened(db: &impl ConnectionTrait, v: &visit::Model) -> AppResult<Vec<(Audience, Notice)>> {
    let invited = crate::visits::policy::invited_orgs(db, v.id).await?;
    let signed_up = Query::select()
        .column(visit_participant::Column::UserId)
        .from(visit_participant::Entity)
        .and_where(visit_participant::Column::VisitId.eq(v.id))
        .and_where(visit_participant::Column::Status.ne(ParticipantStatus::Cancelled))
        .to_owned();
    let condition = Condition::all()
        .add(crate::visits::policy::eligible_condition(v, &invited))
        .add(membership::Column::UserId.not_in_subquery(signed_up));
    let mut when = format!("{}，{}", crate::calendar::date_of(v.starts_at).format("%-m月%-d日"), v.place);
    if let Some(deadline) = v.signup_deadline {
        when.push_str(&format!("；报名截止{}", crate::calendar::date_of(deadline).format("%-m月%-d日")));
    }
    let notice = Notice {
        kind: "VISIT_OPENED",
        title: "活动开始报名".to_owned(),
        body: body(&v.title, Some(when)),
        subject_type: "visit",
    };
    let mut orgs = vec![v.organization_id];
    if v.kind == entity::VisitKind::JointInspection {
        orgs.extend(invited.iter().copied().filter(|o| *o != v.organization_id));
    }
    Ok(orgs
        .into_iter()
        .map(|organization| (Audience::Members { organization, condition: condition.clone() }, notice.clone()))
        .collect())
}

async fn proposal_plan(
    db: &impl ConnectionTrait,
    e: &outbox::Model,
    p: &proposal::Model,
    kind: &str,
) -> AppResult<Vec<(Audience, Notice)>> {
    let n = |kind, title: &str, text: Option<String>| Notice {
        kind,
        title: title.to_owned(),
        body: body(&p.title, text),
        subject_type: "proposal",
    };
    let mine = |k, title: &str| vec![(Audience::Proposers(p.id), n(k, title, note(e)))];
    Ok(match kind {
        "COSIGNERS_INVITED" => {
            let invited = ids(e.payload.get("userIds").unwrap_or(&Value::Null));
            // Only those still invited: a repeated invitation is not news to the others.
            let still: Vec<Uuid> = proposal_cosigner::Entity::find()
                .select_only()
                .column(proposal_cosigner::Column::UserId)
                .filter(proposal_cosigner::Column::ProposalId.eq(p.id))
                .filter(proposal_cosigner::Column::UserId.is_in(invited))
                .filter(proposal_cosigner::Column::Status.eq(CoSignStatus::Invited))
                .into_tuple()
                .all(db)
                .await?;
            vec![(Audience::People(still), n("COSIGN_INVITED", "邀请您联名提案", Some("请确认是否同意联名".into())))]
        }
        "COSIGN_ACCEPTED" | "COSIGN_DECLINED" => {
            let name = user::Entity::find_by_id(e.actor_id).one(db).await?.map(|u| u.name).unwrap_or_default();
            let title = if kind == "COSIGN_ACCEPTED" { "同意联名您的提案" } else { "谢绝联名您的提案" };
            vec![(Audience::People(vec![p.author_id]), n("COSIGN_ANSWERED", &format!("{name}{title}"), None))]
        }
        "RETURNED" => mine("PROPOSAL_RETURNED", "您的提案被退回修改"),
        "REGISTERED" => {
            let mut serial = p.serial_no.map(|no| format!("立案号：{}-{no}", p.serial_year.unwrap_or_default()));
            // Numbered in a plenary session's sequence: the number reads term-number-no.
            if let (Some(session), Some(no)) = (p.serial_session_id, p.serial_no)
                && let Some(s) = entity::plenary_session::Entity::find_by_id(session).one(db).await?
            {
                serial = Some(format!("立案号：{}-{}-{no:04}", s.term, s.number));
            }
            vec![(Audience::Proposers(p.id), n("PROPOSAL_REGISTERED", "您的提案已立案", serial))]
        }
        "REJECTED" => mine("PROPOSAL_REJECTED", "您的提案不予立案"),
        "MERGED" => mine("PROPOSAL_MERGED", "您的提案已并案办理"),
        "ASSIGNED" => {
            let units: Vec<Uuid> = e
                .payload
                .get("units")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|u| u.get("unitId")?.as_str()?.parse().ok())
                .collect();
            vec![
                (Audience::Proposers(p.id), n("PROPOSAL_ASSIGNED", "您的提案已交办", note(e))),
                (
                    Audience::Units { organization: p.organization_id, units },
                    n("UNIT_ASSIGNED", "新交办提案，请按期办理", None),
                ),
            ]
        }
        "REPLIED" => mine("PROPOSAL_REPLIED", "您的提案已答复，请评价"),
        "CONCLUDED" => mine("PROPOSAL_CONCLUDED", "您的提案已办结"),
        "RESULT_PUBLISHED" => mine("PROPOSAL_RESULT_PUBLISHED", "您的提案办理结果已公开"),
        "REHANDLING_REQUESTED" => {
            let units = ids(e.payload.get("unitId").unwrap_or(&Value::Null));
            vec![(
                Audience::Units { organization: p.organization_id, units },
                n("UNIT_REHANDLING", "提案人不满意，请重新办理", note(e)),
            )]
        }
        _ => vec![],
    })
}
