//! `dockmux discover`: finds the engines on this host and proposes config
//! entries. It looks where engines leave traces: running dockerd processes
//! (their `-H`/`--host`, `--config-file` and `--containerd-namespace` in
//! /proc), daemon.json files (the default one and LazyCat's two), the
//! well-known sockets of rootless docker, podman, colima, OrbStack, Docker
//! Desktop, Rancher Desktop and lima, and the docker context store.
//! `--root DIR` reads a tree as if it were `/`, /proc included.
//!
//! Another user can run a process named dockerd with `-H unix:///tmp/prod.sock`,
//! plant a daemon.json or a socket: an engine added from that would hand them
//! every command sent to it (`login` credentials too). So a finding is trusted
//! only when what it comes from — the process, the file, the socket on disk,
//! the context's meta.json — belongs to root or to the caller; others are
//! shown as untrusted, with their owner, and never written. What those things
//! say is escaped before it is shown, and every read is bounded: only regular
//! files, never blocking, capped in size (safe_read.rs), and /proc is read
//! within a time and count limit whatever it holds.

use std::collections::{HashMap, HashSet};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;
use serde::Serialize;

use crate::config::host;
use crate::config::{self, Config, Settings, Sources};
use crate::docker::context_store;
use crate::edit::{self, Session};
use crate::error::{Error, Result};
use crate::exit_codes::ExitCode;
use crate::files::accounts::Accounts;
use crate::files::safe_read::{self, Skipped};
use crate::output;
use crate::text::escape;
use crate::view::render;

mod daemons;
mod seen;

use daemons::*;
use seen::*;

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

/// Bounds on what is read, each far above anything real: a daemon.json is a
/// few KiB, a dockerd's command line a few hundred bytes.
const DAEMON_JSON_CAP: usize = 1 << 20;
/// Enough of any command line to see whether it is dockerd's (PATH_MAX).
const CMDLINE_HEAD: usize = 4096;
const CMDLINE_CAP: usize = 256 << 10;
const STATUS_CAP: usize = 64 << 10;
/// Linux's largest pid_max.
const MAX_PROCESSES: usize = 1 << 22;
const MAX_HOSTS_PER_DAEMON: usize = 64;
const MAX_FINDINGS: usize = 1024;
const PROC_TIME: Duration = Duration::from_secs(10);
/// VM instance directories looked at per tool (colima, lima).
const MAX_INSTANCES: usize = 256;

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
    /// As found (a client URL); shown escaped.
    host: String,
    base: String,
    rank: Rank,
    /// Shown as is: escaped when made, with the owner when untrusted.
    found_in: String,
    /// For the new engine's description: `found_in` without what changes (a pid).
    what: String,
    /// The context's TLS, for engines found in the context store.
    from_context: Option<context_store::Context>,
    /// Who can steer what it was found in; `None` when that cannot be told.
    owner: Option<u32>,
    /// How: "run by" (a process), "owned by" (a file or socket).
    owner_is: &'static str,
}

/// Root's and the caller's own things are trusted; nothing else.
fn trusted(owner: Option<u32>) -> bool {
    owner.is_some_and(|uid| uid == 0 || uid == crate::files::secure::euid())
}

/// The less trusted of two owners a finding depends on.
fn weaker(a: Option<u32>, b: Option<u32>) -> Option<u32> {
    if trusted(a) { b } else { a }
}

/// One engine, with every place it was seen.
#[derive(Clone, Debug, Serialize)]
pub struct Found {
    /// The proposed name, or the configured engine's.
    pub name: String,
    /// Escaped for showing.
    pub host: String,
    pub found_in: Vec<String>,
    /// "new", "configured", "untrusted" (another user's; never written) or
    /// "unusable" (its host holds a control character).
    pub state: &'static str,
    /// Found only through things root or the caller own.
    pub trusted: bool,
    /// The owner of what it was found in (of the untrusted part, if any):
    /// a user name, or `uid N` where /etc/passwd has none.
    pub owner: String,
    pub owner_uid: Option<u32>,
    #[serde(skip)]
    engine: Option<Settings>,
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

    /// The owner of the socket at `abs`, if there is one.
    fn socket_owner(&self, abs: impl AsRef<Path>) -> Option<u32> {
        std::fs::metadata(self.at(abs))
            .ok()
            .filter(|m| m.file_type().is_socket())
            .map(|m| m.uid())
    }

    /// A file of the tree, if it is at most `cap` bytes (see safe_read.rs).
    fn read(&self, abs: impl AsRef<Path>, cap: usize) -> Result<safe_read::Contents, Skipped> {
        safe_read::read(&self.at(abs), cap)
    }

    /// The first `cap` bytes of a file of the tree.
    fn read_start(&self, abs: impl AsRef<Path>, cap: usize) -> Option<safe_read::Contents> {
        safe_read::read_start(&self.at(abs), cap).ok()
    }

    /// Subdirectories of `abs` (at most [`MAX_INSTANCES`]), by name, sorted.
    fn subdirs(&self, abs: impl AsRef<Path>) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.at(abs)) else {
            return Vec::new();
        };
        let mut names: Vec<String> = entries
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .filter_map(|e| e.file_name().into_string().ok())
            .take(MAX_INSTANCES)
            .collect();
        names.sort();
        names
    }
}

pub fn run(args: &DiscoverArgs, sources: &Sources) -> Result<ExitCode> {
    let tree = Tree {
        root: args.root.clone().unwrap_or_else(|| PathBuf::from("/")),
    };
    if !tree.root.is_dir() {
        return Err(Error::Usage(format!(
            "--root {} is not a directory; give the directory to read as /",
            tree.root.display()
        )));
    }
    let Seen { findings, notes } = find_all(&tree);
    for n in &notes {
        output::note(&format!("dockmux: note: {n}"));
    }
    let users = Accounts::users(&tree.root);
    if args.write {
        let mut session = Session::open(sources, false)?;
        let found = propose(&session.cfg, &findings, &tree, &users);
        let new: Vec<&Settings> = found.iter().filter_map(|f| f.engine.as_ref()).collect();
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
        return Ok(ExitCode::Success);
    }
    let cfg = config::load(sources)?;
    let found = propose(&cfg, &findings, &tree, &users);
    let mut text = report(&found, args.json);
    let new: Vec<Settings> = found.iter().filter_map(|f| f.engine.clone()).collect();
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
    Ok(ExitCode::Success)
}

fn report(found: &[Found], json: bool) -> String {
    if json {
        return render::json(&found);
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
    let mut text = render::table(&rows);
    if found.iter().any(|f| f.state == "untrusted") {
        text.push_str(
            "\n# untrusted: found through a process, file or socket of another user (shown), who\n\
             # could point it anywhere; not proposed, never written. To use one you know is\n\
             # safe: dockmux add NAME HOST\n",
        );
    }
    if found.iter().any(|f| f.state == "unusable") {
        text.push_str(
            "\n# unusable: the host holds a control character (shown escaped); not proposed\n",
        );
    }
    text
}

/// Merges findings of the same endpoint, marks those already configured,
/// judges trust, and names the new ones so they clash with nothing.
fn propose(cfg: &Config, findings: &[Finding], tree: &Tree, users: &Accounts) -> Vec<Found> {
    // Per endpoint: every finding, in the order seen.
    let mut order: Vec<String> = Vec::new();
    let mut groups: HashMap<String, Vec<&Finding>> = HashMap::new();
    for f in findings {
        let key = host::endpoint_key(&f.host);
        groups
            .entry(key.clone())
            .or_insert_with(|| {
                order.push(key);
                Vec::new()
            })
            .push(f);
    }
    let configured: HashMap<String, &str> = cfg
        .engines
        .iter()
        .map(|e| (host::endpoint_key(&e.host), e.name.as_str()))
        .collect();
    let mut taken = HashSet::new();
    order
        .iter()
        .map(|key| {
            let group = &groups[key];
            let mut found_in: Vec<String> = Vec::new();
            for f in group {
                let place = if trusted(f.owner) {
                    f.found_in.clone()
                } else {
                    match f.owner {
                        Some(uid) => format!(
                            "{}, {} {}",
                            f.found_in,
                            f.owner_is,
                            users.describe_user(uid)
                        ),
                        None => format!("{}, whose owner cannot be told", f.found_in),
                    }
                };
                if !found_in.contains(&place) {
                    found_in.push(place);
                }
            }
            // Named from the best trusted finding; the first one's host is shown.
            let best = group
                .iter()
                .min_by_key(|f| (!trusted(f.owner), f.rank))
                .expect("a group is never empty");
            let host = group[0].host.clone();
            // The socket itself, where it is on disk, must be trusted too.
            let socket_owner = host::unix_socket(&host).and_then(|p| tree.socket_owner(p));
            let mut owner = best.owner;
            if let (true, Some(uid)) = (trusted(owner), socket_owner.filter(|&u| !trusted(Some(u))))
            {
                owner = Some(uid);
                let path = host::unix_socket(&host).unwrap_or(Path::new(""));
                found_in.push(escape::owned(&format!(
                    "socket {}, owned by {}",
                    path.display(),
                    users.describe_user(uid)
                )));
            }
            let is_trusted = trusted(owner);
            let usable = escape::text(&host) == host.as_str();
            let mut out = Found {
                name: String::new(),
                host: escape::owned(&host),
                found_in,
                state: "new",
                trusted: is_trusted,
                owner: owner.map_or("unknown".to_string(), |u| {
                    users.name(u).unwrap_or_else(|| format!("uid {u}"))
                }),
                owner_uid: owner,
                engine: None,
            };
            if let Some(name) = configured.get(key) {
                out.name = name.to_string();
                out.state = "configured";
            } else if !usable {
                out.name = edit::name_from(&best.base);
                out.state = "unusable";
            } else if !is_trusted {
                out.name = edit::name_from(&best.base);
                out.state = "untrusted";
            } else {
                let name = edit::free_name(cfg, &edit::name_from(&best.base), &taken);
                taken.insert(name.clone());
                out.engine = Some(match &best.from_context {
                    Some(ctx) => ctx.engine(name.clone()),
                    None => Settings {
                        name: name.clone(),
                        host: host.clone(),
                        description: Some(format!("found by dockmux discover: {}", best.what)),
                        ..Settings::default()
                    },
                });
                out.name = name;
            }
            out
        })
        .collect()
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
