//! Who may see a visit, sign up for it, read its report, and run it. Outside the host and
//! invited organizations a visit does not exist (`NOT_FOUND`); inside them but outside its
//! audience it is `FORBIDDEN`, with the reason.
use chrono::Utc;
use futures_util::future::BoxFuture;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::workflow;
use crate::{
    attachments::owners::OwnerRule,
    audience::Audience,
    auth::{Viewer, principal::Principal},
    error::{AppError, AppResult},
    organizations::access::require,
};
use entity::{ParticipantStatus, Role, VisitKind, VisitStatus, membership, visit, visit_invitation, visit_participant};

pub const NOT_FOUND: &str = "活动不存在";

pub fn not_found() -> AppError {
    AppError::not_found(NOT_FOUND)
}

/// How a viewer stands towards a visit.
#[derive(Debug, Clone)]
pub struct Access {
    pub visit: visit::Model,
    pub participant: Option<visit_participant::Model>,
    /// The viewer may sign up (in the audience, or a member of an invited organization).
    pub invited: bool,
}

impl Access {
    /// Whether the viewer can sign up now: invited, sign-up open and not past its deadline,
    /// and not signed up already (a cancelled sign-up may be made again).
    pub fn can_sign_up(&self) -> bool {
        self.invited
            && self.visit.status == VisitStatus::Open
            && self.visit.signup_deadline.is_none_or(|d| d > Utc::now())
            && self.participant.as_ref().is_none_or(|p| p.status == ParticipantStatus::Cancelled)
    }

    /// Who reads the report (and its attachments): those who took part and the office.
    pub fn may_read_report(&self, viewer: &Viewer) -> bool {
        viewer.is_office() || self.participant.as_ref().is_some_and(|p| p.status != ParticipantStatus::Cancelled)
    }
}

/// Whether a membership may take part: handling-unit operators never; in the host
/// organization by the audience rules; in an invited organization, every member.
pub fn eligible(v: &visit::Model, invited: &[Uuid], m: &membership::Model) -> bool {
    if m.role == Role::Unit {
        return false;
    }
    if m.organization_id == v.organization_id {
        return Audience::from_json(&v.audience).includes(m);
    }
    v.kind == VisitKind::JointInspection && invited.contains(&m.organization_id)
}

/// `eligible` as SQL: the condition on `membership` rows that holds exactly for the
/// memberships `eligible` accepts (the notice of an opened visit reaches them in one
/// statement). Change one, change the other; `tests::eligible_agrees_with_its_sql` checks.
pub fn eligible_condition(v: &visit::Model, invited: &[Uuid]) -> Condition {
    use membership::Column as M;
    let host =
        Condition::all().add(M::OrganizationId.eq(v.organization_id)).add(Audience::from_json(&v.audience).condition());
    let mut either = Condition::any().add(host);
    if v.kind == VisitKind::JointInspection && !invited.is_empty() {
        either = either.add(M::OrganizationId.is_in(invited.iter().copied()));
    }
    Condition::all().add(M::Role.ne(Role::Unit)).add(either)
}

pub async fn invited_orgs(db: &impl ConnectionTrait, visit: Uuid) -> AppResult<Vec<Uuid>> {
    Ok(visit_invitation::Entity::find()
        .filter(visit_invitation::Column::VisitId.eq(visit))
        .all(db)
        .await?
        .into_iter()
        .map(|i| i.organization_id)
        .collect())
}

/// The viewer's standing towards `v` (as read, or as locked, by the caller).
pub async fn access_to(db: &impl ConnectionTrait, who: &Principal, v: visit::Model) -> AppResult<Access> {
    let viewer = &who.viewer;
    let invited_orgs = invited_orgs(db, v.id).await?;
    let host_side = v.organization_id == viewer.organization_id;
    let invited_side = v.kind == VisitKind::JointInspection && invited_orgs.contains(&viewer.organization_id);
    if !host_side && !invited_side {
        return Err(not_found());
    }
    let participant = visit_participant::Entity::find_by_id((v.id, viewer.user_id)).one(db).await?;
    // The membership the principal carries, loaded once for the request.
    let invited = who.membership.as_ref().is_some_and(|m| eligible(&v, &invited_orgs, m));
    if !invited && participant.is_none() && !(host_side && viewer.is_office()) {
        return Err(AppError::forbidden("您不在本次活动的邀请范围内"));
    }
    Ok(Access { visit: v, participant, invited })
}

pub async fn access(db: &impl ConnectionTrait, who: &Principal, id: Uuid) -> AppResult<Access> {
    let v = visit::Entity::find_by_id(id).one(db).await?.ok_or_else(not_found)?;
    access_to(db, who, v).await
}

/// A visit the viewer's office runs.
pub fn as_office(viewer: &Viewer, v: &visit::Model) -> AppResult<()> {
    if v.organization_id != viewer.organization_id {
        return Err(not_found());
    }
    require(viewer.is_office())
}

/// The visit `id`, locked for the rest of the write transaction, when the viewer
/// manages it (`as_office`): how an office step obtains the visit it changes.
pub async fn load_for_office(txn: &impl ConnectionTrait, who: &Principal, id: Uuid) -> AppResult<visit::Model> {
    let found = crate::transition::lock::<visit::Entity>(txn, id).await?.ok_or_else(not_found)?;
    as_office(who, &found)?;
    Ok(found)
}

/// Members change their sign-up only before the visit starts.
pub fn member_window(v: &visit::Model) -> AppResult<()> {
    if workflow::accepts_changes_from_members(v.status) {
        Ok(())
    } else {
        Err(AppError::Conflict {
            field: None,
            message: format!("活动{}，不能再报名或变更", workflow::status_name(v.status)),
        })
    }
}

/// `NOT_FOUND` unless the viewer may read the visit's report.
pub async fn report_readable(db: &impl ConnectionTrait, who: &Principal, id: Uuid) -> AppResult<()> {
    let a = access(db, who, id).await?;
    if a.may_read_report(who) { Ok(()) } else { Err(not_found()) }
}

/// Attachments of a visit's report are read by those who took part and the office.
pub struct ReportAttachments;

impl OwnerRule for ReportAttachments {
    fn readable<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        viewer: &'a Viewer,
        owner: Uuid,
    ) -> BoxFuture<'a, AppResult<()>> {
        Box::pin(async move { report_readable(db, &Principal::load(db, viewer).await?, owner).await })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use chrono::Utc;
    use sea_orm::{ConnectOptions, Database, DbBackend, Schema};
    use serde_json::json;

    use super::*;
    use entity::Party;

    fn visit(org: Uuid, kind: VisitKind, audience: serde_json::Value) -> visit::Model {
        let now = Utc::now();
        visit::Model {
            id: Uuid::now_v7(),
            organization_id: org,
            kind,
            title: "调研".into(),
            topic: String::new(),
            place: "某地".into(),
            counterpart: None,
            counterpart_region: None,
            starts_at: now,
            ends_at: now,
            capacity: None,
            confirmed_count: 0,
            signup_deadline: None,
            audience,
            guest_count: 0,
            status: VisitStatus::Open,
            version: 0,
            cancel_reason: None,
            report_summary: None,
            report_findings: None,
            report_suggestions: None,
            reported_by: None,
            reported_at: None,
            created_by: Uuid::nil(),
            created_at: now,
            updated_at: now,
        }
    }

    /// The sign-up check (`eligible`, over `Audience::includes`) and its SQL
    /// (`eligible_condition`, over `Audience::condition`) pick the same memberships, for
    /// every rule, their union, an empty audience and a joint inspection's guests.
    #[tokio::test]
    async fn eligible_agrees_with_its_sql() -> Result<(), sea_orm::DbErr> {
        let db = Database::connect(ConnectOptions::new("sqlite::memory:").max_connections(1).to_owned()).await?;
        let table = Schema::new(DbBackend::Sqlite).create_table_from_entity(membership::Entity);
        db.execute(&table).await?;

        let (host, guest, stranger) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let (economy, science) = (Uuid::now_v7(), Uuid::now_v7());
        let mut people = Vec::new();
        for org in [host, guest, stranger] {
            for role in [Role::Member, Role::Staff, Role::Unit, Role::Admin] {
                for (standing, sector, party) in [
                    (false, None, None),
                    (true, None, Some(Party::Cpc)),
                    (false, Some(economy), Some(Party::Cdl)),
                    (false, Some(science), None),
                ] {
                    let now = Utc::now();
                    people.push(membership::Model {
                        id: Uuid::now_v7(),
                        user_id: Uuid::now_v7(),
                        organization_id: org,
                        role,
                        sector_id: sector,
                        party,
                        standing_committee: standing,
                        office: None,
                        term: None,
                        handling_unit_id: None,
                        created_at: now,
                        updated_at: now,
                    });
                }
            }
        }
        let rows: Vec<membership::ActiveModel> = people.iter().cloned().map(Into::into).collect();
        membership::Entity::insert_many(rows).exec_without_returning(&db).await?;

        // Named: one member, one unit operator (named operators are in a briefing's
        // audience, never a visit's), and someone of the guest organization.
        let named = json!([people[0].user_id, people[8].user_id, people[17].user_id]);
        let audiences = [
            json!({}),
            json!({ "everyone": true }),
            json!({ "standingCommittee": true }),
            json!({ "sectorIds": [economy] }),
            json!({ "parties": ["CDL", "NOT_A_PARTY"] }),
            json!({ "userIds": named }),
            json!({ "standingCommittee": true, "sectorIds": [science], "userIds": named }),
        ];
        for audience in audiences {
            for kind in [VisitKind::Research, VisitKind::JointInspection] {
                let v = visit(host, kind, audience.clone());
                let invited = [guest];
                let in_memory: BTreeSet<Uuid> =
                    people.iter().filter(|m| eligible(&v, &invited, m)).map(|m| m.id).collect();
                let in_sql: BTreeSet<Uuid> = membership::Entity::find()
                    .filter(eligible_condition(&v, &invited))
                    .all(&db)
                    .await?
                    .into_iter()
                    .map(|m| m.id)
                    .collect();
                assert_eq!(in_memory, in_sql, "{audience} {kind:?}");
                if audience == json!({ "everyone": true }) && kind == VisitKind::Research {
                    assert_eq!(in_sql.len(), 12, "members, staff and admins of the host; no unit operator");
                }
            }
        }
        Ok(())
    }
}
