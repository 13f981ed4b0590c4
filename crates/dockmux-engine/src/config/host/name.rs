//! The character-level rules under host URLs, as the Go code docker runs
//! applies them: net's `isDomainName` (a name it will look up), net/url's
//! ports and `%` escapes, and what ssh and a remote shell take as written.

/// Go's net.isDomainName (net/dnsclient.go): labels of letters, digits,
/// '_' and '-' (not first in a label, not last), up to 63 bytes, 253 in
/// all (254 with a final '.'), and not all digits.
pub fn is_domain_name(s: &str) -> bool {
    let b = s.as_bytes();
    let l = b.len();
    if l == 0 || l > 254 || (l == 254 && b[l - 1] != b'.') {
        return false;
    }
    let (mut last, mut non_numeric, mut part) = (b'.', false, 0);
    for &c in b {
        match c {
            b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                non_numeric = true;
                part += 1;
            }
            b'0'..=b'9' => part += 1,
            b'-' if last != b'.' => {
                non_numeric = true;
                part += 1;
            }
            b'.' if last != b'.' && last != b'-' && (1..=63).contains(&part) => part = 0,
            _ => return false,
        }
        last = c;
    }
    last != b'-' && part <= 63 && non_numeric
}

/// A port as Go's url.Parse takes it (digits only: no sign, no space) that
/// something can listen on: 1 to 65535.
pub fn is_port(p: &str) -> bool {
    !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) && p.parse::<u16>().is_ok_and(|n| n > 0)
}

/// A login name for `ssh -l`: letters, digits, '.', '_', '-' (not first,
/// where ssh would read it as an option).
pub fn is_login(u: &str) -> bool {
    !u.is_empty()
        && !u.starts_with('-')
        && u.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// A character the remote shell reads as itself in `docker --host unix://PATH`.
pub fn is_remote_path_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "._-/+=:,@~".contains(c)
}

/// The first `%` that does not start an escape (`%` and two hex digits),
/// with what follows it: Go's url.Parse refuses the URL for it.
pub fn bad_escape(s: &str) -> Option<&str> {
    let b = s.as_bytes();
    let i = (0..b.len()).find(|&i| {
        b[i] == b'%'
            && !(b.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
    })?;
    let end = s[i..].char_indices().nth(3).map_or(s.len(), |(j, _)| i + j);
    Some(&s[i..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_names_as_go_looks_them_up() {
        for ok in [
            "nas",
            "NAS.local",
            "db.prod_1.example.",
            "a-b",
            "x1",
            "1x",
            "a.1b",
        ] {
            assert!(is_domain_name(ok), "{ok}");
        }
        for bad in [
            "", "-x", "x-", "a.-b", "a-.b", "a..b", ".a", "1.2.3", "a b", "a;b", "é", "[::1]",
        ] {
            assert!(!is_domain_name(bad), "{bad}");
        }
        assert!(is_domain_name(&"a".repeat(63)) && !is_domain_name(&"a".repeat(64)));
    }

    #[test]
    fn ports_escapes_and_logins() {
        assert!(is_port("1") && is_port("65535") && is_port("01"));
        for bad in ["", "0", "+80", "65536", " 80", "8x"] {
            assert!(!is_port(bad), "{bad}");
        }
        assert_eq!(bad_escape("/a%20b"), None);
        assert_eq!(bad_escape("/100%.sock"), Some("%.s"));
        assert_eq!(bad_escape("/x%4"), Some("%4"));
        assert!(is_login("me.x_y-z") && !is_login("-l") && !is_login("a b"));
    }
}
