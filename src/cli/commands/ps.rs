//! `dockmux ps [PATTERN…] [-a] [--json] [--timeout D]`: every selected
//! engine's containers in one table, an ENGINE column first, then docker's
//! own columns. All engines are asked at once under one deadline (probe.rs:
//! a unix socket's API directly, tcp and ssh engines through the client);
//! one that cannot answer gets a line with the reason and the fix, and the
//! exit status 1.

use std::time::{Duration, SystemTime};

use clap::Args;
use serde_json::Value;

use crate::cli::selection;
use crate::config::{self, Sources};
use crate::docker::container_json::{self, Row};
use crate::docker::probe::{self, Answer, Answered, Question, Status};
use crate::error::Result;
use crate::exit_codes::ExitCode;
use crate::output;
use crate::view::render;

#[derive(Args, Debug)]
pub struct PsArgs {
    #[arg(value_name = "ENGINE", help = crate::cli::selection::HELP)]
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

/// docker's columns after ENGINE (the row's fields in [`table`]).
const COLUMNS: [&str; 7] = [
    "CONTAINER ID",
    "IMAGE",
    "COMMAND",
    "CREATED",
    "STATUS",
    "PORTS",
    "NAMES",
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
    let mut rows: Vec<Row> = Vec::new();
    let mut failed = String::new();
    for (engine, answer) in engines.iter().zip(answers) {
        match answer.and_then(|a| containers(a, now)) {
            Ok(list) => rows.extend(list.into_iter().map(|mut c| {
                c.engine.clone_from(&engine.name);
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
    // Engines whose table holds a mistake were not asked: said, as list says them.
    failed.push_str(&selection::skipped_notes(&cfg, &args.patterns));
    if failed.is_empty() {
        return Ok(ExitCode::Success);
    }
    output::notes(&failed);
    Ok(ExitCode::Failure)
}

/// docker's rows from an engine's answer, every string escaped, each
/// charged to the answer's meter: an element that is not a container
/// fails the engine, and so does an answer whose rows would cost too much.
fn containers(answered: Answered, now: SystemTime) -> Result<Vec<Row>, Status> {
    let Answered { answer, mut meter } = answered;
    let mut list = Vec::new();
    let mut keep = |mut row: Row| {
        // The row, and its place in a list that doubles as it grows.
        meter.charge(row.cost() + std::mem::size_of::<Row>())?;
        list.push(row.escaped());
        Ok(())
    };
    match answer {
        Answer::Api(bodies) => {
            let body = bodies.first().map(Vec::as_slice).unwrap_or_default();
            probe::each_object(body, None, "containers", |c| {
                if !c.get("Id").is_some_and(Value::is_string) {
                    return Err(Status::bad_answer(&"a container without an Id"));
                }
                keep(container_json::from_api(&c, now))
            })?;
        }
        Answer::Client(outs) => {
            let out = outs.first().map(Vec::as_slice).unwrap_or_default();
            probe::each_line(out, |line| {
                keep(serde_json::from_value(line).map_err(|e| Status::bad_answer(&e))?)
            })?;
        }
    }
    Ok(list)
}

fn table(rows: &[Row]) -> String {
    let header = std::iter::once("ENGINE")
        .chain(COLUMNS)
        .map(String::from)
        .collect();
    let body = rows.iter().map(|r| {
        [
            &r.engine,
            &r.id,
            &r.image,
            &r.command,
            &r.running_for,
            &r.status,
            &r.ports,
            &r.names,
        ]
        .map(String::clone)
        .to_vec()
    });
    render::table(&std::iter::once(header).chain(body).collect::<Vec<_>>())
}
