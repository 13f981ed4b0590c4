//! Which engines a fan-out command (`ps`, `each`, `find`) works on, by
//! PATTERN: a name, a glob (`'nas*'`, `pg?`: pattern.rs), or `^NAME` / `^GLOB`
//! to leave engines out. No pattern, or only exclusions, start from every
//! engine. Every pattern is checked before the caller touches an engine: an
//! unknown name is the unknown-engine error (known names, did-you-mean).

use crate::config::{Config, Engine};
use crate::error::{Error, Result};
use crate::pattern::{is_pattern, wildcard};

/// The engines `patterns` select, in name order.
pub fn select<'a>(cfg: &'a Config, patterns: &[String]) -> Result<Vec<&'a Engine>> {
    let (exclude, include): (Vec<&str>, Vec<&str>) = patterns
        .iter()
        .map(String::as_str)
        .partition(|p| p.starts_with('^'));
    let exclude: Vec<&str> = exclude.iter().map(|p| &p[1..]).collect();
    for p in include.iter().chain(&exclude) {
        check(cfg, p)?;
    }
    let chosen: Vec<&Engine> = cfg
        .engines
        .iter()
        .filter(|e| include.is_empty() || include.iter().any(|p| wildcard(p, &e.name)))
        .filter(|e| !exclude.iter().any(|p| wildcard(p, &e.name)))
        .collect();
    if chosen.is_empty() {
        let known: Vec<&str> = cfg.names().collect();
        return Err(Error::Usage(format!(
            "no engine left: {} leave out every engine ({}); name fewer exclusions",
            patterns.join(" "),
            if known.is_empty() {
                "none configured".to_string()
            } else {
                known.join(", ")
            }
        )));
    }
    Ok(chosen)
}

/// A name must be an engine's; a glob must match one.
fn check(cfg: &Config, pattern: &str) -> Result<()> {
    if pattern.is_empty() {
        return Err(Error::Usage(
            "an empty engine pattern; give a name, a glob ('nas*') or ^NAME to leave one out"
                .into(),
        ));
    }
    if !is_pattern(pattern) {
        return cfg.require(pattern).map(|_| ());
    }
    if cfg.names().any(|n| wildcard(pattern, n)) {
        return Ok(());
    }
    let known: Vec<&str> = cfg.names().collect();
    Err(Error::Usage(format!(
        "no engine matches '{pattern}'; known engines: {}",
        if known.is_empty() {
            "none".to_string()
        } else {
            known.join(", ")
        }
    )))
}
