//! DataLoaders for every edge a list shows (a member's user, sector, organization, …):
//! a page of N rows costs one query per edge kind, not N. Created per request, with a
//! request-scoped cache so that a list resolver can `prime` the edges of its page in one
//! batch (the loader's own batching is time-based, and a slow poll can split a batch).
use std::{collections::HashMap, sync::Arc};

use async_graphql::{
    Context,
    dataloader::{DataLoader, HashMapCache, Loader},
};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use entity::{
    attachment, briefing, bulletin_issue, bulletin_item, handling_unit, membership, organization, plenary_session,
    proposal, proposal_assignment, proposal_cosigner, proposal_event, proposal_reply, sector, sector_convener,
    special_committee, suggestion_adoption, suggestion_author, suggestion_event, suggestion_report, user,
    visit_agenda_item, visit_invitation, visit_participant,
};

pub struct DbLoader {
    db: DatabaseConnection,
}

pub type Loaders = DataLoader<DbLoader, HashMapCache>;

pub fn new(db: DatabaseConnection) -> Loaders {
    DataLoader::with_cache(DbLoader { db }, tokio::spawn, HashMapCache::default())
}

/// Loader errors must be `Clone`; the cause is logged where it is turned into an `AppError`.
pub type LoadError = Arc<String>;

fn load_error(e: sea_orm::DbErr) -> LoadError {
    Arc::new(e.to_string())
}

macro_rules! by_id {
    ($key:ident, $entity:ident) => {
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
        pub struct $key(pub Uuid);

        impl Loader<$key> for DbLoader {
            type Value = $entity::Model;
            type Error = LoadError;

            async fn load(&self, keys: &[$key]) -> Result<HashMap<$key, Self::Value>, Self::Error> {
                let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
                let rows = $entity::Entity::find()
                    .filter($entity::Column::Id.is_in(ids))
                    .all(&self.db)
                    .await
                    .map_err(load_error)?;
                Ok(rows.into_iter().map(|r| ($key(r.id), r)).collect())
            }
        }
    };
}

by_id!(UserKey, user);
by_id!(OrganizationKey, organization);
by_id!(SectorKey, sector);
by_id!(SpecialCommitteeKey, special_committee);
by_id!(HandlingUnitKey, handling_unit);
by_id!(BriefingKey, briefing);
by_id!(ProposalKey, proposal);
by_id!(BulletinIssueKey, bulletin_issue);
by_id!(PlenarySessionKey, plenary_session);

/// A one-to-many edge: the rows of `$entity` whose `$field` is the key, in `$order` (or in
/// `[$first, $then, …]`).
/// Every key gets an entry, empty lists included, so that the cache remembers them.
macro_rules! grouped {
    ($(#[$doc:meta])* $key:ident, $entity:ident, $column:ident, $field:ident, $order:ident, $value:ty, |$row:ident| $map:expr) => {
        grouped!($(#[$doc])* $key, $entity, $column, $field, [$order], $value, |$row| $map);
    };
    ($(#[$doc:meta])* $key:ident, $entity:ident, $column:ident, $field:ident, [$($order:ident),+], $value:ty, |$row:ident| $map:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
        pub struct $key(pub Uuid);

        impl Loader<$key> for DbLoader {
            type Value = Vec<$value>;
            type Error = LoadError;

            async fn load(&self, keys: &[$key]) -> Result<HashMap<$key, Self::Value>, Self::Error> {
                let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
                let rows = $entity::Entity::find()
                    .filter($entity::Column::$column.is_in(ids))
                    $(.order_by_asc($entity::Column::$order))+
                    .all(&self.db)
                    .await
                    .map_err(load_error)?;
                let mut out: HashMap<$key, Vec<$value>> = keys.iter().map(|k| (*k, Vec::new())).collect();
                for $row in rows {
                    out.entry($key($row.$field)).or_default().push($map);
                }
                Ok(out)
            }
        }
    };
}

grouped!(
    /// The conveners (user ids) of a sector.
    ConvenersOf, sector_convener, SectorId, sector_id, UserId, Uuid, |r| r.user_id
);
grouped!(
    /// A user's memberships, oldest first.
    MembershipsOf, membership, UserId, user_id, CreatedAt, membership::Model, |r| r
);
grouped!(
    /// A proposal's assignments, oldest first.
    AssignmentsOf, proposal_assignment, ProposalId, proposal_id, CreatedAt, proposal_assignment::Model, |r| r
);
grouped!(
    /// A proposal's co-signers, in invitation order.
    CoSignersOf, proposal_cosigner, ProposalId, proposal_id, InvitedAt, proposal_cosigner::Model, |r| r
);
grouped!(
    /// A proposal's replies, in order.
    RepliesOf, proposal_reply, ProposalId, proposal_id, RepliedAt, proposal_reply::Model, |r| r
);
grouped!(
    /// A suggestion's authors (user ids), submitter first.
    SuggestionAuthorsOf, suggestion_author, SuggestionId, suggestion_id, Position, Uuid, |r| r.user_id
);
grouped!(
    /// Where a suggestion was reported, in order.
    ReportsOf, suggestion_report, SuggestionId, suggestion_id, ReportedAt, suggestion_report::Model, |r| r
);
grouped!(
    /// A suggestion's adoptions, by date.
    AdoptionsOf, suggestion_adoption, SuggestionId, suggestion_id, AdoptedAt, suggestion_adoption::Model, |r| r
);
grouped!(
    /// The bulletin item carrying a suggestion (at most one).
    BulletinItemOf, bulletin_item, SuggestionId, suggestion_id, Position, bulletin_item::Model, |r| r
);
grouped!(
    /// A visit's agenda, in order.
    AgendaOf, visit_agenda_item, VisitId, visit_id, Position, visit_agenda_item::Model, |r| r
);
grouped!(
    /// A visit's participants, in sign-up order.
    ParticipantsOf, visit_participant, VisitId, visit_id, SignedUpAt, visit_participant::Model, |r| r
);
grouped!(
    /// The organizations invited to a visit.
    InvitationsOf, visit_invitation, VisitId, visit_id, OrganizationId, Uuid, |r| r.organization_id
);
grouped!(
    /// A proposal's timeline (办理过程), by business time then by id (`at` may repeat: steps of
    /// one transaction, or entered later with the same date).
    ProposalTimelineOf, proposal_event, ProposalId, proposal_id, [At, Id], proposal_event::Model, |r| r
);
grouped!(
    /// A piece of information's timeline (处理过程), in the same order.
    SuggestionTimelineOf, suggestion_event, SuggestionId, suggestion_id, [At, Id], suggestion_event::Model, |r| r
);

/// A record's attachments (briefing, proposal, reply, piece of information, visit report:
/// all ids are UUIDs, unique across tables), in order.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct AttachmentsOf(pub Uuid);

impl Loader<AttachmentsOf> for DbLoader {
    type Value = Vec<attachment::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[AttachmentsOf]) -> Result<HashMap<AttachmentsOf, Self::Value>, Self::Error> {
        let rows = attachment::Entity::find()
            .filter(attachment::Column::OwnerId.is_in(keys.iter().map(|k| k.0)))
            .filter(attachment::Column::DeletedAt.is_null())
            .order_by_asc(attachment::Column::Position)
            .all(&self.db)
            .await
            .map_err(load_error)?;
        let mut out: HashMap<AttachmentsOf, Self::Value> = keys.iter().map(|k| (*k, Vec::new())).collect();
        for row in rows {
            if let Some(owner) = row.owner_id {
                out.entry(AttachmentsOf(owner)).or_default().push(row);
            }
        }
        Ok(out)
    }
}

fn loaders<'a>(ctx: &'a Context<'_>) -> AppResult<&'a Loaders> {
    ctx.data::<Loaders>().map_err(|_| AppError::internal("data loader missing from request"))
}

/// Loads many keys in one query straight into the request's cache (for the edges of a
/// page), skipping the loader's batching delay: the keys are all known already.
pub async fn prime<K>(ctx: &Context<'_>, keys: impl IntoIterator<Item = K>) -> AppResult<()>
where
    K: Send + Sync + Clone + Eq + std::hash::Hash + 'static,
    DbLoader: Loader<K, Error = LoadError>,
{
    primed(ctx, keys).await.map(drop)
}

/// As `prime`, and returns what was loaded (for a cache of the caller's).
pub async fn primed<K>(
    ctx: &Context<'_>,
    keys: impl IntoIterator<Item = K>,
) -> AppResult<HashMap<K, <DbLoader as Loader<K>>::Value>>
where
    K: Send + Sync + Clone + Eq + std::hash::Hash + 'static,
    DbLoader: Loader<K, Error = LoadError>,
{
    let loaders = loaders(ctx)?;
    let keys: Vec<K> = keys.into_iter().collect::<std::collections::HashSet<K>>().into_iter().collect();
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    let values = loaders.loader().load(&keys).await.map_err(|e| AppError::internal(format!("loader: {e}")))?;
    loaders.feed_many(values.clone()).await;
    Ok(values)
}

/// Puts values known already (from a cache) into the request's DataLoader.
pub async fn feed<K>(ctx: &Context<'_>, values: HashMap<K, <DbLoader as Loader<K>>::Value>) -> AppResult<()>
where
    K: Send + Sync + Clone + Eq + std::hash::Hash + 'static,
    DbLoader: Loader<K, Error = LoadError>,
{
    loaders(ctx)?.feed_many(values).await;
    Ok(())
}

/// Loads one value through the request's DataLoader.
pub async fn load<K>(ctx: &Context<'_>, key: K) -> AppResult<Option<<DbLoader as Loader<K>>::Value>>
where
    K: Send + Sync + Clone + Eq + std::hash::Hash + 'static,
    DbLoader: Loader<K, Error = LoadError>,
{
    loaders(ctx)?.load_one(key).await.map_err(|e| AppError::internal(format!("loader: {e}")))
}
