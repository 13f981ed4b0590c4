//! Concurrency on real engines: 1,000 invocations in parallel across three
//! dockerd engines, each creating a uniquely named volume. Afterwards each
//! engine holds exactly its own volumes: zero misroutes, zero lost.

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use crate::engines::unique;
use crate::harness::Env;
use crate::harness::testbed::{self, Engine};

const INVOCATIONS: usize = 1000;
/// Parallel invocations at a time: enough to overlap many, few enough that a
/// 2-core CI machine is not only switching between docker clients.
const PARALLEL: usize = 8;

#[test]
fn a_thousand_parallel_invocations_across_three_engines_each_land_in_their_own() {
    let bed = testbed::shared();
    let third = testbed::private("third");
    let engines: [(&str, &Engine); 3] = [("pg", &bed.pg), ("lzc", &bed.lzc), ("third", &third)];
    let env = Env::new();
    let mut config = String::new();
    for (name, e) in engines {
        config.push_str(&format!("[engines.{name}]\nhost = \"{}\"\n", e.host));
        env.link(format!("{name}-docker"));
    }
    env.user_config(&config);
    std::os::unix::fs::symlink(testbed::real_docker(), env.bin.join("docker")).unwrap();

    let tag = unique("par");
    let name = |i: usize| format!("{tag}-{}-{i}", engines[i % 3].0);
    let next = AtomicUsize::new(0);
    let failures = Mutex::new(Vec::new());
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..PARALLEL {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= INVOCATIONS {
                        return;
                    }
                    let volume = name(i);
                    let cmd = format!("{}-docker", engines[i % 3].0);
                    let out = env
                        .cmd(&cmd)
                        .args(["volume", "create", &volume])
                        .output()
                        .unwrap();
                    if !out.status.success() || out.stdout != format!("{volume}\n").as_bytes() {
                        failures.lock().unwrap().push(format!(
                            "{cmd} volume create {volume}: {:?} {}",
                            out.status,
                            String::from_utf8_lossy(&out.stderr)
                        ));
                    }
                }
            });
        }
    });
    let took = start.elapsed();

    let (mut misrouted, mut lost) = (Vec::new(), Vec::new());
    for (k, (engine_name, e)) in engines.iter().enumerate() {
        let out = e
            .docker()
            .args(["volume", "ls", "-q", "--filter", &format!("name={tag}")])
            .output()
            .unwrap();
        assert!(out.status.success(), "volume ls on {engine_name}: {out:?}");
        let held: BTreeSet<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect();
        let want: BTreeSet<String> = (0..INVOCATIONS).filter(|i| i % 3 == k).map(name).collect();
        misrouted.extend(held.difference(&want).cloned());
        lost.extend(want.difference(&held).cloned());
        // Leave the shared engines as they were.
        let mut rm = e.docker();
        rm.args(["volume", "rm", "-f"]).args(&held);
        if !held.is_empty() {
            let _ = rm.output();
        }
    }
    let failures = failures.into_inner().unwrap();
    eprintln!(
        "concurrency: {INVOCATIONS} invocations, {PARALLEL} at a time, across 3 real engines in {took:.1?}: \
         {} misrouted, {} lost, {} failed",
        misrouted.len(),
        lost.len(),
        failures.len()
    );
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(
        misrouted.is_empty() && lost.is_empty(),
        "misrouted {misrouted:?}, lost {lost:?}"
    );
}
