//! Which engines a command works on: its ENGINE words, in one grammar for
//! every command that takes them (`list`, `ps`, `each`, `find`, `link`,
//! `unlink`, `wrappers`, `contexts export`, `set`). A word is
//!
//! - a name, or a command that reaches the engine (`pg-docker`, an alias);
//! - a glob over the same (`'nas*'`, `pg?`: pattern.rs);
//! - `@TAG`: the engines whose `tags` hold TAG (a glob too: `'@prod-*'`);
//! - any of these after `^`: those engines left out.
//!
//! No word, or only exclusions, start from every engine. Every word is
//! checked before the caller touches an engine: an unknown name is the
//! unknown-engine error (known names, did-you-mean), a glob or tag that
//! matches nothing is refused too.

use crate::config::{Broken, Config, Engine};
use crate::error::{Error, Result};
use crate::text::pattern::{is_pattern, wildcard};
use crate::text::suggest;

/// The help of every ENGINE argument that takes this grammar.
pub const HELP: &str =
    "Engines: names, globs ('nas*'), @TAG; ^ before one leaves it out [default: all]";

/// One ENGINE word, without its `^`.
#[derive(Clone, Copy)]
enum Word<'w> {
    Name(&'w str),
    Glob(&'w str),
    Tag(&'w str),
}

impl<'w> Word<'w> {
    fn parse(word: &'w str) -> Word<'w> {
        match word.strip_prefix('@') {
            Some(tag) => Word::Tag(tag),
            None if is_pattern(word) => Word::Glob(word),
            None => Word::Name(word),
        }
    }

    fn selects(self, e: &Engine) -> bool {
        match self {
            Word::Name(n) => e.name == n || e.commands().any(|c| c == n),
            Word::Glob(g) => wildcard(g, &e.name) || e.commands().any(|c| wildcard(g, &c)),
            Word::Tag(t) => e.tags.iter().any(|tag| wildcard(t, tag)),
        }
    }
}

/// The engines `words` would select whose table holds a mistake
/// (config::Broken), so that no engine runs: a command that works on the
/// selected engines says which it skipped and why ([`skipped_notes`]).
/// Only a broken engine's name is known, so a name or glob matches it by
/// its name or `NAME-docker`, a tag never.
pub fn skipped<'a>(cfg: &'a Config, words: &[String]) -> Vec<&'a Broken> {
    let (exclude, include): (Vec<&String>, Vec<&String>) =
        words.iter().partition(|w| w.starts_with('^'));
    cfg.broken
        .iter()
        .filter(|b| include.is_empty() || include.iter().any(|w| selects_broken(w, b)))
        .filter(|b| !exclude.iter().any(|w| selects_broken(&w[1..], b)))
        .collect()
}

fn selects_broken(word: &str, b: &Broken) -> bool {
    let command = format!("{}-docker", b.name);
    match Word::parse(word) {
        Word::Name(n) => b.name == n || command == n,
        Word::Glob(g) => wildcard(g, &b.name) || wildcard(g, &command),
        Word::Tag(_) => false,
    }
}

/// A line on stderr per engine [`skipped`]: its name and its table's
/// mistake (file:line:col and the fix); empty when none.
pub fn skipped_notes(cfg: &Config, words: &[String]) -> String {
    skipped(cfg, words)
        .iter()
        .map(|b| format!("dockmux: skipped engine '{}': {}\n", b.name, b.error()))
        .collect()
}

/// The engines `words` select, in name order.
pub fn select<'a>(cfg: &'a Config, words: &[String]) -> Result<Vec<&'a Engine>> {
    select_as(cfg, words, Config::unknown_engine)
}

/// [`select`] for a command that would use the engines (link, wrappers,
/// contexts export): an unknown name's error says how to add it.
pub fn select_to_use<'a>(cfg: &'a Config, words: &[String]) -> Result<Vec<&'a Engine>> {
    select_as(cfg, words, Config::unknown_engine_to_use)
}

fn select_as<'a>(
    cfg: &'a Config,
    words: &[String],
    unknown: fn(&Config, &str) -> Error,
) -> Result<Vec<&'a Engine>> {
    if words.is_empty() {
        return Ok(cfg.engines.iter().collect());
    }
    let (mut include, mut exclude) = (Vec::new(), Vec::new());
    for w in words {
        let (list, bare) = match w.strip_prefix('^') {
            Some(rest) => (&mut exclude, rest),
            None => (&mut include, w.as_str()),
        };
        let word = Word::parse(bare);
        // Leaving out an engine whose table holds a mistake is fine.
        let broken = |b: &Broken| selects_broken(bare, b);
        if w.starts_with('^') && cfg.broken.iter().any(broken) {
            list.push(word);
            continue;
        }
        check(cfg, word, unknown)?;
        list.push(word);
    }
    let chosen: Vec<&Engine> = cfg
        .engines
        .iter()
        .filter(|e| include.is_empty() || include.iter().any(|w| w.selects(e)))
        .filter(|e| !exclude.iter().any(|w| w.selects(e)))
        .collect();
    if chosen.is_empty() {
        return Err(Error::Usage(format!(
            "no engine left: {} leave out every engine ({}); name fewer exclusions",
            words.join(" "),
            known(cfg)
        )));
    }
    Ok(chosen)
}

/// A word must select at least one engine.
fn check(cfg: &Config, word: Word, unknown: fn(&Config, &str) -> Error) -> Result<()> {
    if cfg.engines.iter().any(|e| word.selects(e)) {
        return Ok(());
    }
    match word {
        Word::Name("") | Word::Tag("") => Err(Error::Usage(
            "an empty ENGINE word; give a name, a glob ('nas*'), @TAG, or ^ before one to leave engines out"
                .into(),
        )),
        Word::Name(n) => Err(unknown(cfg, n)),
        Word::Glob(g) => Err(Error::Usage(format!(
            "no engine matches '{g}'; known engines: {}",
            known(cfg)
        ))),
        Word::Tag(t) => {
            let mut tags: Vec<&str> = cfg
                .engines
                .iter()
                .flat_map(|e| e.tags.iter().map(String::as_str))
                .collect();
            tags.sort_unstable();
            tags.dedup();
            Err(Error::Usage(if tags.is_empty() {
                format!(
                    "no engine has tag '{t}': no engine has tags yet; give one a tag: dockmux set ENGINE --tag {t}"
                )
            } else {
                let near = suggest::closest(t, tags.iter().copied())
                    .map(|n| format!("; did you mean '@{n}'?"))
                    .unwrap_or_default();
                format!(
                    "no engine has tag '{t}'; tags in use: {}{near}",
                    tags.join(", ")
                )
            }))
        }
    }
}

fn known(cfg: &Config) -> String {
    let names: Vec<&str> = cfg.names().collect();
    if names.is_empty() {
        "none configured".to_string()
    } else {
        names.join(", ")
    }
}
