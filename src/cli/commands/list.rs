//! `dockmux list`: the engines, the commands that reach them, whether each
//! is up, and where each came from.

use std::time::Duration;

use clap::Args;
use serde::Serialize;

use crate::config::{self, Config, Engine, Settings, Sources};
use crate::docker::probe::{self, Status};
use crate::engine::policy::lift;
use crate::error::Result;
use crate::exit_codes::ExitCode;
use crate::view::lifted;
use crate::{cli::selection, engine::forward, output, view::render};

#[derive(Args, Debug)]
pub struct ListArgs {
    #[arg(value_name = "ENGINE", help = crate::cli::selection::HELP)]
    pub engines: Vec<String>,
    /// Print only the engine names, one per line
    #[arg(long, conflicts_with = "json")]
    pub names: bool,
    /// Print machine-readable JSON (an array of engines)
    #[arg(long)]
    pub json: bool,
    /// Do not ask the engines whether they are up
    #[arg(long)]
    pub no_probe: bool,
    /// Bound on probing all engines together (e.g. 2s, 500ms)
    #[arg(long, value_name = "DURATION", default_value = "2s", value_parser = probe::parse_timeout)]
    pub timeout: Duration,
}

#[derive(Serialize)]
pub struct EngineJson<'a> {
    /// The name and every key (crates/dockmux-engine/src/config/keys.rs).
    #[serde(flatten)]
    pub settings: &'a Settings,
    pub commands: Vec<String>,
    /// "protect", "readonly" or null: the policy the keys give.
    pub policy: Option<&'static str>,
    /// When a protection lifted by this user ends ("2026-12-07T06:10:23Z");
    /// null when it is not lifted.
    pub lifted_until: Option<String>,
    pub source: String,
    /// `None` (null) when not probed.
    pub status: Option<Status>,
    /// An ssh engine's shared connection: "up", "down" or "off" (`persist =
    /// "0"`); null for other engines.
    pub connection: Option<&'static str>,
    /// This engine's commands that another claim also names: they run no engine.
    pub clashes: Vec<ClashJson>,
}

#[derive(Serialize)]
pub struct ClashJson {
    pub command: String,
    pub error: String,
}

impl<'a> EngineJson<'a> {
    pub fn new(cfg: &Config, e: &'a Engine, status: Option<Status>) -> Self {
        EngineJson {
            settings: &e.settings,
            commands: e.commands().collect(),
            policy: e.policy().map(|p| p.as_str()),
            lifted_until: lifted_until(e).map(lifted::utc),
            source: e.origin.to_string(),
            status,
            connection: forward::State::of(e).label(),
            clashes: e
                .commands()
                .filter_map(|c| cfg.clash(&c))
                .map(|c| ClashJson {
                    command: c.command.clone(),
                    error: c.error().to_string(),
                })
                .collect(),
        }
    }
}

pub fn run(args: &ListArgs, sources: &Sources) -> Result<ExitCode> {
    let cfg = config::load(sources)?;
    let engines = selection::select(&cfg, &args.engines)?;
    if args.names {
        let text: String = engines.iter().map(|e| format!("{}\n", e.name)).collect();
        output::print(&text)?;
        return Ok(ExitCode::Success);
    }
    let statuses: Vec<Option<Status>> = if args.no_probe {
        vec![None; engines.len()]
    } else {
        probe::probe_all(&cfg, &engines, args.timeout)
            .into_iter()
            .map(Some)
            .collect()
    };
    let text = if args.json {
        json(&cfg, &engines, statuses, &args.engines)
    } else {
        table(&cfg, &engines, &statuses)
    };
    output::print(&text)?;
    // An engine whose table holds a mistake has no row (its JSON says it):
    // its error is said, as NAME-docker says it, and the status is 1.
    let skipped = selection::skipped_notes(&cfg, &args.engines);
    if skipped.is_empty() {
        return Ok(ExitCode::Success);
    }
    output::notes(&skipped);
    Ok(ExitCode::Failure)
}

/// Until when this user lifted `e`'s protection (only a protected engine's
/// counts: a read-only one refuses all the same).
fn lifted_until(e: &Engine) -> Option<std::time::SystemTime> {
    (e.policy() == Some(config::Policy::Protect))
        .then(|| lift::until(e))
        .flatten()
}

/// An engine whose table holds a mistake, in `list --json`: its name, its
/// file and a status saying the mistake (state `config_error`) and the fix.
#[derive(Serialize)]
struct BrokenJson<'a> {
    name: &'a str,
    source: String,
    status: Status,
}

#[derive(Serialize)]
#[serde(untagged)]
enum Listed<'a> {
    Engine(EngineJson<'a>),
    Broken(BrokenJson<'a>),
}

fn json(
    cfg: &Config,
    engines: &[&Engine],
    statuses: Vec<Option<Status>>,
    words: &[String],
) -> String {
    let mut listed: Vec<(&str, Listed)> = engines
        .iter()
        .zip(statuses)
        .map(|(e, s)| (e.name.as_str(), Listed::Engine(EngineJson::new(cfg, e, s))))
        .collect();
    for b in selection::skipped(cfg, words) {
        let source = b
            .place
            .file
            .as_ref()
            .map_or_else(|| "built-in".to_string(), |f| f.display().to_string());
        let status = Status::config_error(b);
        listed.push((
            &b.name,
            Listed::Broken(BrokenJson {
                name: &b.name,
                source,
                status,
            }),
        ));
    }
    listed.sort_by(|a, b| a.0.cmp(b.0));
    render::json(&listed.into_iter().map(|(_, l)| l).collect::<Vec<_>>())
}

/// The table, then one line per engine that is not up and per command of
/// theirs that clashes: what is wrong and the fix.
fn table(cfg: &Config, engines: &[&Engine], statuses: &[Option<Status>]) -> String {
    let probed = statuses.iter().any(Option::is_some);
    let mut header = vec!["NAME", "COMMAND", "HOST"];
    if probed {
        header.push("STATUS");
    }
    // Like STATUS, shown when it says something.
    let policies = engines.iter().any(|e| e.policy().is_some());
    if policies {
        header.push("POLICY");
    }
    // An ssh engine's shared connection (src/forward/), when there is one.
    let connections: Vec<Option<&str>> = engines
        .iter()
        .map(|e| forward::State::of(e).label())
        .collect();
    let ssh = connections.iter().any(Option::is_some);
    if ssh {
        header.push("CONNECTION");
    }
    header.push("SOURCE");
    let mut rows = vec![header.into_iter().map(String::from).collect::<Vec<_>>()];
    let mut notes = String::new();
    for ((e, status), connection) in engines.iter().zip(statuses).zip(&connections) {
        let commands: Vec<String> = e
            .commands()
            .map(|c| match cfg.clash(&c) {
                Some(_) => format!("{c} (clash)"),
                None => c,
            })
            .collect();
        let mut row = vec![e.name.clone(), commands.join(", "), e.host.clone()];
        if let Some(s) = status {
            row.push(s.summary());
            if !s.is_up() {
                notes.push_str(&format!("{}: {}\n", e.name, s.detail()));
            }
        }
        if policies {
            row.push(match (e.policy(), lifted_until(e)) {
                (Some(_), Some(until)) => format!("protect, lifted until {}", lifted::clock(until)),
                (p, None) => p.map_or("-", |p| p.as_str()).to_string(),
                (None, Some(_)) => "-".to_string(),
            });
        }
        if ssh {
            row.push(connection.unwrap_or("-").to_string());
        }
        row.push(e.origin.to_string());
        rows.push(row);
    }
    let listed = |c: &&config::Clash| {
        c.engines
            .iter()
            .any(|n| engines.iter().any(|e| e.name == *n))
    };
    for clash in cfg.clashes.iter().filter(listed) {
        notes.push_str(&format!("{}\n", clash.error()));
    }

    // STATUS is the fourth column when there is one.
    let mut out = render::table_toned(&rows, |row, col| {
        let status = statuses.get(row)?.as_ref()?;
        (col == 3).then(|| status.state.tone())
    });
    if !notes.is_empty() {
        out.push('\n');
        out.push_str(&notes);
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::config::{Key, Settings, Tls};

    /// `list --json` shows every key of an engine (config/keys.rs), set or not.
    #[test]
    fn json_has_every_key() {
        let set = Settings {
            name: "db.prod".into(),
            host: "tcp://db:2376".into(),
            description: Some("prod".into()),
            aliases: vec!["prod".into()],
            hint: Some("ask ops".into()),
            tls: Some(Tls {
                verify: false,
                cert_path: Some("/etc/c d".into()),
            }),
            client: Some("/usr/bin/docker".into()),
            protect: true,
            readonly: true,
            safe_binds: vec!["/srv/apps".into()],
            data_root: Some("/data/docker".into()),
            persist: Some("90s".into()),
            tags: vec!["nas".into()],
            pin: Some("4f2a".into()),
        };
        let v = serde_json::to_value(&set).unwrap();
        for key in Key::names() {
            assert!(v.get(key).is_some(), "{key} not in {v}");
        }
        assert_eq!(v["tls"]["cert_path"], "/etc/c d");
        let v = serde_json::to_value(Settings::default()).unwrap();
        for key in Key::names() {
            assert!(v.get(key).is_some(), "{key} not in {v}");
        }
        assert_eq!(v["protect"], false);
        assert_eq!(v["tags"], serde_json::json!([]));
        assert!(v["tls"].is_null());
    }
}
