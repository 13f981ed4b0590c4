//! A private tmux server for a test's terminal: its socket in a temp dir of
//! its own (tmux leaves a socket behind after kill-server, so not in the
//! machine's /tmp/tmux-UID), ended and gone when the test is done, passed
//! or not.

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
        let dir = tempfile::Builder::new()
            .prefix(&format!("dockmux-tmux-{what}-"))
            .tempdir()
            .unwrap();
        let tmux = Tmux {
            socket: dir.path().join("socket"),
            _dir: dir,
        };
        let (w, h) = (size.0.to_string(), size.1.to_string());
        let out = tmux.run(&["new-session", "-d", "-x", &w, "-y", &h, command]);
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

    /// What the pane shows, wrapped lines joined.
    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-J"]).stdout).into_owned()
    }

    /// What the pane shows with its colours and attributes, as tmux's own
    /// escape sequences (`capture-pane -e`).
    pub fn styled_screen(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-J", "-e"]).stdout).into_owned()
    }

    /// Waits (20 s at most) until the pane shows `what`.
    pub fn wait_for(&self, what: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !self.screen().contains(what) {
            assert!(
                Instant::now() < deadline,
                "no {what:?}; screen:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(30));
        }
    }

    /// Types `line` and Enter.
    pub fn type_line(&self, line: &str) {
        self.run(&["send-keys", "-l", line]);
        self.run(&["send-keys", "Enter"]);
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.run(&["kill-server"]);
    }
}
