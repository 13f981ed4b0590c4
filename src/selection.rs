//! Which engines a fan-out command (`ps`, `each`, `find`) works on, by
//! PATTERN: a name, a glob (`'nas*'`, `pg?`, `[ab]*`), or `^NAME` / `^GLOB`
//! to leave engines out. No pattern, or only exclusions, start from every
//! engine. Every pattern is checked before the caller touches an engine: an
//! unknown name is the unknown-engine error (known names, did-you-mean).

use crate::config::{Config, Engine};
use crate::error::{Error, Result};

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
        .filter(|e| include.is_empty() || include.iter().any(|p| matches(p, &e.name)))
        .filter(|e| !exclude.iter().any(|p| matches(p, &e.name)))
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
    if !is_glob(pattern) {
        return cfg.require(pattern).map(|_| ());
    }
    if cfg.names().any(|n| matches(pattern, n)) {
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

fn is_glob(pattern: &str) -> bool {
    pattern.contains(['*', '?', '['])
}

/// Shell-style: `*` any run, `?` one character, `[abc]`, `[a-z]`, `[!x]`.
/// Without glob characters, the name itself.
pub fn matches(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    glob(&p, &n)
}

fn glob(p: &[char], n: &[char]) -> bool {
    match p.first() {
        None => n.is_empty(),
        Some('*') => (0..=n.len()).any(|i| glob(&p[1..], &n[i..])),
        Some('?') => !n.is_empty() && glob(&p[1..], &n[1..]),
        Some('[') => match (class(&p[1..]), n.first()) {
            (Some((set, rest)), Some(&c)) => set(c) && glob(rest, &n[1..]),
            // `[` with no closing `]` is itself.
            (None, Some('[')) => glob(&p[1..], &n[1..]),
            _ => false,
        },
        Some(&c) => n.first() == Some(&c) && glob(&p[1..], &n[1..]),
    }
}

type Class<'a> = (Box<dyn Fn(char) -> bool + 'a>, &'a [char]);

/// `[…]` after its `[`: the test for one character, and the pattern after `]`.
fn class(p: &[char]) -> Option<Class<'_>> {
    let negate = matches!(p.first(), Some('!' | '^'));
    let body_start = usize::from(negate);
    // A `]` first in the class is a member.
    let close = p
        .iter()
        .enumerate()
        .skip(body_start + 1)
        .find(|(_, c)| **c == ']')?
        .0;
    let body = &p[body_start..close];
    let test = move |c: char| {
        let mut i = 0;
        let mut hit = false;
        while i < body.len() {
            if i + 2 < body.len() && body[i + 1] == '-' {
                hit |= body[i] <= c && c <= body[i + 2];
                i += 3;
            } else {
                hit |= body[i] == c;
                i += 1;
            }
        }
        hit != negate
    };
    Some((Box::new(test), &p[close + 1..]))
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn globs_match_like_the_shell() {
        for (p, n) in [
            ("nas*", "nas1"),
            ("nas*", "nas"),
            ("*", "pg"),
            ("p?", "pg"),
            ("[lp]*", "lzc"),
            ("[a-m]zc", "lzc"),
            ("[!p]*", "lzc"),
            ("*-prod", "db-prod"),
            ("pg", "pg"),
        ] {
            assert!(matches(p, n), "{p} {n}");
        }
        for (p, n) in [
            ("nas*", "pg"),
            ("p?", "p"),
            ("[!l]*", "lzc"),
            ("pg", "pgx"),
            ("*-prod", "prod"),
        ] {
            assert!(!matches(p, n), "{p} {n}");
        }
    }
}
