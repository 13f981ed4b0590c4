//! Is each engine up? Probes run concurrently (a few threads, see pool.rs)
//! under one deadline, so ten engines of which five hang cost one timeout,
//! not five; every docker client started is gone when the answer is given
//! (children.rs). Whatever an engine or docker says is escaped on the way
//! in (escape.rs): it is shown on a terminal. A unix socket is
//! asked directly (`GET /version`: one round trip, no extra process;
//! socket.rs); tcp and ssh engines are asked through the stock client's own
//! `docker version` (docker.rs)
//! with the engine's environment, so TLS and ssh behave exactly as they do
//! for `NAME-docker` and their errors are docker's own. Never used on the
//! engine hot path.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::config::host::Kind;
use crate::config::{Client, Config, Engine};
use crate::docker::children::Batch;
use crate::docker::host_cap;
use crate::docker::pending::Pending;
use crate::docker::pool;
use crate::engine;
use crate::engine::client;
use crate::engine::forward;
use crate::error::Error;
use crate::text::escape;
use crate::view::style::Tone;

mod bounded;
mod docker;
mod socket;

use bounded::{Budget, PER_ENGINE};
pub use bounded::{Meter, each_line, each_object, string_cost};

use docker::{probe_client, run_client};
use socket::{Socket, probe_unix};

/// Engines asked at a time: in parallel, but a config of a thousand costs
/// this many threads (512 KiB of stack each), not a thousand; docker
/// clients (tcp and plain ssh engines) are capped lower, by
/// [`host_cap::CLIENTS`].
const WORKERS: usize = 64;

/// The most threads a fan-out starts. An engine behind a shared connection
/// waits on the network, not the CPU: each gets a thread of its own on top
/// of [`WORKERS`], up to this bound and to what `ulimit -v` leaves room for
/// ([`pool::affordable`]), so 100 of them behind a 30 ms link are one wait
/// of a channel open and a request, not two.
const MOST_WORKERS: usize = 256;

/// What a probe found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Up,
    NoSocket,
    NotASocket,
    PermissionDenied,
    Refused,
    TimedOut,
    TlsError,
    SshError,
    /// The client could not reach the engine for another reason (docker's message says why).
    Down,
    /// The engine answered, but not like a docker engine.
    Error,
    /// Not probed: no docker client to ask.
    Unknown,
    /// Not asked: the engine's table in the config holds a mistake.
    ConfigError,
}

impl State {
    /// How the STATUS cell shows on a terminal.
    pub fn tone(self) -> Tone {
        match self {
            State::Up => Tone::Good,
            State::TimedOut => Tone::Warn,
            State::Unknown => Tone::Quiet,
            _ => Tone::Bad,
        }
    }

    /// Short words for the STATUS column.
    pub fn label(self) -> &'static str {
        match self {
            State::Up => "up",
            State::NoSocket => "no socket",
            State::NotASocket => "not a socket",
            State::PermissionDenied => "permission denied",
            State::Refused => "refused",
            State::TimedOut => "timed out",
            State::TlsError => "tls error",
            State::SshError => "ssh error",
            State::Down => "down",
            State::Error => "error",
            State::Unknown => "unknown",
            State::ConfigError => "config error",
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Status {
    pub state: State,
    pub server_version: Option<String>,
    pub api_version: Option<String>,
    /// What went wrong, in docker's words where docker was asked.
    pub error: Option<String>,
    /// How to fix it.
    pub fix: Option<String>,
}

impl Status {
    /// The versions are the engine's words: escaped here.
    fn up(server_version: Option<String>, api_version: Option<String>) -> Status {
        let safe = |v: Option<String>| v.map(|v| escape::owned(&v));
        Status {
            state: State::Up,
            server_version: safe(server_version),
            api_version: safe(api_version),
            error: None,
            fix: None,
        }
    }

    /// `error` may quote the engine or docker: escaped here.
    fn failed(state: State, error: impl Into<String>, fix: Option<String>) -> Status {
        Status {
            state,
            server_version: None,
            api_version: None,
            error: Some(escape::owned(&error.into())),
            fix: fix.map(|f| escape::owned(&f)),
        }
    }

    /// An engine not asked because its table holds a mistake (config::Broken).
    pub fn config_error(b: &crate::config::Broken) -> Status {
        Status::failed(
            State::ConfigError,
            b.error().to_string(),
            Some(format!("edit {}", b.place)),
        )
    }

    /// An engine answered, but not with docker's JSON.
    pub fn bad_answer(e: &dyn std::fmt::Display) -> Status {
        Status::failed(
            State::Error,
            format!("the answer is not docker's JSON ({e})"),
            Some("check that this is a docker engine and its client".into()),
        )
    }

    pub fn is_up(&self) -> bool {
        self.state == State::Up
    }

    /// The STATUS cell: `up 28.2.2 (API 1.50)` or the state's label.
    pub fn summary(&self) -> String {
        match (self.state, &self.server_version) {
            (State::Up, Some(v)) => match &self.api_version {
                Some(api) => format!("up {v} (API {api})"),
                None => format!("up {v}"),
            },
            (state, _) => state.label().to_string(),
        }
    }

    /// One line: the error and its fix.
    pub fn detail(&self) -> String {
        let error = self.error.as_deref().unwrap_or(self.state.label());
        match &self.fix {
            Some(fix) => format!("{error}; fix: {fix}"),
            None => error.to_string(),
        }
    }
}

/// The two fields of an engine's version that a probe shows (the rest is
/// skipped, not kept).
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Version {
    version: Option<String>,
    api_version: Option<String>,
}

/// What one probe thread needs: plain owned data (an `Engine` is not `Send`).
#[derive(Clone)]
struct Target {
    name: String,
    host: String,
    kind: Kind,
    hint: Option<String>,
    tls: bool,
    env: Vec<(&'static str, Option<String>)>,
    /// An ssh engine's shared connection (src/forward/).
    forward: Option<forward::Place>,
    /// The docker client it runs when it is not asked on a socket (as its
    /// `NAME-docker` would: its own `client`, else the config's or PATH's),
    /// or why there is none.
    docker: Result<PathBuf, String>,
}

impl Target {
    /// The engine as a probe needs it; refused (as a status) when its TLS
    /// material could be changed by others: the client is not run with it.
    fn new(e: &Engine) -> Result<Target, Status> {
        let env = engine::checked_env(e).map_err(|err| match err {
            Error::Insecure { what, problem, fix } => Status::failed(
                State::TlsError,
                format!("refusing {what}: {problem}"),
                Some(fix),
            ),
            other => Status::failed(State::TlsError, other.to_string(), None),
        })?;
        Ok(Target {
            name: e.name.clone(),
            host: e.host.clone(),
            kind: e.kind,
            hint: e.hint.clone(),
            tls: e.tls.is_some(),
            env: env.into_iter().collect(),
            forward: forward::Place::of(e),
            docker: Err(String::new()),
        })
    }

    /// The engine asked through its shared connection's socket at
    /// `docker_host` (`unix://SOCK`): as a unix socket is, with no client
    /// and no ssh login.
    fn via(&self, docker_host: String) -> Target {
        let mut t = self.clone();
        t.forward = None;
        t.env[0].1 = Some(docker_host.clone());
        t.host = docker_host;
        t.kind = Kind::Unix;
        t
    }
}

/// Asks an engine that has a shared connection (`place`). When its socket
/// is in place and safe, the request is sent on it at once: the request's
/// own connect is the check that the forward is up, so a warm engine costs
/// one connect (one channel), not a check's and then the request's. When
/// nothing listens there (refused, or the socket is gone) or there is no
/// socket yet, the forward is started (with `start`; bounded, once) and the
/// engine asked through it; otherwise, or when it cannot start, it is asked
/// over `ssh://` as before.
fn through_forward<R>(
    place: &forward::Place,
    target: &Target,
    start: bool,
    ask: impl Fn(&Target) -> Result<R, Status>,
) -> Result<R, Status> {
    if forward::safe(&place.sock) {
        match ask(&target.via(place.docker_host())) {
            Err(s) if matches!(s.state, State::Refused | State::NoSocket) => {}
            asked => return asked,
        }
    }
    match start.then(|| place.reach(false)).flatten() {
        Some(host) => ask(&target.via(host)),
        None => ask(target),
    }
}

/// Probes `engines` concurrently; returns their statuses in the same order,
/// all within `timeout` (plus a few milliseconds), and with every docker
/// client it started killed.
pub fn probe_all(cfg: &Config, engines: &[&Engine], timeout: Duration) -> Vec<Status> {
    let shown = Pending::start();
    fan_out(
        cfg.docker.as_ref(),
        engines,
        timeout,
        &shown,
        false,
        |t, reach| {
            // A failure is an error, so that one through a forward that is
            // down is told from an answer (through_forward).
            let status = match (t.kind, &t.docker) {
                (Kind::Unix, _) => probe_unix(t, reach.deadline, reach.timeout, &reach.budget),
                (_, Ok(docker)) => {
                    probe_client(&reach.batch, docker, t, reach.deadline, reach.timeout)
                }
                (_, Err(why)) => no_client(why),
            };
            if status.is_up() {
                Ok(status)
            } else {
                Err(status)
            }
        },
    )
    .into_iter()
    .map(|r| r.unwrap_or_else(|s| s))
    .collect()
}

/// One question for many engines: the API paths a unix socket is asked
/// (GET, in order), or the client commands a tcp or ssh engine runs instead
/// (with the engine's environment, as for `NAME-docker`).
pub struct Question {
    pub api: Vec<String>,
    pub client: Vec<Vec<String>>,
}

/// An engine's answers, in the question's order, with the meter that
/// charged them: what a command keeps of them is charged to it too.
pub struct Answered {
    pub answer: Answer,
    pub meter: Meter,
}

/// An engine's answers, in the question's order.
pub enum Answer {
    /// The API's bodies (JSON as the engine wrote it).
    Api(Vec<Vec<u8>>),
    /// The client's standard outputs.
    Client(Vec<Vec<u8>>),
}

/// Asks `engines` `question` concurrently under one deadline, as
/// [`probe_all`] probes them; an engine that cannot answer gets the status
/// that says why (and the fix).
pub fn ask_all(
    cfg: &Config,
    engines: &[&Engine],
    timeout: Duration,
    question: Question,
) -> Vec<Result<Answered, Status>> {
    let shown = Pending::start();
    asking(cfg.docker.as_ref(), engines, timeout, question, &shown)
}

/// [`ask_all`] for a caller that has the config's `docker` setting but not
/// the whole config (an engine command's completion request: nothing is
/// shown while it waits, the terminal holds the command line being typed).
pub fn ask(
    docker: Option<&Client>,
    engines: &[&Engine],
    timeout: Duration,
    question: Question,
) -> Vec<Result<Answered, Status>> {
    asking(docker, engines, timeout, question, &Pending::none())
}

fn asking(
    docker: Option<&Client>,
    engines: &[&Engine],
    timeout: Duration,
    question: Question,
    shown: &Pending,
) -> Vec<Result<Answered, Status>> {
    fan_out(docker, engines, timeout, shown, true, move |t, reach| {
        let mut meter = Meter::new(&reach.budget, PER_ENGINE);
        let answer = match (t.kind, &t.docker) {
            (Kind::Unix, _) => {
                let socket = Socket::open(t, reach.deadline, reach.timeout)?;
                let bodies = question
                    .api
                    .iter()
                    .map(|what| socket.get(what, &mut meter).map(|r| r.body))
                    .collect::<Result<_, _>>()?;
                Answer::Api(bodies)
            }
            (_, Ok(docker)) => {
                let outs = question
                    .client
                    .iter()
                    .map(|args| run_client(reach, docker, t, args, &mut meter))
                    .collect::<Result<_, _>>()?;
                Answer::Client(outs)
            }
            (_, Err(why)) => return Err(no_client(why)),
        };
        Ok(Answered { answer, meter })
    })
}

/// What every job gets besides its engine.
struct Reach {
    /// Every client started belongs to it: closed, none is left running.
    batch: Arc<Batch>,
    /// What all engines' answers may cost together.
    budget: Arc<Budget>,
    deadline: Instant,
    timeout: Duration,
}

/// Runs `job` for each engine on a few threads under one deadline; returns
/// the results in the engines' order, all within `timeout` (plus a few
/// milliseconds), with every docker client started killed. The engines not
/// answered yet are `shown` on a terminal. With `start`, an ssh engine's
/// shared connection is started when it is not up: all hosts at once, so a
/// cold fan-out costs one ssh login per host in parallel (and sshd's
/// MaxStartups sees one), each host's engines' sockets added in one go.
fn fan_out<R, F>(
    configured: Option<&Client>,
    engines: &[&Engine],
    timeout: Duration,
    shown: &Pending,
    start: bool,
    job: F,
) -> Vec<Result<R, Status>>
where
    R: Send + 'static,
    F: Fn(&Target, &Reach) -> Result<R, Status> + Send + Sync + 'static,
{
    let deadline = Instant::now() + timeout;
    let batch = Arc::new(Batch::new());
    let reach = Reach {
        batch: Arc::clone(&batch),
        budget: Arc::new(Budget::default()),
        deadline,
        timeout,
    };
    // A client is only looked for when a non-unix engine may run it: the
    // engine's own, trusted as NAME-docker trusts it, else the shared one
    // (looked for once).
    let mut clients = client::PerEngine::new(configured);
    let targets: Vec<Result<Target, Status>> = engines
        .iter()
        .map(|e| {
            let mut t = Target::new(e)?;
            if e.kind != Kind::Unix {
                t.docker = clients.of(e).map_err(|e| e.to_string());
            }
            Ok(t)
        })
        .collect();
    let forwards = targets.iter().flatten().filter(|t| t.forward.is_some());
    let room = pool::affordable().max(WORKERS);
    let workers = (WORKERS + forwards.count()).min(MOST_WORKERS).min(room);
    // A little grace so a job that gives up exactly at the deadline is heard.
    let give_up = deadline + Duration::from_millis(100);
    let pending = shown.tracker();
    for e in engines {
        pending.begin(&e.name);
    }
    if start {
        start_hosts(&targets, give_up);
    }
    let cap = host_cap::Cap::default();
    let results = pool::map(targets, workers, give_up, move |target| {
        // Refused before asking (TLS material others can change).
        let target = target?;
        let ask = |t: &Target| {
            let Some(_slot) = cap.enter(&t.host, deadline) else {
                return Err(timed_out(timeout));
            };
            // A docker client runs for any engine not asked on a socket.
            let _client = match t.kind {
                Kind::Unix => None,
                _ => Some(cap.client(deadline).ok_or_else(|| timed_out(timeout))?),
            };
            if Instant::now() >= deadline {
                return Err(not_asked(timeout, workers));
            }
            job(t, &reach)
        };
        let result = match &target.forward {
            Some(place) => through_forward(place, &target, start, ask),
            None => ask(&target),
        };
        pending.end(&target.name);
        result
    });
    // Jobs still running past the grace: their clients die now, and none starts later.
    batch.close();
    results
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err(timed_out(timeout))))
        .collect()
}

/// Starts the forwards among `targets` that need a start, all hosts at
/// once, each host's together (forward::start_host: its connection, one
/// `-O forward` for them all, their `/_ping`s at once). That is judged
/// without a connect to any forwarded socket (each would cost a channel):
/// an engine needs one when its host's connection is down (its control
/// socket takes no connect: local to ssh, nothing is sent) or it has no
/// safe socket yet. A socket left by a connection that died is found by
/// the engine's own request, and started then.
fn start_hosts(targets: &[Result<Target, Status>], give_up: Instant) {
    // Per host: whether its connection is up, and the engines to start on it.
    let mut hosts: std::collections::HashMap<_, (bool, Vec<forward::Place>)> =
        std::collections::HashMap::new();
    for place in targets.iter().flatten().filter_map(|t| t.forward.as_ref()) {
        let (up, starts) = hosts
            .entry(place.host_id().to_path_buf())
            .or_insert_with(|| (place.host_up(), Vec::new()));
        if !*up || !forward::safe(&place.sock) {
            starts.push(place.clone());
        }
    }
    let starts: Vec<Vec<forward::Place>> = hosts
        .into_values()
        .map(|(_, starts)| starts)
        .filter(|starts| !starts.is_empty())
        .collect();
    if !starts.is_empty() {
        pool::map(starts, WORKERS, give_up, |places| {
            forward::start_host(&places)
        });
    }
}

fn no_client(why: &str) -> Status {
    Status::failed(
        State::Unknown,
        format!("cannot ask the engine: {why}"),
        None,
    )
}

/// An engine whose turn came after the deadline (`workers` are asked at a time).
fn not_asked(timeout: Duration, workers: usize) -> Status {
    Status::failed(
        State::TimedOut,
        format!(
            "not asked: the timeout ({}) ran out before its turn ({workers} engines are asked at a time)",
            show_duration(timeout)
        ),
        Some("raise --timeout, or see which engines hang".into()),
    )
}

fn timed_out(timeout: Duration) -> Status {
    Status::failed(
        State::TimedOut,
        format!("no answer within {}", show_duration(timeout)),
        Some("check that the engine is not hung (or raise --timeout)".into()),
    )
}

/// `2s`, `500ms`, `1.5s`.
pub fn show_duration(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else if d.as_secs() == 0 {
        format!("{}ms", d.as_millis())
    } else {
        format!("{}s", d.as_secs_f64())
    }
}

/// Parses `--timeout`: `2`, `2s`, `1.5s`, `500ms`.
pub fn parse_timeout(s: &str) -> Result<Duration, String> {
    let bad = || format!("invalid duration '{s}'; write e.g. 2s, 1.5s or 500ms");
    let (num, scale) = if let Some(n) = s.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1.0)
    } else {
        (s, 1.0)
    };
    let secs: f64 = num.trim().parse().map_err(|_| bad())?;
    let secs = secs * scale;
    if !secs.is_finite() || secs <= 0.0 || secs > 3600.0 {
        return Err(format!(
            "invalid duration '{s}'; it must be more than 0 and at most 1 hour"
        ));
    }
    Ok(Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::docker::ssh_check_command;
    use super::socket::{header, parse_response};
    use super::*;

    #[test]
    fn timeouts_parse_in_seconds_and_milliseconds() {
        assert_eq!(parse_timeout("2"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_timeout("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_timeout("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_timeout("250ms"), Ok(Duration::from_millis(250)));
        for bad in ["", "0", "-1s", "abc", "2h", "nan", "7200"] {
            assert!(parse_timeout(bad).is_err(), "{bad}");
        }
        assert_eq!(show_duration(Duration::from_millis(250)), "250ms");
        assert_eq!(show_duration(Duration::from_millis(1500)), "1.5s");
        assert_eq!(show_duration(Duration::from_secs(2)), "2s");
    }

    #[test]
    fn ssh_fix_lines_name_the_engines_own_user_host_port_and_socket() {
        assert_eq!(
            ssh_check_command("ssh://me@nas:2222"),
            "ssh -p 2222 me@nas docker version"
        );
        assert_eq!(ssh_check_command("ssh://nas"), "ssh nas docker version");
        assert_eq!(
            ssh_check_command("ssh://root@box/data/x.sock"),
            "ssh root@box docker -H unix:///data/x.sock version"
        );
        assert_eq!(
            ssh_check_command("ssh://me@[::1]:22"),
            "ssh -p 22 me@::1 docker version"
        );
    }

    #[test]
    fn http_answers_plain_and_chunked() {
        let plain = b"HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nContent-Length: 2\r\n\r\n{}";
        let r = parse_response(plain.to_vec(), "/x").unwrap();
        assert_eq!(r.body, b"{}");
        assert_eq!(header(&r.head, "api-version"), Some("1.41"));
        let chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{\"a\r\n4\r\n\":1}\r\n0\r\n\r\n";
        assert_eq!(
            parse_response(chunked.to_vec(), "/x").unwrap().body,
            b"{\"a\":1}"
        );
        for cut in 1..chunked.len() - 4 {
            assert!(
                parse_response(chunked[..cut].to_vec(), "/x").is_err(),
                "{cut}"
            );
        }
        let err = parse_response(b"HTTP/1.1 404 Not Found\r\n\r\n".to_vec(), "/x")
            .err()
            .unwrap();
        assert!(err.to_string().contains("404"), "{err}");
        assert!(parse_response(b"garbage".to_vec(), "/x").is_err());
    }
}
