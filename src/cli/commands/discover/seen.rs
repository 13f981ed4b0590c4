//! What discover has seen so far, and the well-known sockets it looks at:
//! each host once, with where it was found and who owns that.

use std::path::{Path, PathBuf};

use super::*;
use crate::files::safe_read::Skipped;

/// What was found (at most [`MAX_FINDINGS`]), and notes on what was left out.
#[derive(Default)]
pub(super) struct Seen {
    pub(super) findings: Vec<Finding>,
    pub(super) notes: Vec<String>,
}

impl Seen {
    pub(super) fn push(&mut self, f: Finding) {
        if self.findings.len() < MAX_FINDINGS {
            self.findings.push(f);
        } else if self.findings.len() == MAX_FINDINGS {
            self.notes.push(format!(
                "more than {MAX_FINDINGS} engines found; the rest are not shown"
            ));
            // One note: from now on the count says it was given.
            self.findings.push(f);
        }
    }
}

pub(super) fn find_all(tree: &Tree) -> Seen {
    let mut seen = Seen::default();
    processes(tree, &mut seen);
    for file in std::iter::once(DAEMON_JSON).chain(LAZYCAT_DAEMON_JSON) {
        let d = match read_daemon_json(tree, file) {
            Ok(d) => d,
            Err(Skipped::Missing) => continue,
            Err(why) => {
                seen.notes
                    .push(escape::owned(&format!("skipped {file}: {why}")));
                continue;
            }
        };
        let hosts = if d.hosts.is_empty() {
            vec![DEFAULT_SOCKET.to_string()]
        } else {
            d.hosts.clone()
        };
        for h in hosts.iter().take(MAX_HOSTS_PER_DAEMON) {
            let seen_in = (d.place(file), file.to_string());
            push_host(
                &mut seen,
                h,
                d.namespace.as_deref(),
                seen_in,
                (Some(d.owner), "owned by"),
            );
        }
    }
    sockets(tree, &mut seen);
    if let Some(dir) = context_store::docker_config_dir() {
        let (ctxs, _) = context_store::read_store(&tree.at(&dir));
        for ctx in ctxs {
            let place = escape::owned(&format!("docker context '{}'", ctx.name));
            seen.push(Finding {
                host: ctx.host.clone(),
                base: ctx.engine_name().to_string(),
                rank: Rank::Chosen,
                found_in: place.clone(),
                what: place,
                owner: Some(ctx.owner),
                owner_is: "owned by",
                from_context: Some(ctx),
            });
        }
    }
    seen.findings.truncate(MAX_FINDINGS);
    seen
}

/// Adds a host as a dockerd would listen on it, as a client would reach it.
/// `owner`: who can steer where it was found, and how ("run by", "owned by").
pub(super) fn push_host(
    seen: &mut Seen,
    listen: &str,
    namespace: Option<&str>,
    (found_in, what): (String, String),
    (owner, owner_is): (Option<u32>, &'static str),
) {
    let Some(host) = client_host(listen) else {
        return;
    };
    let (base, rank) = match namespace.filter(|n| *n != "moby") {
        Some(ns) => (
            ns.strip_suffix("-docker").unwrap_or(ns).to_string(),
            Rank::Namespace,
        ),
        None => (socket_name(&host), Rank::Socket),
    };
    seen.push(Finding {
        host,
        base,
        rank,
        found_in: escape::owned(&found_in),
        what: escape::owned(&what),
        from_context: None,
        owner,
        owner_is,
    });
}

/// The client's URL for a daemon's listen address: `fd://` (systemd socket
/// activation) is the default socket, an any-address is loopback. `None`
/// for what a client cannot use.
pub(super) fn client_host(listen: &str) -> Option<String> {
    let url = match listen {
        l if l.starts_with("fd://") => DEFAULT_SOCKET.to_string(),
        l if l.starts_with("tcp://0.0.0.0:") => l.replacen("0.0.0.0", "127.0.0.1", 1),
        l if l.starts_with("tcp://[::]:") => l.replacen("[::]", "[::1]", 1),
        l if l.starts_with("tcp://:") => l.replacen("tcp://:", "tcp://127.0.0.1:", 1),
        "unix://" => DEFAULT_SOCKET.to_string(),
        l => l.to_string(),
    };
    // A host with control characters stays, to be shown escaped as unusable.
    host::check(&escape::text(&url)).is_ok().then_some(url)
}

/// A name from a socket path: the file's stem, or its directory when the
/// file is just `docker.sock`; `/run/docker.sock` is the system engine.
pub(super) fn socket_name(url: &str) -> String {
    let Some(path) = host::unix_socket(url) else {
        let port = url.rsplit(':').next().unwrap_or_default();
        return format!("tcp-{port}");
    };
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    if !matches!(stem, "docker" | "dockerd" | "podman" | "") {
        return stem.to_string();
    }
    let dir = path
        .parent()
        .and_then(Path::file_name)
        .and_then(|s| s.to_str())
        .unwrap_or("");
    match dir {
        "" | "run" | "var" | "tmp" | "sock" => "system".to_string(),
        d => d.strip_suffix("-docker").unwrap_or(d).to_string(),
    }
}

/// Well-known sockets of other engines and desktop VMs.
pub(super) fn sockets(tree: &Tree, seen: &mut Seen) {
    let var = crate::files::paths::env;
    let runtime = var("XDG_RUNTIME_DIR")
        .unwrap_or_else(|| PathBuf::from(format!("/run/user/{}", crate::files::secure::euid())));
    let home = var("HOME");
    let mut candidates: Vec<(PathBuf, String)> = vec![
        (PathBuf::from("/var/run/docker.sock"), "system".into()),
        (runtime.join("docker.sock"), "rootless".into()),
        (PathBuf::from("/run/podman/podman.sock"), "podman".into()),
        (runtime.join("podman/podman.sock"), "podman-user".into()),
    ];
    if let Some(home) = &home {
        candidates.push((home.join(".orbstack/run/docker.sock"), "orbstack".into()));
        candidates.push((home.join(".docker/desktop/docker.sock"), "desktop".into()));
        candidates.push((home.join(".docker/run/docker.sock"), "desktop".into()));
        candidates.push((home.join(".rd/docker.sock"), "rancher".into()));
        let xdg_config = var("XDG_CONFIG_HOME").unwrap_or_else(|| home.join(".config"));
        // One VM per instance directory: TOOL for "default", TOOL-INSTANCE otherwise.
        let mut per_instance = |dir: PathBuf, tool: &str, socket: &str| {
            for instance in tree.subdirs(&dir) {
                let name = if instance == "default" {
                    tool.to_string()
                } else {
                    format!("{tool}-{instance}")
                };
                candidates.push((dir.join(&instance).join(socket), name));
            }
        };
        per_instance(home.join(".colima"), "colima", "docker.sock");
        per_instance(xdg_config.join("colima"), "colima", "docker.sock");
        per_instance(home.join(".lima"), "lima", "sock/docker.sock");
    }
    for (path, name) in candidates {
        if let Some(owner) = tree.socket_owner(&path) {
            let place = format!("socket {}", path.display());
            seen.push(Finding {
                host: format!("unix://{}", path.display()),
                base: name,
                rank: Rank::Chosen,
                found_in: escape::owned(&place),
                what: escape::owned(&place),
                from_context: None,
                owner: Some(owner),
                owner_is: "owned by",
            });
        }
    }
}
