//! Links in a directory other users run commands from (/usr/local/bin, say)
//! serve every user, so the engine a link names must be one every user's
//! config has: a system (or built-in) engine, not one only the caller's own
//! config defines, or the command fails for everyone else.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::config::{Engine, Origin, Sources};
use crate::error::{Error, Result};
use crate::files::paths;
use crate::install::links;

/// Do other users run commands from `dir`? It is outside the caller's HOME,
/// and everyone may pass through every directory down to it.
pub fn serves_others(dir: &Path) -> bool {
    let Ok(real) = std::fs::canonicalize(dir) else {
        return false;
    };
    if own_home().is_some_and(|h| real.starts_with(h)) {
        return false;
    }
    real.ancestors()
        .all(|a| std::fs::metadata(a).is_ok_and(|m| m.permissions().mode() & 0o001 != 0))
}

/// Is `engine` defined only in the caller's own config (theirs, or `$DOCKMUX_CONFIG`)?
pub fn only_mine(engine: &Engine, sources: &Sources) -> bool {
    matches!(&engine.origin, Origin::File(p) if **p != *sources.system)
}

/// The links to dockmux in `dir`, if it serves others, for engines only
/// the caller's config has (each with its engine).
pub fn private_links<'a>(
    dir: &Path,
    engines: &'a [Engine],
    sources: &Sources,
) -> Vec<(PathBuf, &'a Engine)> {
    if !serves_others(dir) {
        return Vec::new();
    }
    engines
        .iter()
        .filter(|e| only_mine(e, sources))
        .flat_map(|e| e.commands().map(move |c| (dir.join(c), e)))
        .filter(|(p, _)| std::fs::symlink_metadata(p).is_ok() && links::is_ours(p))
        .collect()
}

/// Refuses to link, into a directory that serves others, engines only the
/// caller's config has; checked before any link is made.
pub fn refuse_private(dir: &Path, engines: &[&Engine], sources: &Sources) -> Result<()> {
    let mine: Vec<&str> = engines
        .iter()
        .filter(|e| only_mine(e, sources))
        .map(|e| e.name.as_str())
        .collect();
    if mine.is_empty() || !serves_others(dir) {
        return Ok(());
    }
    let config = sources.user_file().map(Path::display);
    Err(Error::Usage(format!(
        "{} serves every user, but engine{} {} {} only in your own config ({}), so {} commands \
         there would fail for everyone else; put {} in the system config (dockmux remove NAME, \
         then dockmux add --system NAME HOST), link only the others by name (dockmux link --dir {} NAME…), \
         or link into a directory of your own (--dir ~/.local/bin)",
        dir.display(),
        if mine.len() == 1 { "" } else { "s" },
        mine.join(", "),
        if mine.len() == 1 { "is" } else { "are" },
        config.map_or_else(|| "?".to_string(), |c| c.to_string()),
        if mine.len() == 1 { "its" } else { "their" },
        if mine.len() == 1 { "it" } else { "them" },
        crate::text::quote::path(dir)
    )))
}

/// `$HOME`, when it is a home of the caller's own: not `/` (root's HOME in
/// some services, under which every directory lies) and owned by the caller.
fn own_home() -> Option<PathBuf> {
    let home = std::fs::canonicalize(paths::env("HOME")?).ok()?;
    let owned = std::fs::metadata(&home).is_ok_and(|m| m.uid() == crate::files::secure::euid());
    (home.parent().is_some() && owned).then_some(home)
}
