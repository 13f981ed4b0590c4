//! The engine path's reading of engines.toml: a strict, allocation-light
//! scanner for the plain shape configs have (`docker = "…"`, `[engines.NAME]`
//! sections of one-line `key = value` entries, comments). A general TOML
//! parser builds a document tree with a map per table, which costs about 20k
//! instructions per engine: a `pg-docker` in a config of 1,000 engines would
//! spend milliseconds before docker even starts.
//!
//! The scanner accepts only a subset of TOML whose meaning is unambiguous and
//! checks every entry as the parser (parse.rs) does, by the same rules
//! (rules.rs). On anything else — another TOML form, an invalid value, a
//! name claimed twice, an unknown command — it
//! answers `None` and the full parser runs instead, so every result and every
//! error message is the full parser's own. The tests below hold the two to
//! the same answers on generated and mutated configs.

use std::ops::Range;

use super::keys::{Key, Settings};
use super::rules::{cert_path_ok, check_name, client_path_ok, persist_secs, tls_fits};
use super::{Client, Engine, Origin, Tls};
use crate::config::host::{self, Kind};

/// What the checks across sections need of one section.
struct Entry<'a> {
    name: &'a str,
    src: usize,
    /// Into `Scan::aliases` and `Scan::alias_spans`.
    aliases: Range<usize>,
    /// Into `Scan::claims`: the whole section, kept when it claims the
    /// command run (by its name or an alias), so the one engine that runs
    /// is not read twice.
    claim: Option<usize>,
}

#[derive(Default)]
struct Scan<'a> {
    /// The client path and the text it came from.
    docker: Option<(&'a str, usize)>,
    /// The top-level `persist` in seconds and the text it came from.
    persist: Option<(u64, usize)>,
    entries: Vec<Entry<'a>>,
    aliases: Vec<&'a str>,
    alias_spans: Vec<Range<usize>>,
    claims: Vec<Raw<'a>>,
}

/// The engine `command` reaches and the configured client, when every text
/// is of the plain shape and valid and the command is claimed; else `None`.
pub(super) fn engine_for(
    texts: &[(Origin, String)],
    command: &str,
) -> Option<(Engine, Option<Client>)> {
    let mut scan = Scan::default();
    for (src, (_, text)) in texts.iter().enumerate() {
        scan_text(text, src, command, &mut scan)?;
    }
    let entries = merged(&scan.entries)?;
    claimed_once(&entries, &scan.aliases, command)?;
    let entry = find(&entries, &scan.aliases, command)?;
    let raw = scan.claims.swap_remove(entry.claim?);
    let aliases = scan.aliases[entry.aliases.clone()]
        .iter()
        .map(|a| a.to_string())
        .collect();
    let alias_spans = scan.alias_spans[entry.aliases.clone()].to_vec();
    let engine = Engine {
        settings: Settings {
            name: raw.name.to_string(),
            host: raw.host.to_string(),
            description: raw.description.map(str::to_string),
            aliases,
            hint: raw.hint.map(str::to_string),
            tls: raw.tls.map(|(verify, cert_path)| Tls {
                verify,
                cert_path: cert_path.map(str::to_string),
            }),
            client: raw.client.map(str::to_string),
            protect: raw.protect,
            readonly: raw.readonly,
            safe_binds: raw.safe_binds.iter().map(|b| b.to_string()).collect(),
            data_root: raw.data_root.map(str::to_string),
            pin: raw.pin.map(str::to_string),
            persist: raw.persist.map(str::to_string),
            tags: raw.tags.iter().map(|t| t.to_string()).collect(),
        },
        kind: raw.kind,
        top_persist: scan.persist.map(|(secs, _)| secs),
        origin: texts[entry.src].0.clone(),
        src: entry.src,
        name_span: raw.name_span,
        alias_spans,
    };
    let client = scan.docker.map(|(path, src)| Client {
        path: path.to_string(),
        origin: texts[src].0.clone(),
        engine: None,
    });
    Some((engine, client))
}

/// The entries after merging (a later file's entry replaces an earlier one of
/// the same name), sorted by name.
fn merged<'s, 'a>(all: &'s [Entry<'a>]) -> Option<Vec<&'s Entry<'a>>> {
    let mut entries: Vec<&Entry> = all.iter().collect();
    // Stable: entries of one name stay in file order, the last one wins.
    entries.sort_by(|a, b| a.name.cmp(b.name));
    let mut twice_in_one_file = false;
    // `kept` is the entry before `later`; it takes `later`'s place.
    entries.dedup_by(|later, kept| {
        let same = later.name == kept.name;
        if same {
            // Twice in one file is a TOML error: the full parser reports it.
            twice_in_one_file |= later.src == kept.src;
            *kept = *later;
        }
        same
    });
    (!twice_in_one_file).then_some(entries)
}

/// `command` is claimed at most once (as an alias or a `NAME-docker`). A
/// clash is the full parser's to report; clashes of other commands do not
/// stop this one.
fn claimed_once(entries: &[&Entry], aliases: &[&str], command: &str) -> Option<()> {
    let as_alias = entries
        .iter()
        .flat_map(|e| &aliases[e.aliases.clone()])
        .filter(|a| **a == command)
        .count();
    let as_name = command
        .strip_suffix("-docker")
        .is_some_and(|stem| entries.binary_search_by(|e| e.name.cmp(stem)).is_ok());
    (as_alias + usize::from(as_name) <= 1).then_some(())
}

/// As `Config::engine_for_command`: an alias, else `NAME-docker`.
fn find<'s, 'a>(
    entries: &[&'s Entry<'a>],
    aliases: &[&str],
    command: &str,
) -> Option<&'s Entry<'a>> {
    entries
        .iter()
        .find(|e| aliases[e.aliases.clone()].contains(&command))
        .or_else(|| {
            let name = command.strip_suffix("-docker")?;
            entries
                .binary_search_by(|e| e.name.cmp(name))
                .ok()
                .map(|i| &entries[i])
        })
        .copied()
}

fn scan_text<'a>(text: &'a str, src: usize, command: &str, out: &mut Scan<'a>) -> Option<()> {
    let mut s = Cursor::at(text, 0);
    // Top-level keys (`docker`, `persist`), before any table.
    loop {
        s.skip_ws();
        match s.peek() {
            None => return Some(()),
            Some(b'\n' | b'\r' | b'#') => s.end_of_line()?,
            Some(b'[') => break,
            Some(_) => {
                match s.key_eq()? {
                    "docker" if out.docker.is_none_or(|(_, f)| f != src) => {
                        let (path, _) = s.string()?;
                        if !client_path_ok(path) {
                            return None;
                        }
                        out.docker = Some((path, src));
                    }
                    "persist" if out.persist.is_none_or(|(_, f)| f != src) => {
                        out.persist = Some((persist_secs(s.string()?.0).ok()?, src));
                    }
                    _ => return None,
                }
                s.end_of_line()?;
            }
        }
    }
    let mut engines_table = false;
    loop {
        s.skip_ws();
        match s.peek() {
            None => return Some(()),
            Some(b'\n' | b'\r' | b'#') => s.end_of_line()?,
            // `[engines]` alone, once, with no keys of its own.
            Some(b'[') if s.literal(b"[engines]") => {
                if std::mem::replace(&mut engines_table, true) {
                    return None;
                }
                s.end_of_line()?;
            }
            Some(b'[') => {
                let first = out.aliases.len();
                let raw = section(&mut s, |alias, span| {
                    out.aliases.push(alias);
                    out.alias_spans.push(span);
                    Some(())
                })?;
                let (name, aliases) = (raw.name, first..out.aliases.len());
                let claims = command.strip_suffix("-docker") == Some(raw.name)
                    || out.aliases[aliases.clone()].contains(&command);
                let claim = claims.then(|| {
                    out.claims.push(raw);
                    out.claims.len() - 1
                });
                out.entries.push(Entry {
                    name,
                    src,
                    aliases,
                    claim,
                });
            }
            Some(_) => return None,
        }
    }
}

/// One `[engines.NAME]` section, as slices of its text.
struct Raw<'a> {
    name: &'a str,
    name_span: Range<usize>,
    host: &'a str,
    kind: Kind,
    description: Option<&'a str>,
    hint: Option<&'a str>,
    tls: Option<(bool, Option<&'a str>)>,
    client: Option<&'a str>,
    protect: bool,
    readonly: bool,
    /// Read and checked as the parser does; allocate only when they are there.
    safe_binds: Vec<&'a str>,
    data_root: Option<&'a str>,
    pin: Option<&'a str>,
    persist: Option<&'a str>,
    tags: Vec<&'a str>,
}

/// Reads and checks one section, from its `[` to the next table or the end;
/// `alias` is given each alias and its span.
fn section<'a>(
    s: &mut Cursor<'a>,
    mut alias: impl FnMut(&'a str, Range<usize>) -> Option<()>,
) -> Option<Raw<'a>> {
    if !s.literal(b"[engines.") {
        return None;
    }
    let (name, name_span) = s.key()?;
    s.byte(b']')?;
    s.end_of_line()?;
    check_name(name).ok()?;
    let mut raw = Raw {
        name,
        name_span,
        host: "",
        kind: Kind::Unix,
        description: None,
        hint: None,
        tls: None,
        client: None,
        protect: false,
        readonly: false,
        safe_binds: Vec::new(),
        data_root: None,
        pin: None,
        persist: None,
        tags: Vec::new(),
    };
    // Keys seen, to refuse repeats (a TOML error).
    let mut seen = [false; Key::ALL.len()];
    let mut once = |k: Key| (!std::mem::replace(&mut seen[k as usize], true)).then_some(());
    loop {
        s.skip_ws();
        match s.peek() {
            None | Some(b'[') => break,
            Some(b'\n' | b'\r' | b'#') => s.end_of_line()?,
            Some(_) => {
                let key = Key::from_toml(s.key_eq()?)?;
                once(key)?;
                match key {
                    Key::Host => {
                        let (url, _) = s.string()?;
                        raw.kind = host::check(url).ok()?;
                        raw.host = url;
                    }
                    Key::Description => raw.description = Some(s.string()?.0),
                    Key::Hint => raw.hint = Some(s.string()?.0),
                    Key::Aliases => {
                        s.array(|a, span| {
                            key.check_item(a).ok()?;
                            alias(a, span)
                        })?;
                    }
                    Key::Tags => {
                        s.array(|t, _| {
                            key.check_item(t).ok()?;
                            raw.tags.push(t);
                            Some(())
                        })?;
                    }
                    Key::SafeBinds => {
                        s.array(|b, _| {
                            key.check_item(b).ok()?;
                            raw.safe_binds.push(b);
                            Some(())
                        })?;
                    }
                    Key::Client | Key::DataRoot | Key::Pin | Key::Persist => {
                        let (v, _) = s.string()?;
                        key.check_text(v).ok()?;
                        match key {
                            Key::Client => raw.client = Some(v),
                            Key::DataRoot => raw.data_root = Some(v),
                            Key::Pin => raw.pin = Some(v),
                            _ => raw.persist = Some(v),
                        }
                    }
                    Key::Tls => raw.tls = Some(s.tls()?),
                    Key::Protect => raw.protect = s.boolean()?,
                    Key::Readonly => raw.readonly = s.boolean()?,
                }
                s.end_of_line()?;
            }
        }
    }
    // A host is required, and tls goes only with tcp.
    let has_host = !raw.host.is_empty();
    (has_host && (raw.tls.is_none() || tls_fits(raw.kind))).then_some(raw)
}

/// The bytes a string's scan must look at: quotes, the backslash, and every
/// byte that may start a character config values may not hold.
static STRING_STOP: [bool; 256] = {
    let mut stop = [false; 256];
    let mut b = 0;
    while b < 256 {
        stop[b] = matches!(b as u8, b'"' | b'\'' | b'\\')
            || crate::text::plain::may_start_unsafe(b as u8);
        b += 1;
    }
    stop
};

struct Cursor<'a> {
    b: &'a [u8],
    text: &'a str,
    i: usize,
}

impl<'a> Cursor<'a> {
    fn at(text: &'a str, i: usize) -> Cursor<'a> {
        Cursor {
            b: text.as_bytes(),
            text,
            i,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.i += 1;
        }
    }

    fn byte(&mut self, want: u8) -> Option<()> {
        (self.peek() == Some(want)).then(|| self.i += 1)
    }

    /// Consumes `want` if it comes next.
    fn literal(&mut self, want: &[u8]) -> bool {
        let hit = self.b[self.i..].starts_with(want);
        if hit {
            self.i += want.len();
        }
        hit
    }

    /// Optional comment, then a newline or the end.
    fn end_of_line(&mut self) -> Option<()> {
        self.skip_ws();
        if self.peek() == Some(b'#') {
            // TOML allows tab and printable characters in comments.
            while let Some(c) = self.peek() {
                match c {
                    b'\n' | b'\r' => break,
                    b'\t' | 0x20..=0x7e | 0x80.. => self.i += 1,
                    _ => return None,
                }
            }
        }
        match self.peek() {
            None => Some(()),
            Some(b'\n') => {
                self.i += 1;
                Some(())
            }
            Some(b'\r') if self.b.get(self.i + 1) == Some(&b'\n') => {
                self.i += 2;
                Some(())
            }
            _ => None,
        }
    }

    fn bare_key(&mut self) -> Option<&'a str> {
        let start = self.i;
        while matches!(self.peek(), Some(c) if c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
        {
            self.i += 1;
        }
        (self.i > start).then(|| &self.text[start..self.i])
    }

    /// `KEY =` with a bare key; the key.
    fn key_eq(&mut self) -> Option<&'a str> {
        let key = self.bare_key()?;
        self.skip_ws();
        self.byte(b'=')?;
        self.skip_ws();
        Some(key)
    }

    /// A bare or quoted key, and its span (quotes included).
    fn key(&mut self) -> Option<(&'a str, Range<usize>)> {
        let start = self.i;
        match self.peek()? {
            b'"' | b'\'' => self.string().map(|(k, _)| (k, start..self.i)),
            _ => self.bare_key().map(|k| (k, start..self.i)),
        }
    }

    /// A one-line string without escapes, basic or literal; its value and
    /// span (quotes included). Multi-line strings are left to the full parser.
    fn string(&mut self) -> Option<(&'a str, Range<usize>)> {
        let quote = self.peek()?;
        if quote != b'"' && quote != b'\'' {
            return None;
        }
        let start = self.i;
        let from = start + 1;
        // Escapes are the parser's; so is every character config values may
        // not hold (crates/dockmux-engine/src/text/plain.rs: C0 with tab, DEL, C1, bidi controls), which
        // the parser refuses with the key's name. `end` only stops at a
        // character's first byte, so the text from there is a whole character.
        let mut end = from;
        loop {
            // Most bytes are none of those: one table look-up each.
            while !STRING_STOP[usize::from(*self.b.get(end)?)] {
                end += 1;
            }
            match self.b[end] {
                c if c == quote => break,
                b'\\' if quote == b'"' => return None,
                c if crate::text::plain::may_start_unsafe(c)
                    && self.text[end..]
                        .chars()
                        .next()
                        .is_none_or(crate::text::escape::is_unsafe) =>
                {
                    return None;
                }
                _ => end += 1,
            }
        }
        let len = end - from;
        self.i = end + 1;
        // `""` followed by a quote opens a multi-line string.
        if len == 0 && self.peek() == Some(quote) {
            return None;
        }
        Some((&self.text[from..end], start..self.i))
    }

    /// A one-line array of strings: `["a", "b"]`, `[]`, a trailing comma.
    fn array(&mut self, mut each: impl FnMut(&'a str, Range<usize>) -> Option<()>) -> Option<()> {
        self.byte(b'[')?;
        loop {
            self.skip_ws();
            if self.byte(b']').is_some() {
                return Some(());
            }
            let (item, span) = self.string()?;
            each(item, span)?;
            self.skip_ws();
            if self.byte(b',').is_none() {
                self.skip_ws();
                return self.byte(b']');
            }
        }
    }

    /// `{ verify = BOOL, cert_path = "/dir" }` on one line, each key at most once.
    fn tls(&mut self) -> Option<(bool, Option<&'a str>)> {
        self.byte(b'{')?;
        let (mut verify, mut cert_path) = (None, None);
        self.skip_ws();
        if self.byte(b'}').is_some() {
            return Some((true, None));
        }
        loop {
            self.skip_ws();
            match self.key_eq()? {
                "verify" if verify.is_none() => verify = Some(self.boolean()?),
                "cert_path" if cert_path.is_none() => {
                    let (p, _) = self.string()?;
                    if !cert_path_ok(p) {
                        return None;
                    }
                    cert_path = Some(p);
                }
                _ => return None,
            }
            self.skip_ws();
            if self.byte(b'}').is_some() {
                return Some((verify.unwrap_or(true), cert_path));
            }
            self.byte(b',')?;
        }
    }

    fn boolean(&mut self) -> Option<bool> {
        match self.bare_key()? {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    //! The scanner against the full parser: whenever the scanner answers, the
    //! full parser must load the same texts without error and give the same
    //! engine (every field, spans included) and client.
    use super::*;
    use proptest::prelude::*;
    use proptest::strategy::ValueTree;
    use std::path::Path;

    fn texts(files: &[String]) -> Vec<(Origin, String)> {
        files
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let path = format!("/etc/f{i}.toml");
                (
                    Origin::File(std::sync::Arc::from(Path::new(&path))),
                    t.clone(),
                )
            })
            .collect()
    }

    /// Some(answer) when the scanner answered; panics when it disagrees.
    fn agree(files: &[String], command: &str) -> Option<()> {
        let t = texts(files);
        let quick = engine_for(&t, command);
        let full = super::super::merge((t, Vec::new()));
        let (engine, client) = quick?;
        let cfg = full.unwrap_or_else(|e| {
            panic!("scanner accepted what the parser refuses ({e}): {files:?} {command}")
        });
        let want = cfg.engine_for_command(command).unwrap_or_else(|| {
            panic!("scanner found {command} where the parser did not: {files:?}")
        });
        assert_eq!(format!("{engine:?}"), format!("{want:?}"), "{files:?}");
        assert_eq!(
            format!("{client:?}"),
            format!("{:?}", cfg.docker),
            "{files:?}"
        );
        Some(())
    }

    #[test]
    fn plain_configs_take_the_quick_way() {
        let cfg = "# engines\r\ndocker = '/usr/bin/docker'  # the client\n\n[engines.pg]\nhost = \"unix:///s\" \t\ndescription = \"Play, ground ü\"\naliases = [ \"playground\", 'pgx', ]\n\
                   [engines.\"db.prod\"]\nhost = \"tcp://db:2376\"\ntls = { verify = false, cert_path = \"/c\" }\nhint = ''\n[engines.e]\nhost='ssh://me@nas'\naliases=[]\ntags = [\"nas\", 'prod-1',]";
        for cmd in [
            "pg-docker",
            "playground",
            "pgx",
            "db.prod-docker",
            "e-docker",
        ] {
            assert!(agree(&[cfg.to_string()], cmd).is_some(), "{cmd}");
        }
        assert!(agree(&[BUILT_IN_FOR_TESTS.to_string()], "lzc-docker").is_some());
        // A later file replaces an engine whole and may set the client.
        let two = [
            cfg.to_string(),
            "docker = \"docker\"\n[engines.pg]\nhost = \"unix:///other\"\n".to_string(),
        ];
        assert!(agree(&two, "pg-docker").is_some());
        assert!(
            agree(&two, "pgx").is_none(),
            "pgx went with the replaced entry"
        );
        // A clash (here across files) stops only the command it touches.
        let clash = [
            "[engines.db]\nhost = \"unix:///db\"\naliases = [\"work\"]\n".to_string(),
            "[engines.mine]\nhost = \"unix:///m\"\naliases = [\"work\", \"db-docker\"]\n[engines.other]\nhost = \"unix:///o\"\n"
                .to_string(),
        ];
        for cmd in ["mine-docker", "other-docker"] {
            assert!(agree(&clash, cmd).is_some(), "{cmd}");
        }
        for cmd in ["work", "db-docker"] {
            assert!(agree(&clash, cmd).is_none(), "{cmd}");
        }
    }

    #[test]
    fn everything_else_goes_the_full_way() {
        for (cfg, cmd) in [
            (
                "[engines.pg]\nhost = \"unix:///s\"\nhost = \"unix:///t\"\n",
                "pg-docker",
            ),
            (
                "[engines.pg]\nhost = \"unix:///s\"\n[engines.pg]\nhost = \"unix:///s\"\n",
                "pg-docker",
            ),
            ("[engines.pg]\nhost = \"unix:///s\\u0041\"\n", "pg-docker"),
            ("[engines.pg]\nhost = \"\"\"unix:///s\"\"\"\n", "pg-docker"),
            ("[engines.pg]\nhost = \"/s\"\n", "pg-docker"),
            ("[engines.Pg]\nhost = \"unix:///s\"\n", "Pg-docker"),
            (
                "[engines.pg]\nhost = \"unix:///s\"\ntls = {}\n",
                "pg-docker",
            ),
            // A clashing command is the parser's to report.
            (
                "[engines.pg]\nhost = \"unix:///s\"\naliases = [\"a\", \"a\"]\n",
                "a",
            ),
            (
                "[engines.a]\nhost = \"unix:///s\"\n[engines.b]\nhost = \"unix:///s\"\naliases = [\"a-docker\"]\n",
                "a-docker",
            ),
            (
                "[engines.pg]\nhost = \"unix:///s\"\nhostname = 1\n",
                "pg-docker",
            ),
            ("[engines.pg]\nhost = \"unix:///s\"\n", "lzc-docker"),
            ("[engines.pg]\nhost = \"unix:///s\"\r", "pg-docker"),
            ("[engines]\npg = { host = \"unix:///s\" }\n", "pg-docker"),
            (
                "[engines.pg]\ntls.verify = true\nhost = \"tcp://h:1\"\n",
                "pg-docker",
            ),
        ] {
            assert!(agree(&[cfg.to_string()], cmd).is_none(), "{cfg:?}");
        }
    }

    /// What `pg-docker` gets from the full loader: the file's error, or its engine's.
    fn full_error(files: &[String]) -> crate::error::Error {
        match super::super::merge((texts(files), Vec::new())) {
            Err(e) => e,
            Ok(cfg) => cfg.resolve("pg-docker").map(|_| ()).unwrap_err(),
        }
    }

    #[test]
    fn control_characters_in_any_value_go_the_full_way_and_are_refused() {
        // Each value kind, raw (where TOML allows it) and escaped.
        let base = "[engines.pg]\nhost = \"unix:///s\"\n";
        for (line, key) in [
            ("description = \"a\tb\"", "description"),
            ("description = 'tab\there'", "description"),
            ("description = \"x\\ny\"", "description"),
            ("hint = \"\\u001b]0;owned\\u0007\"", "hint"),
            ("hint = 'c1 \u{9b} raw'", "hint"),
            ("aliases = [\"ok\", \"a\\u007f\"]", "aliases"),
        ] {
            let text = format!("{base}{line}\n");
            assert!(
                agree(std::slice::from_ref(&text), "pg-docker").is_none(),
                "{text:?}"
            );
            let err = full_error(std::slice::from_ref(&text));
            assert!(
                err.to_string()
                    .contains(&format!("{key} holds a control character")),
                "{err}"
            );
        }
        for (text, key) in [
            ("[engines.pg]\nhost = \"unix:///s\\n\"\n", "host"),
            ("[engines.pg]\nhost = 'unix:///s\t'\n", "host"),
            (
                "docker = \"/usr/bin/docker\\u0085\"\n[engines.pg]\nhost = \"unix:///s\"\n",
                "docker",
            ),
            (
                "[engines.pg]\nhost = \"tcp://h:1\"\ntls = { cert_path = \"/c\\r\" }\n",
                "tls.cert_path",
            ),
            (
                "[engines.\"p\\u001bg\"]\nhost = \"unix:///s\"\n",
                "an engine name",
            ),
            (
                "[engines.pg]\nhost = \"unix:///s\"\n\"k\\u0007\" = 1\n",
                "a key",
            ),
        ] {
            assert!(
                agree(&[text.to_string()], "pg-docker").is_none(),
                "{text:?}"
            );
            let err = full_error(&[text.to_string()]).to_string();
            assert!(
                err.contains(&format!("{key} holds a control character")),
                "{err}"
            );
            assert!(!err.chars().any(char::is_control), "{err:?}");
        }
    }

    const BUILT_IN_FOR_TESTS: &str = include_str!("default_engines.toml");

    /// Pieces configs are made of: valid and invalid, TOML and not.
    fn line() -> impl Strategy<Value = String> {
        let name = prop_oneof![
            Just("pg"),
            Just("lzc"),
            Just("db.prod"),
            Just("\"db.prod\""),
            Just("'pg'"),
            Just("Pg"),
            Just("a-b_c"),
            Just("-x"),
            Just("\"\""),
            Just("pg.x"),
            Just("dockmux"),
        ];
        let string = prop_oneof![
            Just("\"unix:///s\""),
            Just("'unix:///t'"),
            Just("\"tcp://h:2376\""),
            Just("\"tcp://h\""),
            Just("\"ssh://me@nas\""),
            Just("\"/bare\""),
            Just("\"\""),
            Just("\"a\\\"b\""),
            Just("\"ü x\""),
            // Control characters, raw and escaped: refused by both.
            Just("\"a\tb\""),
            Just("\"x\\u001b[2J\""),
            Just("\"l1\\nl2\""),
            Just("'c1 \u{85} here'"),
            Just("\"\\u009b\""),
            Just("'rlo \u{202e} raw'"),
            Just("\"dash \u{2013} is fine\""),
            Just("\"pg-docker\""),
            Just("\"playground\""),
            Just("\"Nas\""),
            Just("'''x'''"),
            Just("\"docker\""),
            Just("\"/usr/bin/docker\""),
            Just("\"bin/docker\""),
            Just("\"10m\""),
            Just("\"0\""),
            Just("\"5x\""),
            Just("3"),
        ];
        let array =
            prop::collection::vec(string.clone(), 0..3).prop_map(|v| format!("[{}]", v.join(", ")));
        let tls = prop_oneof![
            Just("{ verify = true }"),
            Just("{verify=false,cert_path=\"/c\"}"),
            Just("{}"),
            Just("{ cert_path = \"c\" }"),
            Just("{ verify = 1 }"),
            Just("{ verify = true, }"),
        ];
        let key = prop_oneof![
            Just("host"),
            Just("description"),
            Just("hint"),
            Just("aliases"),
            Just("tls"),
            Just("docker"),
            Just("hots"),
            Just("\"host\""),
            Just("protect"),
            Just("readonly"),
            Just("safe_binds"),
            Just("data_root"),
            Just("pin"),
            Just("persist"),
            Just("tags"),
            Just("tag"),
            Just("client"),
        ];
        let value = prop_oneof![
            string.prop_map(str::to_string),
            prop_oneof![Just("true"), Just("false"), Just("truex"), Just("\"true\"")]
                .prop_map(str::to_string),
            array,
            tls.prop_map(str::to_string)
        ];
        let end = prop_oneof![
            Just("\n"),
            Just("\r\n"),
            Just(" # c\n"),
            Just("\t\n"),
            Just("")
        ];
        prop_oneof![
            (name, end.clone()).prop_map(|(n, e)| format!("[engines.{n}]{e}")),
            (key, value, end.clone()).prop_map(|(k, v, e)| format!("{k} = {v}{e}")),
            end.prop_map(str::to_string),
            Just("# comment\n".to_string()),
            Just("[engines]\n".to_string()),
        ]
    }

    /// A valid section of the plain shape: keys in any order, optional ones
    /// left out, assorted spacing, comments and line ends.
    fn section(name: &'static str) -> impl Strategy<Value = String> {
        let end = prop_oneof![Just("\n"), Just("\r\n"), Just(" # c\n"), Just("\t\n")];
        (
            Just(name),
            prop_oneof![
                Just(("\"unix:///s\"", false)),
                Just(("'tcp://h:1'", true)),
                Just(("\"ssh://me@nas:22/run/d.sock\"", false)),
            ],
            prop::option::of(prop_oneof![
                Just("\"Play ground\""),
                Just("''"),
                Just("'ü \"q\"'")
            ]),
            prop::option::of(prop_oneof![Just("\"start it\""), Just("'#not a comment'")]),
            prop::option::weighted(
                0.3,
                prop::sample::subsequence(
                    vec!["\"playground\"", "'pgx'", "\"x1-docker\"", "\"lzc-docker\""],
                    0..3,
                ),
            ),
            prop::option::of(prop_oneof![
                Just("{ verify = true }"),
                Just("{verify=false,cert_path=\"/c\"}"),
                Just("{ }")
            ]),
            Just(()).prop_perturb(|_, mut rng| rng.next_u32()),
            prop::collection::vec(end, 10),
            (
                prop::option::of(prop_oneof![Just("true"), Just("false")]),
                prop::option::of(prop_oneof![Just("true"), Just("false")]),
                prop::option::of(prop_oneof![
                    Just("[\"nas\"]"),
                    Just("[ 'nas', \"prod-1\", ]"),
                    Just("[]")
                ]),
                prop::option::of(prop_oneof![
                    Just("[\"/srv/apps\", '/x y']"),
                    Just("[]"),
                    Just("[ \"/\" ]")
                ]),
                prop::option::of(prop_oneof![Just("\"/data/docker\""), Just("'/'")]),
                prop::option::of(prop_oneof![Just("\"10m\""), Just("'0'"), Just("\"45\"")]),
                prop::option::of(prop_oneof![
                    Just("\"/usr/bin/docker\""),
                    Just("'/opt/d 2/docker'"),
                ]),
                prop::option::of(prop_oneof![
                    Just("\"id=A:B name=box root=/var/lib/docker\""),
                    Just("'id=x name= root=/d d'"),
                    Just("\"id=0c1f-4a name=n root=/\""),
                    Just("\"id=x\""),
                ]),
            ),
        )
            .prop_map(
                |(
                    name,
                    (host, tcp),
                    desc,
                    hint,
                    aliases,
                    tls,
                    order,
                    ends,
                    (protect, readonly, tags, safe_binds, data_root, persist, client, pin),
                )| {
                    let mut lines = vec![format!("host = {host}")];
                    lines.extend(protect.map(|b| format!("protect = {b}")));
                    lines.extend(readonly.map(|b| format!("readonly={b}")));
                    lines.extend(tags.map(|t| format!("tags = {t}")));
                    lines.extend(safe_binds.map(|b| format!("safe_binds = {b}")));
                    lines.extend(data_root.map(|d| format!("data_root={d}")));
                    lines.extend(persist.map(|p| format!("persist = {p}")));
                    lines.extend(client.map(|c| format!("client = {c}")));
                    lines.extend(pin.map(|p| format!("pin = {p}")));
                    lines.extend(desc.map(|d| format!("description = {d}")));
                    lines.extend(hint.map(|h| format!("hint={h}")));
                    lines.extend(aliases.map(|a| format!("aliases = [ {} ]", a.join(" , "))));
                    lines.extend(tls.filter(|_| tcp).map(|t| format!("tls = {t}")));
                    let n = lines.len();
                    lines.rotate_left(order as usize % n);
                    let mut out = format!("[engines.{name}]{}", ends[0]);
                    for (l, e) in lines.iter().zip(&ends[1..]) {
                        out.push_str(l);
                        out.push_str(e);
                    }
                    out
                },
            )
    }

    fn config() -> impl Strategy<Value = String> {
        (
            prop::option::of(prop_oneof![
                Just("docker = \"/usr/bin/docker\"\n"),
                Just("docker = 'docker' # PATH\n"),
                Just("persist = \"2h\"\ndocker = \"docker\"\n"),
                Just("persist = '0' # off\n"),
            ]),
            prop::sample::subsequence(
                vec!["pg", "lzc", "\"db.prod\"", "'x1'", "e-2_b", "pg"],
                0..5,
            )
            .prop_shuffle()
            .prop_flat_map(|names| names.into_iter().map(section).collect::<Vec<_>>()),
            prop::option::weighted(0.2, line()),
            // Now and then a byte edit: (position fraction, byte, delete?).
            prop::option::weighted(
                0.3,
                (
                    0.0..1.0f64,
                    prop::sample::select(b"[]\"'=#,{}.\n\r \\xa-".to_vec()),
                    any::<bool>(),
                ),
            ),
        )
            .prop_map(|(docker, parts, noise, edit)| {
                let mut text = format!(
                    "{}{}{}",
                    docker.unwrap_or(""),
                    parts.concat(),
                    noise.unwrap_or_default()
                )
                .into_bytes();
                if let Some((at, byte, delete)) = edit {
                    let i = ((text.len() as f64) * at) as usize;
                    if delete && i < text.len() {
                        text.remove(i);
                    } else {
                        text.insert(i.min(text.len()), byte);
                    }
                }
                String::from_utf8(text).unwrap_or_default()
            })
    }

    /// Every command tried on each generated config.
    const COMMANDS: &[&str] = &[
        "pg-docker",
        "lzc-docker",
        "db.prod-docker",
        "x1-docker",
        "e-2_b-docker",
        "playground",
        "pgx",
        "pg-docker-docker",
        "nope-docker",
    ];

    /// Some(()) when the scanner answered for at least one command.
    fn agree_all(files: &[String]) -> Option<()> {
        COMMANDS
            .iter()
            .fold(None, |any, cmd| agree(files, cmd).or(any))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]
        #[test]
        fn the_scanner_never_disagrees_with_the_parser(files in prop::collection::vec(config(), 1..3)) {
            agree_all(&files);
        }
    }

    #[test]
    fn the_generated_configs_reach_the_scanner() {
        // Guards the property above from passing by always falling back: of
        // the generated configs the parser loads with engines in them, the
        // scanner must answer for nearly all (some noise lines are TOML forms
        // it leaves to the parser).
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        let strategy = prop::collection::vec(config(), 1..3);
        let (mut valid, mut answered) = (0, 0);
        for _ in 0..1000 {
            let files = strategy.new_tree(&mut runner).unwrap().current();
            let full = super::super::merge((texts(&files), Vec::new()));
            // A config with a broken engine loads, but is not plain: the parser's.
            if full.is_ok_and(|cfg| !cfg.engines.is_empty() && cfg.broken.is_empty()) {
                valid += 1;
                answered += agree_all(&files).is_some() as usize;
            }
        }
        eprintln!(
            "scanner vs parser: of 1000 generated configs {valid} load; the scanner answered for {answered}"
        );
        assert!(
            valid > 300,
            "only {valid} of 1000 generated configs are valid"
        );
        assert!(
            answered * 10 > valid * 9,
            "the scanner answered {answered} of {valid}"
        );
    }
}
