//! The names an engine has, for one [`Wanted`]: asked as `dockmux find`
//! asks (probe/: a unix socket's API directly, tcp and ssh engines through
//! the client with the engine's environment), so they come from the engine
//! the command names and from nowhere else. Names are the engine's text:
//! one that holds a control character (escape.rs) is dropped, not offered.

use std::time::Duration;

use serde_json::Value;

use super::wanted::{Containers, Wanted};
use crate::config::{Client, Engine};
use crate::docker::probe::{self, Answer, Answered, Question, Status};
use crate::text::escape;

/// What one question asks for, in the order answered.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Containers,
    Images,
    Volumes,
    Networks,
}

/// A container, as both the API and the client's `ps` describe it.
struct Container {
    id: String,
    names: Vec<String>,
    state: String,
    networks: Vec<String>,
}

/// The names `wanted` offers on `engine`, unfiltered by the word typed;
/// the status says why the engine could not tell.
pub fn names(
    engine: &Engine,
    docker: Option<&Client>,
    wanted: &Wanted,
    timeout: Duration,
) -> Result<Vec<String>, Status> {
    let all = match wanted {
        Wanted::Containers(which) => !matches!(
            which,
            Containers::Running | Containers::Unpaused | Containers::Paused
        ),
        _ => true,
    };
    let kinds: &[Kind] = match wanted {
        Wanted::Containers(_) | Wanted::CopyEnd { .. } => &[Kind::Containers],
        Wanted::Images => &[Kind::Images],
        Wanted::Volumes => &[Kind::Volumes],
        Wanted::Networks => &[Kind::Networks],
        Wanted::ContainersAndImages => &[Kind::Containers, Kind::Images],
    };
    let question = Question {
        api: kinds.iter().map(|k| api_path(*k, all)).collect(),
        client: kinds.iter().map(|k| client_args(*k, all)).collect(),
    };
    let answer = probe::ask(docker, &[engine], timeout, question)
        .pop()
        .unwrap_or_else(|| Err(Status::bad_answer(&"no answer")))?;
    let show_ids =
        std::env::var_os("DOCKER_COMPLETION_SHOW_CONTAINER_IDS").is_some_and(|v| v == "yes");
    let Answered { answer, mut meter } = answer;
    let mut names = Vec::new();
    // Each name is charged to the answer's meter as it is kept.
    let mut offer = |n: String| {
        if !n.is_empty() && !n.chars().any(escape::is_unsafe) {
            meter.charge(probe::string_cost(&n))?;
            names.push(n);
        }
        Ok(())
    };
    for (kind, body) in kinds.iter().zip(bodies(answer)) {
        let api = body.0;
        match kind {
            Kind::Containers => containers(&body.1, api, |c| {
                if !keep(wanted, &c) {
                    return Ok(());
                }
                if show_ids {
                    offer(c.id)?;
                }
                c.names.into_iter().try_for_each(&mut offer)
            })?,
            Kind::Images => images(&body.1, api, &mut offer)?,
            Kind::Volumes | Kind::Networks => named(*kind, &body.1, api, &mut offer)?,
        }
    }
    Ok(names)
}

/// Each answer's bytes, and whether they are the API's (else the client's).
fn bodies(answer: Answer) -> Vec<(bool, Vec<u8>)> {
    match answer {
        Answer::Api(b) => b.into_iter().map(|b| (true, b)).collect(),
        Answer::Client(b) => b.into_iter().map(|b| (false, b)).collect(),
    }
}

/// docker 28's filters (docker/cli cli/command/container/*.go).
fn keep(wanted: &Wanted, c: &Container) -> bool {
    let Wanted::Containers(which) = wanted else {
        return true;
    };
    match which {
        Containers::All | Containers::Running => true,
        Containers::Unpaused => c.state != "paused",
        Containers::Paused => c.state == "paused",
        Containers::Stopped => c.state == "exited" || c.state == "created",
        Containers::On(net) => c.networks.contains(net),
        Containers::NotOn(net) => !c.networks.contains(net),
    }
}

fn api_path(kind: Kind, all: bool) -> String {
    match kind {
        Kind::Containers if all => "/containers/json?all=1",
        Kind::Containers => "/containers/json",
        Kind::Images => "/images/json",
        Kind::Volumes => "/volumes",
        Kind::Networks => "/networks",
    }
    .to_string()
}

/// The client's list of the same, one JSON array or string per line (JSON
/// so that no name can pass for another field or line).
fn client_args(kind: Kind, all: bool) -> Vec<String> {
    let words: &[&str] = match kind {
        // --no-trunc: full IDs, and every name (links too), as the API gives them.
        Kind::Containers if all => &["ps", "--all", "--no-trunc"],
        Kind::Containers => &["ps", "--no-trunc"],
        Kind::Images => &["images"],
        Kind::Volumes => &["volume", "ls"],
        Kind::Networks => &["network", "ls"],
    };
    let format = match kind {
        Kind::Containers => "[{{json .ID}},{{json .Names}},{{json .State}},{{json .Networks}}]",
        Kind::Images => "[{{json .Repository}},{{json .Tag}}]",
        Kind::Volumes | Kind::Networks => "{{json .Name}}",
    };
    words
        .iter()
        .map(|w| w.to_string())
        .chain(["--format".to_string(), format.to_string()])
        .collect()
}

/// A list's elements (the API's) or a client's lines, one at a time.
fn each(
    body: &[u8],
    api: bool,
    field: Option<&str>,
    what: &str,
    f: impl FnMut(Value) -> Result<(), Status>,
) -> Result<(), Status> {
    if api {
        probe::each_object(body, field, what, f)
    } else {
        probe::each_line(body, f)
    }
}

fn items(v: &Value) -> &[Value] {
    v.as_array().map(Vec::as_slice).unwrap_or_default()
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

fn containers(
    body: &[u8],
    api: bool,
    mut f: impl FnMut(Container) -> Result<(), Status>,
) -> Result<(), Status> {
    let list = |v: &Value| -> Vec<String> {
        v.as_str()
            .unwrap_or_default()
            .split(',')
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect()
    };
    each(body, api, None, "containers", |c| {
        f(if api {
            Container {
                id: text(&c["Id"]),
                names: items(&c["Names"])
                    .iter()
                    .map(|n| text(n).trim_start_matches('/').to_string())
                    .collect(),
                state: text(&c["State"]),
                networks: c
                    .pointer("/NetworkSettings/Networks")
                    .and_then(Value::as_object)
                    .map(|m| m.keys().cloned().collect())
                    .unwrap_or_default(),
            }
        } else {
            Container {
                id: text(&c[0]),
                names: list(&c[1]),
                state: text(&c[2]),
                networks: list(&c[3]),
            }
        })
    })
}

/// `repo:tag` of every tagged image.
fn images(
    body: &[u8],
    api: bool,
    mut f: impl FnMut(String) -> Result<(), Status>,
) -> Result<(), Status> {
    let untagged = |s: &str| s.is_empty() || s.contains("<none>");
    each(body, api, None, "images", |i| {
        if api {
            let tags = items(&i["RepoTags"]).iter().map(text);
            return tags.filter(|t| !untagged(t)).try_for_each(&mut f);
        }
        let (repo, tag) = (text(&i[0]), text(&i[1]));
        if untagged(&repo) || untagged(&tag) {
            return Ok(());
        }
        f(format!("{repo}:{tag}"))
    })
}

/// Volume and network names.
fn named(
    kind: Kind,
    body: &[u8],
    api: bool,
    mut f: impl FnMut(String) -> Result<(), Status>,
) -> Result<(), Status> {
    // GET /volumes wraps its list.
    let field = (kind == Kind::Volumes).then_some("Volumes");
    each(body, api, field, "volumes or networks", |o| {
        f(text(if api { &o["Name"] } else { &o }))
    })
}
