//! A few threads working through a list: a thousand engines cost a few
//! threads, not a thousand (each a stack; the sum ran past `ulimit -v` and a
//! failed `thread::spawn` aborts). A thread that cannot be started is not an
//! error — fewer do the work, or the caller's own thread does it.

use std::collections::VecDeque;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// A probe needs little stack: no deep recursion (serde_json stops at 128 levels).
const STACK: usize = 512 * 1024;

/// How many threads of [`STACK`] fit in a quarter of the address space the
/// process may have (`ulimit -v`); `usize::MAX` when it has no limit. Past
/// that a thread may still start, but an allocation after it fail, and a
/// failed allocation aborts.
pub fn affordable() -> usize {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit only writes the struct it is given.
    if unsafe { libc::getrlimit(libc::RLIMIT_AS, &mut limit) } != 0
        || limit.rlim_cur == libc::RLIM_INFINITY
    {
        return usize::MAX;
    }
    usize::try_from(limit.rlim_cur / 4).unwrap_or(usize::MAX) / STACK
}

/// Runs `job` on every item on at most `workers` threads and returns the
/// results in the items' order. Waits until `give_up` at most: an item not
/// done by then is `None` (its thread is left to end with the process; the
/// jobs bound their own work by the same time).
pub fn map<T, R, F>(items: Vec<T>, workers: usize, give_up: Instant, job: F) -> Vec<Option<R>>
where
    T: Send + 'static,
    R: Send + 'static,
    F: Fn(T) -> R + Send + Sync + 'static,
{
    let n = items.len();
    let queue = Arc::new(Mutex::new(
        items.into_iter().enumerate().collect::<VecDeque<_>>(),
    ));
    let job = Arc::new(job);
    let (tx, rx) = mpsc::channel();
    let next =
        |q: &Mutex<VecDeque<(usize, T)>>| q.lock().unwrap_or_else(|e| e.into_inner()).pop_front();
    let mut started = 0;
    for _ in 0..workers.min(n) {
        let (queue, job, tx) = (Arc::clone(&queue), Arc::clone(&job), tx.clone());
        let spawned = std::thread::Builder::new()
            .name("dockmux-worker".into())
            .stack_size(STACK)
            .spawn(move || {
                while let Some((i, item)) = next(&queue) {
                    if tx.send((i, job(item))).is_err() {
                        return;
                    }
                }
            });
        match spawned {
            Ok(_) => started += 1,
            Err(_) => break,
        }
    }
    if started == 0 {
        while let Some((i, item)) = next(&queue) {
            let _ = tx.send((i, job(item)));
        }
    }
    drop(tx);
    let mut out: Vec<Option<R>> = (0..n).map(|_| None).collect();
    let mut missing = n;
    while missing > 0 {
        let left = give_up.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok((i, r)) => {
                out[i] = Some(r);
                missing -= 1;
            }
            Err(_) => break,
        }
    }
    // What no thread has taken yet is not started any more.
    queue.lock().unwrap_or_else(|e| e.into_inner()).clear();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[test]
    fn results_come_back_in_order_from_a_few_threads() {
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let (r, m) = (Arc::clone(&running), Arc::clone(&most));
        let give_up = Instant::now() + Duration::from_secs(30);
        let out = map((0..200).collect(), 4, give_up, move |i: u32| {
            let now = r.fetch_add(1, Ordering::SeqCst) + 1;
            m.fetch_max(now, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(1));
            r.fetch_sub(1, Ordering::SeqCst);
            i * 2
        });
        assert_eq!(out, (0..200).map(|i| Some(i * 2)).collect::<Vec<_>>());
        assert!(most.load(Ordering::SeqCst) <= 4);
    }

    #[test]
    fn what_is_not_done_in_time_is_none() {
        let give_up = Instant::now() + Duration::from_millis(100);
        let out = map(vec![0u64, 5000], 2, give_up, |ms| {
            std::thread::sleep(Duration::from_millis(ms));
            ms
        });
        assert_eq!(out, [Some(0), None]);
    }
}
