//! Config values are plain text: no control characters (C0 — tab and
//! newline included —, DEL, C1, and the bidi controls that reorder what is
//! shown: the characters `escape::is_unsafe` names). A newline in a description ends the `#`
//! comment of a generated wrapper script and the next line runs; an escape
//! sequence takes over the terminal of whoever lists the engines. Values are
//! refused where they enter (loading, and `add`, `discover --write` and
//! `contexts import` through the one check of a new engine), so nothing
//! later has to guess. (`discover` shows a found host that holds one as
//! unusable, escaped, and never proposes it.)

use crate::text::escape;

/// Can `b` begin the UTF-8 of a character `escape::is_unsafe` names? C0 and
/// DEL are single bytes; C1 starts with C2, U+061C with D8, the bidi and
/// line-separator controls with E2. (The test below holds this to is_unsafe.)
pub const fn may_start_unsafe(b: u8) -> bool {
    b < 0x20 || b == 0x7f || matches!(b, 0xc2 | 0xd8 | 0xe2)
}

/// Refuses `value` if it holds a control character. The message names `key`
/// and the character's code point, never the raw character.
pub fn check(key: &str, value: &str) -> Result<(), String> {
    // One pass over bytes clears most values: see `may_start_unsafe`.
    if !value.bytes().any(may_start_unsafe) {
        return Ok(());
    }
    match value
        .chars()
        .enumerate()
        .find(|(_, c)| escape::is_unsafe(*c))
    {
        None => Ok(()),
        Some((at, c)) => Err(format!(
            "{key} holds a control character (U+{:04X}, character {} of the value), \
                 which could run as code in a generated script or take over a terminal; \
                 remove it",
            u32::from(c),
            at + 1
        )),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_unsafe_character_starts_with_a_flagged_byte() {
        let mut buf = [0u8; 4];
        let unsafe_chars = (0..=0x10ffff)
            .filter_map(char::from_u32)
            .filter(|c| crate::text::escape::is_unsafe(*c));
        for c in unsafe_chars {
            let first = c.encode_utf8(&mut buf).as_bytes()[0];
            assert!(super::may_start_unsafe(first), "U+{:04X}", u32::from(c));
        }
    }

    #[test]
    fn c0_del_and_c1_are_refused_and_named_without_echo() {
        for (value, code) in [
            ("a\nb", "U+000A"),
            ("\t", "U+0009"),
            ("x\u{1b}]0;owned\u{7}", "U+001B"),
            ("\u{7f}", "U+007F"),
            ("caf\u{9b}2J", "U+009B"),
            ("evil\u{202e}txt.exe", "U+202E"),
            ("\0", "U+0000"),
        ] {
            let err = super::check("description", value).unwrap_err();
            assert!(
                err.starts_with("description holds") && err.contains(code),
                "{err}"
            );
            assert!(!err.chars().any(char::is_control), "{err:?}");
        }
        for fine in ["", "Play, ground ü", "unix:///s", "emoji 🐳 and \u{a0}nbsp"] {
            assert_eq!(super::check("k", fine), Ok(()));
        }
    }
}
