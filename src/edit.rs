//! `dockmux add`, `remove`, `rename`: edit engines.toml in place with
//! toml_edit, so the user's comments, order and formatting survive; check
//! the result exactly as loading does (merged with the other config file)
//! before anything is written; write it atomically (src/atomic.rs) under a
//! directory lock. Discover and contexts import add engines through the same
//! [`Session`].

use std::path::{Path, PathBuf};

use clap::Args;
use toml_edit::{Array, DocumentMut, InlineTable, Item, Key, Table, value};

use crate::atomic::{self, DirLock};
use crate::config::{self, Config, Sources, Tls};
use crate::context_store;
use crate::error::{Error, Result};
use crate::host;
use crate::links::{self, Linker};
use crate::output;
use crate::policy::Policy;

#[derive(Args, Debug)]
pub struct AddArgs {
    /// Engine name: `NAME-docker` will reach it
    pub name: String,
    /// unix:///path/to/docker.sock, tcp://HOST:PORT or ssh://[USER@]HOST[:PORT][/socket]
    pub host: String,
    /// A line saying what the engine is
    #[arg(long)]
    pub description: Option<String>,
    /// Another command name for the engine (repeatable)
    #[arg(long = "alias", value_name = "NAME")]
    pub aliases: Vec<String>,
    /// Shown when the engine's socket is missing
    #[arg(long)]
    pub hint: Option<String>,
    /// TLS, verifying the server (tcp only)
    #[arg(long, conflicts_with = "tls")]
    pub tlsverify: bool,
    /// TLS without verifying the server (tcp only)
    #[arg(long)]
    pub tls: bool,
    /// Directory with ca.pem, cert.pem, key.pem (implies --tlsverify unless --tls)
    #[arg(long, value_name = "DIR")]
    pub cert_path: Option<String>,
    /// Destructive commands on this engine need its name typed back
    #[arg(long, conflicts_with = "readonly")]
    pub protect: bool,
    /// Only commands that read run on this engine
    #[arg(long)]
    pub readonly: bool,
    /// Edit the system config (/etc/dockmux/engines.toml) instead of yours
    #[arg(long)]
    pub system: bool,
    /// Also make the engine's links (NAME-docker and one per alias)
    #[arg(long)]
    pub link: bool,
    /// Directory for the links [default: the directory holding dockmux]
    #[arg(long, value_name = "DIR", requires = "link")]
    pub dir: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct RemoveArgs {
    /// The engine to remove
    #[arg(value_name = "ENGINE")]
    pub name: String,
    /// Edit the system config (/etc/dockmux/engines.toml) instead of yours
    #[arg(long)]
    pub system: bool,
    /// Also remove the engine's links to dockmux
    #[arg(long)]
    pub unlink: bool,
    /// Directory holding the links [default: the directory holding dockmux]
    #[arg(long, value_name = "DIR", requires = "unlink")]
    pub dir: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct RenameArgs {
    /// The engine's current name
    #[arg(value_name = "ENGINE")]
    pub old: String,
    /// Its new name
    pub new: String,
    /// Edit the system config (/etc/dockmux/engines.toml) instead of yours
    #[arg(long)]
    pub system: bool,
    /// Directory holding the links [default: the directory holding dockmux]
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// An engine to add, as `add`, `discover --write` and `contexts import` build it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewEngine {
    pub name: String,
    pub host: String,
    pub description: Option<String>,
    pub aliases: Vec<String>,
    pub hint: Option<String>,
    pub tls: Option<Tls>,
    pub policy: Option<Policy>,
}

impl NewEngine {
    pub fn commands(&self) -> impl Iterator<Item = String> + '_ {
        crate::config::commands(&self.name, &self.aliases)
    }

    /// The `[engines.NAME]` table's body, formatted as a person would write it.
    pub fn table(&self) -> Table {
        let mut t = Table::new();
        t["host"] = value(&self.host);
        if let Some(d) = &self.description {
            t["description"] = value(d);
        }
        if !self.aliases.is_empty() {
            t["aliases"] = value(self.aliases.iter().collect::<Array>());
        }
        if let Some(h) = &self.hint {
            t["hint"] = value(h);
        }
        if let Some(tls) = &self.tls {
            let mut i = InlineTable::new();
            i.insert("verify", tls.verify.into());
            if let Some(c) = &tls.cert_path {
                i.insert("cert_path", c.into());
            }
            t["tls"] = value(i);
        }
        if let Some(p) = self.policy {
            t[p.as_str()] = value(true);
        }
        t
    }

    /// Refuses what loading would refuse, with the reason, before any edit.
    fn check(&self) -> Result<()> {
        let plain = |key: &str, value: &str| {
            crate::plain::check(key, value)
                .map_err(|m| Error::Usage(format!("engine '{}': {m}", self.name.escape_debug())))
        };
        plain("the engine name", &self.name)?;
        let tls_dir = self.tls.as_ref().and_then(|t| t.cert_path.as_deref());
        let texts = [
            ("host", Some(self.host.as_str())),
            ("description", self.description.as_deref()),
            ("hint", self.hint.as_deref()),
            ("tls.cert_path", tls_dir),
        ];
        for (key, value) in texts {
            plain(key, value.unwrap_or_default())?;
        }
        for alias in &self.aliases {
            plain("aliases", alias)?;
        }
        config::check_name(&self.name).map_err(|why| {
            Error::Usage(format!("engine name '{}' is invalid: {why}", self.name))
        })?;
        let kind = host::check(&self.host).map_err(Error::Usage)?;
        let mut seen = std::collections::HashSet::new();
        for alias in &self.aliases {
            config::check_alias(alias)
                .map_err(|why| Error::Usage(format!("alias '{alias}' is invalid: {why}")))?;
            if !seen.insert(alias) || *alias == format!("{}-docker", self.name) {
                return Err(Error::Usage(format!(
                    "alias '{alias}' is given twice for engine '{}'; give it once",
                    self.name
                )));
            }
        }
        if self.tls.is_some() && kind != host::Kind::Tcp {
            return Err(Error::Usage(format!(
                "TLS applies only to tcp:// hosts, and {} is not one; drop --tls/--tlsverify/--cert-path",
                self.host
            )));
        }
        if let Some(c) = self.tls.as_ref().and_then(|t| t.cert_path.as_deref())
            && !c.starts_with('/')
        {
            return Err(Error::Usage(format!(
                "--cert-path {c} must be an absolute directory path"
            )));
        }
        Ok(())
    }
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
pub fn snippet(engines: &[NewEngine]) -> String {
    let mut doc = DocumentMut::new();
    let mut all = Table::new();
    all.set_implicit(true);
    for e in engines {
        all.insert(&e.name, Item::Table(e.table()));
    }
    doc.insert("engines", Item::Table(all));
    doc.to_string()
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
    doc: DocumentMut,
    /// The merged config as it stands with the edits made so far.
    pub cfg: Config,
    /// The file did not exist and starts as a copy of the built-in engines.
    pub seeded: bool,
    exists: bool,
    /// An edit was made (a session with none writes nothing, not even a seeded file).
    changed: bool,
    _lock: Option<DirLock>,
}

impl Session {
    /// Locks and reads the file an edit goes to. A missing file starts empty,
    /// or as the built-in engines when those are what is in use, so adding
    /// one engine does not make the built-in ones vanish.
    pub fn open(sources: &Sources, system: bool) -> Result<Session> {
        let path = target_path(sources, system)?;
        let lock = atomic::lock_dir_of(&path)?;
        let cfg = config::load(sources)?;
        let real = atomic::resolve(&path)?;
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
        let seeded = !exists && cfg.built_in;
        let text = if seeded { seed_text() } else { text };
        let doc: DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| {
            Error::Usage(format!(
                "{}: {}; fix the TOML there, then rerun",
                path.display(),
                e.message().trim_end()
            ))
        })?;
        Ok(Session {
            sources: sources.clone(),
            new_file: if system {
                atomic::SHARED
            } else {
                atomic::PRIVATE
            },
            path,
            real,
            doc,
            cfg,
            seeded,
            exists,
            changed: false,
            _lock: lock,
        })
    }

    /// Is engine `name` defined in the file being edited?
    pub fn defines(&self, name: &str) -> bool {
        self.doc
            .get("engines")
            .and_then(Item::as_table_like)
            .is_some_and(|t| t.contains_key(name))
    }

    /// The engine that already answers to `command`, if any.
    fn claimant(&self, command: &str) -> Option<&config::Engine> {
        self.cfg
            .engines
            .iter()
            .find(|e| e.commands().any(|c| c == command))
    }

    /// Refuses a name or command already taken (by any engine but `except`).
    fn check_free(&self, e: &NewEngine, except: Option<&str>) -> Result<()> {
        if let Some(old) = self.cfg.engine(&e.name) {
            let system =
                matches!(&old.origin, config::Origin::File(p) if **p == *self.sources.system);
            return Err(Error::Usage(format!(
                "engine '{}' already exists ({}, from {}); pick another name, or remove it first (dockmux remove {}{})",
                e.name,
                old.host,
                old.origin,
                e.name,
                if system { " --system" } else { "" }
            )));
        }
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

    /// Adds `[engines.NAME]` at the end of the file.
    pub fn add(&mut self, e: &NewEngine) -> Result<()> {
        e.check()?;
        self.check_free(e, None)?;
        let last = last_position(self.doc.as_table());
        // A comment block at the very end stays where it is, before the new table.
        let trailing = self.doc.trailing().as_str().unwrap_or_default().to_string();
        if let Some(inline) = self.engines_mut().as_inline_table_mut() {
            let mut v: toml_edit::Value = e.table().into_inline_table().into();
            // The space before the closing brace moves to the new last entry.
            if let Some((_, last)) = inline.iter_mut().last()
                && let Some(suffix) = last.decor().suffix().cloned()
            {
                last.decor_mut().set_suffix("");
                v.decor_mut().set_suffix(suffix);
            }
            inline.insert(&e.name, v);
        } else {
            let mut t = e.table();
            t.set_position(Some(last + 1));
            if trailing.contains('#') {
                let sep = if trailing.ends_with('\n') { "" } else { "\n" };
                t.decor_mut().set_prefix(format!("{trailing}{sep}\n"));
                self.doc.set_trailing("");
            }
            if let Some(table) = self.engines_mut().as_table_mut() {
                table.insert(&e.name, Item::Table(t));
            }
        }
        self.recheck()
    }

    /// Removes `[engines.NAME]` (with the comments just above it); returns
    /// the removed engine as it was loaded.
    pub fn remove(&mut self, name: &str) -> Result<config::Engine> {
        self.check_here(name)?;
        let removed = self.cfg.require(name)?.clone();
        let taken = self
            .engines_mut()
            .as_table_like_mut()
            .and_then(|t| t.remove(name));
        if let Some(Item::Table(table)) = taken {
            self.keep_detached_comments(&table);
        }
        self.recheck()?;
        Ok(removed)
    }

    /// Renames `[engines.OLD]` to `[engines.NEW]` in place: same position,
    /// same comments, same body.
    pub fn rename(&mut self, old: &str, new: &str) -> Result<()> {
        self.check_here(old)?;
        let engine = self.cfg.require(old)?;
        let renamed = NewEngine {
            name: new.to_string(),
            host: engine.host.clone(),
            ..NewEngine::default()
        };
        config::check_name(new)
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
        rename_key(self.engines_mut(), old, new);
        self.recheck()
    }

    /// Writes the edited file atomically. Nothing is written when nothing changed.
    pub fn commit(&self) -> Result<()> {
        if !self.changed {
            return Ok(());
        }
        let text = self.doc.to_string();
        let same =
            self.exists && std::fs::read(&self.real).is_ok_and(|before| before == text.as_bytes());
        if same {
            return Ok(());
        }
        atomic::write(&self.real, text.as_bytes(), self.new_file)
    }

    /// The comment lines right above a removed `[engines.NAME]` go with it;
    /// comments separated from it by a blank line (a section heading, say)
    /// stay, moved onto whatever now follows.
    fn keep_detached_comments(&mut self, removed: &Table) {
        let prefix = removed
            .decor()
            .prefix()
            .and_then(|p| p.as_str())
            .unwrap_or_default();
        let lines: Vec<&str> = prefix.split_inclusive('\n').collect();
        let Some(blank) = lines.iter().rposition(|l| l.trim().is_empty()) else {
            return;
        };
        let keep: String = lines[..blank].concat();
        if !keep.contains('#') {
            return;
        }
        let after = removed.position().unwrap_or(isize::MAX);
        let next = next_table_after(self.doc.as_table(), after);
        match next.and_then(|pos| table_at_mut(self.doc.as_table_mut(), pos)) {
            Some(t) => {
                let old = t.decor().prefix().and_then(|p| p.as_str()).unwrap_or("\n");
                let joined = format!("{keep}{old}");
                t.decor_mut().set_prefix(joined);
            }
            None => {
                let old = self.doc.trailing().as_str().unwrap_or_default();
                let joined = format!("{keep}{old}");
                self.doc.set_trailing(joined);
            }
        }
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

    fn engines_mut(&mut self) -> &mut Item {
        if !self.doc.contains_key("engines") {
            let mut t = Table::new();
            t.set_implicit(true);
            self.doc.insert("engines", Item::Table(t));
        }
        &mut self.doc["engines"]
    }

    /// Checks the edited text as loading would, merged with the other file,
    /// and keeps the merged result for the next edit's checks.
    fn recheck(&mut self) -> Result<()> {
        self.changed = true;
        let text = self.doc.to_string();
        self.cfg = config::check_edit(&self.sources, &self.path, &text).map_err(|e| {
            Error::Usage(format!(
                "the change would make the config invalid, so nothing was written: {e}"
            ))
        })?;
        Ok(())
    }
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

/// The largest table position in the document, so a new table goes last.
fn last_position(t: &Table) -> isize {
    let mut max = t.position().unwrap_or(0);
    for (_, item) in t.iter() {
        match item {
            Item::Table(sub) => max = max.max(last_position(sub)),
            Item::ArrayOfTables(a) => {
                for sub in a.iter() {
                    max = max.max(last_position(sub));
                }
            }
            _ => {}
        }
    }
    max
}

/// The position of the first table after position `after`.
fn next_table_after(t: &Table, after: isize) -> Option<isize> {
    let mut best = t.position().filter(|&p| p > after);
    for (_, item) in t.iter() {
        if let Item::Table(sub) = item
            && let Some(p) = next_table_after(sub, after)
        {
            best = Some(best.map_or(p, |b| b.min(p)));
        }
    }
    best
}

fn table_at_mut(t: &mut Table, pos: isize) -> Option<&mut Table> {
    if t.position() == Some(pos) {
        return Some(t);
    }
    t.iter_mut().find_map(|(_, item)| match item {
        Item::Table(sub) => table_at_mut(sub, pos),
        _ => None,
    })
}

/// Renames a key in place: entries are taken out and put back in order,
/// the renamed one with its old key's decoration.
fn rename_key(engines: &mut Item, old: &str, new: &str) {
    let rekey = |k: Key| {
        if k.get() == old {
            Key::new(new)
                .with_leaf_decor(k.leaf_decor().clone())
                .with_dotted_decor(k.dotted_decor().clone())
        } else {
            k
        }
    };
    if let Some(t) = engines.as_table_mut() {
        let keys: Vec<String> = t.iter().map(|(k, _)| k.to_string()).collect();
        let entries: Vec<(Key, Item)> = keys.iter().filter_map(|k| t.remove_entry(k)).collect();
        for (k, v) in entries {
            t.insert_formatted(&rekey(k), v);
        }
    } else if let Some(t) = engines.as_inline_table_mut() {
        let keys: Vec<String> = t.iter().map(|(k, _)| k.to_string()).collect();
        let entries: Vec<_> = keys.iter().filter_map(|k| t.remove_entry(k)).collect();
        for (k, v) in entries {
            t.insert_formatted(&rekey(k), v);
        }
    }
}

pub fn add(args: &AddArgs, sources: &Sources) -> Result<i32> {
    let tls = (args.tls || args.tlsverify || args.cert_path.is_some()).then(|| Tls {
        verify: !args.tls,
        cert_path: args.cert_path.clone(),
    });
    let engine = NewEngine {
        name: args.name.clone(),
        host: args.host.clone(),
        description: args.description.clone(),
        aliases: args.aliases.clone(),
        hint: args.hint.clone(),
        tls,
        policy: Policy::from_keys(args.protect, args.readonly),
    };
    // Everything is checked before anything is written: the engine, the link
    // directory and the files in the way.
    engine.check()?;
    links::refuse_shadowing(engine.commands())?;
    let linker = if args.link {
        let l = Linker::new(args.dir.as_deref(), false, false)?;
        let conflicts = l.conflicts(engine.commands());
        if !conflicts.is_empty() {
            return Err(Error::Usage(links::conflict_error(&conflicts).to_string()));
        }
        Some(l)
    } else {
        None
    };
    let mut session = Session::open(sources, args.system)?;
    session.add(&engine)?;
    session.commit()?;
    let mut report = format!(
        "added    engine '{}' ({}) to {}\n",
        engine.name,
        engine.host,
        session.path.display()
    );
    if session.seeded {
        report.push_str("         (the file was new: it also holds the built-in engines)\n");
    }
    if let Some(l) = &linker {
        let conflicts = l.link(engine.commands(), &mut report)?;
        output::print(&report)?;
        if let Some(note) = l.path_note() {
            output::note(&note);
        }
        if !conflicts.is_empty() {
            return Err(links::conflict_error(&conflicts));
        }
        return Ok(0);
    }
    output::print(&report)?;
    Ok(0)
}

pub fn remove(args: &RemoveArgs, sources: &Sources) -> Result<i32> {
    let dir = if args.unlink {
        Some(links::existing_links_dir(args.dir.as_deref())?)
    } else {
        None
    };
    let mut session = Session::open(sources, args.system)?;
    let removed = session.remove(&args.name)?;
    session.commit()?;
    let mut report = format!(
        "removed  engine '{}' ({}) from {}\n",
        removed.name,
        removed.host,
        session.path.display()
    );
    if let Some(now) = session.cfg.engine(&args.name) {
        // The other file defines it too; that entry is in effect now.
        report.push_str(&format!(
            "         engine '{}' from {} ({}) is in effect now\n",
            now.name, now.origin, now.host
        ));
    } else {
        if let Some(dir) = &dir {
            links::unlink_commands(dir, removed.commands(), &mut report)?;
        }
        // The docker context `contexts export` made for it stands for nothing now.
        if let Some(line) = context_store::remove_exported(&removed.name) {
            report.push_str(&line);
        }
    }
    output::print(&report)?;
    Ok(0)
}

/// Renames the engine; its `OLD-docker` link, if there is one, becomes
/// `NEW-docker` (the aliases, and so their links, are unchanged).
pub fn rename(args: &RenameArgs, sources: &Sources) -> Result<i32> {
    let mut session = Session::open(sources, args.system)?;
    session.rename(&args.old, &args.new)?;
    let dir = links::existing_links_dir(args.dir.as_deref())?;
    let dir = dir.as_path();
    let old_link = dir.join(format!("{}-docker", args.old));
    let move_link = std::fs::symlink_metadata(&old_link).is_ok() && links::is_ours(&old_link);
    let linker = if move_link {
        let hard = !std::fs::symlink_metadata(&old_link)
            .map(|m| m.file_type().is_symlink())
            .unwrap_or(true);
        let l = Linker::new(Some(dir), hard, false)?;
        let conflicts = l.conflicts([format!("{}-docker", args.new)]);
        if !conflicts.is_empty() {
            return Err(Error::Usage(format!(
                "{}; the engine was not renamed",
                links::conflict_error(&conflicts)
            )));
        }
        Some(l)
    } else {
        None
    };
    session.commit()?;
    let mut report = format!(
        "renamed  engine '{}' to '{}' in {}\n",
        args.old,
        args.new,
        session.path.display()
    );
    if let Some(l) = linker {
        l.link([format!("{}-docker", args.new)], &mut report)?;
        links::unlink_commands(dir, [format!("{}-docker", args.old)], &mut report)?;
    }
    output::print(&report)?;
    Ok(0)
}
