//! `dockmux discover`: engines from /proc, daemon.json files (the seed's
//! LazyCat ones), well-known sockets and the context store; `--write`.

use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::UnixListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

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
        fake_process(&root, pid, argv, 0);
    }
    root
}

/// `/proc/PID` in the tree at `root`: a process with `argv`, run by `uid`.
fn fake_process(root: &Path, pid: u32, argv: &[&str], uid: u32) {
    let dir = root.join(format!("proc/{pid}"));
    std::fs::create_dir_all(&dir).unwrap();
    let cmdline: Vec<u8> = argv.iter().flat_map(|a| a.bytes().chain([0])).collect();
    std::fs::write(dir.join("cmdline"), cmdline).unwrap();
    // As the kernel writes it: real, effective, saved and filesystem uid.
    std::fs::write(
        dir.join("status"),
        format!("Name:\tdockerd\nUid:\t{uid}\t{uid}\t{uid}\t{uid}\nGid:\t0\t0\t0\t0\n"),
    )
    .unwrap();
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
    fake_process(
        &root,
        77,
        &["dockerd", "--config-file", "pg/daemon.json"],
        0,
    );
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

/// An Env for reading a tree with `--root`: HOME is the tree's `/home/me`,
/// the config an empty file of the test's own.
fn tree_env() -> (Env, PathBuf) {
    let mut env = Env::new();
    let config = env.root().join("engines.toml");
    std::fs::write(&config, "").unwrap();
    env.var("DOCKMUX_CONFIG", &config).var("HOME", "/home/me");
    (env, config)
}

// Trust (issue 9, item 3): another user's dockerd, socket, daemon.json or
// context is shown untrusted, with its owner, and never written.

/// A real process run by `uid` whose command line is `dockerd ARGS…` (the
/// fast fake client, waiting); killed when dropped.
struct FakeDaemon(Child);

impl FakeDaemon {
    fn start(uid: u32, args: &[&str]) -> FakeDaemon {
        let mut child = Command::new(crate::hardening::fake_client())
            .arg0("dockerd")
            .args(args)
            .env_clear()
            .env("FAKE_MODE", "wait")
            .uid(uid)
            .gid(uid)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        // "ready": it runs, as `uid`, with its command line in /proc.
        let mut ready = [0u8; 6];
        child.stdout.take().unwrap().read_exact(&mut ready).unwrap();
        FakeDaemon(child)
    }

    fn pid(&self) -> u32 {
        self.0.id()
    }
}

impl Drop for FakeDaemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A socket at `path` owned by `uid`; open while the listener lives.
fn socket_of(path: &Path, uid: u32) -> UnixListener {
    let l = UnixListener::bind(path).unwrap();
    std::os::unix::fs::chown(path, Some(uid), Some(uid)).unwrap();
    l
}

/// The name of uid 65534 as the system's own tools say it.
fn nobody() -> String {
    let out = Out::of(Command::new("getent").args(["passwd", "65534"]));
    out.ok().split(':').next().unwrap().to_string()
}

#[test]
fn another_users_dockerd_and_sockets_are_shown_untrusted_and_never_written() {
    let mut env = Env::new();
    let config = env.user_config("");
    let dir = env.root().join("run");
    std::fs::create_dir_all(&dir).unwrap();
    let sock = |name: &str| format!("unix://{}/{name}", dir.display());
    // uid 65534 runs a dockerd that names a socket path; root runs its own,
    // one of whose sockets uid 65534 got to first.
    let theirs = FakeDaemon::start(65534, &["-H", &sock("prod.sock")]);
    let mine = FakeDaemon::start(0, &["-H", &sock("mine.sock"), "-H", &sock("squat.sock")]);
    let _squat = socket_of(&dir.join("squat.sock"), 65534);
    // A rootless engine's socket, but uid 65534's.
    env.var("XDG_RUNTIME_DIR", &dir);
    let _rootless = socket_of(&dir.join("docker.sock"), 65534);

    let nobody = nobody();
    let who = format!("{nobody} (uid 65534)");
    let found = discover_json(&env, &[]);
    let prod = entry(&found, &sock("prod.sock"));
    assert_eq!(
        (
            &prod["state"],
            &prod["trusted"],
            &prod["owner"],
            &prod["owner_uid"]
        ),
        (
            &"untrusted".into(),
            &false.into(),
            &nobody.clone().into(),
            &65534.into()
        ),
        "{prod}"
    );
    assert_eq!(
        places(prod),
        [format!(
            "dockerd pid {} (-H {}), run by {who}",
            theirs.pid(),
            sock("prod.sock")
        )]
    );
    let ok = entry(&found, &sock("mine.sock"));
    assert_eq!(
        (&ok["state"], &ok["trusted"], &ok["owner"]),
        (&"new".into(), &true.into(), &"root".into())
    );
    let squat = entry(&found, &sock("squat.sock"));
    assert_eq!(squat["state"], "untrusted", "{squat}");
    assert_eq!(
        places(squat),
        [
            format!("dockerd pid {} (-H {})", mine.pid(), sock("squat.sock")),
            format!("socket {}/squat.sock, owned by {who}", dir.display()),
        ]
    );
    let rootless = entry(&found, &sock("docker.sock"));
    assert_eq!(rootless["state"], "untrusted", "{rootless}");
    assert_eq!(
        places(rootless),
        [format!(
            "socket {}/docker.sock, owned by {who}",
            dir.display()
        )]
    );

    let out = Out::of(&mut env.dockmux(["discover"]));
    let text = out.ok();
    let row = text.lines().find(|l| l.contains("prod.sock")).unwrap();
    assert!(
        row.starts_with("untrusted ") && row.ends_with(&format!("run by {who}")),
        "{out}"
    );
    assert!(
        text.contains("# untrusted: found through a process, file or socket of another user"),
        "{out}"
    );
    let paste = &text[text.find("# Run `dockmux discover --write`").expect(text)..];
    assert!(
        paste.contains("mine.sock") && !paste.contains("prod.sock"),
        "{out}"
    );

    Out::of(&mut env.dockmux(["discover", "--write"])).ok();
    let written = std::fs::read_to_string(&config).unwrap();
    assert!(written.contains(&sock("mine.sock")), "{written}");
    for never in ["prod.sock", "squat.sock", "docker.sock"] {
        assert!(
            !written.contains(&sock(never)),
            "{never} written:\n{written}"
        );
    }
}

#[test]
fn another_users_daemon_json_context_and_setuid_dockerd_are_untrusted() {
    let (env, _) = tree_env();
    let root = env.root().join("r");
    // The tree's own accounts name its uids.
    std::fs::create_dir_all(root.join("etc/docker")).unwrap();
    std::fs::write(
        root.join("etc/passwd"),
        "root:x:0:0::/root:/bin/sh\nmallory:x:4242:4242::/:/bin/sh\n",
    )
    .unwrap();
    let daemon_json = root.join("etc/docker/daemon.json");
    std::fs::write(&daemon_json, r#"{"hosts": ["unix:///srv/json.sock"]}"#).unwrap();
    std::os::unix::fs::chown(&daemon_json, Some(4242), None).unwrap();
    let meta = root.join("home/me/.docker/contexts/meta/0f1e2d");
    std::fs::create_dir_all(&meta).unwrap();
    std::fs::write(
        meta.join("meta.json"),
        r#"{"Name":"nas","Metadata":{},"Endpoints":{"docker":{"Host":"ssh://me@nas"}}}"#,
    )
    .unwrap();
    std::os::unix::fs::chown(meta.join("meta.json"), Some(4242), None).unwrap();
    // Started by mallory, running as root: its arguments are mallory's.
    fake_process(&root, 50, &["dockerd", "-H", "unix:///srv/setuid.sock"], 0);
    std::fs::write(root.join("proc/50/status"), "Uid:\t4242\t0\t0\t0\n").unwrap();
    // A root dockerd whose config file mallory owns.
    fake_process(
        &root,
        51,
        &["dockerd", "--config-file", "/etc/docker/daemon.json"],
        0,
    );

    let found = discover_json(&env, &["--root", root.to_str().unwrap()]);
    let json = entry(&found, "unix:///srv/json.sock");
    assert_eq!(
        (&json["state"], &json["owner"]),
        (&"untrusted".into(), &"mallory".into()),
        "{json}"
    );
    assert_eq!(
        places(json),
        [
            "dockerd pid 51 (--config-file /etc/docker/daemon.json), owned by mallory (uid 4242)",
            "/etc/docker/daemon.json, owned by mallory (uid 4242)"
        ]
    );
    let setuid = entry(&found, "unix:///srv/setuid.sock");
    assert_eq!(setuid["state"], "untrusted", "{setuid}");
    assert_eq!(
        places(setuid),
        ["dockerd pid 50 (-H unix:///srv/setuid.sock), run by mallory (uid 4242)"]
    );
    let nas = entry(&found, "ssh://me@nas");
    assert_eq!(nas["state"], "untrusted", "{nas}");
    assert_eq!(
        places(nas),
        ["docker context 'nas', owned by mallory (uid 4242)"]
    );
}

// Bounds (issue 9, item 11): whatever /proc and the files it names hold,
// discover reads only regular files, never blocks and stays small.

#[test]
fn a_fifo_device_or_huge_file_as_config_file_is_skipped_in_bounded_time_and_memory() {
    let (env, _) = tree_env();
    let root = env.root().join("r");
    std::fs::create_dir_all(root.join("cfg")).unwrap();
    let fifo = root.join("cfg/fifo");
    let c = std::ffi::CString::new(fifo.as_os_str().as_bytes()).unwrap();
    // SAFETY: c is a valid path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    std::fs::create_dir_all(root.join("dev")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", root.join("dev/zero")).unwrap();
    // 3 GiB, sparse.
    std::fs::File::create(root.join("cfg/huge.json"))
        .unwrap()
        .set_len(3 << 30)
        .unwrap();
    let configs = ["/cfg/fifo", "/dev/zero", "/cfg/huge.json"];
    for (pid, file) in (100..).zip(configs) {
        fake_process(&root, pid, &["dockerd", "--config-file", file], 0);
    }
    // A command line of 64 MiB, and one that is a FIFO.
    fake_process(&root, 200, &[], 0);
    let huge: Vec<u8> = b"/usr/bin/dockerd\0-H\0unix:///srv/long.sock\0"
        .iter()
        .copied()
        .chain(std::iter::repeat_n(b'x', 64 << 20))
        .collect();
    std::fs::write(root.join("proc/200/cmdline"), huge).unwrap();
    fake_process(&root, 201, &[], 0);
    std::fs::remove_file(root.join("proc/201/cmdline")).unwrap();
    let c = std::ffi::CString::new(root.join("proc/201/cmdline").as_os_str().as_bytes()).unwrap();
    // SAFETY: c is a valid path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);

    // Reading /dev/zero or the 3 GiB file whole dies at this limit; a FIFO never ends.
    let start = std::time::Instant::now();
    let out = crate::harness::finishes(env.program("/bin/sh").args([
        "-c",
        &format!(
            "ulimit -v 1000000; exec '{}' discover --json --root '{}'",
            crate::harness::dockmux_bin().display(),
            root.display()
        ),
    ]));
    eprintln!(
        "discover over a FIFO, /dev/zero, 3 GiB and 64 MiB files: {:?}",
        start.elapsed()
    );
    let found: Value = serde_json::from_str(out.ok()).unwrap_or_else(|e| panic!("{e}: {out}"));
    let found = found.as_array().unwrap();
    let sys = entry(found, "unix:///var/run/docker.sock");
    assert_eq!(
        places(sys),
        [
            "dockerd pid 100 (default socket; --config-file /cfg/fifo: a FIFO, not a regular file; not read)",
            "dockerd pid 101 (default socket; --config-file /dev/zero: a device, not a regular file; not read)",
            "dockerd pid 102 (default socket; --config-file /cfg/huge.json: 3221225472 bytes, more than the 1024 KiB read at most; not read)",
        ]
    );
    let long = entry(found, "unix:///srv/long.sock");
    assert_eq!(places(long), ["dockerd pid 200 (-H unix:///srv/long.sock)"]);
}

// Escapes (issue 9, item 8): what processes, daemon.json and contexts say
// reaches the terminal as text; a host with a control character is never proposed.

#[test]
fn process_arguments_daemon_json_and_contexts_are_shown_escaped() {
    let (env, config) = tree_env();
    let root = env.root().join("r");
    fake_process(
        &root,
        60,
        &["dockerd", "-H", "unix:///srv/a\x1b]0;OWNED\x07.sock"],
        0,
    );
    fake_process(
        &root,
        61,
        &[
            "dockerd",
            "-H",
            "unix:///srv/b.sock",
            "--containerd-namespace",
            "\x1b[2Jns",
        ],
        0,
    );
    std::fs::create_dir_all(root.join("etc/docker")).unwrap();
    std::fs::write(
        root.join("etc/docker/daemon.json"),
        r#"{"hosts": ["unix:///srv/\r\u009b2Jc.sock"]}"#,
    )
    .unwrap();
    let meta = root.join("home/me/.docker/contexts/meta/0f1e2d");
    std::fs::create_dir_all(&meta).unwrap();
    std::fs::write(
        meta.join("meta.json"),
        r#"{"Name":"nas\u001b]0;X\u0007","Metadata":{"Description":"\u202eevil\n# forged"},"Endpoints":{"docker":{"Host":"ssh://me@nas"}}}"#,
    )
    .unwrap();
    let args = ["discover", "--root", root.to_str().unwrap()];
    for json in [false, true] {
        let out = Out::of(env.dockmux(args).args(json.then_some("--json")));
        let shown: Vec<char> = out
            .stdout
            .chars()
            .chain(out.stderr.chars())
            .filter(|&c| {
                (c < ' ' && c != '\n') || ('\x7f'..='\u{9f}').contains(&c) || c == '\u{202e}'
            })
            .collect();
        assert!(shown.is_empty(), "printed {shown:?} raw:\n{out}");
    }
    let found = discover_json(&env, &args[1..]);
    let a = entry(&found, r"unix:///srv/a\x1b]0;OWNED\x07.sock");
    assert_eq!(a["state"], "unusable", "{a}");
    assert_eq!(
        entry(&found, r"unix:///srv/\r\u{9b}2Jc.sock")["state"],
        "unusable"
    );
    // A name is made of letters, digits and dashes only.
    assert_eq!(entry(&found, "unix:///srv/b.sock")["name"], "2jns");
    let nas = entry(&found, "ssh://me@nas");
    assert_eq!(places(nas), [r"docker context 'nas\x1b]0;X\x07'"]);

    Out::of(env.dockmux(args).arg("--write")).ok();
    let written = std::fs::read_to_string(&config).unwrap();
    assert!(
        !written.contains("/srv/a") && !written.contains("c.sock"),
        "{written}"
    );
    assert!(
        written.contains("unix:///srv/b.sock") && written.contains("ssh://me@nas"),
        "{written}"
    );
    // The context's description arrives as text: no line of it is TOML of its own.
    assert!(
        !written.lines().any(|l| l.starts_with("# forged")),
        "{written}"
    );
}
