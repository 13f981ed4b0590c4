//! The full parser: one config text, every key checked, every error at its
//! place. toml's zero-copy spanned parser; spans become `file:line:col` only
//! when there is an error to report.

use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::keys::{Key, Kind, Settings};
use super::rules::{cert_path_ok, check_name, client_path_ok, persist_secs, tls_fits};
use super::{Client, Engine, Origin, Tls};
use crate::config::host;
use crate::text::suggest;

pub const TOP_KEYS: &[&str] = &["docker", "persist", "engines"];
pub const TLS_KEYS: &[&str] = &["verify", "cert_path"];

pub(super) struct Parsed {
    pub docker: Option<Client>,
    /// The top-level `persist`, in seconds.
    pub persist: Option<u64>,
    /// Each engine in file order: a mistake inside its table is its own
    /// (its name and the error), not the file's.
    pub engines: Vec<std::result::Result<Engine, (String, ParseError)>>,
}

pub(super) type ParseError = (Range<usize>, String);

pub(super) fn parse(
    text: &str,
    src: usize,
    origin: &Origin,
) -> std::result::Result<Parsed, ParseError> {
    let doc = DeTable::parse(text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        (span, format!("invalid TOML: {}", e.message().trim_end()))
    })?;
    let mut out = Parsed {
        docker: None,
        persist: None,
        engines: Vec::new(),
    };
    for (key, value) in doc.get_ref() {
        match key.get_ref().as_ref() {
            "docker" => {
                let path = plain_string(value, "docker")?;
                if !client_path_ok(path) {
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
                    engine: None,
                });
            }
            "persist" => {
                let text = plain_string(value, "persist")?;
                out.persist = Some(persist_secs(text).map_err(|m| (value.span(), m))?);
            }
            "engines" => {
                let DeValue::Table(table) = value.get_ref() else {
                    return Err((
                        value.span(),
                        "'engines' must be a table: write [engines.NAME] sections".to_string(),
                    ));
                };
                for (name, body) in table {
                    engine_name(name)?;
                    let engine = parse_engine(name, body, src, origin);
                    let n = name.get_ref().to_string();
                    out.engines.push(engine.map_err(|e| (n, e)));
                }
            }
            other => return Err(unknown_key(key, other, "at the top level", TOP_KEYS)),
        }
    }
    Ok(out)
}

/// An engine's name: a bad one stops the file (no command could name the
/// engine to say what is wrong with it).
fn engine_name(name: &Spanned<std::borrow::Cow<'_, str>>) -> std::result::Result<(), ParseError> {
    let n = name.get_ref().as_ref();
    crate::text::plain::check("an engine name", n).map_err(|m| (name.span(), m))?;
    check_name(n).map_err(|why| (name.span(), format!("engine name '{n}' is invalid: {why}")))
}

fn parse_engine(
    name: &Spanned<std::borrow::Cow<'_, str>>,
    body: &Spanned<DeValue<'_>>,
    src: usize,
    origin: &Origin,
) -> std::result::Result<Engine, ParseError> {
    let n = name.get_ref().as_ref();
    let DeValue::Table(table) = body.get_ref() else {
        return Err((
            body.span(),
            format!("engine '{n}' must be a table: write [engines.{n}] with host = \"…\""),
        ));
    };
    let mut host = None;
    let mut engine = Engine {
        settings: Settings {
            name: n.to_string(),
            ..Settings::default()
        },
        kind: host::Kind::Unix,
        top_persist: None,
        origin: origin.clone(),
        src,
        name_span: name.span(),
        alias_spans: Vec::new(),
    };
    for (key, value) in table {
        let word = key.get_ref().as_ref();
        let Some(k) = Key::from_toml(word) else {
            let expected: Vec<&str> = Key::names().collect();
            return Err(unknown_key(
                key,
                word,
                &format!("in engine '{n}'"),
                &expected,
            ));
        };
        match k.kind() {
            Kind::Text => {
                let text = plain_string(value, word)?;
                if k == Key::Host {
                    let kind = host::check(text).map_err(|m| (value.span(), m))?;
                    host = Some((kind, value.span()));
                }
                k.check_text(text).map_err(|m| (value.span(), m))?;
                engine.settings.set_text(k, Some(text.to_string()));
            }
            Kind::Names => {
                let DeValue::Array(items) = value.get_ref() else {
                    return Err((
                        value.span(),
                        format!(
                            "{word} must be a list of {}, like {word} = [\"{}\"]",
                            k.items(),
                            k.example()
                        ),
                    ));
                };
                let mut names = Vec::with_capacity(items.len());
                for item in items {
                    let one = string(item, k.a_noun())?;
                    crate::text::plain::check(word, one).map_err(|m| (item.span(), m))?;
                    k.check_item(one).map_err(|why| {
                        (
                            item.span(),
                            format!("{} '{one}' is invalid: {why}", k.noun()),
                        )
                    })?;
                    if k == Key::Aliases {
                        engine.alias_spans.push(item.span());
                    }
                    names.push(one.to_string());
                }
                engine.settings.set_names(k, names);
            }
            Kind::Switch => engine.settings.set_switch(k, boolean(value, word)?),
            Kind::Tls => engine.settings.tls = Some(parse_tls(value)?),
        }
    }
    let Some((kind, span)) = host else {
        return Err((
            name.span(),
            format!(
                "engine '{n}' has no host; add host = \"unix:///path/to/docker.sock\" to [engines.{n}]"
            ),
        ));
    };
    if engine.tls.is_some() && !tls_fits(kind) {
        return Err((
            span,
            format!(
                "engine '{n}': tls applies only to tcp:// hosts; remove tls or use tcp://HOST:PORT"
            ),
        ));
    }
    engine.kind = kind;
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
                if !cert_path_ok(p) {
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

/// A string value: plain text (crates/dockmux-engine/src/text/plain.rs), which also keeps out the NUL
/// that no path or environment variable can hold (TOML can, as `\u0000`).
fn plain_string<'a>(
    value: &'a Spanned<DeValue<'_>>,
    key: &str,
) -> std::result::Result<&'a str, ParseError> {
    let s = string(value, key)?;
    crate::text::plain::check(key, s).map_err(|m| (value.span(), m))?;
    Ok(s)
}

fn unknown_key(
    key: &Spanned<std::borrow::Cow<'_, str>>,
    word: &str,
    place: &str,
    expected: &[&str],
) -> ParseError {
    if let Err(m) = crate::text::plain::check("a key", word) {
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
