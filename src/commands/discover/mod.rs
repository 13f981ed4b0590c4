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
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::Args;
use serde::Serialize;

use crate::accounts::Accounts;
use crate::config::{self, Config, Sources};
use crate::context_store;
use crate::edit::{self, NewEngine, Session};
use crate::error::{Error, Result};
use crate::escape;
use crate::host;
use crate::output;
use crate::render;
use crate::safe_read::{self, Skipped};

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
    owner.is_some_and(|uid| uid == 0 || uid == crate::secure::euid())
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
    let Seen { findings, notes } = find_all(&tree);
    for n in &notes {
        output::note(&format!("dockmux: note: {n}"));
    }
    let users = Accounts::users(&tree.root);
    if args.write {
        let mut session = Session::open(sources, false)?;
        let found = propose(&session.cfg, &findings, &tree, &users);
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
    let found = propose(&cfg, &findings, &tree, &users);
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
                    None => NewEngine {
                        name: name.clone(),
                        host: host.clone(),
                        description: Some(format!("found by dockmux discover: {}", best.what)),
                        ..NewEngine::default()
                    },
                });
                out.name = name;
            }
            out
        })
        .collect()
}

/// What was found (at most [`MAX_FINDINGS`]), and notes on what was left out.
#[derive(Default)]
struct Seen {
    findings: Vec<Finding>,
    notes: Vec<String>,
}

impl Seen {
    fn push(&mut self, f: Finding) {
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

fn find_all(tree: &Tree) -> Seen {
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
fn push_host(
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
fn client_host(listen: &str) -> Option<String> {
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
    owner: u32,
}

impl DaemonJson {
    fn place(&self, file: &str) -> String {
        match &self.invalid {
            Some(why) => format!("{file} (not valid JSON: {why}; read leniently)"),
            None => file.to_string(),
        }
    }
}

fn read_daemon_json(tree: &Tree, file: &str) -> Result<DaemonJson, Skipped> {
    let contents = tree.read(file, DAEMON_JSON_CAP)?;
    let owner = contents.uid;
    let text = String::from_utf8_lossy(&contents.bytes);
    Ok(match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(v) => DaemonJson {
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
            owner,
        },
        Err(e) => DaemonJson {
            hosts: lenient_strings(&text, "hosts"),
            namespace: lenient_strings(&text, "containerd-namespace")
                .into_iter()
                .next(),
            invalid: Some(e.to_string()),
            owner,
        },
    })
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
/// their config file, else the default socket. Within a time limit, so a
/// /proc of any size ends.
fn processes(tree: &Tree, seen: &mut Seen) {
    let Ok(entries) = std::fs::read_dir(tree.at("/proc")) else {
        return;
    };
    let mut pids: Vec<u32> = entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .take(MAX_PROCESSES + 1)
        .collect();
    if pids.len() > MAX_PROCESSES {
        pids.truncate(MAX_PROCESSES);
        seen.notes.push(format!(
            "/proc holds more than {MAX_PROCESSES} processes; read only as many"
        ));
    }
    pids.sort_unstable();
    let until = Instant::now() + PROC_TIME;
    for (n, &pid) in pids.iter().enumerate() {
        if Instant::now() > until {
            seen.notes.push(format!(
                "stopped reading /proc after {n} of {} processes ({}s); the rest were not looked at",
                pids.len(),
                PROC_TIME.as_secs()
            ));
            break;
        }
        if let Some(argv) = dockerd_argv(tree, pid) {
            daemon(tree, pid, &argv, seen);
        }
    }
}

/// The arguments of process `pid` if it is a dockerd: the first few KiB
/// tell, and only a dockerd's are read further (up to a cap).
fn dockerd_argv(tree: &Tree, pid: u32) -> Option<Vec<String>> {
    let path = format!("/proc/{pid}/cmdline");
    let head = tree.read_start(&path, CMDLINE_HEAD)?;
    let argv0 = head.bytes.split(|&b| b == 0).next()?;
    if Path::new(OsStr::from_bytes(argv0)).file_name()? != "dockerd" {
        return None;
    }
    let all = if head.truncated {
        tree.read_start(&path, CMDLINE_CAP)?
    } else {
        head
    };
    Some(
        all.bytes
            .split(|&b| b == 0)
            .filter(|a| !a.is_empty())
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect(),
    )
}

/// Who can steer process `pid`: its real or its effective uid, whichever is
/// not trusted (a setuid program runs with its caller's arguments). Read from
/// /proc/PID/status: the owner of /proc/PID itself is root for any process
/// that made itself non-dumpable.
fn process_owner(tree: &Tree, pid: u32) -> Option<u32> {
    let status = tree.read_start(format!("/proc/{pid}/status"), STATUS_CAP)?;
    let text = String::from_utf8_lossy(&status.bytes);
    let uids = text.lines().find_map(|l| l.strip_prefix("Uid:"))?;
    let mut ids = uids.split_whitespace().map(str::parse::<u32>);
    let real = ids.next()?.ok()?;
    let effective = ids.next()?.ok()?;
    weaker(Some(real), Some(effective))
}

/// The engines one dockerd process serves.
fn daemon(tree: &Tree, pid: u32, argv: &[String], seen: &mut Seen) {
    let runner = process_owner(tree, pid);
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
        .or_else(|| json.as_ref().ok().and_then(|j| j.namespace.clone()));
    let by_runner = (runner, "run by");
    // How the daemon got its hosts: (for the table, for a description), and whom that trusts.
    let (hosts, from, owner) = match &json {
        _ if !flags.hosts.is_empty() => (flags.hosts.clone(), None, by_runner),
        Ok(j) if !j.hosts.is_empty() => {
            let how = format!("--config-file {}", j.place(file));
            let owner = if trusted(runner) {
                (Some(j.owner), "owned by")
            } else {
                by_runner
            };
            (
                j.hosts.clone(),
                Some((how, format!("--config-file {file}"))),
                owner,
            )
        }
        other => {
            let how = match other {
                Err(Skipped::Missing) if flags.config_file.is_none() => {
                    "default socket".to_string()
                }
                Err(why) => format!("default socket; --config-file {file}: {why}"),
                Ok(_) => "default socket".to_string(),
            };
            let what = "default socket".to_string();
            (
                vec![DEFAULT_SOCKET.to_string()],
                Some((how, what)),
                by_runner,
            )
        }
    };
    for h in hosts.iter().take(MAX_HOSTS_PER_DAEMON) {
        let (how, what) = from
            .clone()
            .unwrap_or_else(|| (format!("-H {h}"), format!("-H {h}")));
        let seen_in = (
            format!("dockerd pid {pid} ({how})"),
            format!("dockerd {what}"),
        );
        push_host(seen, h, namespace.as_deref(), seen_in, owner);
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
fn sockets(tree: &Tree, seen: &mut Seen) {
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
