//! The config edit session behind `dockmux add`, `remove`, `rename`,
//! `discover --write` and `contexts import`: edit engines.toml in place, changing
//! only the engine's own bytes (edit/text.rs), so the user's comments,
//! order, formatting, line endings and BOM survive; check the result exactly
//! as loading does (merged with the other config file) before anything is
//! written; write it atomically (crates/dockmux-engine/src/files/atomic.rs) under the config's lock
//! (crates/dockmux-engine/src/files/lock.rs). Discover and contexts import add engines through the same
//! [`Session`].

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::config::host;
use crate::config::keys::Value;
use crate::config::{self, Config, Key, Settings, Sources, keys, rules};
use crate::error::{Error, Result};
use crate::files::atomic;
use crate::files::lock::{self, Lock};
use crate::files::secure;
use crate::view::report::Report;

pub mod client;
pub mod pin;
mod text;

/// Refuses what loading would refuse of an engine's settings, with the
/// reason, before any edit.
pub fn check(e: &Settings) -> Result<()> {
    let plain = |key: &str, value: &str| {
        crate::text::plain::check(key, value)
            .map_err(|m| Error::Usage(format!("engine '{}': {m}", e.name.escape_debug())))
    };
    plain("the engine name", &e.name)?;
    let tls_dir = e.tls.as_ref().and_then(|t| t.cert_path.as_deref());
    plain("tls.cert_path", tls_dir.unwrap_or_default())?;
    // Every text and list key by its own rule (keys.rs); the host's and the
    // aliases' below, as they need more than one value.
    for (key, value) in e.values() {
        match value {
            Value::Text(t) => {
                plain(key.toml(), t)?;
                key.check_text(t).map_err(Error::Usage)?;
            }
            Value::Names(items) => {
                for item in items {
                    plain(key.toml(), item)?;
                    if key != Key::Aliases {
                        key.check_item(item).map_err(|why| {
                            Error::Usage(format!("{} '{item}' is invalid: {why}", key.noun()))
                        })?;
                    }
                }
            }
            Value::Switch(_) | Value::Tls(_) => {}
        }
    }
    rules::check_name(&e.name)
        .map_err(|why| Error::Usage(format!("engine name '{}' is invalid: {why}", e.name)))?;
    let kind = host::check(&e.host).map_err(Error::Usage)?;
    let mut seen = std::collections::HashSet::new();
    for alias in &e.aliases {
        rules::check_alias(alias)
            .map_err(|why| Error::Usage(format!("alias '{alias}' is invalid: {why}")))?;
        if !seen.insert(alias) || *alias == format!("{}-docker", e.name) {
            return Err(Error::Usage(format!(
                "alias '{alias}' is given twice for engine '{}'; give it once",
                e.name
            )));
        }
    }
    if e.tls.is_some() && !rules::tls_fits(kind) {
        return Err(Error::Usage(format!(
            "TLS applies only to tcp:// hosts, and {} is not one; drop --tls/--tlsverify/--cert-path",
            e.host
        )));
    }
    if let Some(p) = e.persist.as_deref().filter(|_| !rules::persist_fits(kind)) {
        return Err(Error::Usage(format!(
            "persist = \"{p}\" applies only to ssh:// hosts (how long their shared connection \
             stays), and engine '{}' is at {}; drop --persist (set takes it out with --no-persist)",
            e.name, e.host
        )));
    }
    if let Some(c) = e.tls.as_ref().and_then(|t| t.cert_path.as_deref())
        && !rules::cert_path_ok(c)
    {
        return Err(Error::Usage(format!(
            "--cert-path {c} must be an absolute directory path"
        )));
    }
    Ok(())
}

/// An engine name made from something found (a context name, a containerd
/// namespace, a socket's directory): lowercased, other characters as '-'.
pub fn name_from(raw: &str) -> String {
    let mapped: String = raw
        .to_ascii_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let trimmed = mapped
        .trim_start_matches(['.', '_', '-'])
        .trim_end_matches('-');
    if trimmed.is_empty() || trimmed.starts_with("dockmux") {
        format!("engine-{trimmed}")
            .trim_end_matches('-')
            .to_string()
    } else {
        trimmed.to_string()
    }
}

/// `base`, or `base-2`, `base-3`…: the first name that no engine in `cfg`
/// has, whose `NAME-docker` no engine claims, and that is not in `taken`.
pub fn free_name(cfg: &Config, base: &str, taken: &std::collections::HashSet<String>) -> String {
    let is_free = |n: &str| {
        let command = format!("{n}-docker");
        cfg.engine(n).is_none()
            && !taken.contains(n)
            && !cfg
                .engines
                .iter()
                .any(|e| e.commands().any(|c| c == command))
    };
    (1..)
        .map(|i| {
            if i == 1 {
                base.to_string()
            } else {
                format!("{base}-{i}")
            }
        })
        .find(|n| is_free(n))
        .expect("some suffix is free")
}

/// Renders engines as config text, for `discover` to show what it would add.
pub fn snippet(engines: &[Settings]) -> String {
    engines.iter().fold(String::new(), |acc, e| {
        text::add(&acc, &e.name, &e.toml()).unwrap_or(acc)
    })
}

/// Which file an edit goes to: the user's (or `$DOCKMUX_CONFIG`), or the system's.
pub fn target_path(sources: &Sources, system: bool) -> Result<PathBuf> {
    if system {
        if let Some(explicit) = &sources.explicit {
            return Err(Error::Usage(format!(
                "--system: DOCKMUX_CONFIG is set ({}), so the system config is not read; \
                 unset DOCKMUX_CONFIG to edit {}",
                explicit.display(),
                sources.system.display()
            )));
        }
        return Ok(sources.system.clone());
    }
    sources.user_file().map(Path::to_path_buf).ok_or_else(|| {
        Error::Usage(
            "cannot tell where your config is: HOME is not set; set HOME, XDG_CONFIG_HOME or DOCKMUX_CONFIG"
                .to_string(),
        )
    })
}

/// One read-edit-check-write of a config file.
pub struct Session {
    sources: Sources,
    /// The file as the user knows it (for messages).
    pub path: PathBuf,
    /// The file written (a symlinked config is written through).
    real: PathBuf,
    new_file: atomic::NewFile,
    /// The file's text, edited in place.
    text: String,
    /// The merged config as it stands with the edits made so far.
    pub cfg: Config,
    /// The file did not exist and starts as a copy of the built-in engines.
    pub seeded: bool,
    exists: bool,
    /// The system config is edited: other users see the change.
    system: bool,
    /// What users without a config of their own had before the edit.
    others_before: Vec<config::Engine>,
    /// An edit was made (a session with none writes nothing, not even a seeded file).
    changed: bool,
    lock: Lock,
}

impl Session {
    /// Locks and reads the file an edit goes to. A missing file starts empty,
    /// or as the built-in engines when those are what is in use (by the
    /// caller, or for the system config, by users without a config of their
    /// own), so adding one engine does not make the built-in ones vanish.
    pub fn open(sources: &Sources, system: bool) -> Result<Session> {
        let path = target_path(sources, system)?;
        check_target(&path, system)?;
        let real = atomic::resolve(&path)?;
        let new_file = if system {
            atomic::SHARED
        } else {
            atomic::PRIVATE
        };
        let lock = Lock::acquire(&real, new_file.dir_mode)?;
        // Again, with the directories made: another user may have made one
        // of them first, in a directory everyone can write to.
        check_target(&path, system)?;
        atomic::remove_stale_temps(&real);
        let cfg = config::load(sources)?;
        let (text, exists) = match std::fs::read_to_string(&real) {
            Ok(t) => (t, true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (String::new(), false),
            Err(e) => {
                return Err(Error::ConfigRead {
                    path: path.clone(),
                    source: e,
                });
            }
        };
        if exists {
            refuse_read_only(&path, &real)?;
        }
        let others_before = if system {
            others_view(sources, None)?.engines
        } else {
            Vec::new()
        };
        let seeded = !exists && (cfg.built_in || system);
        let text = if seeded { seed_text() } else { text };
        // Loading read this text already; this says where toml_edit disagrees.
        text::defines(&text, "").map_err(|e| unparsable(&path, e))?;
        Ok(Session {
            sources: sources.clone(),
            new_file,
            path,
            real,
            text,
            cfg,
            seeded,
            exists,
            system,
            others_before,
            changed: false,
            lock,
        })
    }

    /// Is engine `name` defined in the file being edited?
    pub fn defines(&self, name: &str) -> bool {
        text::defines(&self.text, name).unwrap_or(false)
    }

    /// The engine that already answers to `command`, if any.
    fn claimant(&self, command: &str) -> Option<&config::Engine> {
        self.cfg
            .engines
            .iter()
            .find(|e| e.commands().any(|c| c == command))
    }

    /// Refuses a name or command already taken (by any engine but `except`).
    fn check_free(&self, e: &Settings, except: Option<&str>) -> Result<()> {
        if let Some(old) = self.cfg.engine(&e.name) {
            let system =
                matches!(&old.origin, config::Origin::File(p) if **p == *self.sources.system);
            return Err(Error::Usage(format!(
                "engine '{}' already exists ({}, from {}); pick another name, or remove it first (dockmux remove {}{})",
                e.name,
                old.host,
                old.origin,
                crate::text::quote::sh_word(&e.name),
                if system { " --system" } else { "" }
            )));
        }
        self.check_commands(e, except)
    }

    /// Refuses a command of `e`'s that another engine (any but `except`) answers to.
    fn check_commands(&self, e: &Settings, except: Option<&str>) -> Result<()> {
        for command in e.commands() {
            if let Some(other) = self.claimant(&command)
                && Some(other.name.as_str()) != except
            {
                return Err(Error::Usage(format!(
                    "command '{command}' already reaches engine '{}' (from {}); pick another {}",
                    other.name,
                    other.origin,
                    if command == format!("{}-docker", e.name) {
                        "name"
                    } else {
                        "alias"
                    }
                )));
            }
        }
        Ok(())
    }

    /// Adds the engine: `[engines.NAME]` at the end of the file, or an entry
    /// of `engines = { … }` where the engines are one inline table.
    pub fn add(&mut self, e: &Settings) -> Result<()> {
        check(e)?;
        self.check_free(e, None)?;
        self.text = text::add(&self.text, &e.name, &e.toml()).map_err(|u| self.unparsable(u))?;
        self.recheck()
    }

    /// Changes engine `new.name` in this file to `new`, key by key: only the
    /// keys whose values differ are written (text.rs keeps every other byte).
    /// Returns the keys changed, in writing order; none when it was so already.
    pub fn set(&mut self, new: &Settings) -> Result<Vec<Key>> {
        self.check_here(&new.name)?;
        check(new)?;
        self.check_commands(new, Some(&new.name))?;
        let here = config::check_edit(&self.only_this_file(), &self.path, &self.text)?;
        let old = here.require(&new.name)?.settings.clone();
        let changed: Vec<Key> = Key::ALL
            .into_iter()
            .filter(|k| old.get(*k) != new.get(*k))
            .collect();
        for key in &changed {
            let value = new.get(*key).map(keys::toml_value);
            self.text = text::set(&self.text, &new.name, key.toml(), value.as_deref())
                .map_err(|u| self.unparsable(u))?;
        }
        if !changed.is_empty() {
            self.recheck()?;
        }
        Ok(changed)
    }

    /// Sources that read only the file being edited.
    fn only_this_file(&self) -> Sources {
        Sources {
            explicit: Some(self.path.clone()),
            system: self.sources.system.clone(),
            user: None,
        }
    }

    /// Removes the engine (with the comments just above it); returns the
    /// removed engine as it was loaded.
    pub fn remove(&mut self, name: &str) -> Result<config::Engine> {
        self.check_here(name)?;
        let removed = self.cfg.require(name)?.clone();
        self.text = text::remove(&self.text, name).map_err(|u| self.unparsable(u))?;
        self.recheck()?;
        Ok(removed)
    }

    /// Renames the engine in place: only its keys change.
    pub fn rename(&mut self, old: &str, new: &str) -> Result<()> {
        self.check_here(old)?;
        let engine = self.cfg.require(old)?;
        let renamed = Settings {
            name: new.to_string(),
            host: engine.host.clone(),
            ..Settings::default()
        };
        rules::check_name(new)
            .map_err(|why| Error::Usage(format!("engine name '{new}' is invalid: {why}")))?;
        if old != new {
            self.check_free(&renamed, Some(old))?;
        }
        // The engine's own aliases stay; its new NAME-docker must not be one of them.
        if engine.aliases.iter().any(|a| *a == format!("{new}-docker")) {
            return Err(Error::Usage(format!(
                "command '{new}-docker' is an alias of '{old}' already; remove that alias or pick another name"
            )));
        }
        self.text = text::rename(&self.text, old, new).map_err(|u| self.unparsable(u))?;
        self.recheck()
    }

    /// Writes the edited file atomically. Nothing is written when nothing changed.
    pub fn commit(&mut self) -> Result<()> {
        if !self.changed {
            return Ok(());
        }
        self.lock.keep_dirs();
        let same = self.exists
            && std::fs::read(&self.real).is_ok_and(|before| before == self.text.as_bytes());
        if same {
            return Ok(());
        }
        atomic::write(&self.real, self.text.as_bytes(), self.new_file)
    }

    /// For an edit of the system config: what users without a config of
    /// their own lose by it, as the report's notes (none when nothing).
    pub fn others_lose(&self, report: &mut Report) -> Result<()> {
        if !self.system || !self.changed {
            return Ok(());
        }
        let after = others_view(&self.sources, Some((&self.path, &self.text)))?;
        let mut lost: Vec<String> = self
            .others_before
            .iter()
            .flat_map(|e| e.commands())
            .filter(|c| after.engine_for_command(c).is_none())
            .collect();
        lost.sort();
        if !lost.is_empty() {
            report.notes.push(format!(
                "note: for other users these commands stop working (unless their own config has them): {}",
                lost.join(", ")
            ));
        }
        if after.engines.is_empty() && !self.others_before.is_empty() {
            report.notes.push(format!(
                "note: {} holds no engines now, so users without a config of their own have none; \
                 to give them the built-in engines back: rm {}",
                self.path.display(),
                crate::text::quote::path(&self.path)
            ));
        }
        Ok(())
    }

    /// The engine must be in this file, not only in the other one.
    fn check_here(&self, name: &str) -> Result<()> {
        if self.defines(name) {
            return Ok(());
        }
        let Some(e) = self.cfg.engine(name) else {
            return Err(self.cfg.unknown_engine(name));
        };
        let missing = if self.exists {
            ""
        } else {
            " (which does not exist)"
        };
        let fix = match &e.origin {
            config::Origin::File(p) if **p == *self.sources.system => {
                "add --system to edit that file (as root)"
            }
            _ => "drop --system to edit your own config",
        };
        Err(Error::Usage(format!(
            "engine '{name}' is defined in {}, not in {}{missing}; {fix}",
            e.origin,
            self.path.display()
        )))
    }

    fn unparsable(&self, e: text::Unparsable) -> Error {
        unparsable(&self.path, e)
    }

    /// Checks the edited text as loading would, merged with the other file,
    /// and keeps the merged result for the next edit's checks.
    fn recheck(&mut self) -> Result<()> {
        self.changed = true;
        self.cfg = config::check_edit(&self.sources, &self.path, &self.text).map_err(|e| {
            Error::Usage(format!(
                "the change would make the config invalid, so nothing was written: {e}"
            ))
        })?;
        Ok(())
    }
}

fn unparsable(path: &Path, e: text::Unparsable) -> Error {
    Error::Usage(format!(
        "{}: {}; fix the TOML there, then rerun",
        path.display(),
        e.0
    ))
}

/// What a user without a config of their own sees: the system config (with
/// `replace` standing in for it), or the built-in engines when it is missing.
fn others_view(sources: &Sources, replace: Option<(&Path, &str)>) -> Result<Config> {
    let system_only = Sources {
        explicit: None,
        system: sources.system.clone(),
        user: None,
    };
    match replace {
        Some((path, text)) => config::check_edit(&system_only, path, text),
        None => config::load(&system_only),
    }
}

/// The file an edit writes passes the check loading applies (secure.rs),
/// as far as it exists, so an edit never writes a config that loading would
/// then refuse. Root passes its own files anywhere, so a tree another user
/// owns (`sudo -E dockmux add` keeps the user's HOME) is named for what it
/// is: root would leave files there that user cannot change.
fn check_target(path: &Path, system: bool) -> Result<()> {
    let refusal = match secure::check_to_write(path) {
        Ok(_) => return Ok(()),
        Err(r) => r,
    };
    if secure::euid() == 0
        && let secure::Refusal::Insecure(secure::Insecure {
            owner: Some((at, uid)),
            ..
        }) = &refusal
    {
        let fix = if system {
            "run it as that user"
        } else {
            "run it as that user (without sudo), or add --system to edit the system config"
        };
        return Err(Error::Usage(format!(
            "{} is owned by {}, not root: an edit as root would leave files there that user cannot change; {fix}",
            at.display(),
            lock::user_name(*uid)
        )));
    }
    Err(refusal.into_error(
        || path.display().to_string(),
        |_, source| Error::ConfigRead {
            path: path.to_path_buf(),
            source,
        },
    ))
}

/// A config its owner made read-only is not replaced behind their back.
fn refuse_read_only(path: &Path, real: &Path) -> Result<()> {
    let mode = std::fs::metadata(real).map(|m| m.mode()).unwrap_or(0o600);
    if mode & 0o200 != 0 {
        return Ok(());
    }
    Err(Error::Usage(format!(
        "{} is read-only (mode {:o}), so it was not edited; to edit it, make it writable first: chmod u+w {}",
        path.display(),
        mode & 0o7777,
        crate::text::quote::path(real)
    )))
}

/// What a new config file starts as when the built-in engines are in use.
fn seed_text() -> String {
    let built_in = config::built_in_text();
    // Drop the built-in file's own header comment; keep the engine tables.
    let body = built_in
        .find("\n[")
        .map_or(built_in, |i| &built_in[i + 1..]);
    format!(
        "# dockmux engines. `dockmux add`, `remove` and `rename` edit this file and keep\n\
         # your comments. It started as a copy of the built-in LazyCat engines.\n\n{body}"
    )
}
