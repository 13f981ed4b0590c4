//! `dockmux discover`: finds the engines on this host and proposes config
//! entries. It looks where engines leave traces: running dockerd processes
//! (their `-H`/`--host`, `--config-file` and `--containerd-namespace` in
//! /proc), daemon.json files (the default one and LazyCat's two), the
//! well-known sockets of rootless docker, podman, colima, OrbStack, Docker
//! Desktop, Rancher Desktop and lima, and the docker context store.
//! `--root DIR` reads a tree as if it were `/`, /proc included.

use std::collections::HashSet;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};

use clap::Args;
use serde::Serialize;

use crate::config::{self, Config, Sources};
use crate::context_store;
use crate::edit::{self, NewEngine, Session};
use crate::error::{Error, Result};
use crate::host;
use crate::output;

#[derive(Args, Debug)]
pub struct DiscoverArgs {
    /// Read DIR as if it were / (for chroots, images and tests); /proc too
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Add the new engines to your config
    #[arg(long)]
    pub write: bool,
    /// Print machine-readable JSON
    #[arg(long)]
    pub json: bool,
}

/// dockerd's default socket, used when a daemon names no host.
const DEFAULT_SOCKET: &str = "unix:///var/run/docker.sock";
/// dockerd's default config file.
const DAEMON_JSON: &str = "/etc/docker/daemon.json";
/// LazyCat's engines (see the seed): the playground (`pg-docker`) and the app store (`lzc-docker`).
const LAZYCAT_DAEMON_JSON: [&str; 2] = [
    "/lzcsys/var/playground/daemon.json",
    "/lzcsys/etc/docker/daemon.json",
];

/// How good a name source is: a name someone chose beats one made from a path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Rank {
    Chosen,
    Namespace,
    Socket,
}

/// One engine seen somewhere.
#[derive(Clone, Debug)]
struct Finding {
    host: String,
    base: String,
    rank: Rank,
    found_in: String,
    /// For the new engine's description: `found_in` without what changes (a pid).
    what: String,
    /// The context's TLS, for engines found in the context store.
    from_context: Option<context_store::Context>,
}

/// One engine, with every place it was seen.
#[derive(Clone, Debug, Serialize)]
pub struct Found {
    /// The proposed name, or the configured engine's.
    pub name: String,
    pub host: String,
    pub found_in: Vec<String>,
    /// "new" or "configured".
    pub state: &'static str,
    #[serde(skip)]
    engine: Option<NewEngine>,
}

/// The tree being read, and paths in it.
struct Tree {
    root: PathBuf,
}

impl Tree {
    fn at(&self, abs: impl AsRef<Path>) -> PathBuf {
        let rel = abs.as_ref().strip_prefix("/").unwrap_or(abs.as_ref());
        self.root.join(rel)
    }

    fn is_socket(&self, abs: impl AsRef<Path>) -> bool {
        std::fs::metadata(self.at(abs)).is_ok_and(|m| m.file_type().is_socket())
    }

    /// Subdirectories of `abs`, by name, sorted.
    fn subdirs(&self, abs: impl AsRef<Path>) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.at(abs)) else {
            return Vec::new();
        };
        let mut names: Vec<String> = entries
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .filter_map(|e| e.file_name().into_string().ok())
            .collect();
        names.sort();
        names
    }
}

pub fn run(args: &DiscoverArgs, sources: &Sources) -> Result<i32> {
    let tree = Tree {
        root: args.root.clone().unwrap_or_else(|| PathBuf::from("/")),
    };
    if !tree.root.is_dir() {
        return Err(Error::Usage(format!(
            "--root {} is not a directory; give the directory to read as /",
            tree.root.display()
        )));
    }
    let findings = find_all(&tree);
    if args.write {
        let mut session = Session::open(sources, false)?;
        let found = propose(&session.cfg, &findings);
        let new: Vec<&NewEngine> = found.iter().filter_map(|f| f.engine.as_ref()).collect();
        for e in &new {
            session.add(e)?;
        }
        session.commit()?;
        let mut text = report(&found, args.json);
        if !args.json {
            text.push_str(&if new.is_empty() {
                "\nnothing new to add\n".to_string()
            } else {
                format!(
                    "\nadded {} engine(s) to {}; `dockmux link` makes their commands\n",
                    new.len(),
                    session.path.display()
                )
            });
        }
        output::print(&text)?;
        return Ok(0);
    }
    let cfg = config::load(sources)?;
    let found = propose(&cfg, &findings);
    let mut text = report(&found, args.json);
    let new: Vec<NewEngine> = found.iter().filter_map(|f| f.engine.clone()).collect();
    if !args.json && !new.is_empty() {
        let file = edit::target_path(sources, false)
            .map(|p| p.display().to_string())
            .unwrap_or_else(|_| "your engines.toml".to_string());
        text.push_str(&format!(
            "\n# Run `dockmux discover --write` to add the new engines, or paste into {file}:\n\n{}",
            edit::snippet(&new)
        ));
    }
    output::print(&text)?;
    Ok(0)
}

fn report(found: &[Found], json: bool) -> String {
    if json {
        return output::json(&found);
    }
    if found.is_empty() {
        return "no engines found\n".to_string();
    }
    let mut rows = vec![vec![
        "STATE".to_string(),
        "NAME".to_string(),
        "HOST".to_string(),
        "FOUND IN".to_string(),
    ]];
    for f in found {
        rows.push(vec![
            f.state.to_string(),
            f.name.clone(),
            f.host.clone(),
            f.found_in.join("; "),
        ]);
    }
    output::table(&rows)
}

/// Merges findings of the same endpoint, marks those already configured, and
/// names the new ones so they clash with nothing.
fn propose(cfg: &Config, findings: &[Finding]) -> Vec<Found> {
    let mut merged: Vec<(Finding, Vec<String>)> = Vec::new();
    for f in findings {
        match merged
            .iter_mut()
            .find(|(m, _)| host::same_endpoint(&m.host, &f.host))
        {
            Some((best, places)) => {
                if !places.contains(&f.found_in) {
                    places.push(f.found_in.clone());
                }
                if f.rank < best.rank {
                    let host = best.host.clone();
                    *best = Finding { host, ..f.clone() };
                }
            }
            None => merged.push((f.clone(), vec![f.found_in.clone()])),
        }
    }
    let mut taken = HashSet::new();
    merged
        .into_iter()
        .map(|(f, found_in)| {
            if let Some(e) = cfg
                .engines
                .iter()
                .find(|e| host::same_endpoint(&e.host, &f.host))
            {
                return Found {
                    name: e.name.clone(),
                    host: f.host,
                    found_in,
                    state: "configured",
                    engine: None,
                };
            }
            let name = edit::free_name(cfg, &edit::name_from(&f.base), &taken);
            taken.insert(name.clone());
            let engine = match &f.from_context {
                Some(ctx) => ctx.engine(name.clone()),
                None => NewEngine {
                    name: name.clone(),
                    host: f.host.clone(),
                    description: Some(format!("found by dockmux discover: {}", f.what)),
                    ..NewEngine::default()
                },
            };
            Found {
                name,
                host: f.host,
                found_in,
                state: "new",
                engine: Some(engine),
            }
        })
        .collect()
}

fn find_all(tree: &Tree) -> Vec<Finding> {
    let mut out = Vec::new();
    processes(tree, &mut out);
    for file in std::iter::once(DAEMON_JSON).chain(LAZYCAT_DAEMON_JSON) {
        if let Some(d) = read_daemon_json(tree, file) {
            let hosts = if d.hosts.is_empty() {
                vec![DEFAULT_SOCKET.to_string()]
            } else {
                d.hosts.clone()
            };
            for h in hosts {
                let seen = (d.place(file), file.to_string());
                push_host(&mut out, &h, d.namespace.as_deref(), seen);
            }
        }
    }
    sockets(tree, &mut out);
    if let Some(dir) = context_store::docker_config_dir() {
        let (ctxs, _) = context_store::read_store(&tree.at(&dir));
        for ctx in ctxs {
            out.push(Finding {
                host: ctx.host.clone(),
                base: ctx.engine_name().to_string(),
                rank: Rank::Chosen,
                found_in: format!("docker context '{}'", ctx.name),
                what: format!("docker context '{}'", ctx.name),
                from_context: Some(ctx),
            });
        }
    }
    out
}

/// Adds a host as a dockerd would listen on it, as a client would reach it.
fn push_host(
    out: &mut Vec<Finding>,
    listen: &str,
    namespace: Option<&str>,
    (found_in, what): (String, String),
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
    out.push(Finding {
        host,
        base,
        rank,
        found_in,
        what,
        from_context: None,
    });
}

/// The client's URL for a daemon's listen address: `fd://` (systemd socket
/// activation) is the default socket, an any-address is loopback. `None`
/// for what a client cannot use.
fn client_host(listen: &str) -> Option<String> {
    let url = match listen {
        l if l.starts_with("fd://") => DEFAULT_SOCKET.to_string(),
        l if l.starts_with("tcp://0.0.0.0:") => l.replacen("0.0.0.0", "127.0.0.1", 1),
        l if l.starts_with("tcp://[::]:") => l.replacen("[::]", "[::1]", 1),
        l if l.starts_with("tcp://:") => l.replacen("tcp://:", "tcp://127.0.0.1:", 1),
        "unix://" => DEFAULT_SOCKET.to_string(),
        l => l.to_string(),
    };
    host::check(&url).is_ok().then_some(url)
}

/// A name from a socket path: the file's stem, or its directory when the
/// file is just `docker.sock`; `/run/docker.sock` is the system engine.
fn socket_name(url: &str) -> String {
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

/// What a daemon.json says about where the daemon listens.
struct DaemonJson {
    hosts: Vec<String>,
    namespace: Option<String>,
    /// Set when the file is not valid JSON and was read leniently.
    invalid: Option<String>,
}

impl DaemonJson {
    fn place(&self, file: &str) -> String {
        match &self.invalid {
            Some(why) => format!("{file} (not valid JSON: {why}; read leniently)"),
            None => file.to_string(),
        }
    }
}

fn read_daemon_json(tree: &Tree, file: &str) -> Option<DaemonJson> {
    let text = std::fs::read_to_string(tree.at(file)).ok()?;
    match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(v) => Some(DaemonJson {
            hosts: v["hosts"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|h| h.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default(),
            namespace: v["containerd-namespace"].as_str().map(str::to_string),
            invalid: None,
        }),
        Err(e) => Some(DaemonJson {
            hosts: lenient_strings(&text, "hosts"),
            namespace: lenient_strings(&text, "containerd-namespace")
                .into_iter()
                .next(),
            invalid: Some(e.to_string()),
        }),
    }
}

/// The string (or strings of the array) after `"key":` in text that is
/// almost JSON — a file cut short, as the seed's playground daemon.json is
/// printed. Strings with escapes are not expected in these keys.
fn lenient_strings(text: &str, key: &str) -> Vec<String> {
    let needle = format!("\"{key}\"");
    let Some(at) = text.find(&needle) else {
        return Vec::new();
    };
    let rest = text[at + needle.len()..].trim_start();
    let Some(rest) = rest.strip_prefix(':') else {
        return Vec::new();
    };
    let rest = rest.trim_start();
    let body = match rest.strip_prefix('[') {
        Some(r) => r.split(']').next().unwrap_or(r),
        None => rest.split([',', '\n', '}']).next().unwrap_or(rest),
    };
    body.split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

/// Running dockerd processes: their hosts from the command line, else from
/// their config file, else the default socket.
fn processes(tree: &Tree, out: &mut Vec<Finding>) {
    let Ok(entries) = std::fs::read_dir(tree.at("/proc")) else {
        return;
    };
    let mut pids: Vec<u32> = entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .collect();
    pids.sort_unstable();
    for pid in pids {
        let Ok(raw) = std::fs::read(tree.at(format!("/proc/{pid}/cmdline"))) else {
            continue;
        };
        let argv: Vec<String> = raw
            .split(|&b| b == 0)
            .filter(|a| !a.is_empty())
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        let is_dockerd = argv
            .first()
            .is_some_and(|a0| Path::new(a0).file_name().is_some_and(|n| n == "dockerd"));
        if !is_dockerd {
            continue;
        }
        let flags = DockerdFlags::parse(&argv[1..]);
        let file = match flags.config_file.as_deref() {
            None => DAEMON_JSON.to_string(),
            Some(f) if f.starts_with('/') => f.to_string(),
            // Relative to the daemon's working directory.
            Some(f) => match std::fs::read_link(tree.at(format!("/proc/{pid}/cwd"))) {
                Ok(cwd) => cwd.join(f).display().to_string(),
                Err(_) => f.to_string(),
            },
        };
        let file = file.as_str();
        let json = read_daemon_json(tree, file);
        let namespace = flags
            .namespace
            .clone()
            .or_else(|| json.as_ref().and_then(|j| j.namespace.clone()));
        // How the daemon got its hosts: (for the table, for a description).
        let (hosts, from) = if !flags.hosts.is_empty() {
            (flags.hosts.clone(), None)
        } else if let Some(j) = json.as_ref().filter(|j| !j.hosts.is_empty()) {
            let how = format!("--config-file {}", j.place(file));
            (
                j.hosts.clone(),
                Some((how, format!("--config-file {file}"))),
            )
        } else {
            let how = "default socket".to_string();
            (vec![DEFAULT_SOCKET.to_string()], Some((how.clone(), how)))
        };
        for h in hosts {
            let (how, what) = from
                .clone()
                .unwrap_or_else(|| (format!("-H {h}"), format!("-H {h}")));
            let seen = (
                format!("dockerd pid {pid} ({how})"),
                format!("dockerd {what}"),
            );
            push_host(out, &h, namespace.as_deref(), seen);
        }
    }
}

/// The dockerd flags discover reads, parsed as pflag does: `-H x`, `-Hx`,
/// `-H=x`, `--host x`, `--host=x`, bundled `-DH x`.
#[derive(Debug, Default, PartialEq, Eq)]
struct DockerdFlags {
    hosts: Vec<String>,
    config_file: Option<String>,
    namespace: Option<String>,
}

impl DockerdFlags {
    fn parse(args: &[String]) -> DockerdFlags {
        // dockerd's one-letter flags that take a value.
        const SHORT_WITH_VALUE: &str = "Hlpgbs";
        let mut f = DockerdFlags::default();
        let mut i = 0;
        while i < args.len() {
            let a = &args[i];
            i += 1;
            if a == "--" {
                break;
            }
            let value = |inline: Option<&str>, i: &mut usize| -> Option<String> {
                match inline {
                    Some(v) => Some(v.to_string()),
                    None => {
                        let v = args.get(*i).cloned();
                        *i += 1;
                        v
                    }
                }
            };
            if let Some(long) = a.strip_prefix("--") {
                let (name, inline) = match long.split_once('=') {
                    Some((n, v)) => (n, Some(v)),
                    None => (long, None),
                };
                match name {
                    "host" => f.hosts.extend(value(inline, &mut i)),
                    "config-file" => f.config_file = value(inline, &mut i),
                    "containerd-namespace" => f.namespace = value(inline, &mut i),
                    _ => {}
                }
            } else if let Some(short) = a.strip_prefix('-') {
                for (at, c) in short.char_indices() {
                    if !SHORT_WITH_VALUE.contains(c) {
                        continue;
                    }
                    let rest = &short[at + 1..];
                    let rest = rest.strip_prefix('=').unwrap_or(rest);
                    let v = value((!rest.is_empty()).then_some(rest), &mut i);
                    if c == 'H' {
                        f.hosts.extend(v);
                    }
                    break;
                }
            }
        }
        f
    }
}

/// Well-known sockets of other engines and desktop VMs.
fn sockets(tree: &Tree, out: &mut Vec<Finding>) {
    let var = crate::paths::env;
    let runtime = var("XDG_RUNTIME_DIR")
        .unwrap_or_else(|| PathBuf::from(format!("/run/user/{}", crate::secure::euid())));
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
        if tree.is_socket(&path) {
            out.push(Finding {
                host: format!("unix://{}", path.display()),
                base: name,
                rank: Rank::Chosen,
                found_in: format!("socket {}", path.display()),
                what: format!("socket {}", path.display()),
                from_context: None,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn dockerd_flags_in_every_spelling() {
        let f = DockerdFlags::parse(&strings(&[
            "-D",
            "-H",
            "unix:///a.sock",
            "-Hunix:///b.sock",
            "-H=tcp://0.0.0.0:2375",
            "--host=unix:///c.sock",
            "--host",
            "unix:///d.sock",
            "-DH",
            "unix:///e.sock",
            "-p",
            "/x.pid",
            "--config-file=/etc/x.json",
            "--containerd-namespace",
            "ns",
        ]));
        assert_eq!(
            f.hosts,
            strings(&[
                "unix:///a.sock",
                "unix:///b.sock",
                "tcp://0.0.0.0:2375",
                "unix:///c.sock",
                "unix:///d.sock",
                "unix:///e.sock"
            ])
        );
        assert_eq!(f.config_file.as_deref(), Some("/etc/x.json"));
        assert_eq!(f.namespace.as_deref(), Some("ns"));
    }

    #[test]
    fn names_come_from_the_socket() {
        assert_eq!(
            socket_name("unix:///data/playground/docker.sock"),
            "playground"
        );
        assert_eq!(
            socket_name("unix:///lzcsys/run/lzc-docker/docker.sock"),
            "lzc"
        );
        assert_eq!(socket_name("unix:///var/run/docker.sock"), "system");
        assert_eq!(socket_name("unix:///tmp/x/pg.sock"), "pg");
        assert_eq!(socket_name("tcp://127.0.0.1:2375"), "tcp-2375");
    }

    #[test]
    fn listen_addresses_become_client_urls() {
        assert_eq!(client_host("fd://").as_deref(), Some(DEFAULT_SOCKET));
        assert_eq!(
            client_host("tcp://0.0.0.0:2375").as_deref(),
            Some("tcp://127.0.0.1:2375")
        );
        assert_eq!(client_host("npipe:////./pipe/x"), None);
    }

    #[test]
    fn a_cut_short_daemon_json_is_read_leniently() {
        let text = "{\n  \"containerd-namespace\": \"playground-docker\",\n  \"hosts\": [\n    \"unix:///data/playground/docker.sock\"\n  ],\n  \"pidfile\": \"/x\"\n";
        assert_eq!(
            lenient_strings(text, "hosts"),
            ["unix:///data/playground/docker.sock"]
        );
        assert_eq!(
            lenient_strings(text, "containerd-namespace"),
            ["playground-docker"]
        );
        assert!(lenient_strings(text, "nope").is_empty());
    }
}
