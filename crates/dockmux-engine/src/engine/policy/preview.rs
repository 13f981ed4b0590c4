//! What a held command would remove, from the engine's own answer, for the
//! prompt and the refusal ("now: 3 containers (web-old, job, x), 2 images
//! of 12.3 MB (…)"). Judged as the daemon judges it: a prune's own rule
//! (stopped containers; images no container uses, dangling ones without
//! `-a`; volumes no container uses, anonymous ones only from API 1.42
//! without `-a`; networks no running container is on) with its filters,
//! `system prune` as its parts in docker's order, `compose down` and
//! `stack rm` by their labels. Over the engine's unix socket, 2 s for all
//! of it and a bounded answer: past that the prompt says it has no list.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::ask::{self, Answer};
use super::json;
use crate::config::Engine;
use crate::engine::line::Command;

/// How long the whole preview may take.
pub const BOUND: Duration = Duration::from_secs(2);
/// The largest answer read (10,000 containers are about 6 MB).
const CAP: usize = 16 << 20;
/// Names shown per kind before "+N more".
const SHOWN: usize = 10;

/// The preview of `line` on `engine`, asked until `until` (the caller's
/// share of [`BOUND`]), without its brackets: `now: 1 volume (x)`, or `no
/// list of what it removes: …`; `None` for commands that remove no named
/// things.
pub fn preview(line: &Command, engine: &Engine, until: Instant) -> Option<String> {
    let path = line.node?.same_as;
    if !KINDS.contains(&path) {
        return None;
    }
    let ask = Ask { engine, until };
    Some(match removes(path, line, &ask) {
        Ok(parts) if parts.iter().all(|p| p.names.is_empty()) => {
            let notes: Vec<&str> = parts.iter().filter_map(|p| p.note.as_deref()).collect();
            match notes.is_empty() {
                true => "now: nothing to remove".to_string(),
                false => format!("now: nothing listed to remove; {}", notes.join("; ")),
            }
        }
        Ok(parts) => {
            let shown: Vec<String> = parts
                .iter()
                .filter(|p| !p.names.is_empty() || p.note.is_some())
                .map(Part::show)
                .collect();
            format!("now: {}", shown.join(", "))
        }
        Err(why) => format!(
            "no list of what it removes: {}",
            crate::text::escape::owned(&why)
        ),
    })
}

const KINDS: &[&str] = &[
    "container rm",
    "image rm",
    "volume rm",
    "network rm",
    "container prune",
    "image prune",
    "volume prune",
    "network prune",
    "system prune",
    "compose down",
    "stack rm",
];

type Why = String;

/// One kind of thing removed: "3 containers (a, b, c)".
struct Part {
    kind: &'static str,
    names: Vec<String>,
    /// Bytes, where the API says (images).
    size: Option<i64>,
    /// What is removed but not listed, or what is left and why.
    note: Option<String>,
}

impl Part {
    fn new(kind: &'static str, names: Vec<String>) -> Part {
        Part {
            kind,
            names,
            size: None,
            note: None,
        }
    }

    fn show(&self) -> String {
        if self.names.is_empty() {
            return self.note.clone().unwrap_or_default();
        }
        let n = self.names.len();
        let kind = match (n, self.kind.strip_suffix('s')) {
            (1, Some(one)) => one,
            _ => self.kind,
        };
        let size = self
            .size
            .map(|s| format!(" of {}", human(s)))
            .unwrap_or_default();
        let mut names: Vec<String> = self
            .names
            .iter()
            .take(SHOWN)
            .map(|s| crate::text::escape::owned(s))
            .collect();
        if n > SHOWN {
            names.push(format!("+{} more", n - SHOWN));
        }
        let note = self
            .note
            .as_ref()
            .map(|w| format!("; {w}"))
            .unwrap_or_default();
        format!("{n} {kind}{size} ({}){note}", names.join(", "))
    }
}

/// docker's sizes: decimal units, three significant digits ("12.3 MB").
fn human(bytes: i64) -> String {
    let units = ["B", "kB", "MB", "GB", "TB", "PB"];
    let mut v = bytes.max(0) as f64;
    let mut u = 0;
    while v >= 1000.0 && u + 1 < units.len() {
        v /= 1000.0;
        u += 1;
    }
    let digits = if v >= 100.0 || u == 0 {
        0
    } else if v >= 10.0 {
        1
    } else {
        2
    };
    format!("{v:.digits$} {}", units[u])
}

struct Ask<'a> {
    engine: &'a Engine,
    until: Instant,
}

impl Ask<'_> {
    fn get(&self, path: &str) -> Result<Option<Answer>, Why> {
        ask::get_within(self.engine, path, self.until, CAP).map_err(|why| {
            if Instant::now() >= self.until {
                format!("the engine did not say within {BOUND:?}")
            } else {
                why
            }
        })
    }

    /// A list the engine must have.
    fn list(&self, path: &str) -> Result<Answer, Why> {
        self.get(path)?.ok_or_else(|| {
            format!(
                "the engine has no {}",
                path.split('?').next().unwrap_or(path)
            )
        })
    }

    fn containers(&self) -> Result<Vec<Container>, Why> {
        let a = self.list("/containers/json?all=1")?;
        items(&a.body)?.into_iter().map(Container::read).collect()
    }
}

fn items(body: &[u8]) -> Result<Vec<&[u8]>, Why> {
    json::items(body).ok_or_else(|| "the engine gave an odd answer".to_string())
}

fn text(raw: &[u8], key: &str) -> String {
    json::field(raw, key)
        .and_then(json::string)
        .unwrap_or_default()
}

fn strings(raw: Option<&[u8]>) -> Vec<String> {
    raw.and_then(json::items)
        .unwrap_or_default()
        .into_iter()
        .filter_map(json::string)
        .collect()
}

struct Container {
    id: String,
    name: String,
    state: String,
    image: String,
    created: i64,
    labels: Vec<(String, String)>,
    volumes: Vec<String>,
    networks: Vec<String>,
}

impl Container {
    fn read(raw: &[u8]) -> Result<Container, Why> {
        let name = strings(json::field(raw, "Names"))
            .into_iter()
            .next()
            .unwrap_or_default();
        let mounts = json::field(raw, "Mounts")
            .and_then(json::items)
            .unwrap_or_default();
        let networks = json::field(raw, "NetworkSettings")
            .and_then(|n| json::field(n, "Networks"))
            .and_then(json::entries)
            .unwrap_or_default();
        Ok(Container {
            id: text(raw, "Id"),
            name: name.trim_start_matches('/').to_string(),
            state: text(raw, "State"),
            image: text(raw, "ImageID"),
            created: json::field(raw, "Created").and_then(json::int).unwrap_or(0),
            labels: labels(json::field(raw, "Labels")),
            volumes: mounts
                .into_iter()
                .filter(|m| text(m, "Type") == "volume")
                .map(|m| text(m, "Name"))
                .collect(),
            networks: networks
                .into_iter()
                .flat_map(|(name, n)| [name, text(n, "NetworkID")])
                .collect(),
        })
    }

    /// Not running: what `container prune` removes.
    fn stopped(&self) -> bool {
        matches!(self.state.as_str(), "created" | "exited" | "dead")
    }
}

fn labels(raw: Option<&[u8]>) -> Vec<(String, String)> {
    raw.and_then(json::entries)
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k, json::string(v).unwrap_or_default()))
        .collect()
}

/// A prune's `--filter`s: `until` and `label`/`label!` (what the daemon
/// takes for prunes); any other is said, not guessed.
#[derive(Default)]
struct Filters {
    /// Created before this (unix seconds).
    until: Option<i64>,
    labels: Vec<(bool, String, Option<String>)>,
}

impl Filters {
    fn read(line: &Command) -> Result<Filters, Why> {
        let mut f = Filters::default();
        for v in line.values("filter", None) {
            let v = String::from_utf8_lossy(v);
            let (key, value) = v.split_once('=').unwrap_or((&v, ""));
            match key {
                "until" => f.until = Some(until(value)?),
                "label" | "label!" => {
                    let (k, want) = match value.split_once('=') {
                        Some((k, w)) => (k.to_string(), Some(w.to_string())),
                        None => (value.to_string(), None),
                    };
                    f.labels.push((key == "label", k, want));
                }
                _ => return Err(format!("dockmux does not read the filter '{v}'")),
            }
        }
        Ok(f)
    }

    fn keeps(&self, created: i64, labels: &[(String, String)]) -> bool {
        self.until.is_none_or(|u| created < u)
            && self.labels.iter().all(|(want, k, v)| {
                let has = labels
                    .iter()
                    .any(|(lk, lv)| lk == k && v.as_ref().is_none_or(|v| v == lv));
                has == *want
            })
    }
}

/// `until=24h` (a Go duration: h, m, s) or `until=1700000000` (unix time).
fn until(v: &str) -> Result<i64, Why> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    if let Ok(t) = v.parse::<i64>() {
        return Ok(t);
    }
    let mut secs = 0i64;
    let mut digits = String::new();
    for c in v.chars() {
        match c {
            '0'..='9' => digits.push(c),
            'h' | 'm' | 's' if !digits.is_empty() => {
                let n: i64 = digits.parse().map_err(|_| format!("until={v}"))?;
                secs += n * match c {
                    'h' => 3600,
                    'm' => 60,
                    _ => 1,
                };
                digits.clear();
            }
            _ => return Err(format!("dockmux does not read the filter 'until={v}'")),
        }
    }
    if !digits.is_empty() || v.is_empty() {
        return Err(format!("dockmux does not read the filter 'until={v}'"));
    }
    Ok(now - secs)
}

/// An argument as a path segment of the API's URL.
fn seg(arg: &[u8]) -> String {
    arg.iter()
        .map(|&b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn removes(path: &str, line: &Command, ask: &Ask) -> Result<Vec<Part>, Why> {
    match path {
        "container rm" => rm_containers(line, ask),
        "image rm" => rm_images(line, ask),
        "volume rm" => rm_volumes(line, ask),
        "network rm" => rm_networks(line, ask),
        "container prune" => {
            let f = Filters::read(line)?;
            Ok(vec![stopped(&prune_containers(&ask.containers()?, &f))])
        }
        "image prune" => one_prune(line, ask, prune_images),
        "volume prune" => one_prune(line, ask, prune_volumes),
        "network prune" => {
            let f = Filters::read(line)?;
            Ok(vec![prune_networks(ask, &ask.containers()?, &f)?])
        }
        "system prune" => {
            let f = Filters::read(line)?;
            let all = ask.containers()?;
            let pruned = prune_containers(&all, &f);
            let left: Vec<Container> = all
                .iter()
                .filter(|c| !pruned.iter().any(|p| p.id == c.id))
                .map(clone)
                .collect();
            let mut parts = vec![stopped(&pruned), prune_networks(ask, &all, &f)?];
            if line.on("volumes", None) {
                parts.push(prune_volumes(ask, &left, line.on("all", Some(b'a')), &f)?);
            }
            parts.push(prune_images(ask, &left, line.on("all", Some(b'a')), &f)?);
            let mut cache = Part::new("build cache", Vec::new());
            cache.note = Some("build cache is not listed".into());
            parts.push(cache);
            Ok(parts)
        }
        "compose down" => compose_down(line, ask),
        "stack rm" => stack_rm(line, ask),
        _ => Ok(Vec::new()),
    }
}

fn clone(c: &Container) -> Container {
    Container {
        id: c.id.clone(),
        name: c.name.clone(),
        state: c.state.clone(),
        image: c.image.clone(),
        created: c.created,
        labels: c.labels.clone(),
        volumes: c.volumes.clone(),
        networks: c.networks.clone(),
    }
}

/// What removes images or volumes judged by their users: the prune's
/// filters, `-a`, and the containers that use them.
type PruneOf = fn(&Ask, &[Container], bool, &Filters) -> Result<Part, Why>;

/// `image prune` or `volume prune` on their own.
fn one_prune(line: &Command, ask: &Ask, prune: PruneOf) -> Result<Vec<Part>, Why> {
    let f = Filters::read(line)?;
    let users = ask.containers()?;
    Ok(vec![prune(ask, &users, line.on("all", Some(b'a')), &f)?])
}

/// The part that lists pruned containers.
fn stopped(pruned: &[&Container]) -> Part {
    Part::new(
        "stopped containers",
        pruned.iter().map(|c| c.name.clone()).collect(),
    )
}

fn prune_containers<'a>(all: &'a [Container], f: &Filters) -> Vec<&'a Container> {
    all.iter()
        .filter(|c| c.stopped() && f.keeps(c.created, &c.labels))
        .collect()
}

/// Images no container (of `users`) uses; only dangling ones unless `all`.
fn prune_images(ask: &Ask, users: &[Container], all: bool, f: &Filters) -> Result<Part, Why> {
    let a = ask.list("/images/json")?;
    let mut names = Vec::new();
    let mut size = 0;
    for img in items(&a.body)? {
        let id = text(img, "Id");
        let tags: Vec<String> = strings(json::field(img, "RepoTags"))
            .into_iter()
            .filter(|t| t != "<none>:<none>")
            .collect();
        let created = json::field(img, "Created").and_then(json::int).unwrap_or(0);
        let used = users.iter().any(|c| c.image == id);
        if used
            || (!all && !tags.is_empty())
            || !f.keeps(created, &labels(json::field(img, "Labels")))
        {
            continue;
        }
        size += json::field(img, "Size").and_then(json::int).unwrap_or(0);
        names.push(match tags.first() {
            Some(t) => t.clone(),
            None => short(&id),
        });
    }
    let mut p = Part::new("images", names);
    p.size = Some(size);
    Ok(p)
}

/// docker's short ID: 12 hex digits after `sha256:`.
fn short(id: &str) -> String {
    id.trim_start_matches("sha256:").chars().take(12).collect()
}

/// Volumes no container (of `users`) uses; from API 1.42 on, only
/// anonymous ones unless `all`.
fn prune_volumes(ask: &Ask, users: &[Container], all: bool, f: &Filters) -> Result<Part, Why> {
    if f.until.is_some() {
        return Err("volume prune takes no until filter".into());
    }
    let a = ask.list("/volumes")?;
    let only_anonymous = !all && a.api.is_some_and(|v| v >= (1, 42));
    let vols = json::field(&a.body, "Volumes")
        .map(items)
        .transpose()?
        .unwrap_or_default();
    let mut names = Vec::new();
    for v in vols {
        let name = text(v, "Name");
        let labels = labels(json::field(v, "Labels"));
        let anonymous = labels
            .iter()
            .any(|(k, _)| k == "com.docker.volume.anonymous");
        let used = users.iter().any(|c| c.volumes.contains(&name));
        if used || (only_anonymous && !anonymous) || !f.keeps(0, &labels) {
            continue;
        }
        names.push(name);
    }
    Ok(Part::new("volumes", names))
}

/// Networks of the engine's own (not bridge, host, none) that no running
/// container is on.
fn prune_networks(ask: &Ask, all: &[Container], f: &Filters) -> Result<Part, Why> {
    if f.until.is_some() {
        return Err("dockmux does not read until for networks".into());
    }
    let a = ask.list("/networks")?;
    let mut names = Vec::new();
    for n in items(&a.body)? {
        let (name, id) = (text(n, "Name"), text(n, "Id"));
        let builtin = matches!(name.as_str(), "bridge" | "host" | "none")
            || json::field(n, "Ingress").is_some_and(|v| v == b"true");
        let used = all
            .iter()
            .filter(|c| c.state == "running" || c.state == "paused" || c.state == "restarting")
            .any(|c| c.networks.contains(&id) || c.networks.contains(&name));
        if builtin || used || !f.keeps(0, &labels(json::field(n, "Labels"))) {
            continue;
        }
        names.push(name);
    }
    Ok(Part::new("networks", names))
}

fn rm_containers(line: &Command, ask: &Ask) -> Result<Vec<Part>, Why> {
    let force = line.on("force", Some(b'f'));
    let mut names = Vec::new();
    let mut left = Vec::new();
    for arg in &line.args {
        let Some(a) = ask.get(&format!("/containers/{}/json", seg(arg)))? else {
            left.push(format!("no container {}", String::from_utf8_lossy(arg)));
            continue;
        };
        let name = text(&a.body, "Name").trim_start_matches('/').to_string();
        let running = json::field(&a.body, "State")
            .and_then(|s| json::field(s, "Running"))
            .is_some_and(|v| v == b"true");
        if running && !force {
            left.push(format!("{name} runs: left without -f"));
        } else {
            names.push(name);
        }
    }
    let volumes = match line.on("volumes", Some(b'v')) {
        true => {
            let all = ask.containers()?;
            let (gone, kept): (Vec<&Container>, Vec<&Container>) =
                all.iter().partition(|c| names.contains(&c.name));
            Some(Part::new("volumes", removed_with(ask, &gone, &kept)?))
        }
        false => None,
    };
    let mut p = Part::new("containers", names);
    p.note = (!left.is_empty()).then(|| left.join(", "));
    Ok(std::iter::once(p).chain(volumes).collect())
}

fn rm_images(line: &Command, ask: &Ask) -> Result<Vec<Part>, Why> {
    let mut names = Vec::new();
    let mut untagged = Vec::new();
    let mut size = 0;
    for arg in &line.args {
        let shown = String::from_utf8_lossy(arg).into_owned();
        let Some(a) = ask.get(&format!("/images/{}/json", seg(arg)))? else {
            untagged.push(format!("no image {shown}"));
            continue;
        };
        let tags = strings(json::field(&a.body, "RepoTags"));
        // A name among several only loses that name; the image stays.
        if tags.len() > 1 && tags.contains(&shown) {
            untagged.push(format!("untags {shown}"));
            continue;
        }
        size += json::field(&a.body, "Size")
            .and_then(json::int)
            .unwrap_or(0);
        names.push(shown);
    }
    let mut p = Part::new("images", names);
    p.size = Some(size);
    p.note = (!untagged.is_empty()).then(|| untagged.join(", "));
    Ok(vec![p])
}

fn rm_volumes(line: &Command, ask: &Ask) -> Result<Vec<Part>, Why> {
    let all = ask.containers()?;
    let mut names = Vec::new();
    let mut left = Vec::new();
    for arg in &line.args {
        let name = String::from_utf8_lossy(arg).into_owned();
        if ask.get(&format!("/volumes/{}", seg(arg)))?.is_none() {
            left.push(format!("no volume {name}"));
        } else if all.iter().any(|c| c.volumes.contains(&name)) {
            left.push(format!("{name} is in use: left"));
        } else {
            names.push(name);
        }
    }
    let mut p = Part::new("volumes", names);
    p.note = (!left.is_empty()).then(|| left.join(", "));
    Ok(vec![p])
}

fn rm_networks(line: &Command, ask: &Ask) -> Result<Vec<Part>, Why> {
    let mut names = Vec::new();
    let mut left = Vec::new();
    for arg in &line.args {
        let shown = String::from_utf8_lossy(arg).into_owned();
        let Some(a) = ask.get(&format!("/networks/{}", seg(arg)))? else {
            left.push(format!("no network {shown}"));
            continue;
        };
        let name = text(&a.body, "Name");
        let in_use = json::field(&a.body, "Containers").is_some_and(|c| !json::is_empty(c));
        if in_use {
            left.push(format!("{name} has containers: left"));
        } else {
            names.push(name);
        }
    }
    let mut p = Part::new("networks", names);
    p.note = (!left.is_empty()).then(|| left.join(", "));
    Ok(vec![p])
}

/// compose's project name: `-p`, `COMPOSE_PROJECT_NAME`, else the
/// directory's name (of `--project-directory`, the first `-f` file, or
/// here), lowercased, with only `a-z 0-9 _ -` kept.
fn project(line: &Command) -> Option<String> {
    let given = |long: &str, short: Option<u8>| {
        line.values(long, short)
            .last()
            .map(|v| String::from_utf8_lossy(v).into_owned())
    };
    let name = given("project-name", Some(b'p'))
        .or_else(|| {
            std::env::var("COMPOSE_PROJECT_NAME")
                .ok()
                .filter(|v| !v.is_empty())
        })
        .or_else(|| {
            let dir = match (given("project-directory", None), given("file", Some(b'f'))) {
                (Some(d), _) => std::path::PathBuf::from(d),
                (None, Some(f)) => std::path::Path::new(&f).parent()?.to_path_buf(),
                (None, None) => std::env::current_dir().ok()?,
            };
            let dir = std::fs::canonicalize(&dir).unwrap_or(dir);
            Some(dir.file_name()?.to_string_lossy().into_owned())
        })?;
    let name: String = name
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_' || *c == '-')
        .collect();
    let name = name.trim_start_matches(['_', '-']).to_string();
    (!name.is_empty()).then_some(name)
}

/// `filters={"label":["KEY=VALUE"]}`, percent-encoded.
fn label_filter(key: &str, value: &str) -> String {
    seg(format!("{{\"label\":[\"{key}={value}\"]}}").as_bytes())
}

fn compose_down(line: &Command, ask: &Ask) -> Result<Vec<Part>, Why> {
    let p = project(line).ok_or("no compose project name")?;
    let label = "com.docker.compose.project";
    let mine = |c: &Container| c.labels.iter().any(|(k, v)| k == label && *v == p);
    let all = ask.containers()?;
    let (ours, others): (Vec<&Container>, Vec<&Container>) = all.iter().partition(|c| mine(c));
    let by_label = |what: &str, list: Option<&str>| -> Result<Vec<String>, Why> {
        let a = ask.list(&format!("/{what}?filters={}", label_filter(label, &p)))?;
        let raw = match list {
            Some(k) => json::field(&a.body, k).unwrap_or(b"[]"),
            None => &a.body,
        };
        Ok(items(raw)?.into_iter().map(|i| text(i, "Name")).collect())
    };
    let mut parts = vec![
        Part::new("containers", ours.iter().map(|c| c.name.clone()).collect()),
        Part::new("networks", by_label("networks", None)?),
    ];
    if line.on("volumes", Some(b'v')) {
        // The project's named volumes, and what its containers' removal
        // takes with them (as `rm -v`).
        let mut volumes = by_label("volumes", Some("Volumes"))?;
        for v in removed_with(ask, &ours, &others)? {
            if !volumes.contains(&v) {
                volumes.push(v);
            }
        }
        parts.push(Part::new("volumes", volumes));
    }
    if !line.values("rmi", None).is_empty() {
        let mut rmi = Part::new("images", Vec::new());
        rmi.note = Some("the images --rmi names are not listed".into());
        parts.push(rmi);
    }
    for part in &mut parts {
        if part.names.is_empty() && part.note.is_none() {
            continue;
        }
        part.note.get_or_insert_with(|| format!("project {p}"));
    }
    Ok(parts)
}

/// The volumes removing `gone` with `-v` removes: as the daemon decides,
/// each volume mount its container's spec gave no source (an anonymous
/// one), unless a container that stays (`kept`) uses it.
fn removed_with(ask: &Ask, gone: &[&Container], kept: &[&Container]) -> Result<Vec<String>, Why> {
    let mut out = Vec::new();
    for c in gone {
        let Some(a) = ask.get(&format!("/containers/{}/json", seg(c.id.as_bytes())))? else {
            continue;
        };
        let host = json::field(&a.body, "HostConfig");
        let binds = strings(host.and_then(|h| json::field(h, "Binds")));
        let specs = host
            .and_then(|h| json::field(h, "Mounts"))
            .and_then(json::items)
            .unwrap_or_default();
        // `name:/dest[:mode]` or a mount with a source names the volume.
        let named = |dest: &str| {
            binds.iter().any(|b| {
                let mut part = b.split(':');
                let source = part.next().unwrap_or_default();
                !source.is_empty() && part.next() == Some(dest)
            }) || specs
                .iter()
                .any(|m| text(m, "Target") == dest && !text(m, "Source").is_empty())
        };
        let mounts = json::field(&a.body, "Mounts")
            .and_then(json::items)
            .unwrap_or_default();
        for m in mounts {
            let name = text(m, "Name");
            if text(m, "Type") == "volume"
                && !named(&text(m, "Destination"))
                && !kept.iter().any(|k| k.volumes.contains(&name))
                && !out.contains(&name)
            {
                out.push(name);
            }
        }
    }
    Ok(out)
}

fn stack_rm(line: &Command, ask: &Ask) -> Result<Vec<Part>, Why> {
    let label = "com.docker.stack.namespace";
    let (mut services, mut networks, mut configs, mut secrets) = (vec![], vec![], vec![], vec![]);
    for arg in &line.args {
        let stack = String::from_utf8_lossy(arg).into_owned();
        let f = label_filter(label, &stack);
        let a = ask
            .get(&format!("/services?filters={f}"))
            .map_err(|_| "the engine is not a swarm manager, or did not answer".to_string())?;
        let a = a.ok_or("the engine has no services (not a swarm manager?)")?;
        // Services, configs and secrets are named in their Spec.
        let specs = |body: &[u8]| -> Result<Vec<String>, Why> {
            Ok(items(body)?
                .into_iter()
                .map(|s| {
                    json::field(s, "Spec")
                        .map(|spec| text(spec, "Name"))
                        .unwrap_or_default()
                })
                .collect())
        };
        services.extend(specs(&a.body)?);
        let n = ask.list(&format!("/networks?filters={f}"))?;
        networks.extend(items(&n.body)?.into_iter().map(|n| text(n, "Name")));
        secrets.extend(specs(&ask.list(&format!("/secrets?filters={f}"))?.body)?);
        configs.extend(specs(&ask.list(&format!("/configs?filters={f}"))?.body)?);
    }
    Ok(vec![
        Part::new("services", services),
        Part::new("secrets", secrets),
        Part::new("configs", configs),
        Part::new("networks", networks),
    ])
}
