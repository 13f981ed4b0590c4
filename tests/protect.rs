//! Issue 18: a protected engine judged by what a command would touch, on
//! the real test bed. Each route below ran unconfirmed before (exit 0, the
//! host or the engine's data reached); now it is held, and confirmed it
//! still does what it did, which shows the route was real.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::engines::unique;
use crate::harness::testbed::{self, IMAGE};
use crate::harness::{Env, Out};

/// `lzc` (the shared bed's second engine) protected, with `extra` keys.
fn protected(extra: &str) -> Env {
    let bed = testbed::shared();
    let env = Env::new();
    env.user_config(&format!(
        "[engines.lzc]\nhost = \"{}\"\nprotect = true\n{extra}",
        bed.lzc.host
    ));
    std::os::unix::fs::symlink(testbed::real_docker(), env.bin.join("docker")).unwrap();
    env.link("lzc-docker");
    env
}

fn held(out: &Out, why: &str) {
    let err = out.fails(125);
    assert!(
        err.contains("engine 'lzc' is protected") && err.contains(why) && out.stdout.is_empty(),
        "wanted {why:?}: {out}"
    );
}

/// `lzc-docker ARGS` with the engine's name given: what the command does.
fn confirmed<I, S>(env: &Env, args: I) -> Out
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let mut cmd = env.cmd("lzc-docker");
    cmd.args(args).env("DOCKMUX_CONFIRM", "lzc");
    Out::of(&mut cmd)
}

/// `run --rm --network none FLAG VALUE mini:1 CMD…`.
fn run_with(flag: &str, value: &str, cmd: &[&str]) -> Vec<String> {
    ["run", "--rm", "--network", "none", flag, value, IMAGE]
        .iter()
        .chain(cmd)
        .map(|s| s.to_string())
        .collect()
}

/// `run … -v SAFE:/s IMAGE cat /s/f`: reads the file the tests put in a
/// bind source they made.
fn cat_safe_file(safe: &Path) -> Vec<String> {
    run_with("-v", &format!("{}:/s", safe.display()), &["cat", "/s/f"])
}

fn exists(volume: &str) -> bool {
    Out::of(lzc().args(["volume", "inspect", volume]))
        .raw
        .status
        .success()
}

fn lzc() -> Command {
    testbed::shared().lzc.docker()
}

/// A file on the host whose text only this test knows.
fn marker(env: &Env) -> (PathBuf, String) {
    let text = unique("marker");
    let path = env.root().join("marker");
    std::fs::write(&path, &text).unwrap();
    (path, text)
}

#[test]
fn the_hosts_root_through_volume_driver_options_is_held() {
    let env = protected("");
    let (path, text) = marker(&env);
    let vol = unique("hostroot");
    let mount = format!(
        "type=volume,src={vol},dst=/h,volume-opt=type=none,volume-opt=o=bind,volume-opt=device=/"
    );
    let inside = format!("/h{}", path.display());
    let args = run_with("--mount", &mount, &["cat", &inside]);
    held(&env.run("lzc-docker", &args), "driver options");
    assert!(!exists(&vol));
    // Confirmed, the container reads the host's files: the route is real.
    let out = confirmed(&env, args);
    assert_eq!(out.ok(), text);
    Out::of(lzc().args(["volume", "rm", &vol])).ok();

    // volume create -o …, then a plain -v of it.
    let vol = unique("hostroot");
    let create = [
        "volume",
        "create",
        "-o",
        "type=none",
        "-o",
        "o=bind",
        "-o",
        "device=/",
        &vol,
    ];
    held(&env.run("lzc-docker", create), "driver options");
    assert!(!exists(&vol));
    Out::of(lzc().args(create)).ok();
    let args = run_with("-v", &format!("{vol}:/h"), &["cat", &inside]);
    held(&env.run("lzc-docker", &args), "has driver options");
    assert_eq!(confirmed(&env, args).ok(), text);
    Out::of(lzc().args(["volume", "rm", &vol])).ok();
}

#[test]
fn relative_and_home_bind_sources_are_held() {
    let env = protected("");
    let (path, _) = marker(&env);
    let sub = env.root().join("sub");
    std::fs::create_dir_all(&sub).unwrap();
    let inside = format!("/h{}", path.display());
    for (dir, src) in [
        (Path::new("/"), "."),
        (Path::new("/"), "./"),
        (sub.as_path(), ".."),
        (sub.as_path(), "../.."),
        (Path::new("/tmp"), "~"),
        (Path::new("/tmp"), "~/"),
    ] {
        let v = format!("{src}:/h");
        let mut cmd = env.cmd("lzc-docker");
        cmd.current_dir(dir)
            .env("XDG_CONFIG_HOME", env.home.join(".config"))
            .env("HOME", "/")
            .args([
                "run",
                "--rm",
                "--network",
                "none",
                "-v",
                &v,
                IMAGE,
                "cat",
                &inside,
            ]);
        let out = Out::of(&mut cmd);
        held(&out, "bind-mounts");
    }
}

/// A loop device on a temp image, detached when dropped.
struct Loop {
    dev: String,
    image: PathBuf,
}

impl Loop {
    fn new(env: &Env) -> Loop {
        let image = env.root().join("disk.img");
        std::fs::write(&image, vec![0u8; 1 << 20]).unwrap();
        let out = Out::of(Command::new("losetup").args(["-f", "--show"]).arg(&image));
        Loop {
            dev: out.ok().trim().to_string(),
            image,
        }
    }

    fn head(&self) -> Vec<u8> {
        std::fs::read(&self.image).unwrap()[..16].to_vec()
    }

    fn minor(&self) -> String {
        self.dev.trim_start_matches("/dev/loop").to_string()
    }
}

impl Drop for Loop {
    fn drop(&mut self) {
        let _ = Command::new("losetup").args(["-d", &self.dev]).status();
    }
}

#[test]
fn raw_devices_and_device_rules_are_held() {
    let env = protected("");
    let disk = Loop::new(&env);
    assert!(disk.dev.starts_with("/dev/loop"), "{}", disk.dev);
    let map = format!("{}:/dev/x", disk.dev);
    let write = ["sh", "-c", "echo PWNED > /dev/x"];
    let mut args = vec!["run", "--rm", "--network", "none", "--device", &map, IMAGE];
    args.extend(write);
    held(&env.run("lzc-docker", &args), "device");
    assert_eq!(disk.head(), [0; 16]);
    confirmed(&env, &args).ok();
    Command::new("sync").status().unwrap();
    assert_eq!(&disk.head()[..6], b"PWNED\n", "the device route is real");

    std::fs::write(&disk.image, vec![0u8; 1 << 20]).unwrap();
    let mk = format!(
        "busybox mknod /dev/y b 7 {} && echo AGAIN > /dev/y",
        disk.minor()
    );
    let args = [
        "run",
        "--rm",
        "--network",
        "none",
        "--device-cgroup-rule",
        "b 7:* rwm",
        IMAGE,
        "sh",
        "-c",
        &mk,
    ];
    held(&env.run("lzc-docker", args), "host devices");
    let _ = Command::new("losetup").args(["-c", &disk.dev]).status();
    assert_eq!(disk.head(), [0; 16]);
    confirmed(&env, args).ok();
    Command::new("sync").status().unwrap();
    let _ = Command::new("losetup").args(["-c", &disk.dev]).status();
    assert_eq!(
        &disk.head()[..6],
        b"AGAIN\n",
        "the device rule route is real"
    );
}

#[test]
fn the_engines_data_root_is_asked_and_never_safe() {
    let bed = testbed::shared();
    let safe = tempdir("safe");
    std::fs::write(safe.join("f"), "safe file").unwrap();
    let root = bed.lzc.root.display().to_string();
    let env = protected(&format!(
        "safe_binds = [\"{root}\", \"{}\"]\n",
        safe.display()
    ));
    // Under safe_binds and clear of the data root and socket: runs unconfirmed.
    assert_eq!(
        env.run("lzc-docker", cat_safe_file(&safe)).ok(),
        "safe file"
    );
    let cache = env.home.join(".cache/dockmux/data-root/lzc");
    let cached = std::fs::read_to_string(&cache).unwrap();
    assert!(cached.ends_with(&format!("{root}/data\n")), "{cached}");
    // The data root itself, below it, above it, spelled oddly: held.
    for src in [
        format!("{root}/data"),
        format!("{root}/data/volumes"),
        format!("{root}/data/../data/image"),
        format!("{root}//data/"),
    ] {
        let args = run_with("-v", &format!("{src}:/d"), &["ls", "/d"]);
        held(&env.run("lzc-docker", args), "the engine's data");
    }
    let args = run_with("-v", &format!("{root}/data/volumes:/d"), &["ls", "/d"]);
    let out = confirmed(&env, args);
    assert!(out.ok().contains("metadata.db"), "the route is real: {out}");
    // Above it: the socket is there too, which is named first.
    let v = format!("{root}:/d");
    held(
        &env.run("lzc-docker", ["run", "--rm", "-v", &v, IMAGE, "true"]),
        "the engine's socket",
    );
    std::fs::remove_dir_all(&safe).unwrap();
}

/// `add --protect`, then `set --safe-bind` and `set --data-root`: what the
/// file then holds, and the engine path judging a real engine's binds by it.
#[test]
fn add_and_set_write_safe_binds_and_data_root_and_the_policy_obeys() {
    let bed = testbed::shared();
    let safe = tempdir("set");
    std::fs::write(safe.join("f"), "safe file").unwrap();
    let env = Env::new();
    // A config of the user's own: the built-in lzc is not in it.
    env.user_config("# mine\n");
    std::os::unix::fs::symlink(testbed::real_docker(), env.bin.join("docker")).unwrap();
    env.link("lzc-docker");
    let dockmux = |args: &[&str]| Out::of(&mut env.dockmux(args));
    let file = || std::fs::read_to_string(env.user_config_path()).unwrap();
    dockmux(&["add", "lzc", &bed.lzc.host, "--protect"]).ok();
    let cat = cat_safe_file(&safe);
    // Protected, no safe bind: a bind of the host is held.
    held(&env.run("lzc-docker", &cat), "binds");
    let dir = safe.display().to_string();
    dockmux(&["set", "lzc", "--safe-bind", &dir]).ok();
    assert!(
        file().contains(&format!("safe_binds = [\"{dir}\"]")),
        "{}",
        file()
    );
    assert_eq!(env.run("lzc-docker", &cat).ok(), "safe file");
    // The file's data_root is the engine's data root now, not asked: safe
    // binds never reach it.
    dockmux(&["set", "lzc", "--data-root", &dir]).ok();
    assert!(
        file().contains(&format!("data_root = \"{dir}\"")),
        "{}",
        file()
    );
    held(&env.run("lzc-docker", &cat), "the engine's data");
    dockmux(&["set", "lzc", "--no-data-root"]).ok();
    assert!(!file().contains("data_root"), "{}", file());
    assert_eq!(env.run("lzc-docker", &cat).ok(), "safe file");
    std::fs::remove_dir_all(&safe).unwrap();
}

fn tempdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(unique(&format!("dmx18-{tag}")));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn the_data_root_cache_follows_the_socket() {
    let engine = testbed::private("dataroot");
    let safe = tempdir("cache");
    let env = Env::new();
    let root = engine.root.display().to_string();
    env.user_config(&format!(
        "[engines.lzc]\nhost = \"{}\"\nprotect = true\nsafe_binds = [\"{root}/data\", \"{}\"]\n",
        engine.host,
        safe.display()
    ));
    std::os::unix::fs::symlink(crate::hardening::fake_client(), env.bin.join("docker")).unwrap();
    env.link("lzc-docker");
    let v = format!("{root}/data/volumes:/d");
    let into_data = ["run", "-v", v.as_str(), "img"];
    held(&env.run("lzc-docker", into_data), "the engine's data");
    let cache = env.home.join(".cache/dockmux/data-root/lzc");
    let text = std::fs::read_to_string(&cache).unwrap();
    // The cache is what is read: a root elsewhere (same socket) lets it run.
    std::fs::write(
        &cache,
        text.replace(&format!("{root}/data\n"), "/elsewhere\n"),
    )
    .unwrap();
    assert_eq!(env.run("lzc-docker", into_data).code, Some(0));
    // A restarted engine has a new socket: asked again, held again.
    engine.stop();
    engine.start();
    held(&env.run("lzc-docker", into_data), "the engine's data");
    // An engine that cannot be asked: held, unless data_root names the root.
    engine.stop();
    let s = format!("{}:/s", safe.display());
    let into_safe = ["run", "-v", s.as_str(), "img"];
    std::fs::remove_file(&cache).unwrap();
    held(
        &env.run("lzc-docker", into_safe),
        "cannot tell the engine's data root",
    );
    let config = std::fs::read_to_string(env.user_config_path()).unwrap();
    env.user_config(&format!("{config}data_root = \"{root}/data\"\n"));
    assert_eq!(env.run("lzc-docker", into_safe).code, Some(0));
    std::fs::remove_dir_all(&safe).unwrap();
}

#[test]
fn the_socket_is_found_through_symlinks() {
    let bed = testbed::shared();
    let dir = tempdir("sock");
    let link = dir.join("link");
    std::os::unix::fs::symlink(&bed.lzc.root, &link).unwrap();
    let root = bed.lzc.root.display().to_string();
    let env = Env::new();
    env.user_config(&format!(
        "[engines.lzc]\nhost = \"unix://{}/docker.sock\"\nprotect = true\nsafe_binds = [\"{root}\", \"{}\"]\n",
        link.display(),
        link.display()
    ));
    std::os::unix::fs::symlink(testbed::real_docker(), env.bin.join("docker")).unwrap();
    env.link("lzc-docker");
    for src in [
        root.clone(),
        format!("{root}/docker.sock"),
        link.display().to_string(),
    ] {
        let v = format!("{src}:/r");
        held(
            &env.run("lzc-docker", ["run", "--rm", "-v", &v, IMAGE, "true"]),
            "the engine's socket",
        );
    }
    // Debian's /var/run is /run: a socket configured under /var/run is held
    // through /run, which safe_binds lists.
    let env = Env::new();
    env.user_config(
        "[engines.lzc]\nhost = \"unix:///var/run/dmx18-none.sock\"\nprotect = true\nsafe_binds = [\"/run\"]\n",
    );
    std::os::unix::fs::symlink(crate::hardening::fake_client(), env.bin.join("docker")).unwrap();
    env.link("lzc-docker");
    assert!(
        std::fs::read_link("/var/run").is_ok(),
        "/var/run is a link here"
    );
    held(
        &env.run("lzc-docker", ["run", "-v", "/run:/r", "img"]),
        "the engine's socket",
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn other_containers_volumes_are_held_and_a_fresh_volume_runs() {
    let env = protected("");
    let app = unique("app");
    let vol = unique("appvol");
    let v = format!("{vol}:/d");
    Out::of(lzc().args([
        "create",
        "--name",
        &app,
        "--network",
        "none",
        "-v",
        &v,
        IMAGE,
        "true",
    ]))
    .ok();
    let m = format!("type=volume,src={vol},dst=/d");
    for args in [
        vec!["run", "--rm", "--network", "none", "-v", &v, IMAGE, "true"],
        vec!["create", "--network", "none", "--mount", &m, IMAGE, "true"],
    ] {
        held(&env.run("lzc-docker", &args), "another container uses");
    }
    held(
        &env.run(
            "lzc-docker",
            ["run", "--rm", "--volumes-from", &app, IMAGE, "true"],
        ),
        "volumes of container",
    );
    // A named volume no one uses, with no options: runs unconfirmed.
    let fresh = unique("fresh");
    let f = format!("{fresh}:/d");
    env.run(
        "lzc-docker",
        ["run", "--rm", "--network", "none", "-v", &f, IMAGE, "true"],
    )
    .ok();
    Out::of(lzc().args(["rm", &app])).ok();
    // With its container gone, appvol is no one else's.
    env.run(
        "lzc-docker",
        ["run", "--rm", "--network", "none", "-v", &v, IMAGE, "true"],
    )
    .ok();
    Out::of(lzc().args(["volume", "rm", &vol, &fresh])).ok();
}

/// `--network` is judged by what the network is: the host network named
/// by its ID, an ID prefix or the CSV form's `name=` is held as `host` is
/// (confirmed, the engine attaches the container to it); a network with
/// another driver, and one the engine does not have, are not held.
#[test]
fn a_network_whose_driver_is_host_is_held_by_what_it_is() {
    let env = protected("");
    let id = Out::of(lzc().args(["network", "inspect", "host", "--format", "{{.Id}}"]));
    let id = id.ok().trim().to_string();
    assert_eq!(id.len(), 64, "{id}");
    let short = &id[..12];
    for value in [
        id.clone(),
        short.to_string(),
        format!("name={short},alias=x"),
    ] {
        for flag in [
            vec!["--network".to_string(), value.clone()],
            vec![format!("--net={value}")],
        ] {
            let out = env.run(
                "lzc-docker",
                ["create"]
                    .iter()
                    .map(|s| s.to_string())
                    .chain(flag)
                    .chain([IMAGE.to_string(), "true".into()]),
            );
            held(&out, "runs a container in the host's network (network ");
        }
    }
    // Confirmed, the engine attaches the container to the host network.
    // (Debian 12's dockerd 20.10 then gives it a namespace of its own, as
    // `--network none` would: holding is the safe side, since which engines
    // give an ID the host's namespace is theirs to decide.)
    let c = unique("on-host-id");
    confirmed(
        &env,
        ["create", "--name", &c, "--network", short, IMAGE, "true"],
    )
    .ok();
    let nets = Out::of(lzc().args([
        "inspect",
        &c,
        "--format",
        "{{range $k, $v := .NetworkSettings.Networks}}{{$k}}{{end}}",
    ]));
    assert_eq!(nets.ok().trim(), "host", "{nets}");
    Out::of(lzc().args(["rm", &c])).ok();

    // Another driver runs unheld; so does a network the engine does not
    // have (the engine refuses it itself), however it is spelt.
    let net = unique("net");
    Out::of(lzc().args(["network", "create", "--internal", &net])).ok();
    let name = unique("on-net");
    env.run(
        "lzc-docker",
        ["create", "--name", &name, "--network", &net, IMAGE, "true"],
    )
    .ok();
    Out::of(lzc().args(["rm", &name])).ok();
    Out::of(lzc().args(["network", "rm", &net])).ok();
    for missing in ["nosuch-net", "ns:/proc/1/ns/net"] {
        let out = env.run(
            "lzc-docker",
            ["run", "--rm", "--network", missing, IMAGE, "true"],
        );
        assert!(
            !out.stderr.contains("is protected") && out.stderr.contains("not found"),
            "{missing}: {out}"
        );
    }
}

/// Values of the corpus's flags that a protected engine should let run:
/// what keeps a container in its sandbox, and the flags the policy judges
/// harmless (limits on a device, the client's own files, in-container paths).
fn sandboxed_values(flag: &str) -> Vec<&'static str> {
    match flag {
        "volume" => vec!["/anon", "corpus-fresh:/d"],
        "mount" => vec!["type=tmpfs,dst=/t", "type=volume,dst=/anon"],
        "tmpfs" => vec!["/t", "/t:size=1m"],
        "cap-drop" => vec!["ALL", "NET_RAW"],
        "security-opt" => vec!["no-new-privileges", "no-new-privileges:true"],
        "privileged" => vec!["false"],
        "network" => vec!["none"],
        "ipc" => vec!["private", "shareable", "none"],
        "cgroupns" => vec!["private"],
        "read-only" => vec!["true"],
        "workdir" => vec!["/w"],
        "volume-driver" => vec!["local"],
        "runtime" => vec!["runc"],
        "blkio-weight-device" => vec!["/dev/loop0:100"],
        "device-read-bps" | "device-write-bps" => vec!["/dev/loop0:1mb"],
        "device-read-iops" | "device-write-iops" => vec!["/dev/loop0:100"],
        "cgroup-parent" => vec!["corpus"],
        _ => vec![],
    }
}

/// What a created container reaches past its sandbox, by the engine's own
/// record of it (`docker inspect`): host binds, devices, device rules,
/// capabilities, privilege, the host's or another container's namespaces,
/// security options other than no-new-privileges, another container's
/// volumes, volume driver options. Empty when it reaches nothing.
fn reaches(c: &serde_json::Value) -> Vec<String> {
    let h = &c["HostConfig"];
    let mut found = Vec::new();
    let list = |v: &serde_json::Value| v.as_array().cloned().unwrap_or_default();
    for b in list(&h["Binds"]) {
        if b.as_str().is_some_and(|b| b.starts_with('/')) {
            found.push(format!("bind {b}"));
        }
    }
    for m in list(&c["Mounts"]) {
        if m["Type"] == "bind" {
            found.push(format!("bind mount {}", m["Source"]));
        }
    }
    for m in list(&h["Mounts"]) {
        let opts = &m["VolumeOptions"]["DriverConfig"]["Options"];
        if m["Type"] == "bind" || opts.as_object().is_some_and(|o| !o.is_empty()) {
            found.push(format!("mount {m}"));
        }
    }
    for key in [
        "Devices",
        "DeviceCgroupRules",
        "DeviceRequests",
        "CapAdd",
        "VolumesFrom",
    ] {
        if !list(&h[key]).is_empty() {
            found.push(format!("{key} {}", h[key]));
        }
    }
    if h["Privileged"] != false {
        found.push("privileged".into());
    }
    for key in [
        "PidMode",
        "IpcMode",
        "UTSMode",
        "UsernsMode",
        "CgroupnsMode",
        "NetworkMode",
    ] {
        let mode = h[key].as_str().unwrap_or_default();
        if mode == "host" || mode.starts_with("container:") {
            found.push(format!("{key} {mode}"));
        }
    }
    if c["NetworkSettings"]["Networks"].get("host").is_some() {
        found.push("on the host network".into());
    }
    for o in list(&h["SecurityOpt"]) {
        if !o
            .as_str()
            .unwrap_or_default()
            .starts_with("no-new-privileges")
        {
            found.push(format!("security option {o}"));
        }
    }
    found
}

/// The run corpus (tests/policy.rs: both clients' run help, every spelling)
/// with values that reach past the sandbox and values that do not, on the
/// real protected engine: every line the policy lets through unheld is
/// created for real, and the engine's record of the container shows that
/// it reaches nothing past its sandbox.
#[test]
fn the_run_corpus_lets_through_only_what_the_real_engine_keeps_in_its_sandbox() {
    let started = std::time::Instant::now();
    let env = protected("");
    let token = unique("corpus");
    let label = format!("dmx-corpus={token}");
    let values = |flag: &str, _: &str| -> Vec<String> {
        crate::policy::reaching_values(flag)
            .unwrap_or_default()
            .into_iter()
            .chain(sandboxed_values(flag))
            .map(|v| v.to_string())
            .collect()
    };
    let cmds: [&[&str]; 2] = [
        &["create", "-l", &label],
        &["container", "create", "-l", &label],
    ];
    let (lines, flags) = crate::policy::corpus(&cmds, &values, &[IMAGE, "true"]);
    let (mut held, mut refused, mut created) = (0, 0, 0);
    for line in &lines {
        let out = env.run("lzc-docker", line);
        match out.code {
            Some(125) if out.stderr.contains("is protected") => held += 1,
            Some(0) => created += 1,
            // The engine or the client refused the value itself.
            _ => refused += 1,
        }
    }
    // What every container gets from this engine (cgroup v1: the host's
    // cgroup namespace): the engine's default, not the line's doing.
    let plain = Out::of(lzc().args(["create", "-l", &label, IMAGE, "true"]));
    let plain = plain.ok().trim().to_string();
    let ids = Out::of(lzc().args([
        "ps",
        "-aq",
        "--no-trunc",
        "--filter",
        &format!("label={label}"),
    ]));
    let ids: Vec<String> = ids.ok().lines().map(String::from).collect();
    assert_eq!(ids.len(), created + 1);
    let inspected = Out::of(lzc().args(["inspect", &plain]));
    let inspected: serde_json::Value = serde_json::from_str(inspected.ok()).unwrap();
    let default = reaches(&inspected[0]);
    let mut bad = Vec::new();
    for chunk in ids.chunks(100) {
        let out = Out::of(lzc().arg("inspect").args(chunk));
        let all: serde_json::Value = serde_json::from_str(out.ok()).unwrap();
        for c in all.as_array().unwrap() {
            let mut found = reaches(c);
            found.retain(|f| !default.contains(f));
            if !found.is_empty() {
                bad.push(format!("{}: {found:?}", c["Args"]));
            }
        }
        Out::of(lzc().args(["rm", "-f", "-v"]).args(chunk)).ok();
    }
    let _ = lzc().args(["volume", "rm", "corpus-fresh"]).output();
    eprintln!(
        "real-engine corpus: {} lines over {} flags; {held} held, {created} created and inspected, \
         {refused} refused by docker itself; {} reached past the sandbox; {:.1} s",
        lines.len(),
        flags.len(),
        bad.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(
        bad.is_empty(),
        "ran unheld and reached past the sandbox:\n{}",
        bad.join("\n")
    );
    assert!(held > 300 && created > 20, "{held} {created}");
}
