//! `api seed-demo`: a small, realistic data set so that a newcomer sees something at once —
//! a province, one of its municipal committees and a county below it, the sectors, special
//! committees and handling units of `demo/reference.json` (a copy of the project's reference
//! lists), members across parties and sectors, a staff member and a unit operator.
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::Deserialize;

use crate::{
    audience::Audience,
    auth::Viewer,
    auth::principal::Principal,
    bootstrap::generate_password,
    briefings::{self, service::BriefingFields},
    error::{AppError, AppResult},
    members::service::{MembershipFields, NewUser, insert_membership, insert_user},
    organizations::service::{NewOrganization, insert_organization},
    state::AppState,
    visits::{self, service::VisitFields, workflow::VisitAction},
};
use entity::{
    Office, OrganizationLevel, Party, Role, VisitKind, handling_unit, organization, sector, special_committee,
};

const REFERENCE: &str = include_str!("../demo/reference.json");
pub const DEMO_CITY: &str = "示例市政协";

#[derive(Deserialize)]
struct Reference {
    sectors: Vec<String>,
    special_committees: Vec<String>,
    handling_units: Vec<String>,
    example_briefing: ExampleBriefing,
}

#[derive(Deserialize)]
struct ExampleBriefing {
    title: String,
    source: String,
    summary: String,
    body: String,
}

const NAMES: &[&str] = &[
    "张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄强", "周婷", "吴刚", "徐丽", "孙涛", "马超", "朱红",
    "胡军", "郭燕", "何平", "高峰", "林晓", "罗斌", "郑洁", "梁勇", "谢芳", "宋楠",
];

const PARTIES: &[Party] = &[
    Party::Cpc,
    Party::Rcck,
    Party::Cdl,
    Party::Cndca,
    Party::Capd,
    Party::Cpwdp,
    Party::Czgp,
    Party::Js,
    Party::Tdsgl,
    Party::NonParty,
];

pub struct DemoSummary {
    pub password: String,
    pub logins: Vec<(String, String)>,
}

fn new_org(
    name: &str,
    level: OrganizationLevel,
    parent: Option<&organization::Model>,
    region: &str,
) -> NewOrganization {
    NewOrganization {
        name: name.into(),
        short_name: None,
        level,
        parent_id: parent.map(|p| p.id),
        region: Some(region.into()),
    }
}

/// Loads the demo data once; `Ok(None)` when it is already there.
pub async fn seed(state: &AppState) -> AppResult<Option<DemoSummary>> {
    let reference: Reference =
        serde_json::from_str(REFERENCE).map_err(|e| AppError::internal(format!("demo reference: {e}")))?;
    let txn = crate::db::write(&state.db).await?;
    if organization::Entity::find().filter(organization::Column::Name.eq(DEMO_CITY)).one(&txn).await?.is_some() {
        return Ok(None);
    }
    let province =
        insert_organization(&txn, new_org("示例省政协", OrganizationLevel::Provincial, None, "示例省")).await?;
    let city =
        insert_organization(&txn, new_org(DEMO_CITY, OrganizationLevel::Municipal, Some(&province), "示例省示例市"))
            .await?;
    insert_organization(&txn, new_org("示例区政协", OrganizationLevel::County, Some(&city), "示例省示例市示例区"))
        .await?;

    let now = chrono::Utc::now();
    let mut sectors = Vec::new();
    for name in &reference.sectors {
        let row = sector::ActiveModel {
            id: sea_orm::Set(uuid::Uuid::now_v7()),
            organization_id: sea_orm::Set(city.id),
            name: sea_orm::Set(name.clone()),
            created_at: sea_orm::Set(now),
            updated_at: sea_orm::Set(now),
        };
        sectors.push(sea_orm::ActiveModelTrait::insert(row, &txn).await?);
    }
    for name in &reference.special_committees {
        let row = special_committee::ActiveModel {
            id: sea_orm::Set(uuid::Uuid::now_v7()),
            organization_id: sea_orm::Set(city.id),
            name: sea_orm::Set(name.clone()),
            created_at: sea_orm::Set(now),
            updated_at: sea_orm::Set(now),
        };
        sea_orm::ActiveModelTrait::insert(row, &txn).await?;
    }
    let mut units = Vec::new();
    for name in &reference.handling_units {
        let row = handling_unit::ActiveModel {
            id: sea_orm::Set(uuid::Uuid::now_v7()),
            organization_id: sea_orm::Set(city.id),
            name: sea_orm::Set(name.clone()),
            contact_person: sea_orm::Set(None),
            contact_phone: sea_orm::Set(None),
            created_at: sea_orm::Set(now),
            updated_at: sea_orm::Set(now),
        };
        units.push(sea_orm::ActiveModelTrait::insert(row, &txn).await?);
    }

    let password = generate_password();
    let mut logins = Vec::new();
    let mut add = |phone: String, label: &str| logins.push((phone, label.to_owned()));
    for (i, name) in NAMES.iter().enumerate() {
        let phone = format!("139{:08}", i + 1);
        let user = insert_user(
            &txn,
            &state.passwords,
            NewUser { phone: phone.clone(), name: (*name).into(), password: password.clone() },
            false,
            None,
        )
        .await?;
        let office = match i {
            0 => Some(Office::Chair),
            1 | 2 => Some(Office::ViceChair),
            3 => Some(Office::SecretaryGeneral),
            _ => None,
        };
        let fields = MembershipFields {
            role: Some(Role::Member),
            sector_id: Some(sectors.get(i % sectors.len().max(1)).map(|s| s.id)),
            party: Some(PARTIES.get(i % PARTIES.len()).copied()),
            standing_committee: Some(i < 8),
            office: Some(office),
            term: Some(Some(14)),
            handling_unit_id: None,
        };
        insert_membership(&txn, user.id, &city, fields).await?;
        if i < 3 {
            // Some city members also sit on the provincial committee.
            let fields = MembershipFields { role: Some(Role::Member), term: Some(Some(13)), ..Default::default() };
            insert_membership(&txn, user.id, &province, fields).await?;
        }
        if i == 0 {
            add(phone, "委员（主席，同时为省政协委员）");
        }
    }
    let staff = [
        ("13700000001", "提案委员会办公室 孟主任", Role::Staff, None),
        ("13700000002", "示例市政协 管理员", Role::Admin, None),
        (
            "13700000003",
            "市教育局 提案办理员",
            Role::Unit,
            units.iter().find(|u| u.name == "市教育局").or(units.first()),
        ),
    ];
    let mut office = None;
    for (phone, name, role, unit) in staff {
        let user = insert_user(
            &txn,
            &state.passwords,
            NewUser { phone: phone.into(), name: name.into(), password: password.clone() },
            false,
            None,
        )
        .await?;
        if role == Role::Staff {
            office = Some(user.id);
        }
        let fields =
            MembershipFields { role: Some(role), handling_unit_id: Some(unit.map(|u| u.id)), ..Default::default() };
        insert_membership(&txn, user.id, &city, fields).await?;
        add(phone.into(), name);
    }
    txn.commit().await?;

    // Something to read and to sign up for, made through the same rules the API uses.
    let office = office.ok_or_else(|| AppError::internal("demo office user"))?;
    let viewer = Viewer { user_id: office, session_id: String::new(), organization_id: city.id, role: Role::Staff };
    let everyone = Audience { everyone: true, ..Audience::default() };
    let example = reference.example_briefing;
    let actor = Principal::load(&state.db, &viewer).await?;
    let briefing = briefings::service::create(
        &state.db,
        &actor,
        BriefingFields {
            title: Some(example.title),
            summary: Some(example.summary),
            body: Some(example.body),
            source: Some(example.source),
            category: Some("经济社会发展".into()),
            audience: Some(everyone.clone()),
            pinned: Some(true),
            ..Default::default()
        },
        None,
    )
    .await?;
    briefings::service::publish(&state.db, &actor, briefing.id).await?;
    let starts = chrono::Utc::now() + chrono::Duration::days(14);
    let visit = visits::service::create(
        &state.db,
        &actor,
        VisitFields {
            kind: Some(VisitKind::Inspection),
            title: Some("视察全市创卫和城建工作".into()),
            topic: Some("创建国家卫生城市、城市建设重点项目".into()),
            place: Some("市区重点点位".into()),
            starts_at: Some(starts),
            ends_at: Some(starts + chrono::Duration::hours(4)),
            capacity: Some(Some(20)),
            audience: Some(everyone),
            ..Default::default()
        },
        None,
    )
    .await?;
    visits::service::transition(&state.db, &actor, visit.id, VisitAction::OpenSignup, None).await?;
    Ok(Some(DemoSummary { password, logins }))
}
