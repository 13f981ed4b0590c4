//! What the management commands print: to stdout, where a closed pipe
//! (`dockmux list | head -1`) is not an error; tables; JSON.

use std::io::Write;

use serde::Serialize;

use crate::error::{Error, Result};

/// Writes `text` to stdout; if the reader has gone, exits quietly with success.
pub fn print(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(e) => Err(Error::io(
            "cannot write to standard output (is it closed or full?)",
            e,
        )),
        Ok(()) => Ok(()),
    }
}

/// Pretty JSON with a final newline, for `--json`.
pub fn json(value: &impl Serialize) -> String {
    // Plain structs of strings, numbers and lists: serializing cannot fail.
    let mut s = serde_json::to_string_pretty(value).unwrap_or_default();
    s.push('\n');
    s
}

/// Left-aligned columns separated by three spaces; the last column is not padded.
pub fn table(rows: &[Vec<String>]) -> String {
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
    for row in rows {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            if c + 1 < row.len() {
                let pad = widths[c] - cell.chars().count();
                line.push_str(cell);
                line.push_str(&" ".repeat(pad + 3));
            } else {
                line.push_str(cell);
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
}
