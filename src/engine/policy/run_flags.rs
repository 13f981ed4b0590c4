//! `run`/`create` flags that give a container the box rather than a
//! sandbox: privileged mode, capabilities that reach past the container
//! (the classic escapes), the host's pid or user namespace, and bind mounts
//! of `/`, of the engine's data root or of its socket (or a directory above
//! them). Values are read as docker reads them (opts/capabilities.go,
//! opts/mount.go, the `-v` SRC:DST form).

use super::commands::Line;
use crate::config::Engine;

/// Capabilities (as docker normalizes them) that let a container out:
/// SYS_ADMIN (mount, and much else), SYS_MODULE (load kernel code),
/// SYS_RAWIO (raw device and port I/O), DAC_READ_SEARCH (open any host file
/// by handle), and ALL.
const CAPS: &[&str] = &[
    "ALL",
    "CAP_SYS_ADMIN",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_DAC_READ_SEARCH",
];

/// Where docker keeps an engine's data when nothing says otherwise.
const DEFAULT_DATA_ROOT: &str = "/var/lib/docker";

/// Why this run/create would give the container the box, if it would.
pub fn danger(line: &Line, engine: &Engine) -> Option<String> {
    if line.bool_flag("privileged") {
        return Some("starts a privileged container (it can reach every file on the host)".into());
    }
    for cap in line.values("cap-add", None) {
        let norm = normalize_cap(cap);
        if CAPS.contains(&norm.as_str()) {
            return Some(format!(
                "gives a container {norm} (it can reach past its sandbox)"
            ));
        }
    }
    for (flag, what) in [("pid", "process"), ("userns", "user")] {
        if line.values(flag, None).last() == Some(&&b"host"[..]) {
            return Some(format!("runs a container in the host's {what} namespace"));
        }
    }
    let volumes = line
        .values("volume", Some(b'v'))
        .into_iter()
        .filter_map(volume_source);
    let mounts = line
        .values("mount", None)
        .into_iter()
        .filter_map(mount_source);
    for source in volumes.chain(mounts) {
        if let Some(why) = exposes(&clean(&source), engine) {
            return Some(format!("bind-mounts {source} ({why})"));
        }
    }
    None
}

/// opts.NormalizeCapability: trimmed, upper case, `CAP_` added.
fn normalize_cap(cap: &[u8]) -> String {
    let up = String::from_utf8_lossy(cap).trim().to_ascii_uppercase();
    if up == "ALL" || up == "RESET" || up.starts_with("CAP_") {
        up
    } else {
        format!("CAP_{up}")
    }
}

/// `-v SRC:DST[:OPTS]` with an absolute SRC is a bind mount; a name is a volume.
fn volume_source(v: &[u8]) -> Option<String> {
    let v = String::from_utf8_lossy(v);
    let (src, _) = v.split_once(':')?;
    src.starts_with('/').then(|| src.to_string())
}

/// `--mount type=bind,source=/x,target=/y` (CSV; keys and type case-insensitive).
fn mount_source(v: &[u8]) -> Option<String> {
    let v = String::from_utf8_lossy(v);
    let (mut bind, mut source) = (false, None);
    for field in csv_fields(&v) {
        let (key, value) = field.split_once('=').unwrap_or((&field, ""));
        match key.trim().to_ascii_lowercase().as_str() {
            "type" => bind = value.eq_ignore_ascii_case("bind"),
            "source" | "src" => source = Some(value.to_string()),
            _ => {}
        }
    }
    source.filter(|_| bind)
}

/// Go's encoding/csv for one record: fields split at commas, a field in
/// double quotes may hold commas, `""` inside quotes is a quote.
fn csv_fields(s: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let (mut quoted, mut chars) = (false, s.chars().peekable());
    while let Some(c) = chars.next() {
        let field = fields.last_mut().expect("never empty");
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            '"' => quoted = !quoted,
            ',' if !quoted => fields.push(String::new()),
            _ => field.push(c),
        }
    }
    fields
}

/// A path as the kernel resolves it lexically: no `.`, `..`, `//` or trailing `/`.
fn clean(path: &str) -> String {
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

/// Why mounting `source` would expose the box or the engine itself.
fn exposes(source: &str, engine: &Engine) -> Option<&'static str> {
    if source == "/" {
        return Some("the host's whole file system");
    }
    let on_line = |other: &str| is_within(source, other) || is_within(other, source);
    if on_line(DEFAULT_DATA_ROOT) {
        return Some("the engine's data");
    }
    if let Some(sock) = engine.unix_socket().and_then(|s| s.to_str())
        && is_within(&clean(sock), source)
    {
        return Some("the engine's socket: control of the engine");
    }
    None
}

/// `inner` is `outer` or below it.
fn is_within(inner: &str, outer: &str) -> bool {
    inner
        .strip_prefix(outer)
        .is_some_and(|r| r.is_empty() || r.starts_with('/') || outer == "/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capabilities_in_docker_spellings() {
        for c in [
            "SYS_ADMIN",
            "sys_admin",
            "CAP_SYS_ADMIN",
            " cap_sys_admin ",
            "all",
            "ALL",
        ] {
            assert!(CAPS.contains(&normalize_cap(c.as_bytes()).as_str()), "{c}");
        }
        for c in ["NET_ADMIN", "CAP_CHOWN", "admin"] {
            assert!(!CAPS.contains(&normalize_cap(c.as_bytes()).as_str()), "{c}");
        }
    }

    #[test]
    fn bind_sources() {
        assert_eq!(volume_source(b"/:/h"), Some("/".into()));
        assert_eq!(volume_source(b"data:/d"), None);
        assert_eq!(volume_source(b"/d"), None);
        assert_eq!(
            mount_source(b"type=bind,source=/,target=/h"),
            Some("/".into())
        );
        assert_eq!(
            mount_source(b"\"src=/a,b\",Type=BIND,dst=/x"),
            Some("/a,b".into())
        );
        assert_eq!(mount_source(b"type=volume,source=v,target=/h"), None);
        assert_eq!(mount_source(b"source=/,target=/h"), None);
        assert_eq!(clean("//./var/../"), "/");
        assert_eq!(clean("/var/lib/docker/"), "/var/lib/docker");
        assert!(is_within("/var/lib/docker/volumes", "/var/lib/docker"));
        assert!(is_within("/var", "/"));
        assert!(!is_within("/var/lib/dockerx", "/var/lib/docker"));
    }
}
