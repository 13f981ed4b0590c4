//! `engines.toml`: where it is looked for, how it is checked, and the merged
//! result. This runs on the hot path of every `NAME-docker` command, so it
//! reads each candidate file once (open + fstat + read, read.rs) and takes a
//! quick scan (scan.rs) of plain configs; the full parser (parse.rs) runs for
//! anything else and for every error, and tests hold the two to the same
//! answers. Each rule about an engine is written once (rules.rs); claims on
//! one command name by two engines are clash.rs's.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::{Error, Place, Result};
use crate::files::secure::Walked;
use crate::text::suggest;

mod clash;
pub mod host;
pub mod keys;
mod parse;
mod read;
pub mod rules;
mod scan;

use clash::{clashes, place};
pub use keys::{Key, Settings};
use parse::parse;
// The top-level and [tls] keys, for the man page test in the dockmux crate.
pub use parse::{TLS_KEYS, TOP_KEYS};
use read::{check_size, read_checked};

/// The system-wide config. `DOCKMUX_SYSTEM_CONFIG` moves it, for tests and
/// chroots, so a developer's own /etc cannot leak into a test run.
pub const SYSTEM_CONFIG: &str = "/etc/dockmux/engines.toml";
const BUILT_IN: &str = include_str!("default_engines.toml");

/// The largest config file read: far above any real one (a few hundred bytes
/// per engine), far below what would cost time or memory to refuse.
pub const MAX_CONFIG_BYTES: u64 = 1 << 20;

/// An engine's policy (`protect`, `readonly`); src/engine/policy/ enforces it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// Destructive commands need the engine's name typed back.
    Protect,
    /// Only reading commands run.
    Readonly,
}

impl Policy {
    /// The policy the config keys give. `readonly` already refuses all that
    /// `protect` would hold, so with both set the stricter one holds.
    pub fn from_keys(protect: bool, readonly: bool) -> Option<Policy> {
        match (protect, readonly) {
            (_, true) => Some(Policy::Readonly),
            (true, false) => Some(Policy::Protect),
            (false, false) => None,
        }
    }

    /// What it does, for `doctor`.
    pub fn describe(self) -> &'static str {
        match self {
            Policy::Protect => {
                "protected: destructive commands need the engine's name typed back (or DOCKMUX_CONFIRM=NAME)"
            }
            Policy::Readonly => "read-only: only commands that read run",
        }
    }

    /// As the config spells it, and as `list --json` shows it.
    pub fn as_str(self) -> &'static str {
        match self {
            Policy::Protect => "protect",
            Policy::Readonly => "readonly",
        }
    }
}

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
        // Each path grown in place from the variable's own buffer: this runs
        // before every docker command.
        let under = |dir: std::ffi::OsString, rest: &str| {
            let mut path = PathBuf::from(dir);
            path.push(rest);
            path
        };
        let user = match var("XDG_CONFIG_HOME").map(PathBuf::from) {
            Some(x) if x.is_absolute() => Some(under(x.into(), "dockmux/engines.toml")),
            _ => var("HOME").map(|h| under(h, ".config/dockmux/engines.toml")),
        };
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
    File(Arc<Path>),
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::BuiltIn => f.write_str("built-in"),
            Origin::File(p) => write!(f, "{}", p.display()),
        }
    }
}

/// The files docker reads from a TLS directory (`DOCKER_CERT_PATH`).
pub const TLS_FILES: [&str; 3] = ["ca.pem", "cert.pem", "key.pem"];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tls {
    /// Verify the server certificate (`DOCKER_TLS_VERIFY`); otherwise TLS without
    /// verification (`DOCKER_TLS`).
    pub verify: bool,
    /// Directory with ca.pem, cert.pem, key.pem (`DOCKER_CERT_PATH`).
    pub cert_path: Option<String>,
}

/// An engine as loaded: its settings (keys.rs; `engine.host` reads through
/// to them), the kind of its host, and where it came from.
#[derive(Clone, Debug)]
pub struct Engine {
    pub settings: Settings,
    pub kind: host::Kind,
    /// The config's top-level `persist` in seconds, for an ssh engine
    /// without its own (`settings.persist`). See src/forward/.
    pub top_persist: Option<u64>,
    pub origin: Origin,
    /// Index into the loaded texts, and spans, for messages after merging.
    src: usize,
    name_span: Range<usize>,
    alias_spans: Vec<Range<usize>>,
}

impl std::ops::Deref for Engine {
    type Target = Settings;
    fn deref(&self) -> &Settings {
        &self.settings
    }
}

impl Engine {
    /// The client this engine runs: its own `client`, else the config's
    /// `docker` (`top`); `None`: the first `docker` on PATH.
    #[inline]
    pub fn client_or(&self, top: Option<Client>) -> Option<Client> {
        match &self.settings.client {
            None => top,
            Some(path) => Some(Client {
                path: path.clone(),
                origin: self.origin.clone(),
                engine: Some(self.settings.name.clone()),
            }),
        }
    }

    /// The idle time of the engine's shared ssh connection, in seconds; 0
    /// when it has none (not ssh, or turned off).
    pub fn persist_secs(&self) -> u64 {
        match self.kind {
            host::Kind::Ssh => (self.settings.persist.as_deref())
                .and_then(|p| rules::persist_secs(p).ok())
                .or(self.top_persist)
                .unwrap_or(rules::PERSIST_DEFAULT),
            _ => 0,
        }
    }
}

/// The command names that reach engine `name`: `NAME-docker`, then its aliases.
pub fn commands<'a>(name: &str, aliases: &'a [String]) -> impl Iterator<Item = String> + 'a {
    std::iter::once(format!("{name}-docker")).chain(aliases.iter().cloned())
}

/// The docker client named in the config: the top-level `docker`, or an
/// engine's own `client`.
#[derive(Clone, Debug)]
pub struct Client {
    pub path: String,
    pub origin: Origin,
    /// The engine whose `client` key names it; `None` for the top-level `docker`.
    pub engine: Option<String>,
}

impl Client {
    /// The key's name: the top-level `docker`, or an engine's `client`.
    pub fn key(&self) -> &'static str {
        if self.engine.is_some() {
            "client"
        } else {
            "docker"
        }
    }

    /// Where the key is: its file, or `[engines.NAME] of FILE`.
    pub fn place(&self) -> String {
        match &self.engine {
            None => self.origin.to_string(),
            Some(e) => format!("[engines.{e}] of {}", self.origin),
        }
    }

    /// The key as messages name it: `docker = "…" (from FILE)`, or
    /// `client = "…" (engine 'nas', from FILE)`.
    pub fn said(&self) -> String {
        let whose = (self.engine.as_ref()).map_or(String::new(), |e| format!("engine '{e}', "));
        format!(
            "{} = \"{}\" ({whose}from {})",
            self.key(),
            self.path,
            self.origin
        )
    }

    /// What fixes it, in words: for an engine's key, also how to take it out.
    pub fn fix(&self) -> String {
        let or = (self.engine.as_ref()).map_or(String::new(), |e| {
            format!(" (or take it out: dockmux set {e} --no-client)")
        });
        format!(
            "fix {} = \"{}\" in {}{or}",
            self.key(),
            self.path,
            self.place()
        )
    }
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

/// An engine whose table holds a mistake (an unknown key, a bad value): it
/// runs nowhere until fixed, and says why wherever it is named; the other
/// engines run, as with a clash.
#[derive(Clone, Debug)]
pub struct Broken {
    pub name: String,
    pub place: Place,
    pub message: String,
}

impl Broken {
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
    /// Engines whose table holds a mistake, sorted by name.
    pub broken: Vec<Broken>,
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

    /// The engine called `name`, when its table holds a mistake.
    pub fn broken(&self, name: &str) -> Option<&Broken> {
        self.broken.iter().find(|b| b.name == name)
    }

    /// No engine `name` runs: its table's mistake, or the unknown-engine error.
    fn unknown(&self, name: &str, suggestion: String) -> Error {
        if let Some(b) = self.broken(name) {
            return b.error();
        }
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
    if rules::check_name(name).is_ok() {
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
    merge(read_texts(sources, None, &mut Walked::default())?)
}

/// Checks an edited config before it is written: the files are loaded and
/// merged exactly as [`load`] does, with `text` standing in for the file at
/// `path` (which need not exist yet), so a change that would break loading —
/// a bad host — or make a new clash — a command claimed both here and in the
/// other file — is refused before anything is written. A clash the files
/// already had does not block edits (one may be the fix).
pub fn check_edit(sources: &Sources, path: &Path, text: &str) -> Result<Config> {
    let edited = merge(read_texts(
        sources,
        Some((path, text)),
        &mut Walked::default(),
    )?)?;
    let before = read_texts(sources, None, &mut Walked::default())
        .and_then(merge)
        .map(|c| c.clashes)
        .unwrap_or_default();
    let is_new = |c: &&Clash| {
        !before
            .iter()
            .any(|b| b.command == c.command && c.engines.iter().all(|e| b.engines.contains(e)))
    };
    if let Some(clash) = edited.clashes.iter().find(is_new) {
        return Err(clash.error());
    }
    // A mistake in the file being written stops the edit (one elsewhere does not).
    let here = |b: &&Broken| b.place.file.as_deref() == Some(path);
    match edited.broken.iter().find(here) {
        Some(b) => Err(b.error()),
        None => Ok(edited),
    }
}

/// The engine path's load: the engine `command` (argv[0]'s basename) reaches
/// and the configured client, with every file checked exactly as `load`
/// checks it. Plain configs take a quick scan (config/scan.rs); anything
/// else, and every error, takes `load`'s way, so the answers are the same.
pub fn load_engine(sources: &Sources, command: &str) -> Result<(Engine, Option<Client>)> {
    load_engine_with(sources, command, &mut Walked::default())
}

/// [`load_engine`], adding the directories on the way to `walked` (the
/// client's search shares them).
pub fn load_engine_with(
    sources: &Sources,
    command: &str,
    walked: &mut Walked,
) -> Result<(Engine, Option<Client>)> {
    let texts = read_texts(sources, None, walked)?;
    if let Some(found) = scan::engine_for(&texts.0, command) {
        return Ok(found);
    }
    let cfg = merge(texts)?;
    let engine = cfg.resolve(command)?.clone();
    Ok((engine, cfg.docker))
}

/// `replace`: a text standing in for one file (see [`check_edit`]).
fn read_texts(
    sources: &Sources,
    replace: Option<(&Path, &str)>,
    walked: &mut Walked,
) -> Result<Texts> {
    let mut texts: Vec<(Origin, String)> = Vec::new();
    let mut files = Vec::new();
    for path in sources.candidates() {
        let text = match replace {
            Some((p, text)) if p == path => {
                check_size(path, text.len() as u64)?;
                Some(text.to_string())
            }
            _ => read_checked(path, walked)?,
        };
        match text {
            Some(text) => {
                files.push((path.to_path_buf(), FileState::Read));
                texts.push((Origin::File(Arc::from(path)), text));
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
    let mut persist = None;
    // A later file's entry of the same name replaces the earlier one whole
    // (a broken one too, and by a broken one).
    let mut by_name: BTreeMap<String, std::result::Result<Engine, Broken>> = BTreeMap::new();
    for (src, (origin, text)) in texts.iter().enumerate() {
        let parsed = parse(text, src, origin).map_err(|(span, msg)| at(src, span, msg))?;
        if parsed.docker.is_some() {
            docker = parsed.docker;
        }
        if parsed.persist.is_some() {
            persist = parsed.persist;
        }
        for entry in parsed.engines {
            let (name, entry) = match entry {
                Ok(engine) => (engine.name.clone(), Ok(engine)),
                Err((name, (span, message))) => {
                    let place = place(&texts[src], span);
                    let broken = Broken {
                        name: name.clone(),
                        place,
                        message,
                    };
                    (name, Err(broken))
                }
            };
            by_name.insert(name, entry);
        }
    }
    let (mut engines, mut broken) = (Vec::new(), Vec::new());
    for entry in by_name.into_values() {
        match entry {
            Ok(e) => engines.push(e),
            Err(b) => broken.push(b),
        }
    }
    for e in &mut engines {
        e.top_persist = persist;
    }
    let clashes = clashes(&engines, &texts);
    Ok(Config {
        docker,
        engines,
        clashes,
        broken,
        files,
        built_in,
    })
}

/// The built-in config text (the LazyCat engines), used when no file exists.
pub fn built_in_text() -> &'static str {
    BUILT_IN
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One text's engines; a clash is an error here.
    fn parse_str(text: &str) -> std::result::Result<Vec<Engine>, String> {
        let cfg = merge((vec![(Origin::BuiltIn, text.to_string())], Vec::new()))
            .map_err(|e| e.to_string())?;
        match (cfg.clashes.first(), cfg.broken.first()) {
            (Some(c), _) => Err(c.error().to_string()),
            (_, Some(b)) => Err(b.error().to_string()),
            _ => Ok(cfg.engines),
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

    /// How messages name a client key and its fix, at the top level and in
    /// an engine's table (the messages tests quote them whole).
    #[test]
    fn a_client_key_is_named_where_it_is() {
        let origin = Origin::File(Arc::from(Path::new("/etc/dockmux/engines.toml")));
        let top = Client {
            path: "/opt/docker".to_string(),
            origin: origin.clone(),
            engine: None,
        };
        let own = Client {
            engine: Some("nas".to_string()),
            ..top.clone()
        };
        assert_eq!(
            top.said(),
            "docker = \"/opt/docker\" (from /etc/dockmux/engines.toml)"
        );
        assert_eq!(
            own.said(),
            "client = \"/opt/docker\" (engine 'nas', from /etc/dockmux/engines.toml)"
        );
        assert_eq!(
            top.fix(),
            "fix docker = \"/opt/docker\" in /etc/dockmux/engines.toml"
        );
        assert_eq!(
            own.fix(),
            "fix client = \"/opt/docker\" in [engines.nas] of /etc/dockmux/engines.toml \
             (or take it out: dockmux set nas --no-client)"
        );
    }
}
