//! The hardening suite (issue 5): argument fidelity against a model of
//! docker's own flag parsing, exit status and signals, concurrency on real
//! engines, config fuzzing, hostile setups, streams and terminals. Each test
//! prints its figures (cases, failures, time) to stderr; bench/RESULTS.md
//! quotes them.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::harness::{Env, TWO_ENGINES};

mod answers;
mod argv;
mod concurrency;
mod config_fuzz;
mod escapes;
mod hostile;
mod pflag;
pub(crate) mod probes;
mod refusal_corpus;
mod signals;
pub(crate) mod streams;
mod trust;
mod waits;

/// The fast fake client (fake_docker.c), compiled once per source version
/// into cargo's temp dir for tests.
pub fn fake_client() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let src = include_str!("fake_docker.c");
        let mut h = std::hash::DefaultHasher::new();
        src.hash(&mut h);
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
        let bin = dir.join(format!("fake-docker-{:016x}", h.finish()));
        if bin.exists() {
            return bin;
        }
        let src_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hardening/fake_docker.c");
        // Compiled beside and renamed: test processes may race here.
        let tmp = dir.join(format!("fake-docker-{}.tmp", std::process::id()));
        let out = Command::new("gcc")
            .args(["-O2", "-static", "-o"])
            .arg(&tmp)
            .arg(&src_path)
            .output()
            .unwrap_or_else(|e| {
                panic!("cannot run gcc ({e}): install gcc and libc6-dev (./scripts/test does)")
            });
        assert!(
            out.status.success(),
            "gcc -static {}: {}",
            src_path.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::rename(&tmp, &bin).unwrap();
        bin
    })
}

/// An Env with the test bed's two engine names, `pg-docker` linked and the
/// fast fake as `docker` on PATH.
pub fn env_with_fast_fake() -> Env {
    let env = Env::new();
    env.user_config(TWO_ENGINES);
    std::os::unix::fs::symlink(fake_client(), env.bin.join("docker")).unwrap();
    env.link("pg-docker");
    env
}
