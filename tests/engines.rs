//! Against real dockerd engines (the two-engine test bed): each link reaches
//! its own engine, and the headline use — `ssh box pg-docker ps` — works.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::harness::sshd::{self, SshdOpts};
use crate::harness::testbed::{self, IMAGE};
use crate::harness::{Env, Out, SYSTEM_PATH};

/// An Env whose config maps pg and lzc to the test bed's engines, with the
/// real docker client on PATH and both links made.
pub fn bed_env() -> Env {
    let bed = testbed::shared();
    let env = Env::new();
    env.user_config(&format!(
        "[engines.pg]\nhost = \"{}\"\n\n[engines.lzc]\nhost = \"{}\"\n",
        bed.pg.host, bed.lzc.host
    ));
    std::os::unix::fs::symlink(testbed::real_docker(), env.bin.join("docker")).unwrap();
    env.link("pg-docker");
    env.link("lzc-docker");
    env
}

/// A name no other test (or earlier run) uses.
pub fn unique(prefix: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{prefix}-{}-{nanos}", std::process::id())
}

fn lines(out: &Out) -> Vec<String> {
    out.ok().lines().map(str::to_string).collect()
}

#[test]
fn containers_and_volumes_stay_in_their_engine() {
    let env = bed_env();
    for (mine, other) in [("pg-docker", "lzc-docker"), ("lzc-docker", "pg-docker")] {
        let name = unique(&format!("iso-{mine}"));
        env.run(
            mine,
            [
                "create",
                "--name",
                &name,
                "--network",
                "none",
                IMAGE,
                "true",
            ],
        )
        .ok();
        env.run(mine, ["volume", "create", &name]).ok();

        let containers = |cmd| lines(&env.run(cmd, ["ps", "-a", "--format", "{{.Names}}"]));
        let volumes = |cmd| lines(&env.run(cmd, ["volume", "ls", "--format", "{{.Name}}"]));
        assert!(
            containers(mine).contains(&name),
            "{mine} lost its container"
        );
        assert!(volumes(mine).contains(&name), "{mine} lost its volume");
        assert!(
            !containers(other).contains(&name),
            "{other} sees {mine}'s container"
        );
        assert!(
            !volumes(other).contains(&name),
            "{other} sees {mine}'s volume"
        );
    }
}

#[test]
fn each_link_talks_to_its_own_daemon() {
    let bed = testbed::shared();
    let env = bed_env();
    for (cmd, engine) in [("pg-docker", &bed.pg), ("lzc-docker", &bed.lzc)] {
        let out = env.run(cmd, ["info", "--format", "{{.DockerRootDir}}"]);
        let root = out.ok().trim();
        assert!(
            root.starts_with(engine.root.to_str().unwrap()),
            "{cmd} answered from {root}, expected under {}",
            engine.root.display()
        );
    }
}

#[test]
fn a_container_runs_with_the_tty_less_streams_of_docker() {
    let env = bed_env();
    let out = env.run(
        "pg-docker",
        [
            "run",
            "--rm",
            "--network",
            "none",
            IMAGE,
            "sh",
            "-c",
            "echo out; echo err >&2; exit 7",
        ],
    );
    assert_eq!(out.code, Some(7), "{out}");
    assert_eq!(out.stdout, "out\n");
    assert_eq!(out.stderr, "err\n");
}

#[test]
fn over_ssh_pg_docker_ps_lists_the_pg_engines_containers() {
    let env = bed_env();
    let pg_only = unique("ssh-pg");
    let lzc_only = unique("ssh-lzc");
    env.run(
        "pg-docker",
        [
            "create",
            "--name",
            &pg_only,
            "--network",
            "none",
            IMAGE,
            "true",
        ],
    )
    .ok();
    env.run(
        "lzc-docker",
        [
            "create",
            "--name",
            &lzc_only,
            "--network",
            "none",
            IMAGE,
            "true",
        ],
    )
    .ok();

    // What an installed box gives a non-interactive ssh session: the links on
    // PATH and the config in place. Nothing else of the test's environment.
    let sshd = sshd::start(SshdOpts {
        env: vec![
            (
                "PATH".into(),
                format!("{}:{SYSTEM_PATH}", env.bin.display()),
            ),
            (
                "DOCKMUX_CONFIG".into(),
                env.user_config_path().display().to_string(),
            ),
        ],
        ..Default::default()
    });
    let out = Out::of(&mut sshd.ssh("pg-docker ps -a --format '{{.Names}}'"));
    let names = lines(&out);
    assert!(names.contains(&pg_only), "{out}");
    assert!(!names.contains(&lzc_only), "{out}");

    // docker's exit status comes back through ssh unchanged.
    let out = Out::of(&mut sshd.ssh("pg-docker inspect --type container no-such-container-here"));
    assert_eq!(out.code, Some(1), "{out}");
    assert!(out.stderr.contains("no-such-container-here"), "{out}");
}
