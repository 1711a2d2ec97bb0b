//! First start: an empty database gets one organization (of `BOOTSTRAP_ORGANIZATION_LEVEL`)
//! and one admin, from ADMIN_PHONE / ADMIN_PASSWORD or with a generated one-time password
//! printed once. Never a fixed default password. The admin is also the platform admin.
use rand::{Rng, distr::Alphanumeric};
use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait};
use secrecy::ExposeSecret;

use crate::{
    error::AppResult,
    members::service::{MembershipFields, NewUser, insert_membership, insert_user},
    organizations::service::{NewOrganization, insert_organization},
    phone,
    state::AppState,
};
use entity::{OrganizationLevel, Role, organization};

/// Used when ADMIN_PHONE is not set; the password is then always generated.
pub const DEFAULT_ADMIN_PHONE: &str = "13800000000";

pub fn generate_password() -> String {
    // Letters and digits: satisfies the strength rule and is easy to type on a phone.
    let body: String = rand::rng().sample_iter(&Alphanumeric).take(14).map(char::from).collect();
    format!("{body}7a")
}

/// Returns the admin's phone and the generated password when one was made.
pub async fn first_start(state: &AppState) -> AppResult<Option<(String, Option<String>)>> {
    let txn = crate::db::write(&state.db).await?;
    // Processes started together each find the database empty: the first to take the lock
    // bootstraps, the others wait and then find its organization. (SQLite's write
    // transaction is already one at a time.)
    if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({})", crate::db::BOOTSTRAP_LOCK)).await?;
    }
    if organization::Entity::find().count(&txn).await? > 0 {
        return Ok(None);
    }
    let settings = &state.settings;
    let org = insert_organization(
        &txn,
        NewOrganization {
            name: settings.bootstrap_organization_name.clone(),
            short_name: None,
            level: settings.bootstrap_level().unwrap_or(OrganizationLevel::Municipal),
            parent_id: None,
            region: None,
        },
    )
    .await?;
    let phone = settings.admin_phone.clone().unwrap_or_else(|| DEFAULT_ADMIN_PHONE.into());
    let (password, generated) = match &settings.admin_password {
        Some(p) => (p.expose_secret().to_owned(), None),
        None => {
            let p = generate_password();
            (p.clone(), Some(p))
        }
    };
    let admin = insert_user(
        &txn,
        &state.passwords,
        NewUser { phone, name: settings.admin_name.clone(), password },
        generated.is_some(),
        None,
    )
    .await?;
    insert_membership(&txn, admin.id, &org, MembershipFields { role: Some(Role::Admin), ..Default::default() }).await?;
    // The first admin also runs the deployment: a committee above this one, when the
    // province joins the city's deployment, is theirs to create.
    crate::organizations::platform::grant(&txn, admin.id).await?;
    txn.commit().await?;

    tracing::info!(organization = %org.name, admin = %phone::mask(&admin.phone), "empty database bootstrapped");
    if let Some(password) = &generated {
        // Printed once, to the console of whoever started the server, never logged.
        println!(
            "\n首次启动：已创建组织“{}”和管理员账号\n  手机号: {}\n  一次性密码: {}\n登录后请立即修改密码（changePassword）。此密码不会再次显示。\n",
            org.name, admin.phone, password
        );
    }
    Ok(Some((admin.phone, generated)))
}
