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

/// A path as one word of a command line shown to the user ([`sh_word`]):
/// every suggested fix that holds a value quotes it through here, so a
/// pasted fix runs what it says and nothing else.
pub fn path(p: &std::path::Path) -> String {
    sh_word(&p.to_string_lossy())
}

/// The sh line that puts `dir` first on PATH.
pub fn path_prepend(dir: &std::path::Path) -> String {
    let d = path(dir);
    if d.starts_with('\'') {
        format!("export PATH={d}:\"$PATH\"")
    } else {
        format!("export PATH=\"{d}:$PATH\"")
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
