//! The management commands' reports: tables, and JSON for `--json`. Every
//! cell and string is escaped, so nothing printed can command a terminal.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::ser::{Formatter, PrettyFormatter};

use crate::text::escape;
use crate::view::style::{self, Stream, Tone};

/// Pretty JSON with a final newline, for `--json`. serde_json escapes C0
/// but writes C1 (8-bit CSI…), DEL and bidi controls raw: those are
/// `\uNNNN` here too, so no string reaches a terminal able to command it.
pub fn json(value: &impl Serialize) -> String {
    let mut buf = Vec::new();
    let mut ser =
        serde_json::Serializer::with_formatter(&mut buf, SafeJson(PrettyFormatter::new()));
    // Plain structs of strings, numbers and lists: serializing cannot fail.
    let _ = value.serialize(&mut ser);
    let mut s = String::from_utf8(buf).unwrap_or_default();
    s.push('\n');
    s
}

/// serde_json's pretty layout, with every character [`escape::is_unsafe`] JSON-escaped.
struct SafeJson<'a>(PrettyFormatter<'a>);

impl Formatter for SafeJson<'_> {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut rest = fragment;
        while let Some((at, c)) = rest.char_indices().find(|&(_, c)| escape::is_unsafe(c)) {
            w.write_all(&rest.as_bytes()[..at])?;
            // Every unsafe character is in the Basic Multilingual Plane: one \uNNNN.
            write!(w, "\\u{:04x}", c as u32)?;
            rest = &rest[at + c.len_utf8()..];
        }
        w.write_all(rest.as_bytes())
    }

    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_value(w)
    }
}

/// Left-aligned columns separated by three spaces; the last column is not
/// padded. The first row is the header. A cell is one line: anything a
/// terminal would act on is escaped.
pub fn table(rows: &[Vec<String>]) -> String {
    table_toned(rows, |_, _| None)
}

/// [`table`], with `tone(row, column)` (rows of the body, from 0) choosing
/// a cell's colour on a terminal (style.rs); the header is always a header.
pub fn table_toned(rows: &[Vec<String>], tone: impl Fn(usize, usize) -> Option<Tone>) -> String {
    let rows: Vec<Vec<std::borrow::Cow<str>>> = rows
        .iter()
        .map(|r| r.iter().map(|c| escape::text(c)).collect())
        .collect();
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for (r, row) in rows.iter().enumerate() {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            // Painted after it is measured: escapes take no column.
            let tone = match r {
                0 => Some(Tone::Header),
                _ => tone(r - 1, c),
            };
            match tone {
                Some(tone) if !cell.trim().is_empty() => {
                    line.push_str(&style::paint(Stream::Stdout, tone, cell));
                }
                _ => line.push_str(cell),
            }
            if c + 1 < row.len() {
                let pad = widths[c] - cell.chars().count();
                line.push_str(&" ".repeat(pad + 3));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn columns_line_up() {
        let t = super::table(&[
            vec!["NAME".into(), "HOST".into()],
            vec!["pg".into(), "unix:///s".into()],
        ]);
        assert_eq!(t, "NAME   HOST\npg     unix:///s\n");
    }

    #[test]
    fn a_cell_cannot_break_the_table_or_command_the_terminal() {
        let t = super::table(&[vec!["up\r\x1b[2J".into(), "a\nb".into()]]);
        assert_eq!(t, "up\\r\\x1b[2J   a\\nb\n");
    }

    #[test]
    fn json_escapes_what_serde_json_leaves_raw() {
        let j = super::json(&["\x1b]0;t\x07", "\u{9b}2J\u{7f}\u{202e}", "é\\"]);
        assert!(
            !j.chars()
                .any(|c| c != '\n' && crate::text::escape::is_unsafe(c)),
            "{j}"
        );
        assert!(j.contains(r#""\u009b2J\u007f\u202e""#), "{j}");
        let back: Vec<String> = serde_json::from_str(&j).unwrap();
        assert_eq!(back, ["\x1b]0;t\x07", "\u{9b}2J\u{7f}\u{202e}", "é\\"]);
    }
}
