//! Who may read the record an attachment belongs to is the domain's business, not ours:
//! each domain registers its rule for the purposes it owns at start-up (`app`), so that
//! attachments stay a leaf that knows no domain (ARCHITECTURE §5).
use std::{collections::HashMap, sync::Arc};

use futures_util::future::BoxFuture;
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::{
    auth::Viewer,
    error::{AppError, AppResult},
};
use entity::AttachmentPurpose;

/// A domain's answer to "may this viewer read record `owner`" (`Ok` or an error, usually
/// `NOT_FOUND`), for the attachments uploaded for one purpose.
pub trait OwnerRule: Send + Sync {
    fn readable<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        viewer: &'a Viewer,
        owner: Uuid,
    ) -> BoxFuture<'a, AppResult<()>>;
}

/// The registered rules, one per purpose.
#[derive(Clone, Default)]
pub struct Owners(HashMap<AttachmentPurpose, Arc<dyn OwnerRule>>);

impl Owners {
    pub fn register(mut self, purpose: AttachmentPurpose, rule: impl OwnerRule + 'static) -> Self {
        self.0.insert(purpose, Arc::new(rule));
        self
    }

    /// Asks the owning domain. A purpose nobody registered reads as nobody's (an internal
    /// error: the wiring at start-up forgot it).
    pub async fn readable(
        &self,
        db: &DatabaseConnection,
        viewer: &Viewer,
        purpose: AttachmentPurpose,
        owner: Uuid,
    ) -> AppResult<()> {
        match self.0.get(&purpose) {
            Some(rule) => rule.readable(db, viewer, owner).await,
            None => Err(AppError::internal(format!("no reader rule registered for attachments of {purpose:?}"))),
        }
    }
}
