//! A bind source as the engine's host would see it: made absolute as the
//! client makes it (`.`/`..` against the caller's directory, `~` as HOME),
//! then, when the engine is on this host, with its symlinks resolved. Both
//! the kernel's reading (links first, then `..`) and the lexical one (`..`
//! first) are kept, since the client and the engine each clean paths in
//! their own places: a bind is judged by every place it could land.

use std::path::{Path, PathBuf};

/// `src` made absolute as the docker client does; `None` when it is no
/// path (a volume name, `~user`).
pub fn absolute(src: &str) -> Option<String> {
    if src.starts_with('/') {
        return Some(src.to_string());
    }
    if src == "~" || src.starts_with("~/") {
        let home = std::env::var("HOME").ok().filter(|h| h.starts_with('/'))?;
        return Some(format!("{home}/{}", &src[1..]));
    }
    if src.starts_with('.') {
        let cwd = std::env::current_dir().ok()?;
        return Some(format!("{}/{src}", cwd.to_str()?));
    }
    None
}

/// No `.`, `..`, `//` or trailing `/`.
pub fn clean(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for p in path.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            _ => parts.push(p),
        }
    }
    format!("/{}", parts.join("/"))
}

/// Every place `path` (absolute) could name: lexically cleaned, and when
/// `local`, each reading with its symlinks resolved as far as the path exists.
pub fn places(path: &str, local: bool) -> Vec<String> {
    let lexical = clean(path);
    let mut out = vec![lexical.clone()];
    if local {
        for p in [path, lexical.as_str()] {
            let r = resolve(Path::new(p));
            if !out.contains(&r) {
                out.push(r);
            }
        }
    }
    out
}

/// `path` walked as the kernel walks it: each existing step with its
/// symlinks resolved, then `..` from there; steps that do not exist (and so
/// hold no link) are taken as they are.
fn resolve(path: &Path) -> String {
    let mut cur = PathBuf::from("/");
    for c in path.components() {
        match c {
            std::path::Component::ParentDir => {
                cur.pop();
            }
            std::path::Component::Normal(name) => {
                cur.push(name);
                if let Ok(real) = std::fs::canonicalize(&cur) {
                    cur = real;
                }
            }
            _ => {}
        }
    }
    clean(&cur.to_string_lossy())
}

/// `inner` is `outer` or below it (both clean).
pub fn is_within(inner: &str, outer: &str) -> bool {
    outer == "/"
        || inner
            .strip_prefix(outer)
            .is_some_and(|r| r.is_empty() || r.starts_with('/'))
}

/// One contains the other: mounting either reaches the other.
pub fn on_line(a: &str, b: &str) -> bool {
    is_within(a, b) || is_within(b, a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleaning_and_containment() {
        assert_eq!(clean("//./var/../"), "/");
        assert_eq!(clean("/var/lib/docker/"), "/var/lib/docker");
        assert!(is_within("/var/lib/docker/volumes", "/var/lib/docker"));
        assert!(is_within("/var", "/"));
        assert!(!is_within("/var/lib/dockerx", "/var/lib/docker"));
        assert!(on_line("/var", "/var/lib/docker") && !on_line("/srv", "/var"));
        assert_eq!(absolute("data"), None);
        assert_eq!(absolute("~other/x"), None);
        assert_eq!(absolute("/x").as_deref(), Some("/x"));
    }

    #[test]
    fn symlinks_resolve_as_far_as_the_path_exists() {
        let dir = std::env::temp_dir().join(format!("dockmux-hp-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("real")).unwrap();
        let _ = std::fs::remove_file(dir.join("link"));
        std::os::unix::fs::symlink(dir.join("real"), dir.join("link")).unwrap();
        let d = dir.to_str().unwrap();
        let p = places(&format!("{d}/link/new/../x"), true);
        assert!(p.contains(&format!("{d}/link/x")), "{p:?}");
        assert!(p.contains(&format!("{d}/real/x")), "{p:?}");
        assert_eq!(places(&format!("{d}/link"), false), [format!("{d}/link")]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
