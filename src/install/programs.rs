//! Other programs a link would stand in front of. A link named like an
//! existing program (`ssh`, `ls`) hijacks it for whoever finds the link
//! first on PATH — docker's own ssh transport runs `ssh` — so dockmux never
//! makes one. `NAME-docker` commands are different: standing in front of an
//! existing `NAME-docker` (a box's own wrapper script) is what dockmux is for.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// Where programs live for any user, beside the caller's own PATH: root's
/// `link --dir /usr/local/bin` serves users whose PATH differs.
const SYSTEM_DIRS: &[&str] = &[
    "/usr/local/sbin",
    "/usr/local/bin",
    "/usr/sbin",
    "/usr/bin",
    "/sbin",
    "/bin",
];

/// Is `command` one that may stand in front of a program of the same name?
pub fn may_stand_in_front(command: &str) -> bool {
    crate::engine::dispatch::is_docker_command(command.as_bytes())
}

/// The directories searched, PATH first, each once.
fn dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| {
            std::env::split_paths(&p)
                .filter(|d| d.is_absolute())
                .collect()
        })
        .unwrap_or_default();
    for d in SYSTEM_DIRS {
        if !dirs.iter().any(|x| x == Path::new(d)) {
            dirs.push(PathBuf::from(d));
        }
    }
    dirs
}

/// Every executable file named `command` on PATH or in the system
/// directories that `is_link` does not call a link to dockmux, each
/// file once.
pub fn others_named(command: &str, is_link: impl Fn(&Path) -> bool) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = Vec::new();
    for dir in dirs() {
        let p = dir.join(command);
        let executable =
            std::fs::metadata(&p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0);
        if executable
            && !is_link(&p)
            && !found.iter().any(|q| crate::files::paths::same_file(q, &p))
        {
            found.push(p);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_system_programs_and_skips_links() {
        let sh = others_named("sh", |_| false);
        assert!(!sh.is_empty(), "no sh found");
        assert!(others_named("sh", |_| true).is_empty());
        assert!(others_named("no-such-program-here-x", |_| false).is_empty());
        assert!(may_stand_in_front("lzc-docker"));
        assert!(!may_stand_in_front("ssh"));
        assert!(!may_stand_in_front("-docker"));
    }
}
