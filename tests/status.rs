//! Knowing the engines: live status in `dockmux list`, `dockmux doctor`,
//! `dockmux env` and `dockmux exec`, against the real engine test bed, real
//! shells and a real sshd.

use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::engines::{bed_env, unique};
use crate::harness::exe::write_executable;
use crate::harness::sshd::{self, SshdOpts};
use crate::harness::testbed::{self, IMAGE};
use crate::harness::{Env, Out, SYSTEM_PATH, copy_dockmux};

/// Config lines for the two shared engines plus `extra`.
fn bed_config(extra: &str) -> String {
    let bed = testbed::shared();
    format!(
        "[engines.pg]\nhost = \"{}\"\n\n[engines.lzc]\nhost = \"{}\"\n{extra}",
        bed.pg.host, bed.lzc.host
    )
}

/// `dockmux list --json ARGS…`, parsed, and how long it took.
fn list_json(env: &Env, args: &[&str]) -> (Vec<Value>, Duration) {
    let start = Instant::now();
    let out = Out::of(env.dockmux(["list", "--json"]).args(args));
    let took = start.elapsed();
    let v: Value = serde_json::from_str(out.ok()).unwrap_or_else(|e| panic!("{e}: {out}"));
    (v.as_array().unwrap().clone(), took)
}

fn status_of<'a>(engines: &'a [Value], name: &str) -> &'a Value {
    &engines
        .iter()
        .find(|e| e["name"] == name)
        .unwrap_or_else(|| panic!("no engine {name} in {engines:?}"))["status"]
}

/// The server and API version, as the real docker client reports them.
fn server_version(engine: &testbed::Engine) -> (String, String) {
    let out = Out::of(engine.docker().args([
        "version",
        "--format",
        "{{.Server.Version}} {{.Server.APIVersion}}",
    ]));
    let text = out.ok().trim().to_string();
    let (v, api) = text.split_once(' ').expect("version and API version");
    (v.to_string(), api.to_string())
}

fn create_container(env: &Env, cmd: &str, name: &str) {
    env.run(
        cmd,
        ["create", "--name", name, "--network", "none", IMAGE, "true"],
    )
    .ok();
}

#[test]
fn list_shows_both_engines_up_with_the_daemons_version() {
    let bed = testbed::shared();
    let env = bed_env();
    let (engines, _) = list_json(&env, &[]);
    for (name, engine) in [("pg", &bed.pg), ("lzc", &bed.lzc)] {
        let (version, api) = server_version(engine);
        let s = status_of(&engines, name);
        assert_eq!(s["state"], "up", "{name}: {s}");
        assert_eq!(s["server_version"], version.as_str(), "{name}: {s}");
        assert_eq!(s["api_version"], api.as_str(), "{name}: {s}");
    }
    let table = Out::of(&mut env.dockmux(["list"]));
    let (version, api) = server_version(&bed.pg);
    let header = table.ok().lines().next().unwrap();
    assert!(header.contains("STATUS"), "{table}");
    let pg_row = table.stdout.lines().find(|l| l.starts_with("pg ")).unwrap();
    assert!(
        pg_row.contains(&format!("up {version} (API {api})")),
        "{table}"
    );
}

#[test]
fn no_probe_and_names_do_not_touch_the_engines() {
    let env = Env::new();
    let dir = tempfile::tempdir().unwrap();
    // Engines that would each cost the whole timeout if they were asked.
    let (_hung, config) = hanging_engines(dir.path(), 3);
    env.user_config(&config);
    for args in [vec!["list", "--no-probe"], vec!["list", "--names"]] {
        let start = Instant::now();
        let out = Out::of(env.dockmux(&args).args(["--timeout", "5s"]));
        out.ok();
        assert!(start.elapsed() < Duration::from_secs(2), "{args:?} probed");
        assert!(!out.stdout.contains("timed out"), "{out}");
    }
    let (engines, _) = list_json(&env, &["--no-probe"]);
    assert!(engines.iter().all(|e| e["status"].is_null()), "{engines:?}");
}

#[test]
fn a_stopped_engine_is_shown_down_within_the_timeout() {
    let engine = testbed::private("stopped");
    let env = Env::new();
    env.user_config(&format!(
        "[engines.gone]\nhost = \"{}\"\nhint = \"start it with systemctl start gone\"\n",
        engine.host
    ));
    let (engines, _) = list_json(&env, &[]);
    assert_eq!(status_of(&engines, "gone")["state"], "up");

    engine.stop();
    let (engines, took) = list_json(&env, &["--timeout", "2s"]);
    let s = status_of(&engines, "gone");
    assert!(
        s["state"] == "no_socket" || s["state"] == "refused",
        "a stopped engine: {s}"
    );
    assert_eq!(s["fix"], "start it with systemctl start gone");
    assert!(took < Duration::from_secs(2), "took {took:?}");

    let table = Out::of(&mut env.dockmux(["list"]));
    assert!(
        table
            .ok()
            .contains(&format!("gone: no socket at {}", engine.sock.display()))
            || table.stdout.contains("gone: connection refused"),
        "{table}"
    );
}

/// `n` unix sockets that never answer: half never accept, half accept and
/// then say nothing. Returns what keeps them open, and their config.
pub fn hanging_engines(dir: &Path, n: usize) -> (Vec<UnixListener>, String) {
    let mut listeners = Vec::new();
    let mut config = String::new();
    for i in 0..n {
        let sock = dir.join(format!("hang{i}.sock"));
        let l = UnixListener::bind(&sock).unwrap();
        if i % 2 == 1 {
            let l2 = l.try_clone().unwrap();
            std::thread::spawn(move || {
                let mut held = Vec::new();
                for s in l2.incoming().flatten() {
                    held.push(s);
                }
            });
        }
        listeners.push(l);
        config.push_str(&format!(
            "[engines.hang{i}]\nhost = \"unix://{}\"\n",
            sock.display()
        ));
    }
    (listeners, config)
}

#[test]
fn ten_hanging_engines_cost_one_timeout_not_ten() {
    let env = Env::new();
    let dir = tempfile::tempdir().unwrap();
    let (_hung, hanging) = hanging_engines(dir.path(), 10);
    env.user_config(&bed_config(&format!(
        "{hanging}[engines.missing]\nhost = \"unix://{}/missing.sock\"\n",
        dir.path().display()
    )));
    let timeout = Duration::from_secs(2);
    let (engines, took) = list_json(&env, &["--timeout", "2s"]);
    eprintln!("13 engines, 10 hanging, timeout 2s: {took:?}");
    for i in 0..10 {
        let s = status_of(&engines, &format!("hang{i}"));
        assert_eq!(s["state"], "timed_out", "hang{i}: {s}");
        assert!(
            s["error"].as_str().unwrap().contains("no answer within 2s"),
            "{s}"
        );
    }
    assert_eq!(status_of(&engines, "pg")["state"], "up");
    assert_eq!(status_of(&engines, "lzc")["state"], "up");
    assert_eq!(status_of(&engines, "missing")["state"], "no_socket");
    assert!(
        took >= timeout,
        "did not wait for the hanging engines: {took:?}"
    );
    assert!(
        took < 2 * timeout,
        "took {took:?} for a {timeout:?} timeout"
    );
}

#[test]
fn an_unreadable_socket_is_permission_denied_for_a_non_root_user() {
    let bed = testbed::shared();
    // What the unprivileged user can reach: a copy of dockmux and a config
    // owned by root that it may read.
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let bin = dir.path().join("dockmux");
    copy_dockmux(&bin);
    let config = dir.path().join("engines.toml");
    std::fs::write(
        &config,
        format!("[engines.pg]\nhost = \"{}\"\n", bed.pg.host),
    )
    .unwrap();
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o644)).unwrap();

    let out = Out::of(
        Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(&bin)
            .args(["list", "--json"])
            .env_clear()
            .env("PATH", SYSTEM_PATH)
            .env("HOME", dir.path())
            .env("DOCKMUX_CONFIG", &config)
            .current_dir(dir.path()),
    );
    let v: Value = serde_json::from_str(out.ok()).unwrap_or_else(|e| panic!("{e}: {out}"));
    let s = status_of(v.as_array().unwrap(), "pg");
    assert_eq!(s["state"], "permission_denied", "{s}");
    let fix = s["fix"].as_str().unwrap();
    // "as root", not sudo (a root Debian box often has none), and the user's
    // real name, not $USER.
    assert!(fix.contains("as root") && !fix.contains("sudo"), "{fix}");
    // The socket dockerd made is root:docker 0660 where a docker group exists.
    let meta = std::fs::metadata(&bed.pg.sock).unwrap();
    if std::os::unix::fs::MetadataExt::gid(&meta) != 0 {
        assert!(
            fix.contains("usermod -aG") && fix.contains(" nobody"),
            "{fix}"
        );
        assert!(!fix.contains("$USER"), "{fix}");
    }
}

#[test]
fn env_output_evaluated_in_sh_and_fish_reaches_the_engine() {
    let bed = testbed::shared();
    let mut env = bed_env();
    let name = unique("env-pg");
    create_container(&env, "pg-docker", &name);
    // A socket path that needs quoting, leading to pg's socket.
    let odd = env.root().join("it's a $dir `x`");
    std::fs::create_dir(&odd).unwrap();
    std::os::unix::fs::symlink(&bed.pg.sock, odd.join("s.sock")).unwrap();
    env.user_config(&format!(
        "[engines.odd]\nhost = \"unix://{}/s.sock\"\n",
        odd.display()
    ));
    // What a shell may have inherited: each would break or divert docker.
    env.var("DOCKER_HOST", "unix:///nonexistent.sock")
        .var("DOCKER_CONTEXT", "no-such-context")
        .var("DOCKER_TLS_VERIFY", "1");

    let names = "docker ps -a --format '{{.Names}}'";
    let cases = [
        (
            "sh",
            format!("eval \"$(dockmux env odd)\" && {names} && echo \"engine=$DOCKMUX_ENGINE\""),
        ),
        (
            "fish",
            format!(
                "dockmux env odd --shell fish | source; and {names}; and echo \"engine=$DOCKMUX_ENGINE\""
            ),
        ),
    ];
    env.link("dockmux");
    for (shell, script) in cases {
        let out = Out::of(env.program(shell_path(shell)).args(["-c", &script]));
        let text = out.ok();
        assert!(text.lines().any(|l| l == name), "{shell}: {out}");
        assert!(text.contains("engine=odd"), "{shell}: {out}");
    }

    // What shellcheck thinks of the sh lines.
    let lines = env.run("dockmux", ["env", "odd", "--shell", "sh"]);
    let mut check = std::process::Command::new("shellcheck")
        // Info-level notes (SC2016: `$` stays literal in single quotes) are what we want.
        .args(["-s", "sh", "--severity=warning", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("shellcheck (Debian package shellcheck); run the tests with ./scripts/test");
    use std::io::Write;
    check
        .stdin
        .take()
        .unwrap()
        .write_all(lines.ok().as_bytes())
        .unwrap();
    let verdict = check.wait_with_output().unwrap();
    assert!(
        verdict.status.success(),
        "{}",
        String::from_utf8_lossy(&verdict.stdout)
    );

    // --unset undoes it in both shells.
    let cases = [
        (
            "sh",
            "eval \"$(dockmux env odd)\"; eval \"$(dockmux env --unset)\"; echo \"[${DOCKER_HOST-unset}][${DOCKMUX_ENGINE-unset}]\"",
        ),
        (
            "fish",
            "dockmux env odd --shell fish | source; dockmux env --unset --shell fish | source; set -q DOCKER_HOST; or echo unset-host; set -q DOCKMUX_ENGINE; or echo unset-engine",
        ),
    ];
    let expect = ["[unset][unset]\n", "unset-host\nunset-engine\n"];
    for ((shell, script), want) in cases.into_iter().zip(expect) {
        let out = Out::of(env.program(shell_path(shell)).args(["-c", script]));
        assert_eq!(out.ok(), want, "{shell}: {out}");
    }
}

fn shell_path(shell: &str) -> PathBuf {
    for dir in ["/usr/bin", "/bin"] {
        let p = Path::new(dir).join(shell);
        if p.exists() {
            return p;
        }
    }
    panic!("{shell} is not installed (Debian package {shell}); run the tests with ./scripts/test");
}

#[test]
fn env_refuses_an_unknown_engine_and_prints_nothing() {
    let env = Env::new();
    env.user_config(crate::harness::TWO_ENGINES);
    let out = Out::of(&mut env.dockmux(["env", "pgg"]));
    let err = out.fails(125);
    assert!(err.contains("did you mean 'pg'"), "{out}");
    assert_eq!(out.stdout, "");
}

#[test]
fn exec_passes_argv_environment_and_exit_status() {
    let env = Env::new();
    env.user_config(crate::harness::TWO_ENGINES);
    let mut cmd = env.dockmux([
        "exec",
        "pg",
        "--",
        "sh",
        "-c",
        "echo $$; printf '[%s]' \"$DOCKER_HOST\" \"$DOCKMUX_ENGINE\" \"$@\"; exit 7",
        "arg0",
        "a b",
        "-x",
        "--help",
        "",
        "--",
    ]);
    let child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(7), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let (shell_pid, args) = stdout.split_once('\n').unwrap();
    // By exec: the program is the process dockmux was.
    assert_eq!(shell_pid, pid.to_string());
    assert_eq!(
        args,
        "[unix:///nonexistent/pg.sock][pg][a b][-x][--help][][--]"
    );

    // Flags right after NAME belong to the program too.
    let out = Out::of(&mut env.dockmux(["exec", "lzc", "printf", "%s|", "-V", "--version"]));
    assert_eq!(out.ok(), "-V|--version|");
}

#[test]
fn exec_fails_like_a_shell_when_the_program_cannot_run() {
    let env = Env::new();
    env.user_config(crate::harness::TWO_ENGINES);
    let out = Out::of(&mut env.dockmux(["exec", "pg", "no-such-program-here"]));
    assert!(out.fails(127).contains("no-such-program-here"), "{out}");
    assert!(out.stderr.contains("not found"), "{out}");

    let script = env.root().join("not-executable");
    std::fs::write(&script, "#!/bin/sh\necho ran\n").unwrap();
    let out = Out::of(env.dockmux(["exec", "pg"]).arg(&script));
    assert!(out.fails(126).contains("chmod +x"), "{out}");

    // Bad input is refused before anything runs.
    let marker = env.root().join("marker");
    let out = Out::of(env.dockmux(["exec", "nope", "touch"]).arg(&marker));
    assert!(out.fails(125).contains("no engine named 'nope'"), "{out}");
    let out = Out::of(&mut env.dockmux(["exec", "pg"]));
    out.fails(125);
    assert!(!marker.exists());
}

#[test]
fn exec_runs_the_docker_client_against_the_engine() {
    let env = bed_env();
    let name = unique("exec-lzc");
    create_container(&env, "lzc-docker", &name);
    let sees = |engine: &str| {
        let ps = ["docker", "ps", "-a", "--format", "{{.Names}}"];
        let out = Out::of(env.dockmux(["exec", engine]).args(ps));
        out.ok().lines().any(|l| l == name)
    };
    assert!(sees("lzc"));
    assert!(!sees("pg"));
}

/// An Env whose `far` engine is pg reached over ssh, with a HOME whose ssh
/// config holds the key.
fn ssh_env(sshd: &sshd::Sshd) -> Env {
    let bed = testbed::shared();
    let mut env = bed_env();
    let ssh_bin = sshd.install_client_config(&env.home);
    env.path = format!("{}:{}", ssh_bin.display(), env.path.to_string_lossy()).into();
    env.user_config(&bed_config(&format!(
        "\n[engines.far]\nhost = \"{}\"\n",
        sshd.docker_host(&bed.pg.sock)
    )));
    env.link("far-docker");
    env
}

#[test]
fn an_engine_over_ssh_answers_and_shows_up_and_ssh_failures_are_docker_s_own() {
    let bed = testbed::shared();
    let sshd = sshd::start(SshdOpts::default());
    let env = ssh_env(&sshd);
    let name = unique("far-pg");
    create_container(&env, "pg-docker", &name);
    let out = env.run("far-docker", ["ps", "-a", "--format", "{{.Names}}"]);
    assert!(out.ok().lines().any(|l| l == name), "{out}");

    let (version, api) = server_version(&bed.pg);
    let (engines, took) = list_json(&env, &["--timeout", "20s"]);
    eprintln!("probe over ssh: {took:?}");
    let s = status_of(&engines, "far");
    assert_eq!(s["state"], "up", "{s}");
    assert_eq!(s["server_version"], version.as_str());
    assert_eq!(s["api_version"], api.as_str());

    // A key sshd does not accept. The shared connection far-docker made
    // above would carry on without a new login: it ends first.
    Out::of(&mut env.dockmux(["disconnect"])).ok();
    let config = env.home.join(".ssh/config");
    let good = std::fs::read(&config).unwrap();
    std::fs::copy(&sshd.wrong_key_config, &config).unwrap();
    let ssh_failure = |what: &str, needle: &str| {
        let (engines, took) = list_json(&env, &["--timeout", "10s"]);
        eprintln!("probe over ssh, {what}: {took:?}");
        let s = status_of(&engines, "far");
        assert_eq!(s["state"], "ssh_error", "{what}: {s}");
        let error = s["error"].as_str().unwrap();
        // docker's message, with ssh's own words in it.
        assert!(
            error.contains("ssh") && error.contains(needle),
            "{what}: {error}"
        );
        assert!(took < Duration::from_secs(10), "{what}: {took:?}");
        // Only far's probe failed.
        assert_eq!(status_of(&engines, "pg")["state"], "up");
    };
    ssh_failure("wrong key", "Permission denied");

    // sshd stopped.
    std::fs::write(&config, good).unwrap();
    sshd.stop();
    ssh_failure("sshd stopped", "Connection refused");
}

#[test]
fn an_ssh_engine_that_hangs_is_cut_off_at_the_timeout() {
    // A "server" that accepts TCP connections and never sends ssh's banner.
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in listener.incoming().flatten() {
            held.push(s);
        }
    });
    let env = bed_env();
    env.user_config(&format!(
        "[engines.stuck]\nhost = \"ssh://nobody@127.0.0.1:{port}\"\n"
    ));
    let (engines, took) = list_json(&env, &["--timeout", "1s"]);
    let s = status_of(&engines, "stuck");
    assert_eq!(s["state"], "timed_out", "{s}");
    assert!(took < Duration::from_secs(2), "{took:?}");
    // The killed docker took its ssh with it.
    std::thread::sleep(Duration::from_millis(200));
    let ps = Out::of(Command::new("ps").args(["-eo", "args"]));
    assert!(
        !ps.ok().lines().any(|l| l.contains(&format!("-p {port} "))),
        "an ssh to port {port} outlived the probe:\n{}",
        ps.stdout
    );
}

/// An installed setup: a copy of dockmux in the Env's bin dir (first on
/// PATH), the real docker client, `config`, and the links `dockmux link` makes.
fn installed(config: &str) -> Env {
    let mut env = Env::new();
    // Completion files the machine may have in /usr/share do not count.
    let share = env.root().join("share");
    env.var("DOCKMUX_SYSTEM_SHARE", share);
    copy_dockmux(&env.bin.join("dockmux"));
    std::os::unix::fs::symlink(testbed::real_docker(), env.bin.join("docker")).unwrap();
    env.user_config(config);
    env.run("dockmux", ["link"]).ok();
    env
}

/// Completion files where bash (with bash-completion), zsh and fish look for them.
fn add_completion_files(env: &Env, command: &str) {
    let data = env.home.join(".local/share");
    for file in [
        data.join("bash-completion/completions").join(command),
        data.join("zsh/site-functions").join(format!("_{command}")),
        env.home
            .join(".config/fish/completions")
            .join(format!("{command}.fish")),
    ] {
        if !file.exists() {
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(&file, "# completion\n").unwrap();
        }
    }
}

/// An sshd_config for doctor to read, giving ssh sessions `path`.
fn sshd_config_with_path(env: &Env, path: &str) -> PathBuf {
    let file = env.root().join("sshd_config");
    std::fs::write(&file, format!("UsePAM no\nSetEnv PATH=\"{path}\"\n")).unwrap();
    file
}

fn doctor_json(env: &Env) -> (Option<i32>, Value) {
    let out = env.run("dockmux", ["doctor", "--json"]);
    let v = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {out}"));
    (out.code, v)
}

fn findings(report: &Value) -> Vec<&Value> {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["level"] != "ok")
        .collect()
}

/// A healthy setup with each real client: Debian 12's docker 20.10 too.
/// Its completion limit is a note (shown, with how to lift it), not a
/// warning: `dockmux doctor && …` passes on a stock Debian box.
#[test]
fn doctor_passes_with_every_real_client_and_notes_an_old_ones_limit() {
    let mut tried_old = false;
    for client in testbed::all_dockers() {
        let mut env = installed(&bed_config(""));
        let docker = env.bin.join("docker");
        std::fs::remove_file(&docker).unwrap();
        std::os::unix::fs::symlink(&client, &docker).unwrap();
        for command in ["pg-docker", "lzc-docker"] {
            add_completion_files(&env, command);
        }
        let sshd_config =
            sshd_config_with_path(&env, &format!("{}:{SYSTEM_PATH}", env.bin.display()));
        env.var("DOCKMUX_SSHD_CONFIG", &sshd_config);
        let out = env.run("dockmux", ["doctor"]);
        assert!(
            out.ok().ends_with("no problems found\n"),
            "{client:?}: {out}"
        );
        let (code, report) = doctor_json(&env);
        assert_eq!(code, Some(0), "{client:?}: {report:#}");
        let old = Out::of(Command::new(&client).arg("--version"))
            .ok()
            .starts_with("Docker version 20.");
        let notes: Vec<&Value> = findings(&report);
        tried_old |= old;
        if old {
            assert_eq!(notes.len(), 1, "{report:#}");
            assert_eq!(notes[0]["level"], "note", "{report:#}");
            assert_eq!(notes[0]["check"], "client", "{report:#}");
        } else {
            assert!(notes.is_empty(), "{report:#}");
        }
    }
    assert!(
        tried_old,
        "no docker 20.10 client (Debian's docker.io, which scripts/test installs)"
    );
}

#[test]
fn doctor_finds_nothing_wrong_in_a_healthy_setup() {
    let mut env = installed(&bed_config(""));
    for command in ["pg-docker", "lzc-docker"] {
        add_completion_files(&env, command);
    }
    let sshd_config = sshd_config_with_path(&env, &format!("{}:{SYSTEM_PATH}", env.bin.display()));
    env.var("DOCKMUX_SSHD_CONFIG", &sshd_config);

    let out = env.run("dockmux", ["doctor"]);
    assert!(out.ok().ends_with("no problems found\n"), "{out}");
    let (code, report) = doctor_json(&env);
    assert_eq!(code, Some(0));
    assert_eq!(report["ok"], true);
    assert!(findings(&report).is_empty(), "{report:#}");
    let checked: Vec<&str> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["check"].as_str().unwrap())
        .collect();
    for kind in [
        "config",
        "client",
        "engine",
        "link",
        "ssh_path",
        "stale_link",
        "environment",
        "completion",
    ] {
        assert!(checked.contains(&kind), "no {kind} check in {checked:?}");
    }
}

/// The shared client (the config's `docker`, else PATH's) serves only the
/// engines without a `client` of their own: when every engine has one,
/// none missing is a finding, only a note (exit 0); one engine without its
/// own key makes it a problem again.
#[test]
fn doctor_notes_a_missing_shared_client_no_engine_needs() {
    let docker = testbed::real_docker();
    let own = format!("client = \"{}\"\n", docker.display());
    let bed = testbed::shared();
    let engines = format!(
        "[engines.pg]\nhost = \"{}\"\n{own}\n[engines.lzc]\nhost = \"{}\"\n{own}",
        bed.pg.host, bed.lzc.host
    );
    let missing = "/nonexistent/docker";
    // No docker on PATH at all; then a top-level `docker` that is not there.
    for top in ["", &format!("docker = \"{missing}\"\n")] {
        let mut env = installed(&format!("{top}{engines}"));
        std::fs::remove_file(env.bin.join("docker")).unwrap();
        env.path = env.bin.clone().into_os_string();
        for command in ["pg-docker", "lzc-docker"] {
            add_completion_files(&env, command);
        }
        let sshd_config = sshd_config_with_path(&env, &env.bin.display().to_string());
        env.var("DOCKMUX_SSHD_CONFIG", &sshd_config);
        let (code, report) = doctor_json(&env);
        assert_eq!(code, Some(0), "{top}: {report:#}");
        let found = findings(&report);
        assert_eq!(found.len(), 1, "{top}: {report:#}");
        let note = found[0];
        assert_eq!(
            (&note["check"], &note["level"]),
            (&Value::from("client"), &Value::from("note")),
            "{top}: {report:#}"
        );
        let message = note["message"].as_str().unwrap();
        let says = if top.is_empty() { "PATH" } else { missing };
        assert!(message.contains(says), "{top}: {report:#}");
        assert!(
            message.ends_with("(no engine runs it: each has its own client)"),
            "{top}: {report:#}"
        );
        // Each engine's own client checked and the engines asked through it.
        for e in ["pg", "lzc"] {
            let ok = |check: &str, start: String| {
                report["checks"].as_array().unwrap().iter().any(|c| {
                    c["check"] == check
                        && c["level"] == "ok"
                        && c["message"].as_str().unwrap().starts_with(&start)
                })
            };
            assert!(
                ok("client", format!("{e}: {}", docker.display())),
                "{report:#}"
            );
            assert!(ok("engine", format!("{e}: up")), "{report:#}");
        }
        assert!(env.run("pg-docker", ["version"]).code == Some(0));
        // An engine without its own client needs the shared one: a problem.
        env.user_config(&format!(
            "{top}{engines}\n[engines.bare]\nhost = \"{}\"\n",
            bed.pg.host
        ));
        env.run("dockmux", ["link"]).ok();
        add_completion_files(&env, "bare-docker");
        let (code, report) = doctor_json(&env);
        assert_eq!(code, Some(1), "{top}: {report:#}");
        let found = findings(&report);
        assert!(
            found.iter().any(|f| f["check"] == "client"
                && f["level"] == "problem"
                && f["message"].as_str().unwrap().contains(says)),
            "{top}: {report:#}"
        );
    }
}

#[test]
fn doctor_reports_each_finding_with_its_fix_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let mut env = installed(&bed_config(&format!(
        "\n[engines.gone]\nhost = \"unix://{}/gone.sock\"\nhint = \"start gone first\"\n",
        dir.path().display()
    )));
    add_completion_files(&env, "pg-docker");
    // A link removed, a foreign file in the way, a link no engine claims.
    std::fs::remove_file(env.bin.join("lzc-docker")).unwrap();
    // …and the completion files `dockmux link` installed for it gone missing.
    let share = env.root().join("share");
    for file in [
        "bash-completion/completions/lzc-docker",
        "zsh/site-functions/_lzc-docker",
        "fish/vendor_completions.d/lzc-docker.fish",
    ] {
        std::fs::remove_file(share.join(file)).unwrap();
    }
    std::fs::remove_file(env.bin.join("gone-docker")).unwrap();
    std::fs::write(
        env.bin.join("gone-docker"),
        "#!/bin/sh\nexec docker \"$@\"\n",
    )
    .unwrap();
    std::os::unix::fs::symlink("dockmux", env.bin.join("old-docker")).unwrap();
    env.var("DOCKER_HOST", "tcp://elsewhere:2375");
    // ssh sessions get a PATH without the links.
    let sshd_config = sshd_config_with_path(&env, SYSTEM_PATH);
    env.var("DOCKMUX_SSHD_CONFIG", &sshd_config);

    let (code, report) = doctor_json(&env);
    assert_eq!(code, Some(1), "{report:#}");
    assert_eq!(report["ok"], false);
    let found = findings(&report);
    for f in &found {
        assert!(
            f["fix"].as_str().is_some_and(|s| !s.is_empty()),
            "a finding without a fix: {f}"
        );
    }
    let has = |check: &str, level: &str, needle: &str| {
        found.iter().any(|f| {
            f["check"] == check
                && f["level"] == level
                && f["message"].as_str().unwrap().contains(needle)
        })
    };
    let bin = env.bin.display().to_string();
    assert!(has("engine", "problem", "gone: no socket at"), "{report:#}");
    assert!(
        has("link", "problem", "lzc-docker: not found on PATH"),
        "{report:#}"
    );
    assert!(
        has("link", "problem", "not a link to this dockmux"),
        "{report:#}"
    );
    assert!(has("stale_link", "warning", "old-docker"), "{report:#}");
    assert!(
        has("environment", "warning", "DOCKER_HOST=tcp://elsewhere:2375"),
        "{report:#}"
    );
    assert!(has("ssh_path", "warning", &bin), "{report:#}");
    assert!(has("completion", "warning", "lzc-docker"), "{report:#}");
    // What is fine is not reported.
    assert!(!has("engine", "problem", "pg:"), "{report:#}");
    assert!(!has("link", "problem", "pg-docker"), "{report:#}");
    assert!(!has("completion", "warning", "pg-docker"), "{report:#}");
    assert_eq!(
        report["problems"].as_u64().unwrap() + report["warnings"].as_u64().unwrap(),
        found.len() as u64
    );

    // The text report puts each fix under its finding.
    let out = env.run("dockmux", ["doctor"]);
    assert_eq!(out.code, Some(1), "{out}");
    let lines: Vec<&str> = out.stdout.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.contains("gone: no socket at"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(lines[at + 1].contains("fix: start gone first"), "{out}");
}

#[test]
fn doctor_reports_a_broken_or_unsafe_config_and_still_checks_the_rest() {
    let env = installed(&bed_config(""));
    let user = env.user_config_path();
    std::fs::set_permissions(&user, std::fs::Permissions::from_mode(0o664)).unwrap();
    env.system_config("[engines.sys\nhost = 1\n");
    let (code, report) = doctor_json(&env);
    assert_eq!(code, Some(1), "{report:#}");
    let found = findings(&report);
    let config: Vec<String> = found
        .iter()
        .filter(|f| f["check"] == "config")
        .map(|f| format!("{} | {}", f["message"], f["fix"]))
        .collect();
    let sys = env.system_config_path.display().to_string();
    assert!(
        config.iter().any(|c| c.contains(&format!("{sys}:1:"))),
        "{config:?}"
    );
    assert!(
        config
            .iter()
            .any(|c| c.contains("writable by its group") && c.contains("chmod go-w")),
        "{config:?}"
    );
    // The client is checked all the same.
    assert!(
        report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["check"] == "client" && c["level"] == "ok"),
        "{report:#}"
    );
}

#[test]
fn doctor_notes_when_the_docker_client_is_too_old_to_complete_every_argument() {
    let env = installed(&bed_config(""));
    let docker = env.bin.join("docker");
    std::fs::remove_file(&docker).unwrap();
    write_executable(
        &docker,
        "#!/bin/sh\necho 'Docker version 20.10.24+dfsg1, build 297e128'\n",
    );
    let (_, report) = doctor_json(&env);
    let client: Vec<&Value> = findings(&report)
        .into_iter()
        .filter(|f| f["check"] == "client")
        .collect();
    assert_eq!(client.len(), 1, "{report:#}");
    assert_eq!(client[0]["level"], "note", "{report:#}");
    let message = client[0]["message"].as_str().unwrap();
    assert!(
        message.contains("20.10.24") && message.contains("23"),
        "{message}"
    );
}

#[test]
fn doctor_knows_whether_ssh_commands_find_the_links() {
    // sshd's built-in PATH has /usr/local/bin, where an installed dockmux
    // links the usual names: this engine's name is one no install has.
    let bed = testbed::shared();
    let name = unique("sshpath");
    let command = format!("{name}-docker");
    let env = installed(&format!("[engines.{name}]\nhost = \"{}\"\n", bed.pg.host));
    let config = env.user_config_path().display().to_string();
    let with_links = format!("{}:{SYSTEM_PATH}", env.bin.display());
    let cases = [
        // sshd's built-in PATH: the links are not on it.
        (vec![("DOCKMUX_CONFIG".to_string(), config.clone())], false),
        // An admin's SetEnv PATH that includes them.
        (
            vec![
                ("PATH".to_string(), with_links),
                ("DOCKMUX_CONFIG".to_string(), config),
            ],
            true,
        ),
    ];
    for (vars, reachable) in cases {
        let sshd = sshd::start(SshdOpts {
            env: vars,
            ..Default::default()
        });
        // What really happens over ssh.
        let out = Out::of(&mut sshd.ssh(&format!(
            "{command} version --format '{{{{.Server.Version}}}}'"
        )));
        assert_eq!(out.code == Some(0), reachable, "{out}");
        if !reachable {
            assert_eq!(out.code, Some(127), "{out}");
        }
        // What doctor predicts, reading that sshd's config.
        let out = Out::of(
            env.cmd("dockmux")
                .args(["doctor", "--json"])
                .env("DOCKMUX_SSHD_CONFIG", sshd.dir.join("sshd_config")),
        );
        let report: Value =
            serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {out}"));
        let ssh: Vec<&Value> = report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["check"] == "ssh_path")
            .collect();
        assert_eq!(ssh.len(), 1, "{report:#}");
        let want = if reachable { "ok" } else { "warning" };
        assert_eq!(ssh[0]["level"], want, "{report:#}");
        if !reachable {
            let message = ssh[0]["message"].as_str().unwrap();
            assert!(
                message.contains(&env.bin.display().to_string()),
                "{message}"
            );
            // The engines are the user's (DOCKMUX_CONFIG): root's `dockmux
            // link` would not know them, so the fix is the user's PATH, or
            // the engine added for everyone.
            let fix = ssh[0]["fix"].as_str().unwrap();
            assert!(!fix.starts_with("as root: dockmux link"), "{fix}");
            assert!(
                fix.contains("which no other user's commands read")
                    && fix.contains(&format!("dockmux add {name} {}", bed.pg.host))
                    && fix.contains("--system --link"),
                "{fix}"
            );
        }
    }
}

/// doctor's ssh fix for a user's own engine offers `dockmux add … --system`
/// to give it to every user: followed as printed (by "root": another HOME,
/// the system config), it makes the same engine, every key kept (a
/// protected engine stays protected and pinned, its tags and aliases stay).
#[test]
fn doctors_add_fix_makes_the_same_engine() {
    let bed = testbed::shared();
    let name = unique("fixkeep");
    let env = installed(&format!(
        "[engines.{name}]\nhost = \"{}\"\ndescription = \"it's \\\"prod\\\" data\"\n\
         aliases = [\"{name}-a\"]\nhint = \"start it\"\nprotect = true\nreadonly = true\ntags = [\"nas\", \"prod\"]\n\
         pin = \"id=AB12:CD34 name=box root=/var/lib/docker\"\n",
        bed.pg.host
    ));
    let config = env.user_config_path().display().to_string();
    // Sessions get a PATH without the links: the fix links into its first dir.
    let ssh_bin = env.root().join("ssh-bin");
    std::fs::create_dir_all(&ssh_bin).unwrap();
    let sshd = sshd::start(SshdOpts {
        env: vec![
            (
                "PATH".to_string(),
                format!("{}:/usr/bin:/bin", ssh_bin.display()),
            ),
            ("DOCKMUX_CONFIG".to_string(), config.clone()),
        ],
        ..Default::default()
    });
    let out = Out::of(
        env.cmd("dockmux")
            .args(["doctor", "--json"])
            .env("DOCKMUX_CONFIG", &config)
            .env("DOCKMUX_SSHD_CONFIG", sshd.dir.join("sshd_config")),
    );
    let report: Value = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {out}"));
    let fix = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "ssh_path" && c["level"] == "warning")
        .and_then(|c| c["fix"].as_str())
        .unwrap_or_else(|| panic!("no ssh_path fix: {report:#}"));
    let command = fix
        .split("as root: ")
        .nth(1)
        .unwrap_or_else(|| panic!("no command for root in: {fix}"));
    assert!(command.starts_with("dockmux add "), "{command}");
    // Root's own HOME, the system config.
    let root_home = env.root().join("root-home");
    std::fs::create_dir_all(&root_home).unwrap();
    let out = Out::of(
        env.program("/bin/sh")
            .args(["-c", command])
            .env_remove("DOCKMUX_CONFIG")
            .env("HOME", &root_home),
    );
    out.ok();
    let engine = |config: &Path| -> Value {
        let out = Out::of(
            env.dockmux(["list", "--json", "--no-probe", &name])
                .env("DOCKMUX_CONFIG", config),
        );
        let mut v: Value = serde_json::from_str(out.ok()).unwrap();
        let mut e = v[0].take();
        e.as_object_mut().unwrap().remove("source");
        e
    };
    let made = engine(&env.system_config_path);
    assert_eq!(made, engine(Path::new(&config)));
    assert_eq!(made["policy"], "readonly", "{made:#}");
    assert_eq!(made["protect"], true, "{made:#}");
    assert_eq!(
        made["pin"], "id=AB12:CD34 name=box root=/var/lib/docker",
        "{made:#}"
    );
    assert!(ssh_bin.join(format!("{name}-docker")).exists());
}

/// The user's shell finds the links in ~/.local/bin first; ssh sessions get
/// a PATH with only the other directory of links. ssh works, and doctor,
/// judging by what sshd's PATH finds, says so.
#[test]
fn doctor_judges_ssh_by_what_sshds_path_finds_not_by_the_users_path() {
    let env = installed(&bed_config(""));
    let mine = env.home.join(".local/bin");
    std::fs::create_dir_all(&mine).unwrap();
    env.run("dockmux", ["link", "--dir", mine.to_str().unwrap()])
        .ok();
    let config = env.user_config_path().display().to_string();
    let sshd = sshd::start(SshdOpts {
        env: vec![
            (
                "PATH".to_string(),
                format!("{}:{SYSTEM_PATH}", env.bin.display()),
            ),
            ("DOCKMUX_CONFIG".to_string(), config),
        ],
        ..Default::default()
    });
    let out = Out::of(&mut sshd.ssh("pg-docker version --format '{{.Server.Version}}'"));
    assert_eq!(out.code, Some(0), "{out}");
    let out = Out::of(
        env.cmd("dockmux")
            .args(["doctor", "--json"])
            .env(
                "PATH",
                format!("{}:{}:{SYSTEM_PATH}", mine.display(), env.bin.display()),
            )
            .env("DOCKMUX_SSHD_CONFIG", sshd.dir.join("sshd_config")),
    );
    let report: Value = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {out}"));
    let ssh: Vec<&Value> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["check"] == "ssh_path")
        .collect();
    assert_eq!(ssh.len(), 1, "{report:#}");
    assert_eq!(ssh[0]["level"], "ok", "{report:#}");
}

/// A user with a home of their own (from /etc/skel) and bash as login shell,
/// as `useradd -m` makes them, for real ssh sessions; removed on drop.
struct LoginUser {
    name: String,
    uid: u32,
    gid: u32,
    home: PathBuf,
    _dir: tempfile::TempDir,
}

impl LoginUser {
    fn new() -> LoginUser {
        // SAFETY: geteuid has no preconditions.
        assert_eq!(
            unsafe { libc::geteuid() },
            0,
            "useradd needs root: run the tests with ./scripts/test (as root)"
        );
        let dir = tempfile::Builder::new()
            .prefix("dmxuser-")
            .tempdir_in("/tmp")
            .unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let home = dir.path().join("home");
        let name = unique("dmx").replace('-', "");
        let name = name[..name.len().min(30)].to_string();
        let sbin = "/usr/sbin:/usr/bin:/sbin:/bin";
        let run = |cmd: &mut Command| {
            let out = Out::of(cmd.env("PATH", sbin));
            assert_eq!(out.code, Some(0), "{cmd:?}: {out}");
        };
        run(Command::new("useradd")
            .args([
                "--create-home",
                "--user-group",
                "--shell",
                "/bin/bash",
                "--home-dir",
            ])
            .arg(&home)
            .arg(&name));
        // A locked password ("!") makes sshd refuse every login; "*" is none.
        run(Command::new("usermod").args(["--password", "*", &name]));
        let id = |flag: &str| -> u32 {
            let out = Out::of(Command::new("id").args([flag, &name]));
            out.ok().trim().parse().unwrap()
        };
        LoginUser {
            uid: id("-u"),
            gid: id("-g"),
            name,
            home,
            _dir: dir,
        }
    }

    /// `cmd` as this user, in their home, with their HOME and a PATH of
    /// ~/.local/bin and the system dirs.
    fn runs(&self, cmd: &mut Command) {
        use std::os::unix::process::CommandExt;
        cmd.uid(self.uid)
            .gid(self.gid)
            .env_clear()
            .env("HOME", &self.home)
            .env(
                "PATH",
                format!("{}:{SYSTEM_PATH}", self.home.join(".local/bin").display()),
            )
            .env("LC_ALL", "C.UTF-8")
            .current_dir(&self.home);
    }

    /// `ssh USER@127.0.0.1 REMOTE` through the test sshd.
    fn ssh(&self, sshd: &sshd::Sshd, remote: &str) -> Out {
        Out::of(
            Command::new("ssh")
                .arg("-F")
                .arg(&sshd.ssh_config)
                .args([
                    "-p",
                    &sshd.port.to_string(),
                    "-l",
                    &self.name,
                    "127.0.0.1",
                    remote,
                ])
                .env_remove("SSH_AUTH_SOCK"),
        )
    }
}

impl Drop for LoginUser {
    fn drop(&mut self) {
        let _ = Command::new("userdel")
            .arg(&self.name)
            .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
            .output();
    }
}

/// A non-root user's own engine, linked in ~/.local/bin: doctor predicts the
/// PATH a real ssh session gets, says `ssh HOST nas-docker` will not find
/// it, and its fix (the user's ~/.bashrc, not root's `dockmux link`, which
/// does not know a user's engine) makes it work over real ssh.
#[test]
fn a_users_own_engine_gets_an_ssh_fix_that_works_for_that_user() {
    let user = LoginUser::new();
    let bin = user.home.join(".local/bin");
    std::fs::create_dir_all(&bin).unwrap();
    copy_dockmux(&bin.join("dockmux"));
    for p in [&user.home.join(".local"), &bin, &bin.join("dockmux")] {
        std::os::unix::fs::chown(p, Some(user.uid), Some(user.gid)).unwrap();
    }
    let mut add = Command::new(bin.join("dockmux"));
    add.args(["add", "nas", "ssh://me@nas.invalid", "--link"]);
    user.runs(&mut add);
    Out::of(&mut add).ok();
    let sshd = sshd::start(SshdOpts::default());

    // The PATH a real session gets is the one doctor reports.
    let path = user.ssh(&sshd, "echo $PATH");
    let path = path.ok().trim().to_string();
    assert_eq!(user.ssh(&sshd, "nas-docker --version").code, Some(127));
    let mut doctor = Command::new(bin.join("dockmux"));
    doctor
        .args(["doctor", "--json"])
        .env("DOCKMUX_SSHD_CONFIG", sshd.dir.join("sshd_config"));
    user.runs(&mut doctor);
    doctor.env("DOCKMUX_SSHD_CONFIG", sshd.dir.join("sshd_config"));
    let out = Out::of(&mut doctor);
    let report: Value = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {out}"));
    let ssh: Vec<&Value> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["check"] == "ssh_path" && c["level"] == "warning")
        .collect();
    assert_eq!(ssh.len(), 1, "{report:#}");
    let message = ssh[0]["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("PATH={path},")),
        "{path} vs {message}"
    );
    let fix = ssh[0]["fix"].as_str().unwrap();
    assert!(!fix.starts_with("as root: dockmux link"), "{fix}");
    // The line the fix names, put where it says.
    let line = fix
        .split("add the line ")
        .nth(1)
        .and_then(|rest| rest.split(" at the top of ~/.bashrc").next())
        .unwrap_or_else(|| panic!("no ~/.bashrc line in: {fix}"));
    let rc = user.home.join(".bashrc");
    let old = std::fs::read_to_string(&rc).unwrap_or_default();
    std::fs::write(&rc, format!("{line}\n{old}")).unwrap();
    let out = user.ssh(&sshd, "nas-docker --version");
    assert!(out.ok().starts_with("Docker version"), "{out}");
}
