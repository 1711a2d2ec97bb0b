//! The proposer's side: a draft on the phone, submission (retry-safe), withdrawal, and the
//! resubmission of a returned proposal — which passes every check a submission passes.
//!
//! A proposal handed in on paper (代录) is a draft the office creates with the member as
//! author (`entered_by` names who typed it) and submits with the date it was handed in:
//! the member sees it as theirs, and its session follows that date.
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, IntoActiveModel,
    QueryFilter,
};
use serde_json::json;
use uuid::Uuid;

use super::{reload, step};
use crate::{
    attachments::service::{self as attachments, AttachmentList},
    auth::Viewer,
    auth::principal::Principal,
    db,
    error::{AppError, AppResult},
    idempotency::{self, Key},
    organizations::access::{require, typed_in_for},
    proposals::{
        policy::{self, Part},
        records::{CoSignKey, CoSignRecord, ProposalRecord},
        workflow::{self, Action, Actor},
    },
    transition::{self, Step},
    validate,
};
use entity::{
    AttachmentPurpose, CoSignStatus, ProposalKind, ProposalStatus, Role, SubmittedDuring, proposal, proposal_cosigner,
    sector_convener, special_committee,
};

/// Whose proposal it is, for the rules on kinds: the viewer, or for a proposal typed in by
/// the office the member it was typed in for (checked to be a member when it was created).
fn proposer(viewer: &Viewer, p: &proposal::Model) -> Viewer {
    if p.entered_by.is_some() && p.author_id != viewer.user_id {
        Viewer {
            user_id: p.author_id,
            session_id: String::new(),
            organization_id: p.organization_id,
            role: Role::Member,
        }
    } else {
        viewer.clone()
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

/// Who may put a proposal forward in whose name: members their own and joint proposals; a
/// sector's conveners in the sector's name; the office on behalf of a party or a special
/// committee.
async fn check_kind(db: &impl ConnectionTrait, viewer: &Viewer, p: &proposal::Model) -> AppResult<()> {
    match p.kind {
        ProposalKind::Individual | ProposalKind::Joint => {
            if viewer.role != Role::Member {
                return Err(AppError::forbidden("个人和联名提案由委员提出"));
            }
        }
        ProposalKind::Sector => {
            let sector = p.sector_id.ok_or_else(|| AppError::bad_input("sectorId", "界别提案须指定界别"))?;
            if sector_convener::Entity::find_by_id((sector, viewer.user_id)).one(db).await?.is_none() {
                return Err(AppError::forbidden("只有该界别的召集人可以以界别名义提出提案"));
            }
        }
        ProposalKind::Party => {
            require(viewer.is_office())?;
            if p.party.is_none() {
                return Err(AppError::bad_input("party", "党派提案须指定党派"));
            }
        }
        ProposalKind::Committee => {
            require(viewer.is_office())?;
            let committee = p.committee_id.ok_or_else(|| AppError::bad_input("committeeId", "须指定专门委员会"))?;
            let found = special_committee::Entity::find_by_id(committee).one(db).await?;
            if found.is_none_or(|c| c.organization_id != viewer.organization_id) {
                return Err(AppError::bad_input("committeeId", "专门委员会不存在"));
            }
        }
    }
    Ok(())
}

/// What a proposal must have to go to the office, at its first submission and at every
/// resubmission: a subject and concrete suggestions (一事一案), a kind the author may use,
/// and for a joint proposal at least one member who agreed to co-sign.
async fn check_submittable(db: &impl ConnectionTrait, viewer: &Viewer, p: &proposal::Model) -> AppResult<()> {
    if p.title.trim().is_empty() {
        return Err(AppError::bad_input("title", "提交前请填写案由"));
    }
    if p.suggestions.trim().is_empty() {
        return Err(AppError::bad_input("suggestions", "提交前请填写案由和具体建议"));
    }
    check_kind(db, viewer, p).await?;
    if p.kind == ProposalKind::Joint {
        let accepted = proposal_cosigner::Entity::find()
            .filter(proposal_cosigner::Column::ProposalId.eq(p.id))
            .filter(proposal_cosigner::Column::Status.eq(CoSignStatus::Accepted))
            .one(db)
            .await?;
        if accepted.is_none() {
            return Err(AppError::bad_input("id", "联名提案须至少有一位委员同意联名"));
        }
    }
    Ok(())
}

fn blank_draft(id: Uuid, viewer: &Viewer) -> proposal::ActiveModel {
    let now = transition::now();
    proposal::ActiveModel {
        id: Set(id),
        organization_id: Set(viewer.organization_id),
        serial_year: Set(None),
        serial_no: Set(None),
        serial_session_id: Set(None),
        session_id: Set(None),
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
        submitted_at: Set(None),
        registered_at: Set(None),
        concluded_at: Set(None),
        entered_by: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
}

/// A new draft. With a key, a retry returns the draft the first request made. With an
/// `author`, the office types in a proposal a member handed in on paper (代录).
pub async fn create_draft(
    db: &DatabaseConnection,
    viewer: &Principal,
    f: DraftFields,
    key: Option<Key>,
    author: Option<Uuid>,
) -> AppResult<proposal::Model> {
    if f.title.is_none() {
        return Err(AppError::bad_input("title", "不能为空"));
    }
    let id = Uuid::now_v7();
    let mut am = blank_draft(id, viewer);
    apply(&mut am, &f)?;
    if let Some(member) = author {
        am.author_id = Set(typed_in_for(db, viewer, member, "authorId").await?);
        am.entered_by = Set(Some(viewer.user_id));
    }
    let txn = db::write(db).await?;
    if let Some(first) = idempotency::claim_opt(&txn, viewer.user_id, "createProposalDraft", key.as_ref(), id).await? {
        drop(txn);
        return policy::load_authored(db, viewer, first).await;
    }
    let created = am.insert(&txn).await?;
    check_kind(&txn, &proposer(viewer, &created), &created).await?;
    if let Some(list) = &f.attachments {
        attachments::set_for(&txn, viewer, AttachmentPurpose::Proposal, created.id, list).await?;
    }
    transition::created::<ProposalRecord>(
        &txn,
        id,
        created.organization_id,
        ProposalStatus::Draft,
        "DRAFTED",
        viewer.user_id,
        author.map(|_| "机关代录".to_owned()),
        json!({}),
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// Edits a draft, or a proposal returned for changes (退回修改). Guarded by the version,
/// so an edit made on a stale copy is refused rather than overwriting a newer one.
pub async fn update_draft(
    db: &DatabaseConnection,
    viewer: &Principal,
    id: Uuid,
    f: DraftFields,
) -> AppResult<proposal::Model> {
    let txn = db::write(db).await?;
    let p = policy::load_for(&txn, viewer, id, Part::Author).await?;
    if !matches!(p.status, ProposalStatus::Draft | ProposalStatus::Returned) {
        return Err(AppError::bad_input(
            "id",
            format!("提案当前状态为“{}”，不能修改", workflow::status_name(p.status)),
        ));
    }
    let version = p.version;
    let mut am = p.into_active_model();
    apply(&mut am, &f)?;
    am.updated_at = Set(transition::now());
    am.version = Set(version + 1);
    let edited = proposal::Entity::update_many()
        .set(am)
        .filter(proposal::Column::Id.eq(id))
        .filter(proposal::Column::Version.eq(version))
        .exec(&txn)
        .await?;
    if edited.rows_affected != 1 {
        return Err(transition::raced("提案"));
    }
    let updated = reload(&txn, id).await?;
    check_kind(&txn, &proposer(viewer, &updated), &updated).await?;
    if let Some(list) = &f.attachments {
        attachments::set_for(&txn, viewer, AttachmentPurpose::Proposal, id, list).await?;
    }
    txn.commit().await?;
    Ok(updated)
}

/// Submits a draft. Phones retry: the same key returns the proposal as the first request
/// left it — also to a retry that arrives while the first is still running — and the key
/// on another proposal is a CONFLICT on `idempotencyKey`. `at`: when a proposal handed in
/// on paper was handed in (the office only).
pub async fn submit(
    db: &DatabaseConnection,
    viewer: &Principal,
    id: Uuid,
    key: Key,
    at: Option<DateTime<Utc>>,
) -> AppResult<proposal::Model> {
    let at = transition::entered_at(viewer, at)?;
    let txn = db::write(db).await?;
    if let idempotency::Claim::Replay(first) =
        idempotency::claim(&txn, viewer.user_id, "submitProposal", &key, id).await?
    {
        drop(txn);
        return policy::load_authored(db, viewer, first).await;
    }
    let p = policy::load_for(&txn, viewer, id, Part::Author).await?;
    let step = step(&p, Action::Submit, Actor::Proposer, viewer.user_id)?;
    check_submittable(&txn, &proposer(viewer, &p), &p).await?;
    transition::apply(&txn, submitted_now(&txn, &p, step, at).await?).await?;
    lapse_invitations(&txn, &p, viewer.user_id).await?;
    txn.commit().await?;
    reload(db, id).await
}

/// The submission's time — now, or when a paper proposal was handed in (`at`) — and the
/// plenary session held that day (China date) in the proposal's organization. A proposal
/// returned and resubmitted keeps the session it was first handed in at: it is still that
/// session's proposal.
async fn submitted_now<'a>(
    txn: &impl ConnectionTrait,
    p: &proposal::Model,
    step: Step<'a, ProposalRecord>,
    at: Option<DateTime<Utc>>,
) -> AppResult<Step<'a, ProposalRecord>> {
    let now = transition::when(at);
    let step = step.at(at);
    let session = match p.session_id {
        Some(kept) => Some(kept),
        None => crate::plenary::service::held_on(txn, p.organization_id, crate::calendar::date_of(now)).await?,
    };
    Ok(step.set(proposal::Column::SubmittedAt, now).set(proposal::Column::SessionId, session))
}

/// Invitations still waiting for an answer lapse when the proposal goes to the office.
async fn lapse_invitations(txn: &impl ConnectionTrait, p: &proposal::Model, by: Uuid) -> AppResult<()> {
    let pending = proposal_cosigner::Entity::find()
        .filter(proposal_cosigner::Column::ProposalId.eq(p.id))
        .filter(proposal_cosigner::Column::Status.eq(CoSignStatus::Invited))
        .all(txn)
        .await?;
    for c in pending {
        let key = CoSignKey { proposal: p.id, user: c.user_id };
        let lapse = Step::<CoSignRecord>::new(
            key,
            p.organization_id,
            c.status,
            c.version,
            CoSignStatus::Lapsed,
            "COSIGN_LAPSED",
            by,
        );
        transition::apply(txn, lapse.data(json!({ "userId": c.user_id }))).await?;
    }
    Ok(())
}

/// 撤回, before registration.
pub async fn withdraw(db: &DatabaseConnection, viewer: &Principal, id: Uuid) -> AppResult<proposal::Model> {
    let txn = db::write(db).await?;
    let p = policy::load_for(&txn, viewer, id, Part::Author).await?;
    transition::apply(&txn, step(&p, Action::Withdraw, Actor::Proposer, viewer.user_id)?).await?;
    txn.commit().await?;
    reload(db, id).await
}

/// Sends a returned proposal back to the office, after the same checks as a submission.
pub async fn resubmit(db: &DatabaseConnection, viewer: &Principal, id: Uuid) -> AppResult<proposal::Model> {
    let txn = db::write(db).await?;
    let p = policy::load_for(&txn, viewer, id, Part::Author).await?;
    let step = step(&p, Action::Resubmit, Actor::Proposer, viewer.user_id)?;
    check_submittable(&txn, &proposer(viewer, &p), &p).await?;
    transition::apply(&txn, submitted_now(&txn, &p, step, None).await?).await?;
    lapse_invitations(&txn, &p, viewer.user_id).await?;
    txn.commit().await?;
    reload(db, id).await
}
