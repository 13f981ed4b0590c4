//! `dockmux find TEXT [PATTERN…] [--json] [--timeout D]`: which engine holds
//! a container, image, volume or network whose name is TEXT or whose ID
//! starts with it. Asked like `ps` (probe.rs: every engine at once, one
//! deadline); exit 1 when nothing matches or an engine could not answer.

use std::time::Duration;

use clap::Args;
use serde::Serialize;
use serde_json::Value;

use crate::cli::selection;
use crate::config::{self, Sources};
use crate::docker::container_json::truncate_id;
use crate::docker::probe::{self, Answer, Answered, Meter, Question, Status};
use crate::error::{Error, Result};
use crate::exit_codes::ExitCode;
use crate::output;
use crate::text::escape;
use crate::text::suggest;
use crate::view::render;

#[derive(Args, Debug)]
pub struct FindArgs {
    /// A name, or the start of an ID
    #[arg(value_name = "TEXT")]
    pub text: String,
    #[arg(value_name = "ENGINE", help = crate::cli::selection::HELP)]
    pub patterns: Vec<String>,
    /// Print a JSON array of matches (engine, kind, name, full id)
    #[arg(long)]
    pub json: bool,
    /// Bound on asking all engines together (e.g. 2s, 500ms)
    #[arg(long, value_name = "DURATION", default_value = "2s", value_parser = probe::parse_timeout)]
    pub timeout: Duration,
}

/// The kinds, in the order asked and shown.
const KINDS: [&str; 4] = ["container", "image", "volume", "network"];

#[derive(Serialize)]
struct Found {
    engine: String,
    kind: &'static str,
    name: String,
    /// Volumes have none.
    id: Option<String>,
}

/// One object as an engine describes it: its names and its ID.
struct Object {
    names: Vec<String>,
    id: Option<String>,
}

pub fn run(args: &FindArgs, sources: &Sources) -> Result<ExitCode> {
    let text = args.text.as_str();
    if text.is_empty() {
        return Err(Error::Usage(
            "nothing to find: give a name or the start of an ID".into(),
        ));
    }
    let cfg = config::load(sources)?;
    let engines = selection::select(&cfg, &args.patterns)?;
    let json = "{{json .}}".to_string();
    let client = |words: &[&str]| {
        words
            .iter()
            .map(|w| w.to_string())
            .chain(["--format".to_string(), json.clone()])
            .collect()
    };
    let question = Question {
        api: [
            "/containers/json?all=1",
            "/images/json",
            "/volumes",
            "/networks",
        ]
        .map(String::from)
        .to_vec(),
        client: vec![
            client(&["ps", "--all", "--no-trunc"]),
            client(&["images", "--no-trunc"]),
            client(&["volume", "ls"]),
            client(&["network", "ls", "--no-trunc"]),
        ],
    };
    let answers = probe::ask_all(&cfg, &engines, args.timeout, question);
    let mut found = Vec::new();
    // The name nearest `text` seen so far, for a near miss when nothing
    // matches; one name kept, so it costs nothing the meter must count.
    let mut near: Option<Near> = None;
    let mut failed = String::new();
    for (engine, answer) in engines.iter().zip(answers) {
        let mut on_engine = Vec::new();
        let walked = answer.and_then(|a| {
            objects(a, |kind, o, meter| {
                Near::consider(&mut near, text, &o, kind, &engine.name);
                if let Some(name) = matching(&o, text) {
                    let id = o.id.as_deref().map_or(0, probe::string_cost);
                    meter.charge(std::mem::size_of::<Found>() + probe::string_cost(&name) + id)?;
                    on_engine.push(Found {
                        engine: engine.name.clone(),
                        kind,
                        name,
                        id: o.id,
                    });
                }
                Ok(())
            })
        });
        match walked {
            Ok(()) => found.append(&mut on_engine),
            Err(status) => failed.push_str(&format!("{}: {}\n", engine.name, status.detail())),
        }
    }
    let shown = if args.json {
        render::json(&found)
    } else if found.is_empty() {
        String::new()
    } else {
        table(&found)
    };
    output::print(&shown)?;
    if found.is_empty() {
        output::note(&format!(
            "dockmux: no container, image, volume or network is named '{}' or has an ID starting with it{}",
            escape::text(text),
            near.map(|n| n.to_string()).unwrap_or_default()
        ));
    }
    // Engines whose table holds a mistake were not asked: said, as list says them.
    failed.push_str(&selection::skipped_notes(&cfg, &args.patterns));
    output::notes(&failed);
    Ok(if found.is_empty() || !failed.is_empty() {
        ExitCode::Failure
    } else {
        ExitCode::Success
    })
}

/// The name nearest the text asked for (an image by its repository too).
struct Near {
    score: f64,
    name: String,
    kind: &'static str,
    engine: String,
}

impl Near {
    fn consider(near: &mut Option<Near>, text: &str, o: &Object, kind: &'static str, engine: &str) {
        for name in &o.names {
            let word = match name.rsplit_once(':') {
                Some((repo, _)) if kind == "image" => repo,
                _ => name,
            };
            let Some(score) = suggest::score(text, word) else {
                continue;
            };
            if near.as_ref().is_none_or(|n| score > n.score) {
                *near = Some(Near {
                    score,
                    name: name.clone(),
                    kind,
                    engine: engine.to_string(),
                });
            }
        }
    }
}

impl std::fmt::Display for Near {
    /// "; did you mean 'web-1' (a container on pg)?"
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "; did you mean '{}' (a {} on {})?",
            self.name, self.kind, self.engine
        )
    }
}

/// The name to show when `o` matches: a name equal to `text` (an image's
/// `repo:tag` or `repo`), or any when its ID starts with `text`.
fn matching(o: &Object, text: &str) -> Option<String> {
    let by_name = o
        .names
        .iter()
        .find(|n| n.as_str() == text || n.rsplit_once(':').is_some_and(|(repo, _)| repo == text));
    if let Some(n) = by_name {
        return Some(n.clone());
    }
    let id = o.id.as_deref()?;
    let bare = id.split_once(':').map_or(id, |(_, rest)| rest);
    (bare.starts_with(text) || id.starts_with(text))
        .then(|| o.names.first().cloned().unwrap_or_else(|| "<none>".into()))
}

/// Each kind's objects from an engine's answers (API or client), escaped,
/// handed to `f` one at a time: only what `f` keeps stays in memory.
fn objects(
    answered: Answered,
    mut f: impl FnMut(&'static str, Object, &mut Meter) -> Result<(), Status>,
) -> Result<(), Status> {
    let Answered { answer, mut meter } = answered;
    match answer {
        Answer::Api(bodies) => {
            for (body, kind) in bodies.iter().zip(KINDS) {
                // GET /volumes wraps its list.
                let field = (kind == "volume").then_some("Volumes");
                probe::each_object(body, field, &format!("{kind}s"), |o| {
                    f(kind, api_object(kind, &o), &mut meter)
                })?;
            }
        }
        Answer::Client(outs) => {
            for (out, kind) in outs.iter().zip(KINDS) {
                probe::each_line(out, |o| f(kind, client_object(kind, &o), &mut meter))?;
            }
        }
    }
    Ok(())
}

fn items(v: &Value) -> impl Iterator<Item = &Value> {
    v.as_array().map(Vec::as_slice).unwrap_or_default().iter()
}

fn strings(v: &Value) -> Vec<String> {
    items(v)
        .filter_map(Value::as_str)
        .map(|s| escape::owned(s.trim_start_matches('/')))
        .collect()
}

fn field(v: &Value, k: &str) -> Option<String> {
    v[k].as_str().filter(|s| !s.is_empty()).map(escape::owned)
}

fn api_object(kind: &str, o: &Value) -> Object {
    let names = match kind {
        "container" => strings(&o["Names"]),
        "image" => strings(&o["RepoTags"])
            .into_iter()
            .filter(|t| t != "<none>:<none>")
            .collect(),
        _ => field(o, "Name").into_iter().collect(),
    };
    Object {
        names,
        id: field(o, "Id"),
    }
}

fn client_object(kind: &str, o: &Value) -> Object {
    let (names, id) = match kind {
        "container" => (
            field(o, "Names")
                .map(|n| n.split(',').map(String::from).collect())
                .unwrap_or_default(),
            field(o, "ID"),
        ),
        "image" => {
            let tagged = match (field(o, "Repository"), field(o, "Tag")) {
                (Some(r), Some(t)) if r != "<none>" && t != "<none>" => vec![format!("{r}:{t}")],
                (Some(r), _) if r != "<none>" => vec![r],
                _ => Vec::new(),
            };
            (tagged, field(o, "ID"))
        }
        "volume" => (field(o, "Name").into_iter().collect(), None),
        _ => (field(o, "Name").into_iter().collect(), field(o, "ID")),
    };
    Object { names, id }
}

fn table(found: &[Found]) -> String {
    let header = ["ENGINE", "KIND", "NAME", "ID"].map(String::from).to_vec();
    let rows = found.iter().map(|f| {
        vec![
            f.engine.clone(),
            f.kind.to_string(),
            f.name.clone(),
            f.id.as_deref().map_or("-".to_string(), truncate_id),
        ]
    });
    render::table(&std::iter::once(header).chain(rows).collect::<Vec<_>>())
}
