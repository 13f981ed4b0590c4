//! `dockmux ps [PATTERN…] [-a] [--json] [--timeout D]`: every selected
//! engine's containers in one table, an ENGINE column first, then docker's
//! own columns. All engines are asked at once under one deadline (probe.rs:
//! a unix socket's API directly, tcp and ssh engines through the client);
//! one that cannot answer gets a line with the reason and the fix, and the
//! exit status 1.

use std::time::{Duration, SystemTime};

use clap::Args;
use serde_json::Value;

use crate::config::{self, Sources};
use crate::container_json;
use crate::error::Result;
use crate::escape;
use crate::exit_codes::ExitCode;
use crate::output;
use crate::probe::{self, Answer, Question};
use crate::render;
use crate::selection;

#[derive(Args, Debug)]
pub struct PsArgs {
    /// Engines: names, globs ('nas*'), ^NAME or ^GLOB to leave out [default: all]
    #[arg(value_name = "ENGINE")]
    pub patterns: Vec<String>,
    /// Show all containers (default shows just running)
    #[arg(short, long)]
    pub all: bool,
    /// Print one JSON array of docker's own `ps --format json` objects, each with "engine"
    #[arg(long)]
    pub json: bool,
    /// Bound on asking all engines together (e.g. 2s, 500ms)
    #[arg(long, value_name = "DURATION", default_value = "2s", value_parser = probe::parse_timeout)]
    pub timeout: Duration,
}

/// docker's columns after ENGINE: the header and the JSON field it shows.
const COLUMNS: [(&str, &str); 7] = [
    ("CONTAINER ID", "ID"),
    ("IMAGE", "Image"),
    ("COMMAND", "Command"),
    ("CREATED", "RunningFor"),
    ("STATUS", "Status"),
    ("PORTS", "Ports"),
    ("NAMES", "Names"),
];

pub fn run(args: &PsArgs, sources: &Sources) -> Result<ExitCode> {
    let cfg = config::load(sources)?;
    let engines = selection::select(&cfg, &args.patterns)?;
    let all = if args.all { "1" } else { "0" };
    let mut client = vec!["ps", "--format", "{{json .}}"];
    if args.all {
        client.push("--all");
    }
    let question = Question {
        api: vec![format!("/containers/json?all={all}")],
        client: vec![client.into_iter().map(String::from).collect()],
    };
    let answers = probe::ask_all(&cfg, &engines, args.timeout, question);
    let now = SystemTime::now();
    let mut rows: Vec<Value> = Vec::new();
    let mut failed = String::new();
    for (engine, answer) in engines.iter().zip(answers) {
        match answer.and_then(|a| containers(a, now)) {
            Ok(list) => rows.extend(list.into_iter().map(|mut c| {
                c["engine"] = Value::String(engine.name.clone());
                c
            })),
            Err(status) => failed.push_str(&format!("{}: {}\n", engine.name, status.detail())),
        }
    }
    let text = if args.json {
        render::json(&rows)
    } else {
        table(&rows)
    };
    output::print(&text)?;
    if failed.is_empty() {
        return Ok(ExitCode::Success);
    }
    output::notes(&failed);
    Ok(ExitCode::Failure)
}

/// docker's objects from an engine's answer, every string escaped.
fn containers(answer: Answer, now: SystemTime) -> Result<Vec<Value>, probe::Status> {
    let list: Vec<Value> = match answer {
        Answer::Api(bodies) => {
            let body = bodies.first().map(Vec::as_slice).unwrap_or_default();
            let api: Vec<Value> =
                serde_json::from_slice(body).map_err(|e| probe::Status::bad_answer(&e))?;
            api.iter()
                .map(|c| container_json::from_api(c, now))
                .collect()
        }
        Answer::Client(outs) => {
            let out = outs.first().map(Vec::as_slice).unwrap_or_default();
            out.split(|&b| b == b'\n')
                .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
                .map(|l| serde_json::from_slice(l).map_err(|e| probe::Status::bad_answer(&e)))
                .collect::<Result<_, _>>()?
        }
    };
    Ok(list.into_iter().map(escape_strings).collect())
}

/// Engine text is escaped where it enters (escape.rs).
fn escape_strings(v: Value) -> Value {
    match v {
        Value::String(s) => Value::String(escape::owned(&s)),
        Value::Array(a) => Value::Array(a.into_iter().map(escape_strings).collect()),
        Value::Object(o) => Value::Object(
            o.into_iter()
                .map(|(k, v)| (escape::owned(&k), escape_strings(v)))
                .collect(),
        ),
        v => v,
    }
}

fn table(rows: &[Value]) -> String {
    let header = std::iter::once("ENGINE")
        .chain(COLUMNS.iter().map(|c| c.0))
        .map(String::from)
        .collect();
    let cell = |row: &Value, k: &str| row[k].as_str().unwrap_or_default().to_string();
    let body = rows.iter().map(|r| {
        std::iter::once(cell(r, "engine"))
            .chain(COLUMNS.iter().map(|c| cell(r, c.1)))
            .collect()
    });
    render::table(&std::iter::once(header).chain(body).collect::<Vec<_>>())
}
