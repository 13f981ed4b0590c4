//! A private tmux server for a test's terminal: its socket in a temp dir of
//! its own (tmux leaves a socket behind after kill-server, so not in the
//! machine's /tmp/tmux-UID), ended and gone when the test is done, passed
//! or not. The one tmux driver of the suite: tests add what is theirs
//! (a shell's prompt, a completion's wait) on top of it.

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

pub struct Tmux {
    socket: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Tmux {
    /// A server named after `what` and this test process, running `command`
    /// (a shell command line) in a WIDTH x HEIGHT window.
    pub fn start(what: &str, size: (u16, u16), command: &str) -> Tmux {
        Tmux::launch(what, size, Command::new("tmux"), None, &[command])
    }

    /// As `start`, with the server started by `base` (a `tmux` command
    /// whose environment the server, and so every pane, inherits), in
    /// `cwd`, running `argv` as it is (no shell between).
    pub fn launch(
        what: &str,
        size: (u16, u16),
        mut base: Command,
        cwd: Option<&Path>,
        argv: &[impl AsRef<OsStr>],
    ) -> Tmux {
        let dir = tempfile::Builder::new()
            .prefix(&format!("dockmux-tmux-{what}-"))
            .tempdir()
            .unwrap();
        let tmux = Tmux {
            socket: dir.path().join("socket"),
            _dir: dir,
        };
        let (w, h) = (size.0.to_string(), size.1.to_string());
        base.arg("-S").arg(&tmux.socket).args(["-f", "/dev/null"]);
        base.args(["new-session", "-d", "-x", &w, "-y", &h]);
        if let Some(cwd) = cwd {
            base.arg("-c").arg(cwd);
        }
        let out = base
            .args(argv)
            .stdin(Stdio::null())
            .output()
            .expect("cannot run tmux: install it (./scripts/test does)");
        assert!(out.status.success(), "tmux new-session: {out:?}");
        tmux
    }

    pub fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(["-f", "/dev/null"])
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("tmux")
    }

    /// `run`, which must succeed; its stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// What the pane shows, wrapped lines joined.
    pub fn screen(&self) -> String {
        self.ok(&["capture-pane", "-p", "-J"])
    }

    /// What the pane shows and what scrolled off it, wrapped lines joined.
    pub fn screen_and_history(&self) -> String {
        self.ok(&["capture-pane", "-p", "-J", "-S", "-"])
    }

    /// What the pane shows with its colours and attributes, as tmux's own
    /// escape sequences (`capture-pane -e`).
    pub fn styled_screen(&self) -> String {
        self.ok(&["capture-pane", "-p", "-J", "-e"])
    }

    /// Waits (20 s at most) until the pane shows `what`.
    pub fn wait_for(&self, what: &str) {
        self.wait_until(what, Duration::from_secs(20), |s| s.contains(what));
    }

    /// The screen, once `ready` holds for it; panics with the screen after
    /// `patience`.
    pub fn wait_until(
        &self,
        what: &str,
        patience: Duration,
        ready: impl Fn(&str) -> bool,
    ) -> String {
        let deadline = Instant::now() + patience;
        loop {
            let screen = self.screen();
            if ready(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "waited for {what}; screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(30));
        }
    }

    /// Types `text` literally.
    pub fn type_text(&self, text: &str) {
        if !text.is_empty() {
            self.ok(&["send-keys", "-l", text]);
        }
    }

    /// Presses `keys` (tmux's key names: `Tab`, `C-c`, `Enter`).
    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys"];
        args.extend_from_slice(keys);
        self.ok(&args);
    }

    /// Types `line` and Enter.
    pub fn type_line(&self, line: &str) {
        self.type_text(line);
        self.keys(&["Enter"]);
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}
