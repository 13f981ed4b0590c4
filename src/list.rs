//! `dockmux list`: the engines, the commands that reach them, and where each came from.

use clap::Args;
use serde::Serialize;

use crate::config::{self, Config, Engine, Sources};
use crate::error::{Error, Result};
use crate::output;

#[derive(Args, Debug)]
pub struct ListArgs {
    /// Print only the engine names, one per line
    #[arg(long, conflicts_with = "json")]
    pub names: bool,
    /// Print machine-readable JSON (an array of engines)
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
pub struct EngineJson<'a> {
    pub name: &'a str,
    pub commands: Vec<String>,
    pub host: &'a str,
    pub description: Option<&'a str>,
    pub hint: Option<&'a str>,
    pub tls: Option<TlsJson<'a>>,
    pub source: String,
}

#[derive(Serialize)]
pub struct TlsJson<'a> {
    pub verify: bool,
    pub cert_path: Option<&'a str>,
}

impl<'a> EngineJson<'a> {
    pub fn new(e: &'a Engine) -> Self {
        EngineJson {
            name: &e.name,
            commands: e.commands().collect(),
            host: &e.host,
            description: e.description.as_deref(),
            hint: e.hint.as_deref(),
            tls: e.tls.as_ref().map(|t| TlsJson {
                verify: t.verify,
                cert_path: t.cert_path.as_deref(),
            }),
            source: e.origin.to_string(),
        }
    }
}

pub fn run(args: &ListArgs, sources: &Sources) -> Result<i32> {
    let cfg = config::load(sources)?;
    let text = if args.names {
        cfg.names().map(|n| format!("{n}\n")).collect()
    } else if args.json {
        json(&cfg)
    } else {
        table(&cfg)
    };
    output::print(&text).map_err(|e| Error::io("writing the list", e))?;
    Ok(0)
}

fn json(cfg: &Config) -> String {
    let engines: Vec<EngineJson> = cfg.engines.iter().map(EngineJson::new).collect();
    let mut s = serde_json::to_string_pretty(&engines).expect("engine JSON serializes");
    s.push('\n');
    s
}

fn table(cfg: &Config) -> String {
    let mut rows = vec![vec![
        "NAME".to_string(),
        "COMMAND".to_string(),
        "HOST".to_string(),
        "SOURCE".to_string(),
    ]];
    for e in &cfg.engines {
        rows.push(vec![
            e.name.clone(),
            e.commands().collect::<Vec<_>>().join(", "),
            e.host.clone(),
            e.origin.to_string(),
        ]);
    }
    output::table(&rows)
}
