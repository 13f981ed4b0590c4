//! The test harness: every test gets an `Env` — a temp root with its own
//! HOME, XDG dirs, link dir on PATH and system-config location — and runs
//! dockmux with an emptied environment plus only what the test sets, so a
//! developer's own DOCKER_*, DOCKMUX_*, HOME or /etc/dockmux cannot leak in.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tempfile::TempDir;

pub mod exe;
pub mod snapshot;
pub mod sshd;
pub mod testbed;
pub mod tmux;
pub mod users;
pub mod world;

/// The dockmux binary under test.
pub fn dockmux_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_dockmux"))
}

/// Runs `cmd`, failing the test if it has not finished within 10 s. Its
/// output is read as it comes: a child blocked on a full pipe is not hung.
pub fn finishes(cmd: &mut Command) -> Out {
    let child = cmd
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id() as i32;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || tx.send(child.wait_with_output()));
    match rx.recv_timeout(std::time::Duration::from_secs(10)) {
        Ok(output) => Out::from_output(output.unwrap()),
        Err(_) => {
            // SAFETY: kill has no memory-safety preconditions; the child is not reaped yet.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            panic!("{cmd:?} hung");
        }
    }
}

/// A copy of dockmux at `to`, ready to run (see [`exe`]: no ETXTBSY).
pub fn copy_dockmux(to: &Path) {
    exe::copy_executable(&dockmux_bin(), to);
}

/// System directories every child gets on PATH after the test's own bin dir.
/// Not /usr/local/bin: that is where an installed dockmux puts its links
/// (`scripts/install` as root), and a test must not find them. The tests that
/// need the newer docker client there link it into their own bin dir.
pub const SYSTEM_PATH: &str = "/usr/bin:/bin";

pub struct Env {
    root: TempDir,
    pub home: PathBuf,
    /// Links and fake clients go here; it is first on PATH.
    pub bin: PathBuf,
    /// Where the fake docker writes what it was given.
    pub record: PathBuf,
    /// `DOCKMUX_SYSTEM_CONFIG` points here (absent unless `system_config` writes it).
    pub system_config_path: PathBuf,
    /// `DOCKMUX_SYSTEM_SHARE` (standing in for /usr/share: system completion
    /// files, which root's `dockmux link` outside HOME writes) points here.
    pub system_share: PathBuf,
    pub path: OsString,
    vars: Vec<(OsString, OsString)>,
}

impl Default for Env {
    fn default() -> Self {
        Self::new()
    }
}

impl Env {
    pub fn new() -> Env {
        let root = tempfile::Builder::new()
            .prefix("dockmux-test-")
            .tempdir()
            .unwrap();
        let r = root.path().to_path_buf();
        // Private, like a HOME: a link dir in here serves no other user (see
        // src/install/shared.rs); a test that wants one that does opens it up.
        std::fs::set_permissions(&r, std::fs::Permissions::from_mode(0o700)).unwrap();
        let home = r.join("home");
        let bin = r.join("bin");
        let record = r.join("record");
        for d in [&home, &bin, &record, &r.join("etc/dockmux"), &r.join("run")] {
            std::fs::create_dir_all(d).unwrap();
        }
        // The runtime dir, as a login's: the user's own, 0700 (an ssh
        // engine's shared connection lives there, see src/forward/).
        std::fs::set_permissions(r.join("run"), std::fs::Permissions::from_mode(0o700)).unwrap();
        let path = OsString::from(format!("{}:{SYSTEM_PATH}", bin.display()));
        Env {
            system_config_path: r.join("etc/dockmux/engines.toml"),
            system_share: r.join("share"),
            root,
            home,
            bin,
            record,
            path,
            vars: Vec::new(),
        }
    }

    pub fn root(&self) -> &Path {
        self.root.path()
    }

    /// `XDG_RUNTIME_DIR` of every command this Env runs.
    pub fn runtime_dir(&self) -> PathBuf {
        self.root().join("run")
    }

    /// Sets a variable for every command this Env runs.
    pub fn var(&mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> &mut Self {
        self.vars.push((key.into(), value.into()));
        self
    }

    pub fn user_config_path(&self) -> PathBuf {
        self.home.join(".config/dockmux/engines.toml")
    }

    /// Writes the user's config (mode 0600 in a 0700 dir).
    pub fn user_config(&self, toml: &str) -> PathBuf {
        let p = self.user_config_path();
        write_private(&p, toml);
        p
    }

    pub fn system_config(&self, toml: &str) -> PathBuf {
        let p = self.system_config_path.clone();
        write_private(&p, toml);
        p
    }

    /// `bin/NAME` → the dockmux binary, as `dockmux link` would make it.
    pub fn link(&self, name: impl AsRef<OsStr>) -> PathBuf {
        let p = self.bin.join(name.as_ref());
        std::os::unix::fs::symlink(dockmux_bin(), &p).unwrap();
        p
    }

    /// A command for `bin/NAME` with the scrubbed environment.
    pub fn cmd(&self, name: impl AsRef<OsStr>) -> Command {
        let mut c = Command::new(self.bin.join(name.as_ref()));
        self.scrub(&mut c);
        c
    }

    /// Any program (by path, or looked up on the test's PATH) with the scrubbed environment.
    pub fn program(&self, program: impl AsRef<OsStr>) -> Command {
        let mut c = Command::new(program);
        self.scrub(&mut c);
        c
    }

    /// `dockmux ARGS…` itself.
    pub fn dockmux<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut c = Command::new(dockmux_bin());
        c.args(args);
        self.scrub(&mut c);
        c
    }

    /// Runs `bin/NAME ARGS…` to completion.
    pub fn run<I, S>(&self, name: &str, args: I) -> Out
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        Out::of(self.cmd(name).args(args))
    }

    fn scrub(&self, c: &mut Command) {
        c.env_clear()
            .env("PATH", &self.path)
            .env("HOME", &self.home)
            .env("DOCKMUX_SYSTEM_CONFIG", &self.system_config_path)
            .env("DOCKMUX_SYSTEM_SHARE", &self.system_share)
            .env("LC_ALL", "C.UTF-8")
            .env("XDG_RUNTIME_DIR", self.runtime_dir())
            .current_dir(self.root());
        for (k, v) in &self.vars {
            c.env(k, v);
        }
    }

    /// Installs the recording fake docker as `bin/docker`.
    pub fn fake_docker(&self) -> PathBuf {
        let p = self.bin.join("docker");
        write_fake(&p, &self.record);
        p
    }

    /// Makes the fake docker exit with `code`.
    pub fn fake_exit(&self, code: i32) {
        std::fs::write(self.record.join("exit"), code.to_string()).unwrap();
    }

    /// What the fake docker was last given; panics if it never ran.
    pub fn last_call(&self) -> Call {
        Call::read(&self.record).expect("the fake docker was not run")
    }

    pub fn fake_ran(&self) -> bool {
        self.record.join("argv").exists()
    }

    pub fn clear_record(&self) {
        for f in ["argv", "env", "pid"] {
            let _ = std::fs::remove_file(self.record.join(f));
        }
    }
}

/// Writes a fake docker client at `path` that records into `record`. It uses
/// absolute paths only: tests run it with PATHs that lack the system dirs.
pub fn write_fake(path: &Path, record: &Path) {
    let rec = record.display();
    let script = format!(
        "#!/bin/sh\n\
         printf '%s\\0' \"$0\" \"$@\" > '{rec}/argv.tmp'\n\
         /usr/bin/env -0 > '{rec}/env'\n\
         echo $$ > '{rec}/pid'\n\
         /bin/mv '{rec}/argv.tmp' '{rec}/argv'\n\
         code=0; [ -f '{rec}/exit' ] && read -r code < '{rec}/exit'\n\
         exit \"$code\"\n"
    );
    exe::write_executable(path, script);
}

fn write_private(p: &Path, text: &str) {
    let dir = p.parent().unwrap();
    std::fs::create_dir_all(dir).unwrap();
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    std::fs::write(p, text).unwrap();
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o600)).unwrap();
}

/// One run of the fake docker: its argv (argv[0] first) and environment.
#[derive(Debug)]
pub struct Call {
    pub argv0: OsString,
    pub args: Vec<OsString>,
    pub env: BTreeMap<OsString, OsString>,
    pub pid: u32,
}

impl Call {
    fn read(dir: &Path) -> Option<Call> {
        let argv = std::fs::read(dir.join("argv")).ok()?;
        let env = std::fs::read(dir.join("env")).ok()?;
        let pid = std::fs::read_to_string(dir.join("pid")).ok()?;
        let mut argv = split_nul(&argv);
        let argv0 = argv.remove(0);
        let env = split_nul(&env)
            .into_iter()
            .filter_map(|kv| {
                let b = kv.as_bytes();
                let eq = b.iter().position(|&c| c == b'=')?;
                Some((
                    OsStr::from_bytes(&b[..eq]).to_owned(),
                    OsStr::from_bytes(&b[eq + 1..]).to_owned(),
                ))
            })
            .collect();
        Some(Call {
            argv0,
            args: argv,
            env,
            pid: pid.trim().parse().ok()?,
        })
    }

    pub fn var(&self, key: &str) -> Option<&str> {
        self.env.get(OsStr::new(key)).and_then(|v| v.to_str())
    }

    pub fn args_str(&self) -> Vec<&str> {
        self.args.iter().map(|a| a.to_str().unwrap()).collect()
    }
}

fn split_nul(b: &[u8]) -> Vec<OsString> {
    let mut parts: Vec<OsString> = b
        .split(|&c| c == 0)
        .map(|p| OsStr::from_bytes(p).to_owned())
        .collect();
    // The trailing NUL leaves one empty piece at the end.
    parts.pop();
    parts
}

impl Drop for Env {
    /// Ends what outlives a command by design: an ssh engine's shared
    /// connection (its command line names this Env's runtime dir).
    fn drop(&mut self) {
        for (pid, _) in processes_mentioning(&self.runtime_dir().display().to_string()) {
            // SAFETY: kill has no memory-safety preconditions.
            unsafe { libc::kill(pid, libc::SIGTERM) };
        }
    }
}

/// The processes whose command line holds `text`, with that command line.
pub fn processes_mentioning(text: &str) -> Vec<(i32, String)> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| {
        let pid: i32 = e.ok()?.file_name().to_str()?.parse().ok()?;
        let raw = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
        let line = String::from_utf8_lossy(&raw).replace('\0', " ");
        (pid != std::process::id() as i32 && line.contains(text)).then_some((pid, line))
    })
    .collect()
}

/// A finished command: status, stdout and stderr as text.
#[derive(Debug)]
pub struct Out {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub raw: Output,
}

impl Out {
    pub fn of(cmd: &mut Command) -> Out {
        let raw = cmd
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
        Out::from_output(raw)
    }

    pub fn from_output(raw: Output) -> Out {
        Out {
            code: raw.status.code(),
            stdout: String::from_utf8_lossy(&raw.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&raw.stderr).into_owned(),
            raw,
        }
    }

    /// Asserts success and returns stdout.
    #[track_caller]
    pub fn ok(&self) -> &str {
        assert_eq!(self.code, Some(0), "expected success; {self}");
        &self.stdout
    }

    /// Asserts the exit code and returns stderr.
    #[track_caller]
    pub fn fails(&self, code: i32) -> &str {
        assert_eq!(self.code, Some(code), "expected exit {code}; {self}");
        &self.stderr
    }
}

impl std::fmt::Display for Out {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {:?}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// The two engines of the test bed, for configs that use the fake client:
/// names and hosts only; nothing listens there.
pub const TWO_ENGINES: &str = r#"
[engines.pg]
host = "unix:///nonexistent/pg.sock"
aliases = ["playground"]
hint = "start the playground"

[engines.lzc]
host = "unix:///nonexistent/lzc.sock"
"#;
