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
    briefing_attachment, handling_unit, membership, organization, sector, sector_convener, special_committee, user,
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

/// The conveners (user ids) of a sector.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct ConvenersOf(pub Uuid);

impl Loader<ConvenersOf> for DbLoader {
    type Value = Vec<Uuid>;
    type Error = LoadError;

    async fn load(&self, keys: &[ConvenersOf]) -> Result<HashMap<ConvenersOf, Self::Value>, Self::Error> {
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let rows = sector_convener::Entity::find()
            .filter(sector_convener::Column::SectorId.is_in(ids))
            .all(&self.db)
            .await
            .map_err(load_error)?;
        // Every key gets an entry, empty lists included, so that the cache remembers them.
        let mut out: HashMap<ConvenersOf, Vec<Uuid>> = keys.iter().map(|k| (*k, Vec::new())).collect();
        for r in rows {
            out.entry(ConvenersOf(r.sector_id)).or_default().push(r.user_id);
        }
        Ok(out)
    }
}

/// A user's memberships, oldest first.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct MembershipsOf(pub Uuid);

impl Loader<MembershipsOf> for DbLoader {
    type Value = Vec<membership::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[MembershipsOf]) -> Result<HashMap<MembershipsOf, Self::Value>, Self::Error> {
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let rows = membership::Entity::find()
            .filter(membership::Column::UserId.is_in(ids))
            .order_by_asc(membership::Column::CreatedAt)
            .all(&self.db)
            .await
            .map_err(load_error)?;
        // Every key gets an entry, empty lists included, so that the cache remembers them.
        let mut out: HashMap<MembershipsOf, Vec<membership::Model>> = keys.iter().map(|k| (*k, Vec::new())).collect();
        for r in rows {
            out.entry(MembershipsOf(r.user_id)).or_default().push(r);
        }
        Ok(out)
    }
}

/// A briefing's attachments, in order.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct AttachmentsOf(pub Uuid);

impl Loader<AttachmentsOf> for DbLoader {
    type Value = Vec<briefing_attachment::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[AttachmentsOf]) -> Result<HashMap<AttachmentsOf, Self::Value>, Self::Error> {
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let rows = briefing_attachment::Entity::find()
            .filter(briefing_attachment::Column::BriefingId.is_in(ids))
            .order_by_asc(briefing_attachment::Column::Position)
            .all(&self.db)
            .await
            .map_err(load_error)?;
        // Every key gets an entry, empty lists included, so that the cache remembers them.
        let mut out: HashMap<AttachmentsOf, Vec<briefing_attachment::Model>> =
            keys.iter().map(|k| (*k, Vec::new())).collect();
        for r in rows {
            out.entry(AttachmentsOf(r.briefing_id)).or_default().push(r);
        }
        Ok(out)
    }
}

fn loaders<'a>(ctx: &'a Context<'_>) -> AppResult<&'a Loaders> {
    ctx.data::<Loaders>().map_err(|_| AppError::internal("data loader missing from request"))
}

/// Loads many keys in one batch into the request's cache (for the edges of a page).
pub async fn prime<K>(ctx: &Context<'_>, keys: impl IntoIterator<Item = K>) -> AppResult<()>
where
    K: Send + Sync + Clone + Eq + std::hash::Hash + 'static,
    DbLoader: Loader<K, Error = LoadError>,
{
    loaders(ctx)?.load_many(keys).await.map_err(|e| AppError::internal(format!("loader: {e}")))?;
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
