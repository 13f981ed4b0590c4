//! Shell-style wildcards (`*`, `?`), for sshd_config names and engine patterns.

/// Does `pattern` (`*` any run, `?` one character) match all of `text`?
pub fn wildcard(pattern: &str, text: &str) -> bool {
    fn go(p: &[char], t: &[char]) -> bool {
        match p.split_first() {
            None => t.is_empty(),
            Some(('*', rest)) => (0..=t.len()).any(|i| go(rest, &t[i..])),
            Some(('?', rest)) => !t.is_empty() && go(rest, &t[1..]),
            Some((c, rest)) => t.first() == Some(c) && go(rest, &t[1..]),
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    go(&p, &t)
}

/// Whether `pattern` holds a wildcard at all.
pub fn is_pattern(pattern: &str) -> bool {
    pattern.contains(['*', '?'])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stars_and_question_marks() {
        assert!(wildcard("*.conf", "x.conf"));
        assert!(!wildcard("*.conf", "x.conf.bak"));
        assert!(wildcard("P?TH", "PATH"));
        assert!(wildcard("p*", "pg"));
        assert!(!wildcard("p?", "p"));
        assert!(is_pattern("l*") && !is_pattern("lzc"));
    }
}
