//! Text from outside (engine answers, docker's error text, other processes'
//! arguments, daemon.json, context metadata) made safe to show: a terminal
//! reads control characters as commands (retitle, clear, move the cursor,
//! forge a row), so each one becomes a visible escape. Applied where such
//! text enters dockmux, so tables, messages and `--json` all carry the same
//! harmless text. The result holds no control character, so escaping twice
//! changes nothing.

use std::borrow::Cow;

/// Would a terminal act on `c` instead of showing it? C0 (newline and tab
/// too: a field is one line), DEL, C1 (8-bit CSI, OSC…), and the characters
/// that reorder or break what is shown around them (bidi overrides and
/// isolates, line and paragraph separators).
pub fn is_unsafe(c: char) -> bool {
    matches!(c,
        '\0'..='\x1f' | '\x7f'..='\u{9f}'
        | '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `s` with each unsafe character written as `\n`, `\r`, `\t`, `\xNN` or `\u{NNNN}`.
pub fn text(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_unsafe(c) && (c as u32) < 0x80 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if is_unsafe(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Bytes from outside as safe text: invalid UTF-8 becomes U+FFFD, then [`text`].
pub fn bytes(b: &[u8]) -> String {
    text(&String::from_utf8_lossy(b)).into_owned()
}

/// A program's message (docker's error text) as one safe line: its
/// non-empty lines, trimmed and joined by spaces, then [`text`].
pub fn one_line(b: &[u8]) -> String {
    let text = String::from_utf8_lossy(b);
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    owned(&lines.join(" "))
}

/// [`text`] as an owned String, for fields filled from outside.
pub fn owned(s: &str) -> String {
    text(s).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_commands_become_visible_escapes() {
        assert_eq!(
            text("Docker/\x1b]0;OWNED\x07 x"),
            "Docker/\\x1b]0;OWNED\\x07 x"
        );
        assert_eq!(text("a\r\nb\tc\x7f"), "a\\r\\nb\\tc\\x7f");
        assert_eq!(text("\u{9b}2J \u{202e}evil"), "\\u{9b}2J \\u{202e}evil");
        assert_eq!(bytes(b"ok \xff\x1b"), "ok \u{fffd}\\x1b");
        assert_eq!(
            one_line(b" error:\r\n\n  \x1b[2Jgone \n"),
            "error: \\x1b[2Jgone"
        );
    }

    #[test]
    fn plain_text_and_escaped_text_are_left_alone() {
        for s in ["up 28.2.2 (API 1.50)", "ünïcødé 名前", "C:\\path"] {
            assert!(matches!(text(s), Cow::Borrowed(_)), "{s}");
        }
        let once = owned("\x1b[2J\u{85}");
        assert_eq!(text(&once), once);
    }

    #[test]
    fn every_control_character_is_unsafe() {
        for c in (0u32..0x20).chain(0x7f..0xa0).filter_map(char::from_u32) {
            assert!(is_unsafe(c), "{c:?}");
            assert!(!text(&c.to_string()).chars().any(is_unsafe), "{c:?}");
        }
        assert!(!is_unsafe(' ') && !is_unsafe('~') && !is_unsafe('\u{a0}'));
    }
}
