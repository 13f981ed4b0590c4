//! `engines.toml`: where it is looked for, how it is checked, and the merged
//! result. This runs on the hot path of every `NAME-docker` command, so it
//! reads each candidate file once (open + fstat + read) and parses it with
//! toml's zero-copy spanned parser; spans become `file:line:col` only when
//! there is an error to report.

use std::collections::HashMap;
use std::fs::File;
use std::ops::Range;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::error::{Error, Place, Result};
use crate::host;
use crate::policy::Policy;
use crate::suggest;

mod scan;

/// The system-wide config. `DOCKMUX_SYSTEM_CONFIG` moves it, for tests and
/// chroots, so a developer's own /etc cannot leak into a test run.
pub const SYSTEM_CONFIG: &str = "/etc/dockmux/engines.toml";
const BUILT_IN: &str = include_str!("default_engines.toml");

/// The largest config file read: far above any real one (a few hundred bytes
/// per engine), far below what would cost time or memory to refuse.
pub const MAX_CONFIG_BYTES: u64 = 1 << 20;

pub(crate) const TOP_KEYS: &[&str] = &["docker", "engines"];
pub(crate) const ENGINE_KEYS: &[&str] = &[
    "host",
    "description",
    "aliases",
    "hint",
    "tls",
    "protect",
    "readonly",
];
pub(crate) const TLS_KEYS: &[&str] = &["verify", "cert_path"];

/// Which files are read, in order; later files win.
#[derive(Clone, Debug)]
pub struct Sources {
    /// `$DOCKMUX_CONFIG`: when set, the only file, and it must exist.
    pub explicit: Option<PathBuf>,
    pub system: PathBuf,
    pub user: Option<PathBuf>,
}

impl Sources {
    pub fn from_env() -> Sources {
        let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
        let user = match var("XDG_CONFIG_HOME").map(PathBuf::from) {
            Some(x) if x.is_absolute() => Some(x),
            _ => var("HOME").map(|h| PathBuf::from(h).join(".config")),
        }
        .map(|base| base.join("dockmux/engines.toml"));
        Sources {
            explicit: var("DOCKMUX_CONFIG").map(PathBuf::from),
            system: var("DOCKMUX_SYSTEM_CONFIG")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(SYSTEM_CONFIG)),
            user,
        }
    }

    /// The candidate files in reading order.
    pub fn candidates(&self) -> Vec<&Path> {
        match &self.explicit {
            Some(p) => vec![p.as_path()],
            None => std::iter::once(self.system.as_path())
                .chain(self.user.as_deref())
                .collect(),
        }
    }

    /// The file that `dockmux add` and friends edit: the explicit one, or the user's.
    pub fn user_file(&self) -> Option<&Path> {
        self.explicit.as_deref().or(self.user.as_deref())
    }
}

/// Where a setting came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    BuiltIn,
    File(Rc<Path>),
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::BuiltIn => f.write_str("built-in"),
            Origin::File(p) => write!(f, "{}", p.display()),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tls {
    /// Verify the server certificate (`DOCKER_TLS_VERIFY`); otherwise TLS without
    /// verification (`DOCKER_TLS`).
    pub verify: bool,
    /// Directory with ca.pem, cert.pem, key.pem (`DOCKER_CERT_PATH`).
    pub cert_path: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Engine {
    pub name: String,
    pub host: String,
    pub kind: host::Kind,
    pub description: Option<String>,
    pub aliases: Vec<String>,
    pub hint: Option<String>,
    pub tls: Option<Tls>,
    /// `protect = true` / `readonly = true` (policy.rs).
    pub policy: Option<Policy>,
    pub origin: Origin,
    /// Index into the loaded texts, and spans, for messages after merging.
    src: usize,
    name_span: Range<usize>,
    alias_spans: Vec<Range<usize>>,
}

impl Engine {
    /// The command names that reach this engine: `NAME-docker`, then the aliases.
    pub fn commands(&self) -> impl Iterator<Item = String> + '_ {
        commands(&self.name, &self.aliases)
    }

    pub fn unix_socket(&self) -> Option<&Path> {
        host::unix_socket(&self.host)
    }
}

/// The command names that reach engine `name`: `NAME-docker`, then its aliases.
pub fn commands<'a>(name: &str, aliases: &'a [String]) -> impl Iterator<Item = String> + 'a {
    std::iter::once(format!("{name}-docker")).chain(aliases.iter().cloned())
}

/// The docker client named in the config.
#[derive(Clone, Debug)]
pub struct Client {
    pub path: String,
    pub origin: Origin,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileState {
    Read,
    Missing,
}

/// A command name that more than one claim (`NAME-docker` or an alias)
/// leads to. It runs no engine until the config says which; every other
/// command runs, so one user's alias cannot lock everyone out.
#[derive(Clone, Debug)]
pub struct Clash {
    pub command: String,
    /// The engines claiming it, in reading order (one name twice when an
    /// engine claims it twice).
    pub engines: Vec<String>,
    /// The claim read last, which is the one to change (in the user's own
    /// file when the other is the system's).
    pub place: Place,
    pub message: String,
}

impl Clash {
    pub fn error(&self) -> Error {
        Error::ConfigAt {
            place: self.place.clone(),
            message: self.message.clone(),
        }
    }
}

#[derive(Debug)]
pub struct Config {
    pub docker: Option<Client>,
    /// Sorted by name.
    pub engines: Vec<Engine>,
    /// Commands claimed more than once, sorted by command.
    pub clashes: Vec<Clash>,
    /// Each candidate file and whether it was there.
    pub files: Vec<(PathBuf, FileState)>,
    /// True when no file existed and the built-in engines are in use.
    pub built_in: bool,
}

impl Config {
    pub fn engine(&self, name: &str) -> Option<&Engine> {
        self.engines
            .binary_search_by(|e| e.name.as_str().cmp(name))
            .ok()
            .map(|i| &self.engines[i])
    }

    /// The engine a command name (argv[0]'s basename) stands for: an alias, or
    /// `NAME-docker`; none for a command that clashes.
    pub fn engine_for_command(&self, command: &str) -> Option<&Engine> {
        if self.clash(command).is_some() {
            return None;
        }
        self.engines
            .iter()
            .find(|e| e.aliases.iter().any(|a| a == command))
            .or_else(|| command.strip_suffix("-docker").and_then(|n| self.engine(n)))
    }

    /// The engine for `command`, or why there is none: its clash, or the unknown-engine error.
    pub fn resolve(&self, command: &str) -> Result<&Engine> {
        if let Some(clash) = self.clash(command) {
            return Err(clash.error());
        }
        self.engine_for_command(command)
            .ok_or_else(|| self.unknown_command(command))
    }

    pub fn clash(&self, command: &str) -> Option<&Clash> {
        self.clashes
            .binary_search_by(|c| c.command.as_str().cmp(command))
            .ok()
            .map(|i| &self.clashes[i])
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.engines.iter().map(|e| e.name.as_str())
    }

    /// For messages: the files in use, or "built-in".
    pub fn describe_sources(&self) -> String {
        let read: Vec<String> = self
            .files
            .iter()
            .filter(|(_, s)| *s == FileState::Read)
            .map(|(p, _)| p.display().to_string())
            .collect();
        if read.is_empty() {
            let looked: Vec<String> = self
                .files
                .iter()
                .map(|(p, _)| p.display().to_string())
                .collect();
            format!("built-in; none of {} exists", looked.join(", "))
        } else {
            read.join(" + ")
        }
    }

    /// The engine called `name`, or the unknown-engine error (names, near miss, config).
    pub fn require(&self, name: &str) -> Result<&Engine> {
        self.engine(name).ok_or_else(|| self.unknown_engine(name))
    }

    /// Like [`Config::require`], for a command that would use the engine
    /// (exec, env, link): with no near miss, the error says how to add it.
    pub fn require_to_use(&self, name: &str) -> Result<&Engine> {
        self.engine(name)
            .ok_or_else(|| self.unknown_engine_to_use(name))
    }

    /// The engines named on a command line (all when none), all checked
    /// before the caller touches anything.
    pub fn select(&self, names: &[String]) -> Result<Vec<&Engine>> {
        if names.is_empty() {
            return Ok(self.engines.iter().collect());
        }
        names.iter().map(|n| self.require(n)).collect()
    }

    /// [`Config::select`] for a command that would use the engines.
    pub fn select_to_use(&self, names: &[String]) -> Result<Vec<&Engine>> {
        if names.is_empty() {
            return Ok(self.engines.iter().collect());
        }
        names.iter().map(|n| self.require_to_use(n)).collect()
    }

    /// No engine `name`: the known names and the nearest one.
    pub fn unknown_engine(&self, name: &str) -> Error {
        let suggestion = suggest::did_you_mean(name, self.names());
        self.unknown(name, suggestion)
    }

    /// [`Config::unknown_engine`], or how to add it when nothing is near.
    pub fn unknown_engine_to_use(&self, name: &str) -> Error {
        match suggest::did_you_mean(name, self.names()) {
            s if s.is_empty() => self.unknown(name, add_it(name)),
            s => self.unknown(name, s),
        }
    }

    /// No engine answers to the command name `command` (argv[0]): the nearest
    /// command (`PG-docker`, `playgrund`), or how to add it.
    pub fn unknown_command(&self, command: &str) -> Error {
        let name = command.strip_suffix("-docker").unwrap_or(command);
        // Compared without the shared `-docker`, which would make every
        // NAME-docker look near every other.
        let keys: Vec<(&str, String)> = self
            .engines
            .iter()
            .flat_map(|e| {
                std::iter::once((e.name.as_str(), format!("{}-docker", e.name)))
                    .chain(e.aliases.iter().map(|a| (a.as_str(), a.clone())))
            })
            .collect();
        let near = suggest::closest(name, keys.iter().map(|(k, _)| *k))
            .and_then(|k| keys.iter().find(|(key, _)| *key == k));
        match near {
            Some((_, c)) => self.unknown(name, format!("; did you mean '{c}'?")),
            None => self.unknown(name, add_it(name)),
        }
    }

    fn unknown(&self, name: &str, suggestion: String) -> Error {
        let known: Vec<&str> = self.names().collect();
        Error::UnknownEngine {
            name: name.to_string(),
            known: if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            },
            config: self.describe_sources(),
            suggestion,
        }
    }
}

/// "; to add it: …" for a valid engine name, else nothing.
fn add_it(name: &str) -> String {
    if check_name(name).is_ok() {
        format!("; to add it: dockmux add {name} HOST --link")
    } else {
        String::new()
    }
}

/// The config texts in reading order (the built-in one when no file exists),
/// and each candidate file's state.
type Texts = (Vec<(Origin, String)>, Vec<(PathBuf, FileState)>);

/// Loads, checks and merges the config files named by `sources`.
pub fn load(sources: &Sources) -> Result<Config> {
    merge(read_texts(sources, None)?)
}

/// Checks an edited config before it is written: the files are loaded and
/// merged exactly as [`load`] does, with `text` standing in for the file at
/// `path` (which need not exist yet), so a change that would break loading —
/// a bad host — or make a new clash — a command claimed both here and in the
/// other file — is refused before anything is written. A clash the files
/// already had does not block edits (one may be the fix).
pub fn check_edit(sources: &Sources, path: &Path, text: &str) -> Result<Config> {
    let edited = merge(read_texts(sources, Some((path, text)))?)?;
    let before = read_texts(sources, None)
        .and_then(merge)
        .map(|c| c.clashes)
        .unwrap_or_default();
    let is_new = |c: &&Clash| {
        !before
            .iter()
            .any(|b| b.command == c.command && c.engines.iter().all(|e| b.engines.contains(e)))
    };
    match edited.clashes.iter().find(is_new) {
        Some(clash) => Err(clash.error()),
        None => Ok(edited),
    }
}

/// The engine path's load: the engine `command` (argv[0]'s basename) reaches
/// and the configured client, with every file checked exactly as `load`
/// checks it. Plain configs take a quick scan (config/scan.rs); anything
/// else, and every error, takes `load`'s way, so the answers are the same.
pub fn load_engine(sources: &Sources, command: &str) -> Result<(Engine, Option<Client>)> {
    let texts = read_texts(sources, None)?;
    if let Some(found) = scan::engine_for(&texts.0, command) {
        return Ok(found);
    }
    let cfg = merge(texts)?;
    let engine = cfg.resolve(command)?.clone();
    Ok((engine, cfg.docker))
}

/// `replace`: a text standing in for one file (see [`check_edit`]).
fn read_texts(sources: &Sources, replace: Option<(&Path, &str)>) -> Result<Texts> {
    let mut texts: Vec<(Origin, String)> = Vec::new();
    let mut files = Vec::new();
    for path in sources.candidates() {
        let text = match replace {
            Some((p, text)) if p == path => {
                check_size(path, text.len() as u64)?;
                Some(text.to_string())
            }
            _ => read_checked(path)?,
        };
        match text {
            Some(text) => {
                files.push((path.to_path_buf(), FileState::Read));
                texts.push((Origin::File(Rc::from(path)), text));
            }
            None if sources.explicit.is_some() => {
                return Err(Error::ExplicitConfigMissing {
                    path: path.to_path_buf(),
                });
            }
            None => files.push((path.to_path_buf(), FileState::Missing)),
        }
    }
    if texts.is_empty() {
        texts.push((Origin::BuiltIn, BUILT_IN.to_string()));
    }
    Ok((texts, files))
}

fn merge((texts, files): Texts) -> Result<Config> {
    let built_in = texts.len() == 1 && texts[0].0 == Origin::BuiltIn;
    let at = |src: usize, span: Range<usize>, message: String| Error::ConfigAt {
        place: place(&texts[src], span),
        message,
    };

    let mut docker = None;
    let mut engines: Vec<Engine> = Vec::new();
    let mut by_name: HashMap<String, usize> = HashMap::new();
    for (src, (origin, text)) in texts.iter().enumerate() {
        let parsed = parse(text, src, origin).map_err(|(span, msg)| at(src, span, msg))?;
        if parsed.docker.is_some() {
            docker = parsed.docker;
        }
        for engine in parsed.engines {
            match by_name.get(&engine.name) {
                // A later file's entry of the same name replaces the earlier one whole.
                Some(&i) => engines[i] = engine,
                None => {
                    by_name.insert(engine.name.clone(), engines.len());
                    engines.push(engine);
                }
            }
        }
    }
    engines.sort_by(|a, b| a.name.cmp(&b.name));
    let clashes = clashes(&engines, &texts);
    Ok(Config {
        docker,
        engines,
        clashes,
        files,
        built_in,
    })
}

/// The built-in config text (the LazyCat engines), used when no file exists.
pub fn built_in_text() -> &'static str {
    BUILT_IN
}

/// Opens a candidate file, refuses it if others could have written it or it
/// is too large, reads it. `Ok(None)` when it does not exist.
fn read_checked(path: &Path) -> Result<Option<String>> {
    let read_err = |source| Error::ConfigRead {
        path: path.to_path_buf(),
        source,
    };
    // Non-blocking: opening a FIFO put where the config belongs would
    // otherwise wait for a writer forever; fstat below refuses it.
    let opened = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path);
    let file = match opened {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(read_err(e)),
    };
    let meta = file.metadata().map_err(read_err)?;
    if !meta.is_file() {
        return Err(Error::Usage(format!(
            "config {} is not a regular file; move it away or point DOCKMUX_CONFIG at the file",
            path.display()
        )));
    }
    let walked = crate::secure::check(path)
        .map_err(|r| r.into_error(|| path.display().to_string(), |_, e| read_err(e)))?;
    if (walked.dev, walked.ino) != (meta.dev(), meta.ino()) {
        return Err(read_err(std::io::Error::other(
            "it was replaced while being read; run the command again",
        )));
    }
    check_size(path, meta.len())?;
    let bytes = read_all(&file, meta.len()).map_err(read_err)?;
    // It grew past the cap after fstat.
    check_size(path, bytes.len() as u64)?;
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|e| Error::ConfigAt {
            place: place_of_bytes(Some(path), e.as_bytes(), e.utf8_error().valid_up_to()),
            message: "the config is not valid UTF-8; save it as UTF-8".to_string(),
        })
}

fn check_size(path: &Path, size: u64) -> Result<()> {
    if size > MAX_CONFIG_BYTES {
        return Err(Error::ConfigTooLarge {
            path: path.to_path_buf(),
            size,
        });
    }
    Ok(())
}

/// Reads a file whose size fstat already told, straight into the buffer, and
/// at most one byte past the cap (so a file that grows is caught, not read
/// whole): read_to_end would ask the kernel for size and offset again and
/// read in growing chunks, and zeroing a buffer first costs a pass over it.
fn read_all(file: &File, size: u64) -> std::io::Result<Vec<u8>> {
    use std::os::fd::AsRawFd;
    let limit = MAX_CONFIG_BYTES as usize + 1;
    let size = usize::try_from(size).unwrap_or(limit).min(limit);
    let mut bytes = Vec::with_capacity(size.saturating_add(1).min(limit));
    while bytes.len() < limit {
        if bytes.len() == bytes.capacity() {
            // It grew since fstat.
            bytes.reserve(bytes.capacity().max(4096));
        }
        let want = limit - bytes.len();
        let spare = bytes.spare_capacity_mut();
        let room = spare.len().min(want);
        // SAFETY: read(2) writes at most room <= spare.len() bytes into the spare capacity.
        let n = unsafe { libc::read(file.as_raw_fd(), spare.as_mut_ptr().cast(), room) };
        match n {
            0 => return Ok(bytes),
            // SAFETY: the first n bytes of the spare capacity were just written.
            1.. => unsafe { bytes.set_len(bytes.len() + n as usize) },
            _ => {
                let e = std::io::Error::last_os_error();
                if e.kind() != std::io::ErrorKind::Interrupted {
                    return Err(e);
                }
            }
        }
    }
    Ok(bytes)
}

struct Parsed {
    docker: Option<Client>,
    engines: Vec<Engine>,
}

type ParseError = (Range<usize>, String);

fn parse(text: &str, src: usize, origin: &Origin) -> std::result::Result<Parsed, ParseError> {
    let doc = DeTable::parse(text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        (span, format!("invalid TOML: {}", e.message().trim_end()))
    })?;
    let mut out = Parsed {
        docker: None,
        engines: Vec::new(),
    };
    for (key, value) in doc.get_ref() {
        match key.get_ref().as_ref() {
            "docker" => {
                let path = plain_string(value, "docker")?;
                if path.is_empty() || (path.contains('/') && !path.starts_with('/')) {
                    return Err((
                        value.span(),
                        format!(
                            "docker = \"{path}\": give an absolute path like \"/usr/bin/docker\", or a command name looked up on PATH"
                        ),
                    ));
                }
                out.docker = Some(Client {
                    path: path.to_string(),
                    origin: origin.clone(),
                });
            }
            "engines" => {
                let DeValue::Table(table) = value.get_ref() else {
                    return Err((
                        value.span(),
                        "'engines' must be a table: write [engines.NAME] sections".to_string(),
                    ));
                };
                for (name, body) in table {
                    out.engines.push(parse_engine(name, body, src, origin)?);
                }
            }
            other => return Err(unknown_key(key, other, "at the top level", TOP_KEYS)),
        }
    }
    Ok(out)
}

fn parse_engine(
    name: &Spanned<std::borrow::Cow<'_, str>>,
    body: &Spanned<DeValue<'_>>,
    src: usize,
    origin: &Origin,
) -> std::result::Result<Engine, ParseError> {
    let n = name.get_ref().as_ref();
    crate::plain::check("an engine name", n).map_err(|m| (name.span(), m))?;
    if let Err(why) = check_name(n) {
        return Err((name.span(), format!("engine name '{n}' is invalid: {why}")));
    }
    let DeValue::Table(table) = body.get_ref() else {
        return Err((
            body.span(),
            format!("engine '{n}' must be a table: write [engines.{n}] with host = \"…\""),
        ));
    };
    let mut host = None;
    let (mut protect, mut readonly) = (false, false);
    let mut engine = Engine {
        name: n.to_string(),
        host: String::new(),
        kind: host::Kind::Unix,
        description: None,
        aliases: Vec::new(),
        hint: None,
        tls: None,
        policy: None,
        origin: origin.clone(),
        src,
        name_span: name.span(),
        alias_spans: Vec::new(),
    };
    for (key, value) in table {
        match key.get_ref().as_ref() {
            "host" => {
                let url = plain_string(value, "host")?;
                let kind = host::check(url).map_err(|m| (value.span(), m))?;
                host = Some((url.to_string(), kind, value.span()));
            }
            "description" => {
                engine.description = Some(plain_string(value, "description")?.to_string())
            }
            "hint" => engine.hint = Some(plain_string(value, "hint")?.to_string()),
            "aliases" => {
                let DeValue::Array(items) = value.get_ref() else {
                    return Err((
                        value.span(),
                        "aliases must be a list of names, like aliases = [\"playground\"]".into(),
                    ));
                };
                for item in items {
                    let alias = string(item, "an alias")?;
                    crate::plain::check("aliases", alias).map_err(|m| (item.span(), m))?;
                    check_alias(alias).map_err(|why| {
                        (item.span(), format!("alias '{alias}' is invalid: {why}"))
                    })?;
                    engine.aliases.push(alias.to_string());
                    engine.alias_spans.push(item.span());
                }
            }
            "tls" => engine.tls = Some(parse_tls(value)?),
            "protect" => protect = boolean(value, "protect")?,
            "readonly" => readonly = boolean(value, "readonly")?,
            other => {
                return Err(unknown_key(
                    key,
                    other,
                    &format!("in engine '{n}'"),
                    ENGINE_KEYS,
                ));
            }
        }
    }
    let Some((url, kind, span)) = host else {
        return Err((
            name.span(),
            format!(
                "engine '{n}' has no host; add host = \"unix:///path/to/docker.sock\" to [engines.{n}]"
            ),
        ));
    };
    if engine.tls.is_some() && kind != host::Kind::Tcp {
        return Err((
            span,
            format!(
                "engine '{n}': tls applies only to tcp:// hosts; remove tls or use tcp://HOST:PORT"
            ),
        ));
    }
    engine.host = url;
    engine.kind = kind;
    engine.policy = Policy::from_keys(protect, readonly);
    Ok(engine)
}

fn parse_tls(value: &Spanned<DeValue<'_>>) -> std::result::Result<Tls, ParseError> {
    let DeValue::Table(table) = value.get_ref() else {
        return Err((
            value.span(),
            "tls must be a table, like tls = { verify = true, cert_path = \"/etc/dockmux/certs/NAME\" }"
                .into(),
        ));
    };
    let mut tls = Tls {
        verify: true,
        cert_path: None,
    };
    for (key, v) in table {
        match key.get_ref().as_ref() {
            "verify" => match v.get_ref() {
                DeValue::Boolean(b) => tls.verify = *b,
                _ => return Err((v.span(), "tls.verify must be true or false".into())),
            },
            "cert_path" => {
                let p = plain_string(v, "tls.cert_path")?;
                if !p.starts_with('/') {
                    return Err((
                        v.span(),
                        format!("tls.cert_path \"{p}\" must be an absolute directory path"),
                    ));
                }
                tls.cert_path = Some(p.to_string());
            }
            other => return Err(unknown_key(key, other, "in tls", TLS_KEYS)),
        }
    }
    Ok(tls)
}

fn boolean(value: &Spanned<DeValue<'_>>, what: &str) -> std::result::Result<bool, ParseError> {
    match value.get_ref() {
        DeValue::Boolean(b) => Ok(*b),
        _ => Err((value.span(), format!("{what} must be true or false"))),
    }
}

fn string<'a>(
    value: &'a Spanned<DeValue<'_>>,
    what: &str,
) -> std::result::Result<&'a str, ParseError> {
    match value.get_ref() {
        DeValue::String(s) => Ok(s.as_ref()),
        _ => Err((value.span(), format!("{what} must be a string in quotes"))),
    }
}

/// A string value: plain text (src/plain.rs), which also keeps out the NUL
/// that no path or environment variable can hold (TOML can, as `\u0000`).
fn plain_string<'a>(
    value: &'a Spanned<DeValue<'_>>,
    key: &str,
) -> std::result::Result<&'a str, ParseError> {
    let s = string(value, key)?;
    crate::plain::check(key, s).map_err(|m| (value.span(), m))?;
    Ok(s)
}

fn unknown_key(
    key: &Spanned<std::borrow::Cow<'_, str>>,
    word: &str,
    place: &str,
    expected: &[&str],
) -> ParseError {
    if let Err(m) = crate::plain::check("a key", word) {
        return (key.span(), m);
    }
    let dym = suggest::did_you_mean(word, expected.iter().copied());
    (
        key.span(),
        format!(
            "unknown key '{word}' {place}{dym}; expected one of: {}",
            expected.join(", ")
        ),
    )
}

/// Engine names: `[a-z0-9][a-z0-9._-]*`, so every name is a safe file and command name.
pub fn check_name(name: &str) -> std::result::Result<(), String> {
    let ok = name.bytes().enumerate().all(|(i, b)| {
        b.is_ascii_lowercase() || b.is_ascii_digit() || (i > 0 && matches!(b, b'.' | b'_' | b'-'))
    });
    if !name.is_empty() && ok {
        return Ok(());
    }
    let lower = name.to_ascii_lowercase();
    let fix = if lower != name && check_name(&lower).is_ok() {
        format!("; try '{lower}'")
    } else {
        String::new()
    };
    Err(format!(
        "names use lowercase letters, digits, '.', '_' and '-', and start with a letter or digit{fix}"
    ))
}

pub fn check_alias(alias: &str) -> std::result::Result<(), String> {
    check_name(alias)?;
    if alias.starts_with("dockmux") {
        return Err("names starting with 'dockmux' belong to dockmux itself".into());
    }
    Ok(())
}

/// One claim on a command name: engine `engine`'s `NAME-docker` (`alias`
/// false) or one of its aliases, at `span` of text `src`.
struct Claim<'a> {
    engine: &'a str,
    alias: bool,
    src: usize,
    span: Range<usize>,
}

/// Every command name (`NAME-docker`, aliases) claimed more than once.
fn clashes(engines: &[Engine], texts: &[(Origin, String)]) -> Vec<Clash> {
    let mut claims: HashMap<String, Vec<Claim>> = HashMap::with_capacity(engines.len() * 2);
    for e in engines {
        let own = Claim {
            engine: &e.name,
            alias: false,
            src: e.src,
            span: e.name_span.clone(),
        };
        claims
            .entry(format!("{}-docker", e.name))
            .or_default()
            .push(own);
        for (alias, span) in e.aliases.iter().zip(&e.alias_spans) {
            let claim = Claim {
                engine: &e.name,
                alias: true,
                src: e.src,
                span: span.clone(),
            };
            claims.entry(alias.clone()).or_default().push(claim);
        }
    }
    let mut out: Vec<Clash> = claims
        .into_iter()
        .filter(|(_, c)| c.len() > 1)
        .map(|(command, mut c)| {
            c.sort_by_key(|c| (c.src, c.span.start));
            clash(command, &c, texts)
        })
        .collect();
    out.sort_by(|a, b| a.command.cmp(&b.command));
    out
}

/// The clash of `claims` (two or more, in reading order) on `command`.
fn clash(command: String, claims: &[Claim], texts: &[(Origin, String)]) -> Clash {
    let mut names: Vec<&str> = Vec::new();
    for c in claims {
        if !names.contains(&c.engine) {
            names.push(c.engine);
        }
    }
    let quoted = |names: &[&str]| {
        let q: Vec<String> = names.iter().map(|n| format!("'{n}'")).collect();
        match q.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
            _ => q.join(""),
        }
    };
    let who = match claims.iter().find(|c| !c.alias) {
        _ if names.len() == 1 => format!("twice by engine '{}'", names[0]),
        Some(owner) => {
            let others: Vec<&str> = names
                .iter()
                .copied()
                .filter(|n| *n != owner.engine)
                .collect();
            format!(
                "by engine '{}' and by an alias of {}",
                owner.engine,
                quoted(&others)
            )
        }
        None => format!("by engines {}", quoted(&names)),
    };
    let (last, others) = claims.split_last().expect("a clash has two claims");
    let elsewhere: Vec<String> = others
        .iter()
        .map(|c| place(&texts[c.src], c.span.clone()).to_string())
        .collect();
    let message = format!(
        "command '{command}' is claimed {who}; remove or rename one (the other claim{} {}). \
         Until then '{command}' runs no engine; the engines' other commands work",
        if elsewhere.len() > 1 {
            "s are at"
        } else {
            " is at"
        },
        elsewhere.join(", ")
    );
    Clash {
        command,
        engines: claims.iter().map(|c| c.engine.to_string()).collect(),
        place: place(&texts[last.src], last.span.clone()),
        message,
    }
}

fn place((origin, text): &(Origin, String), span: Range<usize>) -> Place {
    let file = match origin {
        Origin::BuiltIn => None,
        Origin::File(p) => Some(p.as_ref()),
    };
    place_of_bytes(file, text.as_bytes(), span.start)
}

fn place_of_bytes(file: Option<&Path>, bytes: &[u8], offset: usize) -> Place {
    let before = &bytes[..offset.min(bytes.len())];
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let col_bytes = &before[line_start..];
    Place {
        file: file.map(Path::to_path_buf),
        line: before.iter().filter(|&&b| b == b'\n').count() + 1,
        col: String::from_utf8_lossy(col_bytes).chars().count() + 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One text's engines; a clash is an error here.
    fn parse_str(text: &str) -> std::result::Result<Vec<Engine>, String> {
        let cfg = merge((vec![(Origin::BuiltIn, text.to_string())], Vec::new()))
            .map_err(|e| e.to_string())?;
        match cfg.clashes.first() {
            Some(c) => Err(c.error().to_string()),
            None => Ok(cfg.engines),
        }
    }

    #[test]
    fn built_in_is_the_lazycat_layout() {
        let e = parse_str(BUILT_IN).unwrap();
        let names: Vec<_> = e
            .iter()
            .map(|e| (e.name.as_str(), e.host.as_str()))
            .collect();
        assert_eq!(
            names,
            [
                ("lzc", "unix:///lzcsys/run/lzc-docker/docker.sock"),
                ("pg", "unix:///data/playground/docker.sock")
            ]
        );
        assert!(e[1].hint.as_deref().unwrap().contains("Dockge"));
    }

    #[test]
    fn errors_name_line_and_column() {
        let err = parse_str("[engines.pg]\nhost = \"unix:///s\"\nhots = 1\n").unwrap_err();
        assert!(
            err.starts_with("<built-in config>:3:1: unknown key 'hots'"),
            "{err}"
        );
        assert!(err.contains("did you mean 'host'"), "{err}");
    }

    #[test]
    fn names_are_checked() {
        let err = parse_str("[engines.Pg]\nhost = \"unix:///s\"\n").unwrap_err();
        assert!(err.contains(":1:10:") && err.contains("try 'pg'"), "{err}");
        let err = parse_str("[engines.\"-x\"]\nhost = \"unix:///s\"\n").unwrap_err();
        assert!(err.contains("engine name '-x' is invalid"), "{err}");
    }

    #[test]
    fn a_command_claimed_twice_is_an_error() {
        let err = parse_str(
            "[engines.a]\nhost = \"unix:///a\"\naliases = [\"x\"]\n[engines.b]\nhost = \"unix:///b\"\naliases = [\"x\"]\n",
        )
        .unwrap_err();
        assert!(
            err.contains(":6:12:") && err.contains("engines 'a' and 'b'"),
            "{err}"
        );
        let err = parse_str(
            "[engines.a]\nhost = \"unix:///a\"\n[engines.b]\nhost = \"unix:///b\"\naliases = [\"a-docker\"]\n",
        )
        .unwrap_err();
        assert!(err.contains("'a-docker' is claimed"), "{err}");
    }

    #[test]
    fn tls_only_for_tcp() {
        let ok = parse_str(
            "[engines.r]\nhost = \"tcp://h:2376\"\ntls = { verify = true, cert_path = \"/c\" }\n",
        )
        .unwrap();
        assert_eq!(
            ok[0].tls,
            Some(Tls {
                verify: true,
                cert_path: Some("/c".into())
            })
        );
        let err =
            parse_str("[engines.r]\nhost = \"unix:///s\"\ntls = { verify = true }\n").unwrap_err();
        assert!(err.contains("tls applies only to tcp"), "{err}");
    }

    #[test]
    fn missing_host_and_bad_types() {
        assert!(
            parse_str("[engines.a]\n")
                .unwrap_err()
                .contains("has no host")
        );
        assert!(
            parse_str("[engines.a]\nhost = 3\n")
                .unwrap_err()
                .contains("host must be a string")
        );
        assert!(
            parse_str("engines = 3\n")
                .unwrap_err()
                .contains("'engines' must be a table")
        );
        assert!(
            parse_str("[engines.a]\nhost = \"/tmp/x.sock\"\n")
                .unwrap_err()
                .contains("unix:///tmp/x.sock")
        );
    }

    #[test]
    fn invalid_toml_has_a_place() {
        let err = parse_str("[engines.a]\nhost = \n").unwrap_err();
        assert!(err.starts_with("<built-in config>:2:"), "{err}");
        assert!(err.contains("invalid TOML"), "{err}");
    }
}
