//! Publishing to an audience, and withdrawing. Both lock the organization before the
//! briefing, as membership changes do, so the audience resolved here is the one of the
//! memberships as they are when the step commits.
use chrono::Utc;
use sea_orm::DatabaseConnection;
use serde_json::json;
use uuid::Uuid;

use super::{recipients, reload, step};
use crate::{
    audience::Audience,
    auth::principal::Principal,
    briefings::{policy, workflow::Action},
    content_safety, db,
    error::{AppError, AppResult},
    organizations::service::lock_organization,
    transition,
};
use entity::briefing;

/// Published text is screened for injected spam (DOMAIN: content safety).
pub(super) fn screen(b: &briefing::Model) -> AppResult<()> {
    content_safety::check(&[("title", &b.title), ("summary", &b.summary), ("body", &b.body)])
}

/// What a briefing needs before members may see it.
pub(super) fn check_publishable(b: &briefing::Model) -> AppResult<()> {
    if b.body.trim().is_empty() {
        return Err(AppError::bad_input("body", "正文不能为空"));
    }
    if Audience::from_json(&b.audience).is_empty() {
        return Err(AppError::bad_input("audience", "请选择通报对象"));
    }
    if b.expires_at.is_some_and(|at| at <= Utc::now()) {
        return Err(AppError::bad_input("expiresAt", "过期时间已过"));
    }
    Ok(())
}

/// Publishes a draft, or a withdrawn briefing again: its audience, resolved now, gets
/// recipient rows (the people who had read it before keep their receipts).
pub async fn publish(db: &DatabaseConnection, who: &Principal, id: Uuid) -> AppResult<briefing::Model> {
    let txn = db::write(db).await?;
    lock_organization(&txn, who.organization_id).await?;
    let found = policy::load_for_office(&txn, who, id).await?;
    let mut step = step(&found, Action::Publish, who.user_id)?;
    check_publishable(&found)?;
    screen(&found)?;
    let size = recipients::audience_size(&txn, &found).await?;
    if size == 0 {
        return Err(AppError::bad_input("audience", "通报对象中还没有人"));
    }
    if found.published_at.is_none() {
        step = step.set(briefing::Column::PublishedAt, Some(transition::now()));
    }
    let step = step.note(format!("{size}人")).data(json!({ "audienceSize": size }));
    transition::apply(&txn, step).await?;
    let published = reload(&txn, id).await?;
    recipients::sync(&txn, &published).await?;
    txn.commit().await?;
    Ok(published)
}

/// Withdraws a published briefing: it leaves every feed at once; the receipts stay for
/// the office's figures.
pub async fn withdraw(
    db: &DatabaseConnection,
    who: &Principal,
    id: Uuid,
    reason: Option<String>,
) -> AppResult<briefing::Model> {
    let txn = db::write(db).await?;
    lock_organization(&txn, who.organization_id).await?;
    let found = policy::load_for_office(&txn, who, id).await?;
    let reason = reason.map(|r| r.trim().to_owned()).filter(|r| !r.is_empty());
    transition::apply(&txn, step(&found, Action::Withdraw, who.user_id)?.note(reason)).await?;
    let withdrawn = reload(&txn, id).await?;
    recipients::sync(&txn, &withdrawn).await?;
    txn.commit().await?;
    Ok(withdrawn)
}
