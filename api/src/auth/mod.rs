//! Accounts' side of the door: passwords, access tokens, sessions, failed-login limits,
//! the viewer an access token proves and the principal every rule asks about.
pub mod graphql;
pub mod password;
pub mod principal;
pub mod rate_limit;
pub mod service;
pub mod sessions;
pub mod tokens;

use uuid::Uuid;

use entity::Role;

/// The person behind an authenticated request, in the organization of their session.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub user_id: Uuid,
    pub session_id: String,
    pub organization_id: Uuid,
    pub role: Role,
}

impl Viewer {
    /// Office staff and admins: the people who see phone numbers and run workflows.
    pub fn is_office(&self) -> bool {
        matches!(self.role, Role::Staff | Role::Admin)
    }
}

/// Who a request turned out to be when it carried no token: `login` and `refreshSession`
/// fill it in, so the audit log names the person who signed in.
#[derive(Debug, Default)]
pub struct SignedIn(std::sync::Mutex<Option<Viewer>>);

impl SignedIn {
    pub fn set(&self, session: &sessions::Session) {
        let viewer = Viewer {
            user_id: session.user_id,
            session_id: session.id.clone(),
            organization_id: session.organization_id,
            role: session.role,
        };
        *self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(viewer);
    }

    pub fn take(&self) -> Option<Viewer> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take()
    }
}

/// Where a request comes from, for per-address limits.
#[derive(Debug, Clone)]
pub struct ClientInfo {
    pub ip: String,
}
