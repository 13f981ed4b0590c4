//! Command names claimed more than once, and where in which file each claim
//! is (`file:line:col` for messages).

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;

use super::{Clash, Engine, Origin};
use crate::error::Place;

/// One claim on a command name: engine `engine`'s `NAME-docker` (`alias`
/// false) or one of its aliases, at `span` of text `src`.
struct Claim<'a> {
    engine: &'a str,
    alias: bool,
    src: usize,
    span: Range<usize>,
}

/// Every command name (`NAME-docker`, aliases) claimed more than once.
pub(super) fn clashes(engines: &[Engine], texts: &[(Origin, String)]) -> Vec<Clash> {
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

pub(super) fn place((origin, text): &(Origin, String), span: Range<usize>) -> Place {
    let file = match origin {
        Origin::BuiltIn => None,
        Origin::File(p) => Some(p.as_ref()),
    };
    place_of_bytes(file, text.as_bytes(), span.start)
}

pub(super) fn place_of_bytes(file: Option<&Path>, bytes: &[u8], offset: usize) -> Place {
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
