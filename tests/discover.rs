//! `dockmux discover`: engines from /proc, daemon.json files (the seed's
//! LazyCat ones), well-known sockets and the context store; `--write`.

use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::engines::bed_env;
use crate::harness::testbed;
use crate::harness::{Env, Out};

fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dest = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
            copy_tree(&entry.path(), &dest);
        } else {
            std::fs::copy(entry.path(), dest).unwrap();
        }
    }
}

/// A fixture `/` holding the seed's LazyCat daemon.json files, and a /proc
/// with the app store's dockerd and a systemd-started system dockerd.
fn lazycat_root(env: &Env) -> PathBuf {
    let root = env.root().join("box");
    std::fs::create_dir_all(&root).unwrap();
    copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lazycat"),
        &root,
    );
    let procs: [(u32, &[&str]); 3] = [
        (1, &["/sbin/init"]),
        (
            4242,
            &[
                "/usr/bin/dockerd",
                "--config-file",
                "/lzcsys/etc/docker/daemon.json",
            ],
        ),
        (
            4243,
            &[
                "/usr/bin/dockerd",
                "-H",
                "fd://",
                "--containerd=/run/containerd/containerd.sock",
            ],
        ),
    ];
    for (pid, argv) in procs {
        let dir = root.join(format!("proc/{pid}"));
        std::fs::create_dir_all(&dir).unwrap();
        let cmdline: Vec<u8> = argv.iter().flat_map(|a| a.bytes().chain([0])).collect();
        std::fs::write(dir.join("cmdline"), cmdline).unwrap();
    }
    root
}

fn discover_json(env: &Env, extra: &[&str]) -> Vec<Value> {
    let out = Out::of(env.dockmux(["discover", "--json"]).args(extra));
    let v: Value = serde_json::from_str(out.ok()).unwrap_or_else(|e| panic!("{e}: {out}"));
    v.as_array().unwrap().clone()
}

fn entry<'a>(found: &'a [Value], host: &str) -> &'a Value {
    found
        .iter()
        .find(|f| f["host"] == host)
        .unwrap_or_else(|| panic!("{host} not found in {found:#?}"))
}

fn places(v: &Value) -> Vec<&str> {
    v["found_in"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect()
}

#[test]
fn with_root_the_seeds_lazycat_files_and_daemons_are_found() {
    let env = Env::new();
    env.user_config("[engines.other]\nhost = \"ssh://me@elsewhere\"\n");
    let root = lazycat_root(&env);
    let found = discover_json(&env, &["--root", root.to_str().unwrap()]);
    assert_eq!(found.len(), 3, "{found:#?}");

    let pg = entry(&found, "unix:///data/playground/docker.sock");
    assert_eq!(pg["state"], "new");
    // From the file's containerd-namespace, "playground-docker".
    assert_eq!(pg["name"], "playground");
    assert!(
        places(pg)[0].starts_with("/lzcsys/var/playground/daemon.json"),
        "{pg}"
    );

    let lzc = entry(&found, "unix:///lzcsys/run/lzc-docker/docker.sock");
    assert_eq!(lzc["name"], "lzc");
    assert_eq!(
        places(lzc),
        [
            "dockerd pid 4242 (--config-file /lzcsys/etc/docker/daemon.json)",
            "/lzcsys/etc/docker/daemon.json"
        ]
    );

    // The system engine: systemd's socket (fd://), and a daemon.json without hosts.
    let sys = entry(&found, "unix:///var/run/docker.sock");
    assert_eq!(
        places(sys),
        ["dockerd pid 4243 (-H fd://)", "/etc/docker/daemon.json"]
    );
}

#[test]
fn engines_already_configured_are_reported_by_their_name_not_proposed() {
    // No config file: the built-in engines are LazyCat's pg and lzc.
    let env = Env::new();
    let root = lazycat_root(&env);
    let found = discover_json(&env, &["--root", root.to_str().unwrap()]);
    let pg = entry(&found, "unix:///data/playground/docker.sock");
    assert_eq!(
        (&pg["state"], &pg["name"]),
        (&"configured".into(), &"pg".into())
    );
    let lzc = entry(&found, "unix:///lzcsys/run/lzc-docker/docker.sock");
    assert_eq!(
        (&lzc["state"], &lzc["name"]),
        (&"configured".into(), &"lzc".into())
    );

    // The table and the TOML to paste hold only the new one.
    let out = Out::of(&mut env.dockmux(["discover", "--root", root.to_str().unwrap()]));
    let text = out.ok();
    let toml = &text[text.find("\n# Run `dockmux discover --write`").expect(text)..];
    assert!(
        toml.contains("[engines.system]\nhost = \"unix:///var/run/docker.sock\"\n"),
        "{text}"
    );
    assert!(
        !toml.contains("[engines.pg") && !toml.contains("playground"),
        "{text}"
    );
}

#[test]
fn discover_write_adds_new_engines_once_under_names_that_clash_with_nothing() {
    let env = Env::new();
    let before = "# mine\n[engines.lzc]\nhost = \"ssh://me@other-box\"   # not the store\n\n[engines.play]\nhost = \"unix:///data/playground/docker.sock\"\n";
    let path = env.user_config(before);
    let root = lazycat_root(&env);
    let root = root.to_str().unwrap();
    let out = Out::of(&mut env.dockmux(["discover", "--root", root, "--write"]));
    out.ok();
    let after = std::fs::read_to_string(&path).unwrap();
    assert!(after.starts_with(before), "{after}");
    let added = &after[before.len()..];
    // 'lzc' is taken by another host: the store engine becomes lzc-2; the
    // playground is configured already (as 'play') and is not added again.
    assert!(
        added.contains("[engines.lzc-2]\nhost = \"unix:///lzcsys/run/lzc-docker/docker.sock\"\n"),
        "{added}"
    );
    assert!(
        added.contains("[engines.system]\nhost = \"unix:///var/run/docker.sock\"\n"),
        "{added}"
    );
    assert!(!added.contains("playground/docker.sock"), "{added}");
    let names = Out::of(&mut env.dockmux(["list", "--names"]));
    assert_eq!(names.ok(), "lzc\nlzc-2\nplay\nsystem\n");

    // Again: everything is configured now; the file is not touched.
    let mtime = std::fs::metadata(&path).unwrap().modified().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let out = Out::of(&mut env.dockmux(["discover", "--root", root, "--write"]));
    assert!(out.ok().contains("nothing new to add"), "{out}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), after);
    assert_eq!(std::fs::metadata(&path).unwrap().modified().unwrap(), mtime);
}

#[test]
fn well_known_sockets_and_docker_contexts_are_found() {
    let mut env = Env::new();
    let cfg = env.root().join("engines.toml");
    std::fs::write(&cfg, "[engines.other]\nhost = \"ssh://elsewhere\"\n").unwrap();
    env.var("DOCKMUX_CONFIG", &cfg)
        .var("HOME", "/home/me")
        .var("XDG_RUNTIME_DIR", "/run/user/1000");
    let root = env.root().join("r");
    let sockets = [
        ("/run/user/1000/docker.sock", "rootless"),
        ("/run/podman/podman.sock", "podman"),
        ("/home/me/.colima/default/docker.sock", "colima"),
        ("/home/me/.colima/work/docker.sock", "colima-work"),
        ("/home/me/.lima/docker/sock/docker.sock", "lima-docker"),
        ("/home/me/.orbstack/run/docker.sock", "orbstack"),
        ("/home/me/.docker/desktop/docker.sock", "desktop"),
    ];
    let mut listeners = Vec::new();
    for (path, _) in sockets {
        let p = root.join(path.trim_start_matches('/'));
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        listeners.push(UnixListener::bind(&p).unwrap());
    }
    // A plain file where a socket would be is not an engine.
    let not_sock = root.join("var/run/docker.sock");
    std::fs::create_dir_all(not_sock.parent().unwrap()).unwrap();
    std::fs::write(&not_sock, "").unwrap();
    // A context as `docker context create nas --docker host=ssh://me@nas` stores it.
    let meta = root.join("home/me/.docker/contexts/meta/0f1e2d");
    std::fs::create_dir_all(&meta).unwrap();
    std::fs::write(
        meta.join("meta.json"),
        r#"{"Name":"nas","Metadata":{},"Endpoints":{"docker":{"Host":"ssh://me@nas","SkipTLSVerify":false}}}"#,
    )
    .unwrap();

    let found = discover_json(&env, &["--root", root.to_str().unwrap()]);
    for (path, name) in sockets {
        let e = entry(&found, &format!("unix://{path}"));
        assert_eq!(e["name"], name, "{e}");
        assert_eq!(places(e), [format!("socket {path}")]);
    }
    let nas = entry(&found, "ssh://me@nas");
    assert_eq!(nas["name"], "nas");
    assert_eq!(places(nas), ["docker context 'nas'"]);
    assert_eq!(found.len(), sockets.len() + 1, "{found:#?}");
    drop(listeners);
}

#[test]
fn discover_finds_the_test_beds_running_daemons_from_proc() {
    testbed::require_engines();
    let bed = testbed::shared();
    let env = Env::new();
    env.user_config("[engines.other]\nhost = \"ssh://me@elsewhere\"\n");
    let found = discover_json(&env, &[]);
    for engine in [&bed.pg, &bed.lzc] {
        let e = entry(&found, &engine.host);
        assert_eq!(e["state"], "new", "{e}");
        // Named from the daemon's containerd namespace, which ends in the engine's name.
        assert!(e["name"].as_str().unwrap().ends_with(&engine.name), "{e}");
        let place = places(e)
            .into_iter()
            .find(|p| p.starts_with("dockerd pid "))
            .unwrap_or_else(|| panic!("not found from /proc: {e}"));
        assert!(place.ends_with(&format!("(-H {})", engine.host)), "{place}");
        // The pid is that daemon's.
        let pid: u32 = place["dockerd pid ".len()..]
            .split(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap();
        assert!(
            String::from_utf8_lossy(&cmdline).contains(engine.sock.to_str().unwrap()),
            "pid {pid} is not {}'s dockerd",
            engine.name
        );
    }
    // With the test bed configured, they are reported under their names.
    let env = bed_env();
    let found = discover_json(&env, &[]);
    for (engine, name) in [(&bed.pg, "pg"), (&bed.lzc, "lzc")] {
        let e = entry(&found, &engine.host);
        assert_eq!(
            (e["state"].as_str(), e["name"].as_str()),
            (Some("configured"), Some(name))
        );
    }
}

#[test]
fn a_relative_config_file_is_read_from_the_daemons_working_directory() {
    let mut env = Env::new();
    let cfg = env.root().join("engines.toml");
    std::fs::write(&cfg, "").unwrap();
    env.var("DOCKMUX_CONFIG", &cfg);
    let root = env.root().join("r");
    let proc = root.join("proc/77");
    std::fs::create_dir_all(&proc).unwrap();
    std::fs::write(
        proc.join("cmdline"),
        b"dockerd\0--config-file\0pg/daemon.json\0",
    )
    .unwrap();
    std::os::unix::fs::symlink("/srv/engines", proc.join("cwd")).unwrap();
    std::fs::create_dir_all(root.join("srv/engines/pg")).unwrap();
    std::fs::write(
        root.join("srv/engines/pg/daemon.json"),
        r#"{"hosts": ["unix:///srv/engines/pg/docker.sock"], "containerd-namespace": "box-pg"}"#,
    )
    .unwrap();
    let found = discover_json(&env, &["--root", root.to_str().unwrap()]);
    let e = entry(&found, "unix:///srv/engines/pg/docker.sock");
    assert_eq!(e["name"], "box-pg");
    assert_eq!(
        places(e),
        ["dockerd pid 77 (--config-file /srv/engines/pg/daemon.json)"]
    );
}

#[test]
fn discover_write_with_nothing_found_writes_nothing() {
    let env = Env::new();
    let empty = env.root().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let out = Out::of(&mut env.dockmux(["discover", "--root", empty.to_str().unwrap(), "--write"]));
    assert!(out.ok().contains("no engines found"), "{out}");
    // The built-in engines are in use and stay so: no file was created.
    assert!(!env.user_config_path().exists());
}
