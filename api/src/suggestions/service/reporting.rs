//! After publication: reporting a piece upward and to local bodies (报送) — a committee
//! above in this deployment receives an incoming copy linked to the original (上下联动) —
//! and recording where it was adopted (采用), which on an incoming copy also lands on the
//! original below, and so on down the chain.
use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde_json::json;
use uuid::Uuid;

use super::{add_authors, authors, locked, queries::bulletin_of, reload, step, submission::new_piece};
use crate::{
    attachments::service as attachments,
    auth::principal::Principal,
    calendar, db,
    error::{AppError, AppResult},
    idempotency::{self, Key},
    suggestions::{policy, records::SuggestionRecord, workflow::Action},
    transition, validate,
};
use entity::{
    AdoptionForm, AttachmentPurpose, OrganizationLevel, SuggestionStatus, organization, suggestion,
    suggestion_adoption, suggestion_report,
};

pub struct Recipients {
    /// Committees above this one (parent, grandparent, …).
    pub organization_ids: Vec<Uuid>,
    /// Named local bodies: 市委, 市政府, ….
    pub bodies: Vec<String>,
}

/// Reports a published piece (报送). A committee above that lives in this deployment gets an
/// incoming copy in its own office's list, linked to the original. Who already received the
/// piece is read under its lock, so two reports at once cannot both send a copy.
pub async fn report(
    db: &DatabaseConnection,
    who: &Principal,
    id: Uuid,
    to: Recipients,
    at: Option<DateTime<Utc>>,
) -> AppResult<suggestion::Model> {
    let at = transition::entered_at(who, at)?;
    if to.organization_ids.is_empty() && to.bodies.iter().all(|b| b.trim().is_empty()) {
        return Err(AppError::bad_input("recipients", "请选择报送对象"));
    }
    let bodies: Vec<String> =
        to.bodies.iter().map(|b| validate::required(b, "recipients.bodies", 50)).collect::<AppResult<Vec<_>>>()?;
    let txn = db::write(db).await?;
    let s = policy::load_for_office(&txn, who, id).await?;
    let step = step(&s, Action::Report, who.user_id)?.at(at);
    let home = organization::Entity::find_by_id(s.organization_id).one(&txn).await?.ok_or_else(policy::not_found)?;
    let mut above = Vec::new();
    let mut seen = HashSet::new();
    for org_id in to.organization_ids.iter().filter(|o| seen.insert(**o)) {
        let org = organization::Entity::find_by_id(*org_id)
            .one(&txn)
            .await?
            .filter(|o| o.id != home.id && o.contains(&home))
            .ok_or_else(|| AppError::bad_input("recipients.organizationIds", "只能报送给上级政协组织"))?;
        above.push(org);
    }
    let already: HashSet<String> = suggestion_report::Entity::find()
        .filter(suggestion_report::Column::SuggestionId.eq(id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|r| r.recipient_organization_id.map_or(r.recipient_name, |o| o.to_string()))
        .collect();
    let (title, content) = match bulletin_of(&txn, id).await? {
        Some((item, issue)) => {
            transition::not_before(at, issue.published_at, "编发时间")?;
            (item.edited_title, item.edited_content)
        }
        None => {
            transition::not_before(at, s.accepted_at.or(Some(s.submitted_at)), "采编时间")?;
            (s.title.clone(), s.content.clone())
        }
    };
    let authors = authors(&txn, id).await?;
    // Reported (and received above) when it happened, also when typed in later.
    let now = transition::when(at);
    let mut names = Vec::new();
    for org in above {
        if already.contains(&org.id.to_string()) {
            continue;
        }
        let mut copy = new_piece(org.id, s.submitted_by, title.clone(), content.clone(), s.category.clone());
        copy.anonymous_to_public = Set(s.anonymous_to_public);
        copy.source_suggestion_id = Set(Some(s.id));
        copy.source_organization_id = Set(Some(s.organization_id));
        copy.submitted_at = Set(now);
        let copy = copy.insert(&txn).await?;
        add_authors(&txn, copy.id, &authors).await?;
        attachments::copy_all(&txn, s.id, copy.id, org.id, AttachmentPurpose::Suggestion).await?;
        transition::created_entered::<SuggestionRecord>(
            &txn,
            copy.id,
            org.id,
            SuggestionStatus::Submitted,
            "RECEIVED",
            who.user_id,
            Some(format!("{}报送", home.name)),
            json!({ "sourceId": s.id, "sourceOrganizationId": s.organization_id }),
            at,
        )
        .await?;
        insert_report(&txn, id, Some(org.id), &org.name, Some(copy.id), who.user_id, now).await?;
        names.push(org.name);
    }
    for body in bodies {
        if already.contains(&body) {
            continue;
        }
        insert_report(&txn, id, None, &body, None, who.user_id, now).await?;
        names.push(body);
    }
    if names.is_empty() {
        return Err(AppError::Conflict { field: None, message: "已报送过这些对象".into() });
    }
    let step = step.note(names.join("、")).data(json!({ "recipients": names }));
    transition::apply(&txn, step).await?;
    txn.commit().await?;
    reload(db, id).await
}

async fn insert_report(
    db: &impl sea_orm::ConnectionTrait,
    id: Uuid,
    org: Option<Uuid>,
    name: &str,
    copy: Option<Uuid>,
    by: Uuid,
    at: chrono::DateTime<chrono::Utc>,
) -> AppResult<()> {
    suggestion_report::Entity::insert(suggestion_report::ActiveModel {
        id: Set(Uuid::now_v7()),
        suggestion_id: Set(id),
        recipient_organization_id: Set(org),
        recipient_name: Set(name.to_owned()),
        forwarded_suggestion_id: Set(copy),
        reported_by: Set(by),
        reported_at: Set(at),
    })
    .exec_without_returning(db)
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

const ADOPTION: &str = "recordAdoption";

/// The piece an earlier request with the same key recorded its adoption on.
async fn replayed(db: &DatabaseConnection, who: &Principal, adoption: Uuid) -> AppResult<suggestion::Model> {
    let first = suggestion_adoption::Entity::find_by_id(adoption).one(db).await?.ok_or_else(policy::not_found)?;
    let s = reload(db, first.suggestion_id).await?;
    policy::as_office(who, &s)?;
    Ok(s)
}

/// Records an adoption (采用). On an incoming copy it also lands on the original below,
/// and so on down the chain, so every level and the submitter see it: each piece is locked
/// (the upper before the lower) and moves to ADOPTED through the mechanism (ADOPTED stays
/// ADOPTED). With a key, a retry answers with the first request's result and records
/// nothing more; the key with another adoption is a CONFLICT on `idempotencyKey`.
pub async fn record_adoption(
    db: &DatabaseConnection,
    who: &Principal,
    id: Uuid,
    a: NewAdoption,
    key: Option<Key>,
) -> AppResult<suggestion::Model> {
    if let Some(key) = &key
        && let Some(first) = idempotency::find(db, who.user_id, ADOPTION, key).await?
    {
        return replayed(db, who, first).await;
    }
    let adopted_by = validate::required(&a.adopted_by, "adoptedBy", 100)?;
    let instruction = a.instruction.map(|i| validate::required(&i, "instruction", 2000)).transpose()?;
    let instructed_by = a.instructed_by.map(|i| validate::required(&i, "instructedBy", 100)).transpose()?;
    if instructed_by.is_some() && instruction.is_none() {
        return Err(AppError::bad_input("instruction", "填写批示人时请填写批示内容"));
    }
    if a.adopted_at > calendar::today() {
        return Err(AppError::bad_input("adoptedAt", "采用日期不能晚于今天"));
    }
    let mut note = format!("{adopted_by}采用");
    if let Some(i) = &instruction {
        note.push_str(&format!("；{}批示：{}", instructed_by.as_deref().unwrap_or("领导"), i));
    }

    let txn = db::write(db).await?;
    let origin = Uuid::now_v7();
    if let Some(first) = idempotency::claim_opt(&txn, who.user_id, ADOPTION, key.as_ref(), origin).await? {
        drop(txn);
        return replayed(db, who, first).await;
    }
    let top = policy::load_for_office(&txn, who, id).await?;
    let submitted_on = calendar::date_of(top.submitted_at);
    if a.adopted_at < submitted_on {
        return Err(AppError::bad_input("adoptedAt", format!("采用日期不能早于该信息的报送日期（{submitted_on}）")));
    }
    // The adoption letter's date is the business date: an adoption dated before today is a
    // record entered later, shown on the timeline at the start of that day (never before
    // the piece arrived) and marked as typed in now.
    let at = (a.adopted_at != calendar::today()).then(|| calendar::start_of(a.adopted_at).max(top.submitted_at));
    let mut current = top;
    let mut visited = HashSet::new();
    loop {
        let step = step(&current, Action::Adopt, who.user_id)?;
        let row_id = if visited.is_empty() { origin } else { Uuid::now_v7() };
        suggestion_adoption::Entity::insert(suggestion_adoption::ActiveModel {
            id: Set(row_id),
            suggestion_id: Set(current.id),
            level: Set(a.level),
            form: Set(a.form),
            adopted_by: Set(adopted_by.clone()),
            adopted_at: Set(a.adopted_at),
            instruction: Set(instruction.clone()),
            instructed_by: Set(instructed_by.clone()),
            origin_adoption_id: Set((row_id != origin).then_some(origin)),
            recorded_by: Set(who.user_id),
            recorded_at: Set(transition::now()),
        })
        .exec_without_returning(&txn)
        .await?;
        let step = step.note(note.clone()).data(json!({ "adoptionId": row_id, "level": level_code(a.level) })).at(at);
        transition::apply(&txn, step).await?;
        visited.insert(current.id);
        match current.source_suggestion_id {
            Some(below) if !visited.contains(&below) => current = locked(&txn, below).await?,
            _ => break,
        }
    }
    txn.commit().await?;
    reload(db, id).await
}

fn level_code(level: OrganizationLevel) -> String {
    sea_orm::ActiveEnum::to_value(&level)
}
