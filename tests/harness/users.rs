//! Real users for the multi-user tests: system accounts made with useradd
//! on first use (no home, no login shell) and kept for later runs.

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;
use std::sync::Mutex;

#[derive(Clone, Copy, Debug)]
pub struct User {
    pub name: &'static str,
    pub uid: u32,
    pub gid: u32,
}

impl User {
    /// Makes `cmd` run as this user, with no supplementary groups.
    pub fn runs(&self, cmd: &mut Command) {
        // std drops root's supplementary groups when it changes the uid.
        cmd.uid(self.uid).gid(self.gid);
    }

    /// Gives `path` (not following a symlink) to this user.
    pub fn owns(&self, path: &Path) {
        std::os::unix::fs::lchown(path, Some(self.uid), Some(self.gid))
            .unwrap_or_else(|e| panic!("chown {} {}: {e}", self.name, path.display()));
    }

    /// Gives `dir` and everything below it to this user.
    pub fn owns_tree(&self, dir: &Path) {
        self.owns(dir);
        if std::fs::symlink_metadata(dir).is_ok_and(|m| m.is_dir()) {
            for entry in std::fs::read_dir(dir).unwrap() {
                self.owns_tree(&entry.unwrap().path());
            }
        }
    }
}

/// The user `name`, made if missing. Needs root (the tests run as root).
pub fn user(name: &'static str) -> User {
    static LOCK: Mutex<()> = Mutex::new(());
    let _held = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(u) = lookup(name) {
        return u;
    }
    let out = Command::new("useradd")
        .args(["--system", "--no-create-home", "--user-group"])
        .args(["--shell", "/usr/sbin/nologin", name])
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .output()
        .unwrap_or_else(|e| panic!("cannot run useradd ({e}); the tests run as root"));
    assert!(
        out.status.success(),
        "useradd {name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    lookup(name).unwrap_or_else(|| panic!("useradd made no user {name}"))
}

fn lookup(name: &'static str) -> Option<User> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let f: Vec<&str> = line.split(':').collect();
        (f.len() > 3 && f[0] == name).then(|| User {
            name,
            uid: f[2].parse().unwrap(),
            gid: f[3].parse().unwrap(),
        })
    })
}
