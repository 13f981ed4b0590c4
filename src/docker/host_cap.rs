//! A cap on the connections a fan-out (`ps`, `find`, `each`, `list`) opens
//! at once to one ssh host, whatever `-j` or the worker count allows. Each
//! engine that goes over plain `ssh://` is a whole ssh login; sshd drops
//! unauthenticated connections past `MaxStartups` (default 10:30:100: some
//! from 10 at once) and refuses sessions past `MaxSessions` (10), and docker
//! then reports a misleading error. Engines with a shared connection
//! (src/forward/) do not count: theirs is one login, made once.
//!
//! The same cap bounds the docker clients a fan-out runs at once, whatever
//! their host: each is a process of tens of MB, while an engine asked on its
//! socket (a unix engine, or an ssh engine through its shared connection)
//! costs a thread and a connection.

use std::collections::HashMap;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Instant;

use crate::config::host;

/// Connections at once to one host: well under both sshd limits.
pub const PER_HOST: usize = 4;

/// docker clients at once, for all hosts together.
pub const CLIENTS: usize = 16;

/// The key of the clients' share: no ssh host is written so (no `@`).
const CLIENTS_KEY: &str = "docker clients";

#[derive(Default)]
pub struct Cap {
    busy: Mutex<HashMap<String, usize>>,
    freed: Condvar,
}

/// A connection's place under the cap, given back when dropped.
pub struct Slot<'a> {
    cap: &'a Cap,
    key: String,
}

impl Cap {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, usize>> {
        self.busy.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits for a place for a connection to the ssh host of `url` until
    /// `deadline` (`None`: it came first). Other URLs need no place.
    pub fn enter(&self, url: &str, deadline: Instant) -> Option<Option<Slot<'_>>> {
        let Some(spec) = host::ssh_spec(url) else {
            return Some(None);
        };
        let key = format!(
            "{}@{}:{}",
            spec.user.unwrap_or_default(),
            spec.host,
            spec.port.unwrap_or_default()
        );
        self.take(key, PER_HOST, deadline).map(Some)
    }

    /// Waits for a place for one more docker client until `deadline`
    /// (`None`: it came first).
    pub fn client(&self, deadline: Instant) -> Option<Slot<'_>> {
        self.take(CLIENTS_KEY.to_string(), CLIENTS, deadline)
    }

    fn take(&self, key: String, limit: usize, deadline: Instant) -> Option<Slot<'_>> {
        let mut busy = self.lock();
        loop {
            let n = busy.entry(key.clone()).or_default();
            if *n < limit {
                *n += 1;
                return Some(Slot { cap: self, key });
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            busy = self
                .freed
                .wait_timeout(busy, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        if let Some(n) = self.cap.lock().get_mut(&self.key) {
            *n -= 1;
        }
        self.cap.freed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_host_gets_at_most_its_share_and_others_are_free() {
        let cap = Cap::default();
        let soon = || Instant::now() + Duration::from_millis(20);
        let held: Vec<_> = (0..PER_HOST)
            .map(|_| cap.enter("ssh://me@nas", soon()).unwrap().unwrap())
            .collect();
        assert!(cap.enter("ssh://me@nas/other.sock", soon()).is_none());
        assert!(cap.enter("ssh://me@box", soon()).unwrap().is_some());
        assert!(cap.enter("unix:///s", soon()).unwrap().is_none());
        drop(held);
        assert!(cap.enter("ssh://me@nas", soon()).unwrap().is_some());
    }

    #[test]
    fn clients_have_their_own_share_beside_the_hosts() {
        let cap = Cap::default();
        let soon = || Instant::now() + Duration::from_millis(20);
        let held: Vec<_> = (0..CLIENTS).map(|_| cap.client(soon()).unwrap()).collect();
        assert!(cap.client(soon()).is_none());
        assert!(cap.enter("ssh://me@nas", soon()).unwrap().is_some());
        drop(held);
        assert!(cap.client(soon()).is_some());
    }
}
