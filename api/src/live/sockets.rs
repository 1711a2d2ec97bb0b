//! How many subscription sockets each person holds open on this process: a stolen token or a
//! runaway client reconnecting in a loop must not open thousands (each one holds a task,
//! buffers and a broker receiver). Counted per process — the load balancer spreads one
//! person's sockets, so `processes × LIVE_MAX_SOCKETS_PER_USER` bounds the whole.
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use uuid::Uuid;

#[derive(Clone, Default)]
pub struct SocketCounts(Arc<Mutex<HashMap<Uuid, usize>>>);

impl SocketCounts {
    /// A place for one more of `user`'s sockets, if they hold fewer than `max`; the place is
    /// given back when the returned slot is dropped (the socket closed).
    pub fn admit(&self, user: Uuid, max: usize) -> Option<SocketSlot> {
        let mut open = self.0.lock().ok()?;
        let held = open.entry(user).or_default();
        if *held >= max {
            return None;
        }
        *held += 1;
        Some(SocketSlot { counts: self.clone(), user })
    }

    /// Sockets `user` holds on this process.
    pub fn held(&self, user: Uuid) -> usize {
        self.0.lock().ok().and_then(|open| open.get(&user).copied()).unwrap_or(0)
    }
}

pub struct SocketSlot {
    counts: SocketCounts,
    user: Uuid,
}

impl Drop for SocketSlot {
    fn drop(&mut self) {
        if let Ok(mut open) = self.counts.0.lock()
            && let Some(held) = open.get_mut(&self.user)
        {
            *held = held.saturating_sub(1);
            if *held == 0 {
                open.remove(&self.user);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_are_counted_and_given_back() {
        let counts = SocketCounts::default();
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let first = counts.admit(a, 2);
        let second = counts.admit(a, 2);
        assert!(first.is_some() && second.is_some());
        assert!(counts.admit(a, 2).is_none(), "a third is refused");
        assert!(counts.admit(b, 2).is_some(), "someone else is not");
        drop(first);
        assert_eq!(counts.held(a), 1);
        assert!(counts.admit(a, 2).is_some(), "a closed socket's place is free again");
    }
}
