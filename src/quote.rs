//! Quoting a value so a shell reads it back unchanged: `dockmux env` prints
//! lines for `eval`/`source`, and `dockmux wrappers` writes sh scripts.

/// POSIX sh single quotes; a `'` inside becomes `'\''`.
pub fn sh(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// A word for a command line shown to the user: as it is when the shell
/// would read it back unchanged, else in single quotes.
pub fn sh_word(s: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_-./:=@%+,".contains(c);
    if !s.is_empty() && s.chars().all(plain) {
        s.to_string()
    } else {
        sh(s)
    }
}

/// fish single quotes: only `\` and `'` are special inside.
pub fn fish(s: &str) -> String {
    format!("'{}'", s.replace('\\', r"\\").replace('\'', r"\'"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn quotes_survive_both_shells_syntax() {
        assert_eq!(super::sh("a b"), "'a b'");
        assert_eq!(super::sh("it's"), r"'it'\''s'");
        assert_eq!(super::fish(r"it's a\b"), r"'it\'s a\\b'");
        assert_eq!(super::sh_word("ps"), "ps");
        assert_eq!(super::sh_word("-a=b"), "-a=b");
        assert_eq!(super::sh_word("a b"), "'a b'");
        assert_eq!(super::sh_word(""), "''");
    }
}
