//! What `run`, `create` and `volume create` would touch, on a protected
//! engine. Every flag is judged, not only the ones known to be dangerous:
//! a flag this module does not know to keep the container in its sandbox
//! holds the command (so a flag docker adds later, or a new spelling of an
//! old route, lands in "held" without anyone listing it). Which flags keep
//! it there is marked in line/tree.rs's RUN_FLAGS (from one list in
//! scripts/policy-tree), where RUN_SHORTHANDS gives each shorthand's name.
//!
//! Plainly safe, and so never held: a named volume with no driver options
//! that no other container uses, tmpfs, an anonymous volume, and a bind
//! source under one of the engine's `safe_binds` — except the engine's data
//! root and socket, which no entry makes safe. Everything that reaches the
//! host (another bind, a device, a device rule, driver options that name a
//! device or a bind, `--volumes-from`, privileges, capabilities, the host's
//! or another container's namespaces, security options) is held, and so is
//! whatever dockmux cannot judge (an engine that cannot be asked).
//!
//! Values are read as docker reads them (opts/mount.go's CSV, the `-v`
//! SRC:DST form, opts/capabilities.go), and sources made absolute and
//! resolved as the engine's host would see them (host_path.rs).

use super::ask;
use super::host_path::{self, on_line};
use crate::config::Engine;
use crate::engine::line::tree::{RUN_FLAGS, RUN_SHORTHANDS};
use crate::engine::line::{Command, Name, parse_bool};

/// Why `run`/`create` would reach past the sandbox, if it would.
pub fn run(line: &Command, engine: &Engine) -> Option<String> {
    for flag in &line.flags {
        let long = match flag.name {
            Name::Long(l) => String::from_utf8_lossy(l).into_owned(),
            Name::Short(c) => match RUN_SHORTHANDS.iter().find(|(s, _)| *s == c) {
                Some((_, long)) => (*long).to_string(),
                None => return Some(format!("uses -{}, which dockmux does not know", c as char)),
            },
        };
        let value = flag.value.map(|v| String::from_utf8_lossy(v).into_owned());
        if let Some(why) = judge_flag(&long, value.as_deref(), engine) {
            return Some(why);
        }
    }
    None
}

fn judge_flag(long: &str, value: Option<&str>, engine: &Engine) -> Option<String> {
    let v = value.unwrap_or("");
    match long {
        "volume" => volume_flag(v, engine),
        "mount" => mount_flag(v, engine),
        "privileged" if value.is_none_or(|v| parse_bool(v.as_bytes()) != Some(false)) => {
            Some("starts a privileged container (it can reach every file on the host)".into())
        }
        "privileged" => None,
        "cap-add" => Some(format!(
            "gives a container {} (beyond docker's default set)",
            crate::text::escape::owned(&normalize_cap(v))
        )),
        "security-opt" if is_no_new_privileges(v) => None,
        "security-opt" => Some(format!(
            "sets security option {} for a container",
            crate::text::escape::owned(v)
        )),
        "pid" | "ipc" | "uts" | "userns" | "cgroupns" => {
            namespace(long, v).map(|what| format!("runs a container in {what}"))
        }
        "network" | "net" => namespace(long, v)
            .or_else(|| network(v, engine))
            .map(|what| format!("runs a container in {what}")),
        "device" | "gpus" => Some(format!(
            "gives a container the host's device {}",
            crate::text::escape::owned(v)
        )),
        "device-cgroup-rule" => Some(format!(
            "lets a container use host devices ({})",
            crate::text::escape::owned(v)
        )),
        "volumes-from" => Some(format!(
            "mounts the volumes of container {}",
            crate::text::escape::owned(v)
        )),
        // The flags marked to keep a container in its sandbox (tree.rs,
        // from scripts/policy-tree's one list of them).
        _ if RUN_FLAGS
            .binary_search_by(|f| f.long.cmp(long))
            .is_ok_and(|i| RUN_FLAGS[i].sandboxed) =>
        {
            None
        }
        _ => Some(format!(
            "uses --{}, which dockmux does not know to keep a container in its sandbox",
            crate::text::escape::owned(long)
        )),
    }
}

/// opts.NormalizeCapability: trimmed, upper case, `CAP_` added.
fn normalize_cap(cap: &str) -> String {
    let up = cap.trim().to_ascii_uppercase();
    if up == "ALL" || up == "RESET" || up.starts_with("CAP_") {
        up
    } else {
        format!("CAP_{up}")
    }
}

/// `--security-opt no-new-privileges[=true|:true]` only narrows.
fn is_no_new_privileges(v: &str) -> bool {
    match v.strip_prefix("no-new-privileges") {
        Some("") => true,
        Some(rest) => rest
            .strip_prefix([':', '='])
            .is_some_and(|b| parse_bool(b.as_bytes()) == Some(true)),
        None => false,
    }
}

/// The shared namespace a `--pid`/`--network`/… value names: the host's,
/// or another container's. The network's CSV form (`name=host,alias=x`)
/// counts by its name; other networks, see [`network`].
fn namespace(flag: &str, v: &str) -> Option<String> {
    let name = if matches!(flag, "network" | "net") {
        network_name(v)
    } else {
        v.to_string()
    };
    let kind = if matches!(flag, "network" | "net") {
        "network"
    } else {
        flag
    };
    if name == "host" {
        return Some(format!("the host's {kind} namespace"));
    }
    name.strip_prefix("container:").map(|c| {
        format!(
            "the {kind} namespace of container {}",
            crate::text::escape::owned(c)
        )
    })
}

/// The network a `--network` value names: itself, or the CSV form's `name=`.
fn network_name(v: &str) -> String {
    if v.contains('=') {
        csv_fields(v)
            .into_iter()
            .find_map(|f| f.strip_prefix("name=").map(str::to_string))
            .unwrap_or_default()
    } else {
        v.to_string()
    }
}

/// A network judged by what it is, not by its spelling: any name or ID
/// (`--network 1f2e…`, a prefix, the CSV form's `name=`) is asked of the
/// engine, and one whose driver is `host` is the host's namespace, as
/// `host` is; one the engine cannot be asked about is held. docker's own
/// modes (`none`, the default bridge) need no lookup: no network may take
/// their names.
fn network(v: &str, engine: &Engine) -> Option<String> {
    let name = network_name(v);
    if matches!(name.as_str(), "" | "none" | "bridge" | "default") {
        return None;
    }
    let shown = crate::text::escape::owned(&name);
    match super::ask::network_driver(engine, &name) {
        Ok(Some(driver)) if driver == "host" => Some(format!(
            "the host's network (network {shown} has driver host)"
        )),
        Ok(_) => None,
        Err(why) => Some(format!(
            "network {shown}, which dockmux could not look up ({why})"
        )),
    }
}

/// `-v SRC:DST[:OPTS]`: no SRC is an anonymous volume; a volume name is a
/// named volume; anything else is a host path.
fn volume_flag(v: &str, engine: &Engine) -> Option<String> {
    let (src, _) = v.split_once(':')?;
    if src.is_empty() {
        return None;
    }
    if is_volume_name(src) {
        return named_volume(src, engine);
    }
    bind(src, engine)
}

/// docker's volume name rule: `[a-zA-Z0-9][a-zA-Z0-9_.-]+`.
fn is_volume_name(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2
        && b[0].is_ascii_alphanumeric()
        && b[1..]
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || b"_.-".contains(c))
}

/// `--mount` (CSV; keys and type case-insensitive, volume by default).
fn mount_flag(v: &str, engine: &Engine) -> Option<String> {
    let (mut kind, mut source, mut opts) = (String::from("volume"), String::new(), false);
    for field in csv_fields(v) {
        let (key, value) = field.split_once('=').unwrap_or((&field, ""));
        match key.trim().to_ascii_lowercase().as_str() {
            "type" => kind = value.to_ascii_lowercase(),
            "source" | "src" => source = value.to_string(),
            "volume-opt" => opts = true,
            _ => {}
        }
    }
    match kind.as_str() {
        "tmpfs" => None,
        "volume" if opts => Some(format!(
            "mounts a volume with driver options ({}), which can name a device or a host path",
            crate::text::escape::owned(v)
        )),
        "volume" if source.is_empty() => None,
        "volume" => named_volume(&source, engine),
        "bind" => bind(&source, engine),
        other => Some(format!(
            "mounts type {}, which dockmux does not know to keep a container in its sandbox",
            crate::text::escape::owned(other)
        )),
    }
}

/// A named volume is safe when it has no driver options and no other
/// container uses it: only the engine can say.
fn named_volume(name: &str, engine: &Engine) -> Option<String> {
    if !is_volume_name(name) {
        return Some(format!(
            "mounts {}, which is no volume name",
            crate::text::escape::owned(name)
        ));
    }
    match ask::volume(engine, name) {
        Err(why) => Some(format!("mounts volume {name}, and {why}")),
        Ok(v) if v.options => Some(format!(
            "mounts volume {name}, which has driver options (they can name a device or a host path)"
        )),
        Ok(v) if v.used => Some(format!(
            "mounts volume {name}, which another container uses"
        )),
        Ok(_) => None,
    }
}

/// A bind source is safe only under a `safe_binds` entry, and never when it
/// holds or is inside the engine's data root or socket.
fn bind(src: &str, engine: &Engine) -> Option<String> {
    let shown = crate::text::escape::owned(src);
    let Some(abs) = host_path::absolute(src) else {
        return Some(format!(
            "bind-mounts {shown}, which dockmux cannot place on the host"
        ));
    };
    let local = engine.unix_socket().is_some();
    let places = host_path::places(&abs, local);
    let safe: Vec<String> = engine
        .safe_binds
        .iter()
        .flat_map(|b| host_path::places(b, local))
        .collect();
    let outside = places
        .iter()
        .find(|p| !safe.iter().any(|s| host_path::is_within(p, s)));
    if let Some(p) = outside {
        return Some(if *p == "/" {
            format!("bind-mounts {shown} (the host's whole file system)")
        } else {
            format!(
                "bind-mounts host path {} (not under safe_binds)",
                crate::text::escape::owned(p)
            )
        });
    }
    if let Some(sock) = engine.unix_socket().and_then(|s| s.to_str()) {
        let socks = host_path::places(sock, local);
        if places.iter().any(|p| socks.iter().any(|s| on_line(p, s))) {
            return Some(format!(
                "bind-mounts {shown} (the engine's socket: control of the engine)"
            ));
        }
    }
    match ask::data_root(engine) {
        Err(why) => Some(format!(
            "bind-mounts {shown}, and dockmux cannot tell the engine's data root: {why}"
        )),
        Ok(root) => {
            let roots = host_path::places(&root, local);
            places
                .iter()
                .any(|p| roots.iter().any(|r| on_line(p, r)))
                .then(|| format!("bind-mounts {shown} (the engine's data, at {root})"))
        }
    }
}

/// `volume create`: driver options (`-o type=none -o o=bind -o device=/`)
/// can hand a container any host path or device through the volume.
pub fn volume_create(line: &Command) -> Option<String> {
    let opts = line.values("opt", Some(b'o'));
    (!opts.is_empty()).then(|| {
        let shown: Vec<String> = opts.iter().map(|o| crate::text::escape::bytes(o)).collect();
        format!(
            "creates a volume with driver options ({}), which can name a device or a host path",
            shown.join(", ")
        )
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_as_docker_reads_them() {
        assert!(is_no_new_privileges("no-new-privileges"));
        assert!(is_no_new_privileges("no-new-privileges:true"));
        assert!(is_no_new_privileges("no-new-privileges=1"));
        assert!(!is_no_new_privileges("no-new-privileges=false"));
        assert!(!is_no_new_privileges("seccomp=unconfined"));
        assert!(namespace("network", "name=host,alias=x").is_some());
        assert!(namespace("pid", "container:app").is_some());
        assert!(namespace("network", "appnet").is_none());
        assert!(is_volume_name("data") && !is_volume_name("d") && !is_volume_name("./d"));
        assert_eq!(
            csv_fields("\"src=/a,b\",Type=BIND"),
            ["src=/a,b", "Type=BIND"]
        );
    }
}
