//! The dockerd daemons: running processes (their `-H`/`--host`,
//! `--config-file` and `--containerd-namespace` in /proc) and daemon.json
//! files, each read bounded.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::time::Instant;

use super::*;
use crate::files::safe_read::Skipped;

/// What a daemon.json says about where the daemon listens.
pub(super) struct DaemonJson {
    pub(super) hosts: Vec<String>,
    pub(super) namespace: Option<String>,
    /// Set when the file is not valid JSON and was read leniently.
    pub(super) invalid: Option<String>,
    pub(super) owner: u32,
}

impl DaemonJson {
    pub(super) fn place(&self, file: &str) -> String {
        match &self.invalid {
            Some(why) => format!("{file} (not valid JSON: {why}; read leniently)"),
            None => file.to_string(),
        }
    }
}

pub(super) fn read_daemon_json(tree: &Tree, file: &str) -> Result<DaemonJson, Skipped> {
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
pub(super) fn lenient_strings(text: &str, key: &str) -> Vec<String> {
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
pub(super) fn processes(tree: &Tree, seen: &mut Seen) {
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
pub(super) fn dockerd_argv(tree: &Tree, pid: u32) -> Option<Vec<String>> {
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
pub(super) fn process_owner(tree: &Tree, pid: u32) -> Option<u32> {
    let status = tree.read_start(format!("/proc/{pid}/status"), STATUS_CAP)?;
    let text = String::from_utf8_lossy(&status.bytes);
    let uids = text.lines().find_map(|l| l.strip_prefix("Uid:"))?;
    let mut ids = uids.split_whitespace().map(str::parse::<u32>);
    let real = ids.next()?.ok()?;
    let effective = ids.next()?.ok()?;
    weaker(Some(real), Some(effective))
}

/// The engines one dockerd process serves.
pub(super) fn daemon(tree: &Tree, pid: u32, argv: &[String], seen: &mut Seen) {
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
pub(super) struct DockerdFlags {
    pub(super) hosts: Vec<String>,
    pub(super) config_file: Option<String>,
    pub(super) namespace: Option<String>,
}

impl DockerdFlags {
    pub(super) fn parse(args: &[String]) -> DockerdFlags {
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
