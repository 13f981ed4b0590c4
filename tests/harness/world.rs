//! The machine a README console block describes, made real in a private mount
//! namespace (`unshare --mount --propagation private`; the tests run as root):
//! a tmpfs over /home with /home/me as HOME, a tmpfs over /run, the block's
//! sockets bind-mounted from the testbed's real ones, and whatever else the
//! block's paths name. The block's commands then print the very paths the
//! block shows, so a table's column widths are checked too; nothing is
//! substituted after the fact. Everything the namespace makes lives in its
//! tmpfs mounts or in this world's temp dir: the real root is untouched.
#![allow(dead_code)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

use super::Out;

/// HOME in every world.
pub const HOME: &str = "/home/me";

pub struct World {
    dir: TempDir,
    /// Shell lines run as root inside the namespace before the commands.
    setup: String,
    vars: Vec<(String, String)>,
    cwd: String,
    staged: usize,
    /// The commands run chrooted here (see `own_root`).
    root: Option<String>,
}

impl Default for World {
    fn default() -> Self {
        Self::new()
    }
}

/// `'…'` for sh.
pub fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

impl World {
    /// /home and /run are empty tmpfs mounts, HOME is /home/me (0755) with its
    /// runtime dir /run/user/0 (0700); PATH is ~/.local/bin (made, empty),
    /// /usr/local/bin, /usr/bin, /bin; `nas.local` and every other name but
    /// localhost does not resolve (/etc/hosts and nsswitch's `hosts: files`).
    pub fn new() -> World {
        let dir = tempfile::Builder::new()
            .prefix("dockmux-world-")
            .tempdir()
            .unwrap();
        let mut w = World {
            dir,
            setup: String::from("set -eu\n"),
            vars: Vec::new(),
            cwd: HOME.to_string(),
            staged: 0,
            root: None,
        };
        w.sh("mount -t tmpfs -o mode=755 tmpfs /home");
        w.sh("mount -t tmpfs -o mode=755 tmpfs /run");
        w.sh("mkdir -p /home/me/.local/bin && mkdir -m 700 -p /run/user/0");
        w.sh("chmod 755 /home/me /home/me/.local /home/me/.local/bin");
        w.replace_file("/etc/hosts", "127.0.0.1\tlocalhost\n::1\tlocalhost\n");
        w.replace_file(
            "/etc/nsswitch.conf",
            "passwd: files\ngroup: files\nhosts: files\n",
        );
        w.var("HOME", HOME)
            .var("PATH", "/home/me/.local/bin:/usr/local/bin:/usr/bin:/bin")
            .var("XDG_RUNTIME_DIR", "/run/user/0")
            .var("LC_ALL", "C.UTF-8")
            .var("USER", "root")
            .var("LOGNAME", "root")
            .var("SHELL", "/bin/sh");
        w
    }

    /// A temp dir of this world (in the real root's /tmp, removed on drop).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// A setup line (sh, as root, inside the namespace, `set -eu`).
    pub fn sh(&mut self, line: &str) -> &mut Self {
        self.setup.push_str(line);
        self.setup.push('\n');
        self
    }

    pub fn var(&mut self, key: &str, value: &str) -> &mut Self {
        self.vars.retain(|(k, _)| k != key);
        self.vars.push((key.to_string(), value.to_string()));
        self
    }

    /// The commands' working directory (default HOME).
    pub fn cwd(&mut self, dir: &str) -> &mut Self {
        self.cwd = dir.to_string();
        self
    }

    /// A file of this world's temp dir holding `text`; its path.
    fn stage(&mut self, text: &[u8]) -> PathBuf {
        self.staged += 1;
        let p = self.dir().join(format!("staged-{}", self.staged));
        std::fs::write(&p, text).unwrap();
        p
    }

    /// `path` (under a tmpfs of this world) holds `text`, mode `mode`; its
    /// directories are made 0755.
    pub fn file(&mut self, path: &str, text: &str, mode: u32) -> &mut Self {
        let from = self.stage(text.as_bytes());
        let (p, f) = (quote(path), quote(&from.display().to_string()));
        self.sh(&format!(
            "mkdir -p \"$(dirname {p})\" && cp {f} {p} && chmod {mode:o} {p}"
        ))
    }

    /// The user's config at ~/.config/dockmux/engines.toml (0600 in a 0700 dir).
    pub fn user_config(&mut self, text: &str) -> &mut Self {
        self.sh("mkdir -p -m 700 /home/me/.config/dockmux");
        self.file("/home/me/.config/dockmux/engines.toml", text, 0o600)
    }

    /// An existing file of the real root seen with `text` in this world only
    /// (a bind mount over it).
    pub fn replace_file(&mut self, path: &str, text: &str) -> &mut Self {
        let from = self.stage(text.as_bytes());
        self.sh(&format!(
            "mount --bind {} {}",
            quote(&from.display().to_string()),
            quote(path)
        ))
    }

    /// The real file (or socket) `real` is also at `at`, a path under a tmpfs
    /// of this world: a bind mount of its inode (a unix socket connects
    /// through it).
    pub fn bind(&mut self, real: &Path, at: &str) -> &mut Self {
        let (a, r) = (quote(at), quote(&real.display().to_string()));
        self.sh(&format!(
            "mkdir -p \"$(dirname {a})\" && touch {a} && mount --bind {r} {a}"
        ))
    }

    /// An empty tmpfs over `dir` (which must exist in the real root): what a
    /// block writes there stays in this world.
    pub fn tmpfs(&mut self, dir: &str) -> &mut Self {
        self.sh(&format!("mount -t tmpfs -o mode=755 tmpfs {}", quote(dir)))
    }

    /// Top-level directories the real root does not have (`/data`,
    /// `/lzcsys`): the commands run chrooted in a root of their own, a tmpfs
    /// holding these and every top-level directory of the real root (bound,
    /// with the world's mounts), /run a new tmpfs. The world also gets its
    /// own pid namespace, so nothing it starts (a dockerd) outlives it. Call
    /// it last: mounts made after it are not in that root.
    pub fn own_root(&mut self, new_dirs: &[&str]) -> &mut Self {
        let root = "/run/world-root";
        self.sh(&format!(
            "R={root}; mkdir -p $R && mount -t tmpfs -o mode=755 tmpfs $R\n\
             for d in /*; do n=${{d#/}}; [ \"$n\" = run ] && continue\n\
               if [ -L \"$d\" ]; then cp -P \"$d\" \"$R/$n\"; elif [ -d \"$d\" ]; then mkdir \"$R/$n\" && mount --rbind \"$d\" \"$R/$n\"; fi\n\
             done\n\
             mkdir -m 755 $R/run && mount -t tmpfs -o mode=755 tmpfs $R/run && mkdir -p -m 700 $R/run/user/0"
        ));
        for d in new_dirs {
            self.sh(&format!("mkdir -m 755 {root}{}", quote(d)));
        }
        self.root = Some(root.to_string());
        self
    }

    /// A copy of the dockmux under test at `at` (default place: ~/.local/bin/dockmux).
    pub fn dockmux_at(&mut self, at: &str) -> &mut Self {
        let bin = super::dockmux_bin();
        let (a, b) = (quote(at), quote(&bin.display().to_string()));
        self.sh(&format!(
            "mkdir -p \"$(dirname {a})\" && cp {b} {a} && chmod 755 {a}"
        ))
    }

    /// A setup line run with the world's environment (as the commands are),
    /// its output hidden unless it fails.
    pub fn as_me(&mut self, line: &str) -> &mut Self {
        let line = format!(
            "out=$(cd {} && /usr/bin/env -i{} /bin/sh -c {} 2>&1) || {{ echo \"$out\"; exit 1; }}",
            quote(&self.cwd),
            self.env_words(),
            quote(line)
        );
        self.sh(&line)
    }

    fn env_words(&self) -> String {
        let mut env = String::new();
        for (k, v) in &self.vars {
            write!(env, " {}", quote(&format!("{k}={v}"))).unwrap();
        }
        env
    }

    /// Runs `script` (sh) in this world: stdout is what it printed; setup
    /// output and errors go to stderr, and a failed setup is exit 99.
    pub fn run(&self, script: &str) -> Out {
        let mut c = self.command(script);
        // No controlling terminal, as in CI: /dev/tty (a protected engine's
        // prompt) is not the developer's.
        // SAFETY: setsid is async-signal-safe.
        unsafe {
            std::os::unix::process::CommandExt::pre_exec(&mut c, || {
                libc::setsid();
                Ok(())
            });
        }
        Out::of(&mut c)
    }

    /// The shell command line that runs `script` in this world, for a
    /// terminal (tmux) to start.
    pub fn command_line(&self, script: &str) -> String {
        let c = self.command(script);
        let mut line = format!(
            "cd {} && exec /usr/bin/env -i",
            quote(&self.dir().display().to_string())
        );
        for (k, v) in c.get_envs() {
            let (k, v) = (k.to_string_lossy(), v.unwrap_or_default().to_string_lossy());
            write!(line, " {}", quote(&format!("{k}={v}"))).unwrap();
        }
        write!(line, " {}", quote(&c.get_program().to_string_lossy())).unwrap();
        for a in c.get_args() {
            write!(line, " {}", quote(&a.to_string_lossy())).unwrap();
        }
        line
    }

    /// The command that runs `script` in this world (for a caller that wants
    /// its own stdio, such as a terminal).
    pub fn command(&self, script: &str) -> Command {
        let setup = self.dir().join("setup.sh");
        let body = self.dir().join(format!("script-{}.sh", self.staged + 1));
        std::fs::write(&setup, &self.setup).unwrap();
        std::fs::write(&body, script).unwrap();
        let env = self.env_words();
        let run = format!(
            "cd {} && exec /usr/bin/env -i{env} /bin/sh {}",
            quote(&self.cwd),
            quote(&body.display().to_string()),
        );
        let run = match &self.root {
            Some(root) => format!("exec /usr/sbin/chroot {root} /bin/sh -c {}", quote(&run)),
            None => run,
        };
        let outer = format!(
            "/bin/sh {} >&2 || exit 99\n{run}\n",
            quote(&setup.display().to_string()),
        );
        let mut c = Command::new("/usr/bin/unshare");
        c.args(["--mount", "--propagation", "private"]);
        if self.root.is_some() {
            c.args(["--pid", "--fork", "--mount-proc"]);
        }
        c.args(["/bin/sh", "-c"])
            .arg(outer)
            .env_clear()
            .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
            .env("LC_ALL", "C.UTF-8")
            .current_dir(self.dir());
        c
    }
}
