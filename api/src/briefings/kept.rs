//! What members ask for on every wake-up, kept in the process per person and organization,
//! so that it costs no SQL while nothing behind it moved: the unread-briefings badge, and
//! the first page of the feed (no cursor, no filter but "unread only").
//!
//! Both are kept right by the live signals (`live::Signal`), which every process hears
//! through Redis pub/sub (or, without Redis, inside the one process):
//! - `Briefings { org }` — a briefing of the organization was published, withdrawn or
//!   edited (its text, its audience, its pinning, its expiry): every entry of the
//!   organization goes;
//! - `Counts` / `Notified { users }` — a read mark, a changed or removed membership, a
//!   notification: those people's entries go;
//! - `Resync`, or the Redis subscription lost — signals may have been missed: everything
//!   goes, and while the subscription is down nothing is kept.
//!
//! A briefing expiring changes both with no event, so an entry also holds the earliest
//! expiry among the receipts behind it and is not served from that moment on. `MAX_AGE` is
//! only a backstop for a signal lost between a process and Redis.
//!
//! The broker forgets before it hands a signal on, and the process that made the change
//! forgets before its answer leaves, so the next request sees the change. A value read from
//! the database while an invalidation happened is not stored (`Ticket`): it may predate it.
//!
//! The authors of the feed pages are kept by user and forgotten when their row changes
//! (`People`: `updateUser`, `disableUser` / `enableUser`, `changePassword`,
//! `removeMembership`).
//!
//! Every entry is one person's own: a feed page holds the briefings of that person's
//! receipts, so a confidential briefing is never in an entry another viewer is served.
use std::{
    collections::{HashMap, HashSet},
    hash::Hash,
    num::NonZeroUsize,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use chrono::{DateTime, Utc};
use lru::LruCache;
use uuid::Uuid;

use super::service::FeedPage;
use crate::live::Signal;

/// Backstop for a lost signal: an entry older than this is read again.
const MAX_AGE: Duration = Duration::from_secs(60);

#[derive(Clone)]
struct Entry<V> {
    value: V,
    /// The earliest expiry among the receipts behind the value: from then on it is wrong.
    until: Option<DateTime<Utc>>,
    stored: Instant,
}

/// An entry's key: the person, the organization they act in, and what of theirs.
type Key<K> = (Uuid, Uuid, K);

struct Inner<K: Hash + Eq, V> {
    entries: LruCache<Key<K>, Entry<V>>,
    /// The keys of each person's and each organization's entries, so that a signal forgets
    /// what it names without walking every entry (a read mark among 100,000 badges).
    by_user: HashMap<Uuid, HashSet<Key<K>>>,
    by_org: HashMap<Uuid, HashSet<Key<K>>>,
    /// Moves on with every invalidation; a value is stored only if it did not move while
    /// the value was read.
    generation: u64,
    /// Whether signals reach this process now (false while the Redis subscription is down).
    listening: bool,
}

impl<K: Hash + Eq + Clone, V> Inner<K, V> {
    fn insert(&mut self, key: Key<K>, entry: Entry<V>) {
        // `push` hands back the entry it replaced (same key: still indexed) or the least
        // recently used one it evicted (another key: no longer indexed).
        if let Some((old, _)) = self.entries.push(key.clone(), entry)
            && old != key
        {
            self.unindex(&old);
        }
        self.by_user.entry(key.0).or_default().insert(key.clone());
        self.by_org.entry(key.1).or_default().insert(key);
    }

    fn remove(&mut self, key: &Key<K>) {
        if self.entries.pop(key).is_some() {
            self.unindex(key);
        }
    }

    fn unindex(&mut self, key: &Key<K>) {
        for (index, id) in [(&mut self.by_user, key.0), (&mut self.by_org, key.1)] {
            if let Some(keys) = index.get_mut(&id) {
                keys.remove(key);
                if keys.is_empty() {
                    index.remove(&id);
                }
            }
        }
    }

    fn clear(&mut self) {
        self.entries.clear();
        self.by_user.clear();
        self.by_org.clear();
    }
}

/// Values per person and organization, at most a configured number (least recently used go
/// first; `0` keeps none).
pub struct Kept<K: Hash + Eq, V> {
    inner: Option<Mutex<Inner<K, V>>>,
}

/// Handed out by a miss: the generation the database read starts in.
#[derive(Debug)]
pub struct Ticket(u64);

/// The unread-briefings badge (`BRIEFING_BADGE_CACHE_ENTRIES`).
pub type BadgeCache = Kept<(), u64>;

/// Which first page of the feed: its size, and whether unread only.
pub type FeedKey = (u64, bool);

/// First feed pages (`BRIEFING_FEED_CACHE_ENTRIES`).
pub type FeedCache = Kept<FeedKey, Arc<FeedPage>>;

impl<K: Hash + Eq + Clone, V: Clone> Kept<K, V> {
    /// `listening`: whether signals reach the process from the start (in-process broker),
    /// or only once the Redis subscription is up (`set_listening`).
    pub fn new(entries: usize, listening: bool) -> Self {
        let inner = NonZeroUsize::new(entries).map(|n| {
            Mutex::new(Inner {
                entries: LruCache::new(n),
                by_user: HashMap::new(),
                by_org: HashMap::new(),
                generation: 0,
                listening,
            })
        });
        Self { inner }
    }

    fn lock(&self) -> Option<std::sync::MutexGuard<'_, Inner<K, V>>> {
        // A panic while holding the lock leaves whole entries behind: still usable.
        self.inner.as_ref().map(|m| m.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    /// The value if it is kept and still true at `now`; otherwise a ticket for storing the
    /// value about to be read (`None`: do not store).
    pub fn get(&self, user: Uuid, org: Uuid, what: &K, now: DateTime<Utc>) -> Result<V, Option<Ticket>> {
        let Some(mut inner) = self.lock() else { return Err(None) };
        if !inner.listening {
            return Err(None);
        }
        let key = (user, org, what.clone());
        match inner.entries.get(&key) {
            Some(e) if e.until.is_none_or(|t| now < t) && e.stored.elapsed() < MAX_AGE => Ok(e.value.clone()),
            Some(_) => {
                inner.remove(&key);
                Err(Some(Ticket(inner.generation)))
            }
            None => Err(Some(Ticket(inner.generation))),
        }
    }

    /// Keeps a value read from the database, unless something was invalidated since the
    /// ticket was handed out.
    pub fn put(&self, ticket: Ticket, user: Uuid, org: Uuid, what: K, value: V, until: Option<DateTime<Utc>>) {
        let Some(mut inner) = self.lock() else { return };
        if inner.listening && inner.generation == ticket.0 {
            inner.insert((user, org, what), Entry { value, until, stored: Instant::now() });
        }
    }

    /// Forgets what `signal` may have changed.
    pub fn forget(&self, signal: &Signal) {
        let Some(mut inner) = self.lock() else { return };
        inner.generation += 1;
        // Through the indexes: what a signal names, never a walk over every entry.
        let gone: Vec<Key<K>> = match signal {
            Signal::Notified { users, .. } | Signal::Counts { users } | Signal::People { users } => {
                users.iter().filter_map(|u| inner.by_user.get(u)).flatten().cloned().collect()
            }
            Signal::Briefings { org } => inner.by_org.get(org).into_iter().flatten().cloned().collect(),
            Signal::Resync => {
                inner.clear();
                Vec::new()
            }
            // Sessions carry no briefing; the generation moved all the same (harmless).
            Signal::SessionsEnded { .. } => Vec::new(),
        };
        for key in gone {
            inner.remove(&key);
        }
    }

    /// The Redis subscription came up (`true`: start afresh) or went down (`false`: keep
    /// nothing until it is back, since signals sent meanwhile are lost).
    pub fn set_listening(&self, listening: bool) {
        let Some(mut inner) = self.lock() else { return };
        inner.generation += 1;
        inner.clear();
        inner.listening = listening;
    }

    /// How many values are kept (tests, metrics).
    pub fn len(&self) -> usize {
        self.lock().map_or(0, |inner| inner.entries.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The authors of kept feed pages, by user (the organization part of the key is nil): read
/// again when their row changes (`Signal::People`).
pub type PeopleCache = Kept<(), entity::user::Model>;

/// Everything of briefings a process keeps, forgotten together.
pub struct BriefingCaches {
    pub badges: BadgeCache,
    pub feeds: FeedCache,
    /// Bounded like the feed pages (authors are a few office staff).
    pub people: PeopleCache,
}

/// How many entries of each (`BRIEFING_BADGE_CACHE_ENTRIES`, `BRIEFING_FEED_CACHE_ENTRIES`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Sizes {
    pub badges: usize,
    pub feeds: usize,
}

impl BriefingCaches {
    pub fn new(sizes: Sizes, listening: bool) -> Self {
        Self {
            badges: Kept::new(sizes.badges, listening),
            feeds: Kept::new(sizes.feeds, listening),
            people: Kept::new(sizes.feeds, listening),
        }
    }

    pub fn forget(&self, signal: &Signal) {
        self.badges.forget(signal);
        self.feeds.forget(signal);
        self.people.forget(signal);
    }

    pub fn set_listening(&self, listening: bool) {
        self.badges.set_listening(listening);
        self.feeds.set_listening(listening);
        self.people.set_listening(listening);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids() -> (Uuid, Uuid, Uuid) {
        (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7())
    }

    /// A miss, then the number read stored with its ticket.
    fn keep(cache: &BadgeCache, user: Uuid, org: Uuid, count: u64, until: Option<DateTime<Utc>>) {
        let Err(Some(t)) = cache.get(user, org, &(), Utc::now()) else { panic!("a miss with a ticket") };
        cache.put(t, user, org, (), count, until);
    }

    #[test]
    fn keeps_a_number_until_a_signal_concerns_it() {
        let (me, other, org) = ids();
        let cache = BadgeCache::new(10, true);
        let now = Utc::now();
        keep(&cache, me, org, 3, None);
        keep(&cache, other, org, 5, None);
        assert_eq!(cache.get(me, org, &(), now).ok(), Some(3));
        cache.forget(&Signal::Counts { users: vec![me] });
        assert!(cache.get(me, org, &(), now).is_err());
        assert_eq!(cache.get(other, org, &(), now).ok(), Some(5));
        cache.forget(&Signal::Briefings { org: Uuid::now_v7() });
        assert_eq!(cache.get(other, org, &(), now).ok(), Some(5));
        cache.forget(&Signal::Briefings { org });
        assert!(cache.get(other, org, &(), now).is_err());
    }

    #[test]
    fn a_number_read_across_an_invalidation_is_not_kept() {
        let (me, _, org) = ids();
        let cache = BadgeCache::new(10, true);
        let Err(Some(t)) = cache.get(me, org, &(), Utc::now()) else { panic!("a miss with a ticket") };
        cache.forget(&Signal::Briefings { org });
        cache.put(t, me, org, (), 3, None);
        assert!(cache.get(me, org, &(), Utc::now()).is_err());
    }

    #[test]
    fn an_expiry_ends_the_number() {
        let (me, _, org) = ids();
        let cache = BadgeCache::new(10, true);
        let now = Utc::now();
        keep(&cache, me, org, 3, Some(now + chrono::Duration::seconds(5)));
        assert_eq!(cache.get(me, org, &(), now).ok(), Some(3));
        assert!(cache.get(me, org, &(), now + chrono::Duration::seconds(5)).is_err());
    }

    #[test]
    fn nothing_is_kept_while_not_listening_or_when_off() {
        let (me, _, org) = ids();
        let deaf = BadgeCache::new(10, false);
        assert!(matches!(deaf.get(me, org, &(), Utc::now()), Err(None)));
        deaf.set_listening(true);
        assert!(matches!(deaf.get(me, org, &(), Utc::now()), Err(Some(_))));
        let off = BadgeCache::new(0, true);
        assert!(matches!(off.get(me, org, &(), Utc::now()), Err(None)));
    }

    #[test]
    fn bounded_by_its_size() {
        let org = Uuid::now_v7();
        let cache = BadgeCache::new(2, true);
        for n in 0..5 {
            keep(&cache, Uuid::now_v7(), org, n, None);
        }
        assert_eq!(cache.len(), 2);
    }

    /// The indexes follow the entries through replacement, eviction, expiry and signals, so
    /// that forgetting by person or organization finds exactly what is kept.
    #[test]
    fn the_indexes_follow_the_entries() {
        let (me, other, org) = ids();
        let elsewhere = Uuid::now_v7();
        let cache = BadgeCache::new(2, true);
        keep(&cache, me, org, 1, None);
        // Stored again (a ticket is the generation, whoever's miss it came from).
        let Err(Some(t)) = cache.get(Uuid::now_v7(), org, &(), Utc::now()) else { panic!("a miss") };
        cache.put(t, me, org, (), 2, None);
        assert_eq!(cache.get(me, org, &(), Utc::now()).ok(), Some(2));
        keep(&cache, me, elsewhere, 3, None);
        // Used last: (me, org) is now the least recently used.
        assert_eq!(cache.get(me, elsewhere, &(), Utc::now()).ok(), Some(3));
        keep(&cache, other, org, 4, None); // evicts (me, org)
        let sizes = |c: &BadgeCache| {
            let Some(inner) = c.lock() else { panic!("a cache that keeps") };
            let count = |m: &HashMap<Uuid, HashSet<Key<()>>>| m.values().map(HashSet::len).sum::<usize>();
            (inner.entries.len(), count(&inner.by_user), count(&inner.by_org))
        };
        assert_eq!(sizes(&cache), (2, 2, 2));
        assert!(cache.get(me, org, &(), Utc::now()).is_err(), "evicted");
        cache.forget(&Signal::Counts { users: vec![me] });
        assert_eq!(sizes(&cache), (1, 1, 1));
        assert_eq!(cache.get(other, org, &(), Utc::now()).ok(), Some(4));
        cache.forget(&Signal::Briefings { org });
        assert_eq!(sizes(&cache), (0, 0, 0));
        keep(&cache, me, org, 5, Some(Utc::now()));
        assert!(cache.get(me, org, &(), Utc::now()).is_err(), "expired");
        assert_eq!(sizes(&cache), (0, 0, 0), "an expired entry leaves the indexes too");
    }
}
