//! What the harness leaves on the machine: nothing of an engine once a
//! test is done with it, whatever state the test left it in.

use std::path::PathBuf;

use crate::engines::unique;
use crate::harness::Out;
use crate::harness::testbed;

/// The host's network device `name`.
fn device(name: &str) -> PathBuf {
    PathBuf::from("/sys/class/net").join(name)
}

/// A user-defined network's bridge (`br-` and the first 12 digits of the
/// network's ID, as docker names it) outlives its dockerd and holds one of
/// docker's few address pools: an engine a test stopped, which can no
/// longer be asked to remove it, takes it along all the same.
#[test]
fn a_stopped_engines_bridges_go_with_it() {
    let engine = testbed::private("bridges");
    let net = unique("net");
    let made = Out::of(engine.docker().args(["network", "create", &net]));
    let id = made.ok().trim().to_string();
    let internal =
        Out::of(
            engine
                .docker()
                .args(["network", "create", "--internal", &unique("in")]),
        );
    let bridges = [&id, internal.ok().trim()].map(|id| format!("br-{}", &id[..12]));
    for b in &bridges {
        assert!(device(b).exists(), "no bridge {b} for the engine's network");
    }
    engine.stop();
    for b in &bridges {
        assert!(
            device(b).exists(),
            "{b} went with its dockerd: nothing to test"
        );
    }
    drop(engine);
    for b in &bridges {
        assert!(!device(b).exists(), "{b} outlived its engine");
    }
}
