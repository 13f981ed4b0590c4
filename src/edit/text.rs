//! Edits of a config's text that change only the bytes of the engine they
//! touch. toml_edit's parser says where each piece of an engine is (its
//! spans); the bytes are cut, inserted and replaced here, so line endings
//! (CRLF stays CRLF), a BOM, spacing, quoting and every comment elsewhere
//! stay as they were, and `add` then `remove` of one engine gives the file
//! back byte for byte, whatever shape the engines are written in:
//! `[engines.NAME]` tables, `[engines]` with dotted keys or inline tables,
//! top-level `engines.NAME.host = …`, or one inline `engines = { … }`.

use std::ops::Range;

use toml_edit::{Document, InlineTable, Item, Table, Value};

/// A config text that does not parse (the caller says where and how to fix it).
#[derive(Debug)]
pub struct Unparsable(pub String);

/// One place an engine is defined.
#[derive(Clone, Debug)]
enum Piece {
    /// `[engines.NAME]` or a sub-table like `[engines.NAME.tls]`: the header.
    Header(Range<usize>),
    /// A key/value line (`NAME.host = …` under `[engines]`, `engines.NAME =
    /// { … }` at the top): from the line's first key to the value's end;
    /// `depth` is the engine key's index in the line's dotted key.
    Line {
        key: usize,
        value_end: usize,
        depth: usize,
    },
    /// An entry of the inline `engines = { … }` (several when dotted).
    Entry {
        key: usize,
        value_end: usize,
        table: Range<usize>,
    },
}

impl Piece {
    fn start(&self) -> usize {
        match self {
            Piece::Header(r) => r.start,
            Piece::Line { key, .. } | Piece::Entry { key, .. } => *key,
        }
    }
}

/// A parsed text and what the edits need from it.
struct Parsed<'a> {
    text: &'a str,
    doc: Document<String>,
    /// Bytes of a leading UTF-8 BOM (0 or 3), which no edit touches.
    bom: usize,
}

impl<'a> Parsed<'a> {
    fn new(text: &'a str) -> Result<Parsed<'a>, Unparsable> {
        let doc = Document::parse(text.to_string())
            .map_err(|e| Unparsable(e.message().trim_end().to_string()))?;
        let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
        Ok(Parsed { text, doc, bom })
    }

    /// Every place engine `name` is defined, in text order.
    fn pieces(&self, name: &str) -> Vec<Piece> {
        let root = self.doc.as_table();
        let mut out = Vec::new();
        match root.get("engines") {
            Some(Item::Value(Value::InlineTable(t))) => {
                let table = t.span().unwrap_or(0..0);
                for (start, end, engine) in self.entries(t) {
                    if engine == name {
                        out.push(Piece::Entry {
                            key: start,
                            value_end: end,
                            table: table.clone(),
                        });
                    }
                }
            }
            Some(Item::Table(t)) => {
                if let Some(item) = t.get(name) {
                    // Lines under `[engines]` start with NAME; at the top level with engines.NAME.
                    let depth = usize::from(t.is_dotted());
                    self.collect(item, depth, &mut out);
                }
            }
            _ => {}
        }
        out.sort_by_key(Piece::start);
        out
    }

    fn collect(&self, item: &Item, depth: usize, out: &mut Vec<Piece>) {
        match item {
            Item::Table(t) if t.is_dotted() => {
                for (_, child) in t.iter() {
                    self.collect(child, depth, out);
                }
            }
            Item::Table(t) => self.headers(t, out),
            Item::ArrayOfTables(a) => {
                for t in a.iter() {
                    self.headers(t, out);
                }
            }
            Item::Value(v) => {
                if let Some(end) = v.span().map(|s| s.end)
                    && let Some(key) = self.leaf_key_start(item)
                {
                    out.push(Piece::Line {
                        key: self.path_start(key),
                        value_end: end,
                        depth,
                    });
                }
            }
            Item::None => {}
        }
    }

    /// A table's header, and those of its sub-tables with headers of their own.
    fn headers(&self, t: &Table, out: &mut Vec<Piece>) {
        if !t.is_implicit()
            && let Some(span) = t.span()
        {
            out.push(Piece::Header(span));
        }
        for (_, child) in t.iter() {
            match child {
                Item::Table(c) if !c.is_dotted() => self.headers(c, out),
                Item::ArrayOfTables(a) => {
                    for c in a.iter() {
                        self.headers(c, out);
                    }
                }
                _ => {}
            }
        }
    }

    /// toml_edit keeps a value's key in its parent; the value's own span
    /// starts after `=`, so the key is found by walking back over `= `.
    fn leaf_key_start(&self, item: &Item) -> Option<usize> {
        let start = item.span()?.start;
        let before = self.text[..start].trim_end_matches([' ', '\t']);
        let before = before.strip_suffix('=')?;
        let key_end = before.trim_end_matches([' ', '\t']).len();
        Some(self.key_start_before(key_end))
    }

    /// Where the key that ends at `end` begins (quoted or bare).
    fn key_start_before(&self, end: usize) -> usize {
        let b = self.text.as_bytes();
        match b.get(end.wrapping_sub(1)) {
            Some(&q @ (b'"' | b'\'')) => {
                // Engine names and config keys hold no quotes, so the opening one is the previous.
                self.text[..end - 1].rfind(q as char).unwrap_or(end - 1)
            }
            _ => {
                let mut i = end;
                while i > 0 && is_bare(b[i - 1]) {
                    i -= 1;
                }
                i
            }
        }
    }

    /// The start of the dotted key whose last part starts at `leaf`: back
    /// over `part . ` as long as there are dots.
    fn path_start(&self, leaf: usize) -> usize {
        let mut start = leaf;
        loop {
            let before = self.text[..start].trim_end_matches([' ', '\t']);
            let Some(before) = before.strip_suffix('.') else {
                return start;
            };
            let end = before.trim_end_matches([' ', '\t']).len();
            start = self.key_start_before(end);
        }
    }

    /// The entries of an inline table, dotted ones one by one: (start of the
    /// key, end of the value, the engine's name).
    fn entries(&self, t: &InlineTable) -> Vec<(usize, usize, String)> {
        let mut out = Vec::new();
        for (name, v) in t.iter() {
            self.leaves(v, name, &mut out);
            if !matches!(v, Value::InlineTable(i) if i.is_dotted())
                && let (Some((k, _)), Some(span)) = (t.get_key_value(name), v.span())
                && let Some(ks) = k.span()
            {
                out.push((ks.start, span.end, name.to_string()));
            }
        }
        out.sort();
        out
    }

    fn leaves(&self, v: &Value, engine: &str, out: &mut Vec<(usize, usize, String)>) {
        let Value::InlineTable(t) = v else { return };
        if !t.is_dotted() {
            return;
        }
        for (k, child) in t.iter() {
            if matches!(child, Value::InlineTable(i) if i.is_dotted()) {
                self.leaves(child, engine, out);
            } else if let (Some((key, _)), Some(span)) = (t.get_key_value(k), child.span())
                && let Some(ks) = key.span()
            {
                out.push((self.path_start(ks.start), span.end, engine.to_string()));
            }
        }
    }

    /// Starts of every table header, to tell where a table's body ends.
    fn header_starts(&self) -> Vec<usize> {
        let mut out = Vec::new();
        fn walk(t: &Table, out: &mut Vec<usize>) {
            if !t.is_implicit()
                && !t.is_dotted()
                && let Some(s) = t.span()
            {
                out.push(s.start);
            }
            for (_, item) in t.iter() {
                match item {
                    Item::Table(c) => walk(c, out),
                    Item::ArrayOfTables(a) => a.iter().for_each(|c| walk(c, out)),
                    _ => {}
                }
            }
        }
        walk(self.doc.as_table(), &mut out);
        out.sort_unstable();
        out
    }

    /// Spans of everything that is not whitespace or a comment: keys,
    /// values and headers.
    fn content(&self) -> Vec<Range<usize>> {
        let mut out = Vec::new();
        fn table(t: &Table, out: &mut Vec<Range<usize>>) {
            out.extend(t.span());
            for (k, item) in t.iter() {
                if let Some((key, _)) = t.get_key_value(k) {
                    out.extend(key.span());
                }
                match item {
                    Item::Table(c) => table(c, out),
                    Item::ArrayOfTables(a) => a.iter().for_each(|c| table(c, out)),
                    Item::Value(v) => out.extend(v.span()),
                    Item::None => {}
                }
            }
        }
        table(self.doc.as_table(), &mut out);
        // The root table's span is empty, and covers nothing.
        out.retain(|s| !s.is_empty());
        out
    }

    fn line_start(&self, pos: usize) -> usize {
        self.text[..pos]
            .rfind('\n')
            .map_or(0, |i| i + 1)
            .max(self.bom)
    }

    fn line_end(&self, pos: usize) -> usize {
        self.text[pos..]
            .find('\n')
            .map_or(self.text.len(), |i| pos + i + 1)
    }

    /// The bytes a piece takes, with the comment lines that belong to it.
    fn extent(&self, piece: &Piece) -> Range<usize> {
        match piece {
            Piece::Header(header) => {
                let body_end = self
                    .header_starts()
                    .into_iter()
                    .find(|&s| s > header.start)
                    .unwrap_or(self.text.len());
                let last = self
                    .content()
                    .into_iter()
                    .filter(|s| s.start >= header.end && s.end <= body_end)
                    .map(|s| s.end)
                    .fold(header.end, usize::max);
                self.with_comments(header.start, self.line_end(last))
            }
            Piece::Line { key, value_end, .. } => {
                self.with_comments(*key, self.line_end(*value_end))
            }
            Piece::Entry {
                key,
                value_end,
                table,
            } => self.entry_extent(*key, *value_end, table),
        }
    }

    /// From the start of `start`'s line (taking the comment lines right
    /// above it, and the blank line that sets them off) to `end`.
    fn with_comments(&self, start: usize, end: usize) -> Range<usize> {
        let line = self.line_start(start);
        let prev = self
            .content()
            .into_iter()
            .map(|s| s.end)
            .filter(|&e| e <= line)
            .max();
        let region = prev.map_or(self.bom, |e| self.line_end(e)).min(line);
        // Comments set off by a blank line (a section heading) stay.
        let mut cut = region;
        let mut at = region;
        for l in self.text[region..line].split_inclusive('\n') {
            if l.trim().is_empty() {
                cut = at;
            }
            at += l.len();
        }
        // At the end of a file with no final newline, the newline before goes too.
        if end == self.text.len() && !self.text.ends_with('\n') && cut > self.bom {
            let before = &self.text[..cut];
            if before.ends_with("\r\n") {
                cut -= 2;
            } else if before.ends_with('\n') {
                cut -= 1;
            }
        }
        cut..end
    }

    fn entry_extent(&self, start: usize, end: usize, table: &Range<usize>) -> Range<usize> {
        let all: Vec<(usize, usize)> = match self.doc.as_table().get("engines") {
            Some(Item::Value(Value::InlineTable(t))) => self
                .entries(t)
                .into_iter()
                .map(|(s, e, _)| (s, e))
                .collect(),
            _ => Vec::new(),
        };
        let i = all.iter().position(|&(s, _)| s == start).unwrap_or(0);
        let n = all.len();
        let b = self.text.as_bytes();
        let skip_ws = |mut p: usize| {
            while p < b.len() && matches!(b[p], b' ' | b'\t') {
                p += 1;
            }
            p
        };
        // On a line of its own (`  NAME = { … },  # note`): the whole line.
        let after = skip_ws(end);
        let comma = b.get(after) == Some(&b',');
        let rest = skip_ws(if comma { after + 1 } else { after });
        let line_ends = matches!(b.get(rest), Some(b'#' | b'\n' | b'\r'));
        let alone_before = self.text[self.line_start(start)..start]
            .bytes()
            .all(|c| c == b' ' || c == b'\t');
        if alone_before && line_ends && (comma || i + 1 == n) {
            return self.line_start(start)..self.line_end(end);
        }
        if i > 0 {
            // `, NAME = { … }`: the separator before it goes with it.
            all[i - 1].1..end
        } else if n > 1 {
            start..all[1].0
        } else {
            // The only entry: from the brace, with a trailing comma.
            let stop = if comma { after + 1 } else { end };
            (table.start + 1)..stop
        }
    }
}

fn is_bare(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// The newline the text uses (its first line's), for lines added to it.
pub fn newline(text: &str) -> &'static str {
    match text.find('\n') {
        Some(i) if text[..i].ends_with('\r') => "\r\n",
        _ => "\n",
    }
}

/// Is engine `name` defined in `text`?
pub fn defines(text: &str, name: &str) -> Result<bool, Unparsable> {
    Ok(!Parsed::new(text)?.pieces(name).is_empty())
}

/// `text` with engine `name` added: into `engines = { … }` when the engines
/// are one inline table, else as an `[engines.NAME]` table at the end, set
/// off by a blank line. `fields` are (key, TOML value) pairs.
pub fn add(text: &str, name: &str, fields: &[(&str, String)]) -> Result<String, Unparsable> {
    let parsed = Parsed::new(text)?;
    let key = key_repr(name, None);
    if let Some(Item::Value(Value::InlineTable(t))) = parsed.doc.as_table().get("engines") {
        let body: Vec<String> = fields.iter().map(|(k, v)| format!("{k} = {v}")).collect();
        let entry = format!("{key} = {{ {} }}", body.join(", "));
        let entries = parsed.entries(t);
        let (at, insert) = match entries.iter().map(|&(_, e, _)| e).max() {
            Some(end) => (end, format!(", {entry}")),
            None => {
                let open = t.span().map_or(0, |s| s.start + 1);
                let spaced = matches!(
                    text.as_bytes().get(open),
                    Some(b' ' | b'\t' | b'\n' | b'\r')
                );
                (open, if spaced { format!(" {entry}") } else { entry })
            }
        };
        return Ok(splice(text, at..at, &insert));
    }
    let nl = newline(text);
    let mut lines = vec![format!("[engines.{key}]")];
    lines.extend(fields.iter().map(|(k, v)| format!("{k} = {v}")));
    let mut table = lines.join(nl);
    let body = &text[parsed.bom..];
    let sep = if body.is_empty() {
        ""
    } else if body.ends_with('\n') {
        nl
    } else {
        // No final newline: the new table has none either, so `remove` can restore it.
        table.insert_str(0, nl);
        nl
    };
    if body.is_empty() || body.ends_with('\n') {
        table.push_str(nl);
    }
    Ok(format!("{text}{sep}{table}"))
}

/// `text` without engine `name` (every piece of it, with its own comments).
pub fn remove(text: &str, name: &str) -> Result<String, Unparsable> {
    let mut text = text.to_string();
    // One piece at a time: each cut leaves valid TOML to find the next in.
    loop {
        let parsed = Parsed::new(&text)?;
        let Some(piece) = parsed.pieces(name).into_iter().next() else {
            return Ok(text);
        };
        let range = parsed.extent(&piece);
        text = splice(&text, range, "");
    }
}

/// `text` with engine `old` called `new`: only its keys change.
pub fn rename(text: &str, old: &str, new: &str) -> Result<String, Unparsable> {
    let parsed = Parsed::new(text)?;
    let mut keys: Vec<Range<usize>> = parsed
        .pieces(old)
        .iter()
        .filter_map(|p| {
            let (start, depth) = match p {
                Piece::Header(h) => (h.start + text[h.start..].find(|c| c != '[')?, 1),
                Piece::Line { key, depth, .. } => (*key, *depth),
                Piece::Entry { key, .. } => (*key, 0),
            };
            key_parts(text, start).get(depth).cloned()
        })
        .collect();
    keys.sort_by_key(|r| std::cmp::Reverse(r.start));
    let mut out = text.to_string();
    for r in keys {
        let repr = key_repr(new, Some(&text[r.clone()]));
        out = splice(&out, r, &repr);
    }
    Ok(out)
}

/// `text` with key `key` of engine `name` set to `value` (TOML), or taken
/// out (`None`): where the key is, only its value's bytes change (or its own
/// line goes, with the comment lines right above it); where it is not, one
/// line (or inline entry) is added after the engine's last key, written the
/// way the engine's other keys are. The engine must be defined in `text`.
pub fn set(text: &str, name: &str, key: &str, value: Option<&str>) -> Result<String, Unparsable> {
    let p = Parsed::new(text)?;
    let shape = |why: &str| {
        Unparsable(format!(
            "engine '{name}' is written in a shape `set` does not edit ({why}); change {key} there by hand"
        ))
    };
    let (spans, place) = match p.doc.as_table().get("engines") {
        Some(Item::Table(t)) => match t.get(name) {
            Some(Item::Table(et)) => {
                if et.get(key).is_some_and(|i| !i.is_value()) {
                    return Err(shape("the key is a table of its own"));
                }
                let spans = |k: &str| {
                    let (kk, item) = et.get_key_value(k)?;
                    match item {
                        Item::Value(v) => Some((p.path_start(kk.span()?.start), v.span()?)),
                        _ => None,
                    }
                };
                let place = if et.is_dotted() {
                    Place::Lines(usize::from(t.is_dotted()))
                } else {
                    Place::Table
                };
                (
                    et.iter()
                        .filter_map(|(k, _)| spans(k).map(|s| (k.to_string(), s)))
                        .collect::<Vec<_>>(),
                    place,
                )
            }
            Some(Item::Value(Value::InlineTable(it))) => (inline_spans(&p, it), Place::Inline),
            _ => return Err(shape("not a table")),
        },
        Some(Item::Value(Value::InlineTable(t))) => match t.get(name) {
            Some(Value::InlineTable(it)) if !it.is_dotted() => {
                (inline_spans(&p, it), Place::Inline)
            }
            _ => return Err(shape("dotted keys in an inline table")),
        },
        _ => return Err(shape("no engines table")),
    };
    let mut spans = spans;
    spans.sort_by_key(|(_, (start, _))| *start);
    let nl = newline(text);
    let here = spans.iter().position(|(k, _)| k == key);
    match (here, value) {
        (Some(i), Some(v)) => Ok(splice(text, spans[i].1.1.clone(), v)),
        (Some(i), None) => {
            let (start, value) = (spans[i].1.0, spans[i].1.1.clone());
            let range = match place {
                Place::Inline if i > 0 => spans[i - 1].1.1.end..value.end,
                Place::Inline => match spans.get(i + 1) {
                    Some((_, (next, _))) => start..*next,
                    None => return Err(shape("its only key")),
                },
                Place::Table | Place::Lines(_) => p.with_comments(start, p.line_end(value.end)),
            };
            Ok(splice(text, range, ""))
        }
        (None, None) => Ok(text.to_string()),
        (None, Some(v)) => {
            let Some((_, (last_key, last_value))) =
                spans.iter().max_by_key(|(_, (_, v))| v.end).cloned()
            else {
                return Err(shape("no keys"));
            };
            let (at, line) = match place {
                Place::Inline => {
                    return Ok(splice(
                        text,
                        last_value.end..last_value.end,
                        &format!(", {key} = {v}"),
                    ));
                }
                Place::Table => (p.line_end(last_value.end), format!("{key} = {v}")),
                Place::Lines(depth) => {
                    let parts = key_parts(text, last_key);
                    let prefix: Vec<&str> = parts
                        .get(..=depth)
                        .ok_or_else(|| shape("a key path"))?
                        .iter()
                        .map(|r| &text[r.clone()])
                        .collect();
                    (
                        p.line_end(last_value.end),
                        format!("{}.{key} = {v}", prefix.join(".")),
                    )
                }
            };
            // The line ending of the line it follows.
            let nl = match &text[..at] {
                t if t.ends_with("\r\n") => "\r\n",
                t if t.ends_with('\n') => "\n",
                _ => nl,
            };
            let insert = if at == text.len() && !text.ends_with('\n') {
                format!("{nl}{line}")
            } else {
                format!("{line}{nl}")
            };
            Ok(splice(text, at..at, &insert))
        }
    }
}

/// Where an engine's keys are written, for [`set`].
#[derive(Clone)]
enum Place {
    /// `[engines.NAME]` and its key lines.
    Table,
    /// Dotted lines (`NAME.host = …`, or `engines.NAME.host = …` when the
    /// number is 1: the engine's index in the line's key).
    Lines(usize),
    /// `NAME = { host = …, … }`.
    Inline,
}

/// Each key of an inline table with (the start of the key, the value's span).
fn inline_spans(p: &Parsed, it: &InlineTable) -> Vec<(String, (usize, Range<usize>))> {
    it.iter()
        .filter_map(|(k, v)| {
            let (kk, _) = it.get_key_value(k)?;
            Some((k.to_string(), (p.path_start(kk.span()?.start), v.span()?)))
        })
        .collect()
}

/// The parts of a dotted key starting at `start` (`a . "b".c`), each with its quotes.
fn key_parts(text: &str, start: usize) -> Vec<Range<usize>> {
    let b = text.as_bytes();
    let ws = |mut p: usize| {
        while p < b.len() && matches!(b[p], b' ' | b'\t') {
            p += 1;
        }
        p
    };
    let mut parts = Vec::new();
    let mut p = ws(start);
    loop {
        let end = match b.get(p) {
            Some(&q @ (b'"' | b'\'')) => match text[p + 1..].find(q as char) {
                Some(i) => p + 1 + i + 1,
                None => return parts,
            },
            Some(&c) if is_bare(c) => {
                let mut e = p;
                while e < b.len() && is_bare(b[e]) {
                    e += 1;
                }
                e
            }
            _ => return parts,
        };
        parts.push(p..end);
        let next = ws(end);
        if b.get(next) != Some(&b'.') {
            return parts;
        }
        p = ws(next + 1);
    }
}

/// An engine name as a key: bare where TOML allows, else quoted; in the
/// quotes the old key used, if any.
fn key_repr(name: &str, old: Option<&str>) -> String {
    let quote = old
        .and_then(|o| o.chars().next())
        .filter(|c| matches!(c, '"' | '\''));
    match quote {
        Some(q) => format!("{q}{name}{q}"),
        None if name.bytes().all(is_bare) => name.to_string(),
        None => format!("\"{name}\""),
    }
}

fn splice(text: &str, range: Range<usize>, with: &str) -> String {
    let mut out = String::with_capacity(text.len() + with.len());
    out.push_str(&text[..range.start]);
    out.push_str(with);
    out.push_str(&text[range.end..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIELDS: &[(&str, &str)] = &[("host", "\"unix:///zz.sock\"")];

    fn fields() -> Vec<(&'static str, String)> {
        FIELDS.iter().map(|(k, v)| (*k, v.to_string())).collect()
    }

    #[track_caller]
    fn round_trip(text: &str) -> String {
        let added = add(text, "zz", &fields()).unwrap();
        assert!(defines(&added, "zz").unwrap(), "{added:?}");
        assert!(added.starts_with(&text[..text.len().min(3)]), "{added:?}");
        let back = remove(&added, "zz").unwrap();
        assert_eq!(back, text, "after adding:\n{added}");
        added
    }

    #[test]
    fn shapes_come_back_byte_for_byte() {
        for text in [
            "",
            "\u{feff}",
            "a = 1",
            "# only a comment",
            "[engines.pg]\r\nhost = \"x\"\r\n",
            "\u{feff}[engines.pg]\nhost = \"x\"\n# end\n",
            "[ engines . \"pg\" ]  # c\nhost = \"x\"\n[engines.pg.tls]\nverify = true\n",
            "engines.pg.host = \"x\"\nengines.lzc = { host = \"y\" }\n",
            "engines = { pg = { host = \"x\" } }\n",
            "engines = {}\n",
            "engines = { }\n",
            "engines = {\n  pg = { host = \"x\" }, # c\n  lzc.host = \"y\",\n}\n",
            "[engines]\npg.host = \"x\"\nlzc = {host=\"y\"}\n",
        ] {
            round_trip(text);
        }
    }

    #[test]
    fn added_text_follows_the_file() {
        assert_eq!(
            round_trip("[engines.pg]\r\nhost = \"x\"\r\n"),
            "[engines.pg]\r\nhost = \"x\"\r\n\r\n[engines.zz]\r\nhost = \"unix:///zz.sock\"\r\n"
        );
        assert_eq!(
            round_trip("engines = { pg = { host = \"x\" } }\n"),
            "engines = { pg = { host = \"x\" }, zz = { host = \"unix:///zz.sock\" } }\n"
        );
        assert_eq!(
            round_trip("[ engines . pg ]\nhost = \"x\""),
            "[ engines . pg ]\nhost = \"x\"\n\n[engines.zz]\nhost = \"unix:///zz.sock\""
        );
    }

    #[test]
    fn remove_takes_every_piece_and_its_own_comments() {
        let text =
            "[engines]\n# pg\npg.host = \"x\"\n\n# lzc\nlzc.host = \"y\"\npg.aliases = [\"p\"]\n";
        assert_eq!(
            remove(text, "pg").unwrap(),
            "[engines]\n\n# lzc\nlzc.host = \"y\"\n"
        );
        assert_eq!(
            remove("# about pg\n[engines.pg]\nhost = \"x\"\n", "pg").unwrap(),
            ""
        );
        let text = "engines = { pg.host = \"x\", lzc = { host = \"y\" }, pg.aliases = [] }\n";
        assert_eq!(
            remove(text, "pg").unwrap(),
            "engines = { lzc = { host = \"y\" } }\n"
        );
    }

    #[test]
    fn set_changes_only_the_keys_bytes() {
        let cases = [
            (
                "# mine\n[engines.pg] # c\r\nhost = 'x'   # where\r\n\r\n[engines.lzc]\r\nhost = \"y\"\r\n",
                "# mine\n[engines.pg] # c\r\nhost = \"z\"   # where\r\nprotect = true\r\n\r\n[engines.lzc]\r\nhost = \"y\"\r\n",
            ),
            (
                "[engines]\npg.host = \"x\"\nlzc.host = \"y\"",
                "[engines]\npg.host = \"z\"\npg.protect = true\nlzc.host = \"y\"",
            ),
            (
                "engines . 'pg' . host = \"x\"",
                "engines . 'pg' . host = \"z\"\nengines.'pg'.protect = true",
            ),
            (
                "engines = { pg = { host = \"x\" }, lzc = { host = \"y\" } }\n",
                "engines = { pg = { host = \"z\", protect = true }, lzc = { host = \"y\" } }\n",
            ),
            (
                "[engines]\npg = {host=\"x\"} # c\n",
                "[engines]\npg = {host=\"z\", protect = true} # c\n",
            ),
        ];
        for (before, after) in cases {
            let t = set(before, "pg", "host", Some("\"z\"")).unwrap();
            let t = set(&t, "pg", "protect", Some("true")).unwrap();
            assert_eq!(t, after);
            // And out again: back to the text with only the host changed.
            let back = set(&t, "pg", "protect", None).unwrap();
            assert_eq!(back, set(before, "pg", "host", Some("\"z\"")).unwrap());
        }
        let t = "[engines.pg]\nhost = \"x\"\n# about tags\ntags = [\"a\"]\ndescription = \"d\"\n";
        assert_eq!(
            set(t, "pg", "tags", None).unwrap(),
            "[engines.pg]\nhost = \"x\"\ndescription = \"d\"\n"
        );
        let t = "[engines.pg]\nhost = \"x\"\n[engines.pg.tls]\nverify = true\n";
        assert_eq!(
            set(t, "pg", "hint", Some("\"h\"")).unwrap(),
            "[engines.pg]\nhost = \"x\"\nhint = \"h\"\n[engines.pg.tls]\nverify = true\n"
        );
    }

    #[test]
    fn rename_changes_only_keys() {
        let text = "[engines.pg] # c\nhost = \"x\"\n[ engines . 'pg' . tls ]\nverify = true\n";
        assert_eq!(
            rename(text, "pg", "a.b").unwrap(),
            "[engines.\"a.b\"] # c\nhost = \"x\"\n[ engines . 'a.b' . tls ]\nverify = true\n"
        );
        let text = "engines.pg.host = \"x\"\nengines . pg . aliases = []\n";
        assert_eq!(
            rename(text, "pg", "q").unwrap(),
            "engines.q.host = \"x\"\nengines . q . aliases = []\n"
        );
    }
}
