//! Tab completion in real shells — bash with bash-completion, zsh, fish —
//! driven through tmux against the two-engine test bed: each engine command
//! completes from its own engine (with Debian's 20.10 client too:
//! completion/old_client.rs), names linked later complete in new shells,
//! and TAB stays quiet and quick when an engine is down or hung or the
//! client cannot answer. Plus the files `dockmux link` installs and the
//! checked-in scripts.

use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::engines::{bed_env, unique};
use crate::harness::exe::write_executable;
use crate::harness::testbed::{self, IMAGE};
use crate::harness::tmux::Tmux;
use crate::harness::{Env, Out, SYSTEM_PATH, TWO_ENGINES};

mod old_client;

const PROMPT: &str = "dmx> ";
/// How long a shell may take to show what a test waits for.
const PATIENCE: Duration = Duration::from_secs(20);

#[derive(Clone, Copy, Debug, PartialEq)]
enum Sh {
    Bash,
    Zsh,
    Fish,
}

const SHELLS: [Sh; 3] = [Sh::Bash, Sh::Zsh, Sh::Fish];

impl Sh {
    fn name(self) -> &'static str {
        match self {
            Sh::Bash => "bash",
            Sh::Zsh => "zsh",
            Sh::Fish => "fish",
        }
    }
}

/// Panics with a clear message unless the shells and tools are installed.
fn require_tools() {
    for tool in ["tmux", "bash", "zsh", "fish", "shellcheck", "timeout"] {
        let found = SYSTEM_PATH
            .split(':')
            .any(|d| Path::new(d).join(tool).is_file());
        if !found {
            panic!(
                "{tool} not found: run the tests with ./scripts/test (it installs tmux, zsh, fish, bash-completion, shellcheck)"
            );
        }
    }
    if !Path::new("/usr/share/bash-completion/bash_completion").is_file() {
        panic!("bash-completion is not installed: run the tests with ./scripts/test");
    }
}

/// The rc that starts each shell: a plain prompt, nothing else but `extra`.
/// bash gets bash-completion, zsh compinit (after `extra`, which may set fpath).
fn write_rc(sh: Sh, home: &Path, extra: &str) -> PathBuf {
    let (path, text) = match sh {
        Sh::Bash => (
            home.join(".bashrc"),
            format!(
                "PS1='{PROMPT}'\n\
                 bind 'set completion-query-items 10000'\n\
                 bind 'set page-completions off'\n\
                 . /usr/share/bash-completion/bash_completion\n{extra}"
            ),
        ),
        Sh::Zsh => {
            let (before, after) = extra.split_once("#compinit\n").unwrap_or((extra, ""));
            (
                home.join(".zshrc"),
                format!(
                    "PROMPT='{PROMPT}'\nunset RPROMPT\nLISTMAX=10000\n{before}\
                     autoload -Uz compinit && compinit -d ~/.zcompdump\n{after}"
                ),
            )
        }
        Sh::Fish => {
            // No man-page completion generator in the background.
            std::fs::create_dir_all(home.join(".local/share/fish/generated_completions")).unwrap();
            (
                home.join(".config/fish/config.fish"),
                format!(
                    "set -g fish_greeting\n\
                     set -g fish_autosuggestion_enabled 0\n\
                     function fish_prompt; echo -n '{PROMPT}'; end\n\
                     function fish_right_prompt; end\n{extra}"
                ),
            )
        }
    };
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    path
}

/// An interactive shell in a tmux server of its own; the server dies with it.
struct Term {
    tmux: Tmux,
    sh: Sh,
}

impl Term {
    /// Starts `sh` with HOME `env.home`, PATH `path_dirs` + the system dirs,
    /// and the rc already written by `write_rc`.
    fn start(sh: Sh, env: &Env, path_dirs: &[&Path], vars: &[(&str, &str)]) -> Term {
        let mut path: Vec<String> = path_dirs.iter().map(|d| d.display().to_string()).collect();
        path.push(SYSTEM_PATH.to_string());
        let mut argv: Vec<String> = vec![
            "env".into(),
            "-i".into(),
            format!("HOME={}", env.home.display()),
            format!("PATH={}", path.join(":")),
            "TERM=screen".into(),
            "LC_ALL=C.UTF-8".into(),
            format!("DOCKMUX_SYSTEM_CONFIG={}", env.system_config_path.display()),
            format!("DOCKMUX_SYSTEM_SHARE={}", env.system_share.display()),
        ];
        argv.extend(vars.iter().map(|(k, v)| format!("{k}={v}")));
        match sh {
            // --rcfile: ~/.bashrc only, not /etc/bash.bashrc.
            Sh::Bash => argv.extend([
                "bash".into(),
                "--noprofile".into(),
                "--rcfile".into(),
                env.home.join(".bashrc").display().to_string(),
                "-i".into(),
            ]),
            // -d: no /etc/zsh rc files (Debian's runs compinit on its own).
            Sh::Zsh => argv.extend(["zsh", "-d", "-i"].map(String::from)),
            Sh::Fish => argv.extend(["fish", "-i"].map(String::from)),
        }
        let cwd = env.root().join("cwd");
        std::fs::create_dir_all(&cwd).unwrap();
        let term = Term {
            tmux: Tmux::launch(
                &format!("completion-{}", sh.name()),
                (200, 60),
                Command::new("tmux"),
                Some(&cwd),
                &argv,
            ),
            sh,
        };
        let first = term.wait_for("the first prompt", |s| s.ends_with(PROMPT.trim_end()));
        // The rc ran without a word of complaint.
        assert_eq!(
            first,
            PROMPT.trim_end(),
            "{}: the shell did not start cleanly",
            sh.name()
        );
        term
    }

    /// The screen and what scrolled off it since the last `reset`, trailing
    /// blanks trimmed.
    fn screen(&self) -> String {
        let s = self.tmux.screen_and_history();
        let lines: Vec<&str> = s.lines().map(str::trim_end).collect();
        lines.join("\n").trim().to_string()
    }

    /// Polls the screen until `done` holds; panics with the screen after PATIENCE.
    fn wait_for(&self, what: &str, done: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let s = self.screen();
            if done(&s) {
                return s;
            }
            if Instant::now() > deadline {
                panic!(
                    "{}: gave up waiting for {what}; screen:\n{s}",
                    self.sh.name()
                );
            }
            std::thread::sleep(Duration::from_millis(30));
        }
    }

    /// Drops the current line and clears the screen, back to a bare prompt.
    fn reset(&self) {
        let clean = |s: &str| s == PROMPT.trim_end();
        // Line editing keys first: the shell reads them in order with what
        // is typed next, so none can land late. A C-c is a signal, handled
        // whenever a loaded shell gets to it, and has been seen to wipe the
        // next typed line.
        self.tmux.keys(&["C-e", "C-u", "C-l"]);
        let deadline = Instant::now() + Duration::from_secs(2);
        while Instant::now() < deadline {
            self.tmux.ok(&["clear-history"]);
            if clean(&self.screen()) {
                return;
            }
            std::thread::sleep(Duration::from_millis(30));
        }
        // Still not clean: a completion may be running. A C-c that lands
        // while it runs interrupts only that (zsh), so try again until the
        // line is empty.
        for _ in 0..20 {
            self.tmux.keys(&["C-c"]);
            std::thread::sleep(Duration::from_millis(100));
            self.tmux.keys(&["C-l"]);
            let deadline = Instant::now() + Duration::from_secs(1);
            while Instant::now() < deadline {
                // tmux scrolls a cleared screen into its history: drop that too.
                self.tmux.ok(&["clear-history"]);
                // Clean twice, 200 ms apart: a loaded shell may still be
                // handling the C-c and repaint its prompt a moment later.
                if clean(&self.screen()) {
                    std::thread::sleep(Duration::from_millis(200));
                    if clean(&self.screen()) {
                        return;
                    }
                }
                std::thread::sleep(Duration::from_millis(30));
            }
        }
        self.wait_for("a clean prompt", clean);
    }

    /// Types `line`, presses TAB `tabs` times, and waits until every name in
    /// `want` is on the screen; returns the screen.
    fn complete(&self, line: &str, tabs: usize, want: &[&str]) -> String {
        self.reset();
        self.tmux.type_text(line);
        self.wait_for("the typed line", |s| s.ends_with(line.trim_end()));
        for _ in 0..tabs {
            self.tmux.keys(&["Tab"]);
        }
        self.wait_for(&format!("{want:?} after `{line}<TAB>`"), |s| {
            want.iter().all(|w| s.contains(w))
        })
    }

    /// Types `line`, presses TAB, then types a marker: the shell reads the
    /// marker only once completion has returned. Returns the screen and how
    /// long that took.
    fn tab_then_marker(&self, line: &str) -> (String, Duration) {
        self.reset();
        self.tmux.type_text(line);
        let before = self.wait_for("the typed line", |s| s.ends_with(line.trim_end()));
        // Lines above the one being edited were there before TAB (a prompt
        // repainted late by a loaded shell): they are not TAB's doing.
        let above = before.rfind('\n').map_or("", |i| &before[..=i]).to_string();
        let start = Instant::now();
        self.tmux.keys(&["Tab"]);
        self.tmux.type_text("@");
        self.wait_for("the marker after TAB", |s| s.contains('@'));
        let took = start.elapsed();
        // Anything completion might still print would land now.
        std::thread::sleep(Duration::from_millis(300));
        let screen = self.screen();
        let screen = screen.strip_prefix(&above).unwrap_or(&screen).to_string();
        (screen, took)
    }
}

/// Containers, volumes, networks and images (`NAME:v1`) named after their
/// engine, made once per run: `alpha-pg-U`, `bravo-pg-U`, `alpha-lzc-U`,
/// `bravo-lzc-U` (different first letters, so bash lists them on the second
/// TAB instead of inserting a prefix).
struct Names {
    u: String,
}

impl Names {
    fn of(&self, engine: &str) -> [String; 2] {
        ["alpha", "bravo"].map(|w| format!("{w}-{engine}-{}", self.u))
    }
}

fn names() -> &'static Names {
    static NAMES: OnceLock<Names> = OnceLock::new();
    NAMES.get_or_init(|| {
        let bed = testbed::shared();
        let names = Names {
            u: unique("c").replace('-', ""),
        };
        for engine in [&bed.pg, &bed.lzc] {
            for name in names.of(&engine.name) {
                create_container(engine, &name);
                docker_ok(engine, &["volume", "create", &name]);
                // Config-only: listed like any network, but no bridge on the
                // host (bridges outlive their engine and use up the address pools).
                docker_ok(engine, &["network", "create", "--config-only", &name]);
                docker_ok(engine, &["tag", IMAGE, &format!("{name}:v1")]);
            }
        }
        names
    })
}

fn docker_ok(engine: &testbed::Engine, args: &[&str]) {
    let out = Out::of(engine.docker().args(args));
    assert_eq!(out.code, Some(0), "{}: docker {args:?}: {out}", engine.name);
}

fn create_container(engine: &testbed::Engine, name: &str) {
    docker_ok(
        engine,
        &["create", "--name", name, "--network", "none", IMAGE, "true"],
    );
}

/// The test bed env plus a `dockmux` link, so the shells find dockmux itself.
fn shell_env() -> Env {
    require_tools();
    let env = bed_env();
    env.link("dockmux");
    env
}

fn assert_none(screen: &str, unwanted: &[String], context: &str) {
    for u in unwanted {
        assert!(
            !screen.contains(u.as_str()),
            "{context}: {u} must not be offered; screen:\n{screen}"
        );
    }
}

/// The rc line that loads `dockmux completions SHELL`.
fn load_line(sh: Sh) -> String {
    match sh {
        Sh::Bash => "eval \"$(dockmux completions bash)\"\n".into(),
        Sh::Zsh => "#compinit\neval \"$(dockmux completions zsh)\"\n".into(),
        Sh::Fish => "dockmux completions fish | source\n".into(),
    }
}

/// `pg-docker rm <TAB><TAB>` lists pg's containers and none of lzc's;
/// `lzc-docker volume rm <TAB><TAB>` lzc's volumes and none of pg's;
/// `pg-docker sta<TAB><TAB>` the subcommands; `dockmux link <TAB><TAB>` the
/// engines, including one added to the config after the shell started.
fn each_engine_command_completes_from_its_own_engine(sh: Sh) {
    let names = names();
    let env = shell_env();
    write_rc(sh, &env.home, &load_line(sh));
    let term = Term::start(sh, &env, &[&env.bin], &[]);
    let [pg_a, pg_b] = names.of("pg");
    let lzc = names.of("lzc");

    let s = term.complete("pg-docker rm ", 2, &[&pg_a, &pg_b]);
    assert_none(&s, &lzc, "pg-docker rm");
    let s = term.complete("lzc-docker volume rm ", 2, &[&lzc[0], &lzc[1]]);
    assert_none(&s, &names.of("pg"), "lzc-docker volume rm");
    term.complete("pg-docker sta", 2, &["stack", "start", "stats"]);

    let s = term.complete("dockmux link ", 2, &["lzc", "pg"]);
    assert!(!s.contains("nas"), "{s}");
    let bed = testbed::shared();
    env.user_config(&format!(
        "[engines.pg]\nhost = \"{}\"\n\n[engines.lzc]\nhost = \"{}\"\n\n[engines.nas]\nhost = \"ssh://me@nas.invalid\"\n",
        bed.pg.host, bed.lzc.host
    ));
    term.complete("dockmux link ", 2, &["lzc", "nas", "pg"]);
}

#[test]
fn bash_completes_each_engine_command_from_its_own_engine() {
    each_engine_command_completes_from_its_own_engine(Sh::Bash);
}

#[test]
fn zsh_completes_each_engine_command_from_its_own_engine() {
    each_engine_command_completes_from_its_own_engine(Sh::Zsh);
}

#[test]
fn fish_completes_each_engine_command_from_its_own_engine() {
    each_engine_command_completes_from_its_own_engine(Sh::Fish);
}

/// The setup a user has after `dockmux link`: no dockmux line in the rc (zsh:
/// the one-time fpath line). Then an engine is added and linked; a new shell
/// completes it from its engine, and the rc is untouched.
fn a_name_linked_later_completes_in_a_new_shell(sh: Sh) {
    let names = names();
    let bed = testbed::shared();
    let env = shell_env();
    // As root, links inside HOME get the user's completion places.
    let links = env.home.join(".local/bin");
    std::fs::create_dir_all(&links).unwrap();
    let link = |what: &str| {
        let out = Out::of(&mut env.dockmux(["link", "--dir", links.to_str().unwrap()]));
        assert_eq!(out.code, Some(0), "{what}: {out}");
    };
    link("first link");
    let extra = match sh {
        Sh::Zsh => "fpath=(${XDG_DATA_HOME:-$HOME/.local/share}/zsh/site-functions $fpath)\n",
        _ => "",
    };
    let rc = write_rc(sh, &env.home, extra);
    let rc_text = std::fs::read(&rc).unwrap();
    {
        let term = Term::start(sh, &env, &[&links, &env.bin], &[]);
        term.complete(
            "pg-docker rm ",
            2,
            &names.of("pg").each_ref().map(String::as_str),
        );
    }

    // nas is lzc's daemon under another name: its candidates must be lzc's.
    env.user_config(&format!(
        "[engines.pg]\nhost = \"{}\"\n\n[engines.lzc]\nhost = \"{}\"\n\n[engines.nas]\nhost = \"{}\"\n",
        bed.pg.host, bed.lzc.host, bed.lzc.host
    ));
    link("link after adding nas");
    let term = Term::start(sh, &env, &[&links, &env.bin], &[]);
    let lzc = names.of("lzc");
    let s = term.complete("nas-docker volume rm ", 2, &[&lzc[0], &lzc[1]]);
    assert_none(&s, &names.of("pg"), "nas-docker volume rm");
    assert_eq!(std::fs::read(&rc).unwrap(), rc_text, "the rc file changed");
}

#[test]
fn bash_completes_a_name_linked_after_its_rc_was_written() {
    a_name_linked_later_completes_in_a_new_shell(Sh::Bash);
}

#[test]
fn zsh_completes_a_name_linked_after_its_rc_was_written() {
    a_name_linked_later_completes_in_a_new_shell(Sh::Zsh);
}

#[test]
fn fish_completes_a_name_linked_after_its_rc_was_written() {
    a_name_linked_later_completes_in_a_new_shell(Sh::Fish);
}

/// What a TAB that offers nothing leaves on the screen: the line and the marker.
fn assert_quiet(screen: &str, line: &str, took: Duration, limit: Duration, sh: Sh, what: &str) {
    let expected = format!("{PROMPT}{line}@");
    assert_eq!(
        screen,
        expected.trim_end(),
        "{}: {what}: TAB must print nothing",
        sh.name()
    );
    assert!(
        took < limit,
        "{}: {what}: TAB took {took:?}, more than {limit:?}",
        sh.name()
    );
    eprintln!("{}: {what}: TAB returned after {took:?}", sh.name());
}

#[test]
fn with_the_engine_stopped_tab_prints_nothing_and_returns_promptly() {
    require_tools();
    let engine = testbed::private("down");
    let env = Env::new();
    env.user_config(&format!("[engines.down]\nhost = \"{}\"\n", engine.host));
    std::os::unix::fs::symlink(testbed::real_docker(), env.bin.join("docker")).unwrap();
    env.link("down-docker");
    env.link("dockmux");
    let box_name = unique("downbox");
    create_container(&engine, &box_name);
    let terms: Vec<Term> = SHELLS
        .iter()
        .map(|&sh| {
            write_rc(sh, &env.home, &load_line(sh));
            Term::start(sh, &env, &[&env.bin], &[])
        })
        .collect();
    // Running, TAB reaches it…
    for t in &terms {
        t.complete("down-docker rm ", 2, &[&box_name]);
    }
    engine.stop();
    // …stopped, it offers nothing, prints nothing, and is quick about it.
    for t in &terms {
        let line = "down-docker rm ";
        let (screen, took) = t.tab_then_marker(line);
        assert_quiet(
            &screen,
            line,
            took,
            Duration::from_secs(2),
            t.sh,
            "engine stopped",
        );
    }
}

/// A unix socket that accepts connections and never answers: a hung engine.
struct HungEngine {
    stop: Arc<AtomicBool>,
}

impl HungEngine {
    fn at(path: &Path) -> HungEngine {
        let listener = UnixListener::bind(path).unwrap();
        listener.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        std::thread::spawn(move || {
            let mut held = Vec::new();
            while !flag.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((conn, _)) => held.push(conn),
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        HungEngine { stop }
    }
}

impl Drop for HungEngine {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Finds a docker client older than v23 (Debian bookworm's docker.io is 20.10).
pub(crate) fn old_docker() -> PathBuf {
    for p in ["/usr/bin/docker", "/bin/docker", "/usr/local/bin/docker"] {
        let out = Command::new(p).arg("--version").output();
        let Ok(out) = out else { continue };
        let text = String::from_utf8_lossy(&out.stdout);
        let major = text
            .split("version ")
            .nth(1)
            .and_then(|v| v.split('.').next())
            .and_then(|v| v.trim().parse::<u32>().ok());
        if major.is_some_and(|m| m < 23) {
            return PathBuf::from(p);
        }
    }
    panic!(
        "no docker client older than v23 found (Debian bookworm's docker.io, 20.10, at /usr/bin/docker): install docker.io with ./scripts/test"
    );
}

#[test]
fn tab_stays_quiet_and_bounded_with_a_hung_engine_or_an_old_client() {
    require_tools();
    let bed = testbed::shared();
    let env = Env::new();
    let sock = env.root().join("hung.sock");
    let _hung = HungEngine::at(&sock);
    std::os::unix::fs::symlink(testbed::real_docker(), env.bin.join("docker")).unwrap();
    // A client from before cobra's completion: error text, exit 1.
    let ancient = env.root().join("docker-ancient");
    write_executable(
        &ancient,
        "#!/bin/sh\necho \"docker: '$1' is not a docker command.\" >&2\nexit 1\n",
    );
    let config = |docker: &str| {
        env.user_config(&format!(
            "{docker}[engines.hung]\nhost = \"unix://{}\"\n\n[engines.pg]\nhost = \"{}\"\n",
            sock.display(),
            bed.pg.host
        ));
    };
    config("");
    for name in ["hung-docker", "pg-docker", "dockmux"] {
        env.link(name);
    }
    for sh in SHELLS {
        config("");
        write_rc(sh, &env.home, &load_line(sh));
        let t = Term::start(sh, &env, &[&env.bin], &[]);
        // `timeout 2` bounds the request; docker's own start adds a little.
        // With the 20.10 client dockmux asks the engine itself, and gives a
        // hung one up within its own bound (1.5 s).
        for (docker, what, floor) in [
            (String::new(), "engine hung", 1900),
            (
                format!("docker = \"{}\"\n", old_docker().display()),
                "engine hung, client v20",
                1400,
            ),
        ] {
            config(&docker);
            let (screen, took) = t.tab_then_marker("hung-docker rm ");
            assert_quiet(
                &screen,
                "hung-docker rm ",
                took,
                Duration::from_secs(4),
                sh,
                what,
            );
            assert!(
                took >= Duration::from_millis(floor),
                "{}: {what}: the hung engine answered? {took:?}",
                sh.name()
            );
        }

        config(&format!("docker = \"{}\"\n", ancient.display()));
        let (screen, took) = t.tab_then_marker("pg-docker rm ");
        assert_quiet(
            &screen,
            "pg-docker rm ",
            took,
            Duration::from_secs(2),
            sh,
            "client without __complete",
        );
    }
}

/// The script for every shell, for the test bed's names plus an alias.
fn generated(sh: Sh) -> String {
    let env = Env::new();
    env.user_config(TWO_ENGINES);
    let out = Out::of(&mut env.dockmux(["completions", sh.name()]));
    out.ok().to_string()
}

fn check_syntax(sh: Sh, file: &Path) {
    let mut cmd = match sh {
        Sh::Bash => {
            let mut c = Command::new("shellcheck");
            c.arg("--severity=style");
            c
        }
        Sh::Zsh => {
            let mut c = Command::new("zsh");
            c.arg("-n");
            c
        }
        Sh::Fish => {
            let mut c = Command::new("fish");
            c.arg("-n");
            c
        }
    };
    let out = Out::of(cmd.arg(file));
    assert!(
        out.code == Some(0) && out.stdout.is_empty() && out.stderr.is_empty(),
        "{} check of {}: {out}",
        sh.name(),
        file.display()
    );
}

#[test]
fn generated_scripts_pass_shellcheck_and_the_shells_syntax_checks() {
    require_tools();
    let dir = tempfile::tempdir().unwrap();
    for sh in SHELLS {
        let script = generated(sh);
        for name in ["dockmux", "pg-docker", "playground", "lzc-docker"] {
            assert!(
                script.contains(name),
                "{}: {name} not registered",
                sh.name()
            );
        }
        let file = dir.path().join(format!("dockmux.{}", sh.name()));
        std::fs::write(&file, &script).unwrap();
        check_syntax(sh, &file);
    }
    // A deliberate mistake is caught, so the checks above can fail.
    let bad = dir.path().join("bad.bash");
    std::fs::write(&bad, "# shellcheck shell=bash\necho $1\n").unwrap();
    assert_ne!(Out::of(Command::new("shellcheck").arg(&bad)).code, Some(0));
}

/// completions/SHELL/FILE for dockmux and the built-in engines.
fn checked_in() -> Vec<(Sh, &'static str, PathBuf)> {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("completions");
    let mut files = Vec::new();
    for sh in SHELLS {
        for name in ["dockmux", "lzc-docker", "pg-docker"] {
            let file = match sh {
                Sh::Bash => name.to_string(),
                Sh::Zsh => format!("_{name}"),
                Sh::Fish => format!("{name}.fish"),
            };
            files.push((sh, name, repo.join(sh.name()).join(file)));
        }
    }
    files
}

#[test]
fn checked_in_completions_match_the_generator() {
    require_tools();
    // No config file: the built-in engines.
    let env = Env::new();
    for (sh, name, path) in checked_in() {
        let generated = Out::of(&mut env.dockmux(["completions", sh.name(), name]));
        let checked_in = std::fs::read_to_string(&path)
            .unwrap_or_else(|_| panic!("{} is missing; run scripts/completions", path.display()));
        assert_eq!(
            generated.ok(),
            checked_in,
            "{} is stale; run scripts/completions",
            path.display()
        );
        check_syntax(sh, &path);
    }
}

/// Every regular file under `dir`, relative, sorted.
fn files_under(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                out.push(p.strip_prefix(base).unwrap().display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

#[test]
fn link_installs_per_name_completion_files_and_unlink_and_prune_remove_only_those() {
    let env = Env::new();
    env.user_config(TWO_ENGINES);
    let links = env.home.join(".local/bin");
    std::fs::create_dir_all(&links).unwrap();
    let dir = links.to_str().unwrap();
    let bash = env.home.join(".local/share/bash-completion/completions");
    // The user's own completion for lzc-docker is in the way: kept.
    std::fs::create_dir_all(&bash).unwrap();
    std::fs::write(bash.join("lzc-docker"), "complete -F _docker lzc-docker\n").unwrap();

    let out = Out::of(&mut env.dockmux(["link", "--dir", dir]));
    out.ok();
    assert!(
        out.stderr.contains("lzc-docker") && out.stderr.contains("--force"),
        "{out}"
    );
    let mut want: Vec<String> = Vec::new();
    for cmd in ["dockmux", "lzc-docker", "pg-docker", "playground"] {
        want.push(format!(".config/fish/completions/{cmd}.fish"));
        want.push(format!(".local/share/bash-completion/completions/{cmd}"));
        want.push(format!(".local/share/zsh/site-functions/_{cmd}"));
    }
    let mut installed = files_under(&env.home);
    installed.retain(|f| !f.contains("dockmux/engines.toml") && !f.starts_with(".local/bin"));
    want.sort();
    assert_eq!(installed, want);
    // Each file is the generator's script for its name alone.
    let pg = std::fs::read_to_string(env.home.join(".local/share/zsh/site-functions/_pg-docker"))
        .unwrap();
    assert_eq!(
        pg,
        Out::of(&mut env.dockmux(["completions", "zsh", "pg-docker"])).ok()
    );
    assert_eq!(
        std::fs::read_to_string(bash.join("lzc-docker")).unwrap(),
        "complete -F _docker lzc-docker\n"
    );
    // doctor, which looks where the shells look, finds them all.
    let doctor = Out::of(
        env.dockmux(["doctor", "--json"])
            .env("PATH", format!("{dir}:{SYSTEM_PATH}")),
    );
    let report: serde_json::Value =
        serde_json::from_str(&doctor.stdout).unwrap_or_else(|e| panic!("{e}: {doctor}"));
    let completion: Vec<_> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["check"] == "completion")
        .collect();
    assert_eq!(completion.len(), 3, "{doctor}");
    for c in completion {
        assert!(c["level"] == "ok", "{c}");
    }
    // Linking again changes nothing and says nothing about completion.
    let again = Out::of(&mut env.dockmux(["link", "--dir", dir]));
    assert!(!again.ok().contains("completion"), "{again}");

    // The alias goes: --prune removes its link and its files, and only those.
    env.user_config("[engines.pg]\nhost = \"unix:///nonexistent/pg.sock\"\n[engines.lzc]\nhost = \"unix:///nonexistent/lzc.sock\"\n");
    let pruned = Out::of(&mut env.dockmux(["link", "--prune", "--dir", dir]));
    pruned.ok();
    let now = files_under(&env.home);
    assert!(!now.iter().any(|f| f.contains("playground")), "{now:?}");
    assert!(now.iter().any(|f| f.ends_with("_pg-docker")), "{now:?}");

    let removed = Out::of(&mut env.dockmux(["unlink", "--dir", dir]));
    removed.ok();
    let left: Vec<String> = files_under(&env.home)
        .into_iter()
        .filter(|f| !f.contains("dockmux/engines.toml"))
        .collect();
    // dockmux's own completion stays with the binary; the user's file stays.
    let mut expected = vec![
        ".config/fish/completions/dockmux.fish".to_string(),
        ".local/share/bash-completion/completions/dockmux".to_string(),
        ".local/share/bash-completion/completions/lzc-docker".to_string(),
        ".local/share/zsh/site-functions/_dockmux".to_string(),
    ];
    expected.sort();
    assert_eq!(left, expected);
}

/// Completion files follow the bin dir, as man pages do: links in
/// PREFIX/bin, where PREFIX/share is a dir the shells read (XDG_DATA_DIRS),
/// get theirs in PREFIX/share; links anywhere else get the user's own, with
/// a note; a shell that is not installed gets none.
#[test]
fn completion_files_follow_the_link_dir_and_only_installed_shells_get_them() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        panic!("this test needs root: run the tests with ./scripts/test (as root)");
    }
    let mut env = Env::new();
    env.user_config(TWO_ENGINES);
    let prefix = env.root().join("usr-local");
    let share = prefix.join("share");
    let links = prefix.join("bin");
    std::fs::create_dir_all(&links).unwrap();
    env.var("XDG_DATA_DIRS", format!("{}:/usr/share", share.display()));
    let out = Out::of(&mut env.dockmux(["link", "--dir", links.to_str().unwrap(), "pg"]));
    out.ok();
    let mut want = Vec::new();
    for cmd in ["dockmux", "pg-docker", "playground"] {
        want.push(format!("bash-completion/completions/{cmd}"));
        want.push(format!("fish/vendor_completions.d/{cmd}.fish"));
        want.push(format!("zsh/site-functions/_{cmd}"));
    }
    want.sort();
    assert_eq!(files_under(&share), want);
    assert!(files_under(&env.system_share).is_empty());
    assert!(!env.home.join(".local").exists() && !env.home.join(".config/fish").exists());
    let out = Out::of(&mut env.dockmux(["unlink", "--dir", links.to_str().unwrap(), "pg"]));
    out.ok();
    assert_eq!(
        files_under(&share),
        [
            "bash-completion/completions/dockmux",
            "fish/vendor_completions.d/dockmux.fish",
            "zsh/site-functions/_dockmux"
        ]
    );

    // A dir beside which no shell reads completion files (/tmp/x): the
    // user's own places, said so; and no fish here, so no fish dir.
    let elsewhere = env.root().join("x");
    std::fs::create_dir(&elsewhere).unwrap();
    let shells = env.root().join("shells");
    std::fs::create_dir(&shells).unwrap();
    for sh in ["bash", "zsh"] {
        std::os::unix::fs::symlink(format!("/usr/bin/{sh}"), shells.join(sh)).unwrap();
    }
    let out = Out::of(
        env.dockmux(["link", "--dir", elsewhere.to_str().unwrap(), "pg"])
            .env("PATH", &shells),
    );
    out.ok();
    assert!(
        out.stderr.contains(&format!(
            "no shell reads completion files beside {}",
            elsewhere.display()
        )),
        "{out}"
    );
    let mine = files_under(&env.home);
    assert!(
        mine.contains(&".local/share/bash-completion/completions/pg-docker".to_string()),
        "{mine:?}"
    );
    assert!(
        mine.contains(&".local/share/zsh/site-functions/_pg-docker".to_string()),
        "{mine:?}"
    );
    assert!(!mine.iter().any(|f| f.contains("fish")), "{mine:?}");
    assert!(files_under(&env.system_share).is_empty());
}

#[test]
fn dockmux_pg_docker_complete_asks_the_pg_engine() {
    let names = names();
    let env = bed_env();
    let out = Out::of(&mut env.dockmux(["__completeNoDesc", "pg-docker", "volume", "rm", ""]));
    let text = out.ok();
    for n in names.of("pg") {
        assert!(text.lines().any(|l| l == n), "{n} missing: {out}");
    }
    assert_none(text, &names.of("lzc"), "dockmux pg-docker volume rm");
}

/// Root links into a system bin dir: the completion files land in the system
/// places, which the shells search with no per-user setup (PREFIX/share,
/// named in XDG_DATA_DIRS, stands in for /usr/local/share; for zsh, the fpath
/// entry stands in for the one Debian's zsh has built in).
#[test]
fn a_system_wide_link_completes_in_every_users_shell() {
    require_tools();
    let names = names();
    let env = shell_env();
    let prefix = env.root().join("usr-local");
    let share = prefix.join("share");
    let links = prefix.join("bin");
    std::fs::create_dir_all(&links).unwrap();
    let data_dirs = format!("{}:/usr/share", share.display());
    let out = Out::of(
        env.dockmux(["link", "--dir", links.to_str().unwrap()])
            .env("XDG_DATA_DIRS", &data_dirs),
    );
    assert_eq!(out.code, Some(0), "{out}");
    for sh in SHELLS {
        let extra = match sh {
            Sh::Zsh => format!("fpath=({}/zsh/site-functions $fpath)\n", share.display()),
            _ => String::new(),
        };
        write_rc(sh, &env.home, &extra);
        let term = Term::start(
            sh,
            &env,
            &[&links, &env.bin],
            &[("XDG_DATA_DIRS", &data_dirs)],
        );
        let pg = names.of("pg");
        let s = term.complete("pg-docker volume rm ", 2, &[&pg[0], &pg[1]]);
        assert_none(&s, &names.of("lzc"), "pg-docker volume rm");
    }
    // Nothing went to the user's places.
    let home_files = files_under(&env.home);
    assert!(
        !home_files.iter().any(|f| f.contains("pg-docker")),
        "{home_files:?}"
    );
}

#[test]
fn add_rename_and_remove_keep_the_completion_files_in_step_with_the_links() {
    let env = Env::new();
    env.user_config(TWO_ENGINES);
    let links = env.home.join(".local/bin");
    std::fs::create_dir_all(&links).unwrap();
    let dir = links.to_str().unwrap();
    let fish = env.home.join(".config/fish/completions");
    let run = |args: &[&str]| {
        let out = Out::of(&mut env.dockmux(args));
        assert_eq!(out.code, Some(0), "{args:?}: {out}");
    };
    run(&["add", "nas", "ssh://me@nas.invalid", "--link", "--dir", dir]);
    assert!(fish.join("nas-docker.fish").is_file());
    run(&["rename", "nas", "box", "--dir", dir]);
    assert!(!fish.join("nas-docker.fish").exists());
    assert!(fish.join("box-docker.fish").is_file());
    run(&["remove", "box", "--unlink", "--dir", dir]);
    let left = files_under(&env.home);
    assert!(
        !left
            .iter()
            .any(|f| f.contains("box-docker") || f.contains("nas-docker")),
        "{left:?}"
    );
    assert!(!links.join("box-docker").exists());
}

/// A client that answers `__complete` with canned candidates and directives,
/// chosen by the first word, the way docker's cobra answers.
const CANNED_CLIENT: &str = r#"#!/bin/sh
verb=$1
shift
tab=$(printf '\t')
case "$1" in
  nospace) printf 'keyval\n:6\n' ;;
  ext) printf 'txt\n:8\n' ;;
  dirs) printf ':16\n' ;;
  order) printf 'zulu\nalpha\nmike\n:36\n' ;;
  files) printf ':0\n' ;;
  nofiles) printf ':4\n' ;;
  desc)
    if [ "$verb" = __complete ]; then
      printf 'alpha%sfirst letter\nbravo%ssecond letter\n:4\n' "$tab" "$tab"
    else
      printf 'alpha\nbravo\n:4\n'
    fi ;;
  *) printf 'nospace\next\ndirs\norder\nfiles\nnofiles\ndesc\n:4\n' ;;
esac
"#;

/// Each directive of the protocol (no space, no files, file extensions,
/// directories only, keep order) and descriptions, as a shell shows them.
fn every_directive_is_honoured(sh: Sh) {
    require_tools();
    let env = Env::new();
    let client = env.root().join("canned-docker-client");
    write_executable(&client, CANNED_CLIENT);
    env.user_config(&format!(
        "docker = \"{}\"\n[engines.fx]\nhost = \"unix:///nonexistent/fx.sock\"\n",
        client.display()
    ));
    env.link("fx-docker");
    env.link("dockmux");
    let cwd = env.root().join("cwd");
    for d in ["sub", "var"] {
        std::fs::create_dir_all(cwd.join(d)).unwrap();
    }
    for f in ["a.txt", "b.log"] {
        std::fs::write(cwd.join(f), "").unwrap();
    }
    write_rc(sh, &env.home, &load_line(sh));
    let t = Term::start(sh, &env, &[&env.bin], &[]);
    let line_is = |s: &str, want: &str| {
        s.lines()
            .any(|l| l.trim_end() == format!("{PROMPT}{want}").trim_end())
    };

    // No space after the lone candidate: the marker sticks to it.
    let (s, _) = t.tab_then_marker("fx-docker nospace k");
    assert!(
        line_is(&s, "fx-docker nospace keyval@"),
        "{}: nospace:\n{s}",
        sh.name()
    );
    // Files where allowed…
    t.complete("fx-docker files ", 2, &["a.txt", "b.log", "sub/", "var/"]);
    // …none where not.
    let (s, _) = t.tab_then_marker("fx-docker nofiles ");
    assert!(
        line_is(&s, "fx-docker nofiles @") && !s.contains("a.txt"),
        "{}: nofiles:\n{s}",
        sh.name()
    );
    let s = t.complete("fx-docker ext ", 2, &["a.txt", "sub/", "var/"]);
    assert!(!s.contains("b.log"), "{}: ext filter:\n{s}", sh.name());
    let s = t.complete("fx-docker dirs ", 2, &["sub/", "var/"]);
    assert!(
        !s.contains("a.txt") && !s.contains("b.log"),
        "{}: dirs:\n{s}",
        sh.name()
    );
    let s = t.complete("fx-docker order ", 2, &["zulu", "alpha", "mike"]);
    let at = |w: &str| s.rfind(w).unwrap();
    assert!(
        at("zulu") < at("alpha") && at("alpha") < at("mike"),
        "{}: order:\n{s}",
        sh.name()
    );
    let s = t.complete("fx-docker desc ", 2, &["alpha", "bravo"]);
    if sh == Sh::Bash {
        assert!(
            !s.contains("first letter"),
            "bash shows no descriptions:\n{s}"
        );
    } else {
        t.wait_for("descriptions", |s| {
            s.contains("first letter") && s.contains("second letter")
        });
    }
}

#[test]
fn bash_honours_every_directive_of_the_protocol() {
    every_directive_is_honoured(Sh::Bash);
}

#[test]
fn zsh_honours_every_directive_of_the_protocol() {
    every_directive_is_honoured(Sh::Zsh);
}

#[test]
fn fish_honours_every_directive_of_the_protocol() {
    every_directive_is_honoured(Sh::Fish);
}

/// dockmux's own TAB: every argument that takes an engine offers the engine
/// names (exec, env, remove, rename, list as link and unlink do); after
/// `dockmux exec ENGINE ` the programs on PATH (executable files only), and
/// after the program, files.
fn dockmux_completes_engines_and_then_programs(sh: Sh) {
    require_tools();
    let env = Env::new();
    env.user_config(TWO_ENGINES);
    env.link("dockmux");
    for (name, mode) in [
        ("zqprog-alpha", 0o755),
        ("zqprog-bravo", 0o755),
        ("zqprog-notes", 0o644),
    ] {
        let p = env.bin.join(name);
        std::fs::write(&p, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&p, std::os::unix::fs::PermissionsExt::from_mode(mode)).unwrap();
    }
    let cwd = env.root().join("cwd");
    std::fs::create_dir_all(&cwd).unwrap();
    for f in ["report-a.txt", "report-b.txt"] {
        std::fs::write(cwd.join(f), "").unwrap();
    }
    write_rc(sh, &env.home, &load_line(sh));
    let t = Term::start(sh, &env, &[&env.bin], &[]);
    for line in [
        "dockmux exec ",
        "dockmux env ",
        "dockmux remove ",
        "dockmux rename ",
        "dockmux list ",
    ] {
        t.complete(line, 2, &["lzc", "pg"]);
    }
    let s = t.complete(
        "dockmux exec pg zqprog-",
        2,
        &["zqprog-alpha", "zqprog-bravo"],
    );
    assert_none(&s, &["zqprog-notes".to_string()], "dockmux exec pg zqprog-");
    t.complete(
        "dockmux exec pg zqprog-alpha report-",
        2,
        &["report-a.txt", "report-b.txt"],
    );
}

#[test]
fn bash_completes_dockmux_engine_arguments_and_programs_after_exec() {
    dockmux_completes_engines_and_then_programs(Sh::Bash);
}

#[test]
fn zsh_completes_dockmux_engine_arguments_and_programs_after_exec() {
    dockmux_completes_engines_and_then_programs(Sh::Zsh);
}

#[test]
fn fish_completes_dockmux_engine_arguments_and_programs_after_exec() {
    dockmux_completes_engines_and_then_programs(Sh::Fish);
}
