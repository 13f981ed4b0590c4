//! The few facts the policy reads from an engine's JSON answers, without a
//! JSON library (the engine path has none): a top-level field's raw value,
//! a string's text, whether an object or array is empty. Bytes are walked
//! once, iteratively (no recursion for a hostile engine to exhaust), and a
//! key is only ever matched at the top level: a nested object, or a string
//! that holds `"Key":`, cannot stand in for it.

/// The raw value of `key` in the top-level object `doc` (the first one, as
/// Go's decoder reads the last, a duplicate key makes the answer unclear:
/// `None`). `None` when `doc` is not an object or has no such key.
pub fn field<'a>(doc: &'a [u8], key: &str) -> Option<&'a [u8]> {
    let entries = entries(doc)?;
    let mut hits = entries.into_iter().filter(|(k, _)| k == key);
    match (hits.next(), hits.next()) {
        (Some((_, v)), None) => Some(v),
        _ => None,
    }
}

/// The raw items of the array `raw` (`None` when it is not one).
pub fn items(raw: &[u8]) -> Option<Vec<&[u8]>> {
    members(raw, b'[', b']', |i| {
        let end = value_end(raw, i)?;
        Some((&raw[i..end], end))
    })
}

/// The keys and raw values of the object `raw` (`None` when it is not one).
pub fn entries(raw: &[u8]) -> Option<Vec<(String, &[u8])>> {
    members(raw, b'{', b'}', |i| {
        if raw.get(i) != Some(&b'"') {
            return None;
        }
        let k_end = string_end(raw, i)?;
        let k = string(&raw[i..k_end])?;
        let colon = skip_ws(raw, k_end);
        if raw.get(colon) != Some(&b':') {
            return None;
        }
        let start = skip_ws(raw, colon + 1);
        let end = value_end(raw, start)?;
        Some(((k, &raw[start..end]), end))
    })
}

/// The members of the array or object `raw` opened by `open` and closed by
/// `close`, commas between: `member` reads one at an offset and says where
/// it ends.
fn members<T>(
    raw: &[u8],
    open: u8,
    close: u8,
    mut member: impl FnMut(usize) -> Option<(T, usize)>,
) -> Option<Vec<T>> {
    let mut i = skip_ws(raw, 0);
    if raw.get(i) != Some(&open) {
        return None;
    }
    i += 1;
    let mut out = Vec::new();
    loop {
        i = skip_ws(raw, i);
        match *raw.get(i)? {
            c if c == close => return Some(out),
            b',' => i += 1,
            _ => {
                let (m, end) = member(i)?;
                out.push(m);
                i = end;
            }
        }
    }
}

/// A JSON number's integer part (`12`, `-3`, `1.5e3` reads as 1).
pub fn int(raw: &[u8]) -> Option<i64> {
    let t = raw.trim_ascii();
    let end = t
        .iter()
        .enumerate()
        .position(|(i, b)| !(b.is_ascii_digit() || (i == 0 && *b == b'-')))
        .unwrap_or(t.len());
    std::str::from_utf8(&t[..end]).ok()?.parse().ok()
}

/// A JSON string's text (`raw` with its quotes), escapes decoded.
pub fn string(raw: &[u8]) -> Option<String> {
    let inner = raw.strip_prefix(b"\"")?.strip_suffix(b"\"")?;
    let mut out: Vec<u8> = Vec::with_capacity(inner.len());
    let mut i = 0;
    while i < inner.len() {
        let b = inner[i];
        i += 1;
        if b != b'\\' {
            out.push(b);
            continue;
        }
        let e = *inner.get(i)?;
        i += 1;
        let c = match e {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let hi = hex4(inner.get(i..i + 4)?)?;
                i += 4;
                let code = if (0xd800..0xdc00).contains(&hi) && inner.get(i..i + 2) == Some(b"\\u")
                {
                    let lo = hex4(inner.get(i + 2..i + 6)?)?;
                    i += 6;
                    0x10000 + ((hi - 0xd800) << 10) + (lo.checked_sub(0xdc00)? & 0x3ff)
                } else {
                    hi
                };
                char::from_u32(code).unwrap_or('\u{fffd}')
            }
            _ => return None,
        };
        let mut buf = [0; 4];
        out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
    }
    String::from_utf8(out).ok()
}

/// `null`, `{}` or `[]` (any spacing inside).
pub fn is_empty(raw: &[u8]) -> bool {
    let t = raw.trim_ascii();
    t == b"null"
        || (t.len() >= 2
            && matches!((t[0], t[t.len() - 1]), (b'{', b'}') | (b'[', b']'))
            && t[1..t.len() - 1].trim_ascii().is_empty())
}

fn hex4(h: &[u8]) -> Option<u32> {
    u32::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()
}

fn skip_ws(doc: &[u8], mut i: usize) -> usize {
    while matches!(doc.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        i += 1;
    }
    i
}

/// The index just past the string that opens at `i`.
fn string_end(doc: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    loop {
        match doc.get(j)? {
            b'"' => return Some(j + 1),
            b'\\' => j += 2,
            _ => j += 1,
        }
    }
}

/// The index just past the value that starts at `i`: strings whole,
/// objects and arrays by counting brackets outside strings.
fn value_end(doc: &[u8], i: usize) -> Option<usize> {
    match doc.get(i)? {
        b'"' => string_end(doc, i),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut j = i;
            loop {
                match doc.get(j)? {
                    b'"' => {
                        j = string_end(doc, j)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
        }
        _ => {
            let mut j = i;
            while doc
                .get(j)
                .is_some_and(|b| !matches!(b, b',' | b'}' | b']' | b' ' | b'\n' | b'\r' | b'\t'))
            {
                j += 1;
            }
            (j > i).then_some(j)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_level_fields_only() {
        let doc = br#"{"Labels":["\"DockerRootDir\":\"/fake\""],"Runtimes":{"x":{"DockerRootDir":"/nested"}},
            "DockerRootDir" : "/data/d\u00fcr\/x", "N": 3}"#;
        assert_eq!(
            field(doc, "DockerRootDir").and_then(string).as_deref(),
            Some("/data/d\u{fc}r/x")
        );
        assert_eq!(field(doc, "N"), Some(&b"3"[..]));
        assert_eq!(field(doc, "Missing"), None);
        assert_eq!(field(br#"{"A":"1","A":"2"}"#, "A"), None);
        assert_eq!(field(br#"["DockerRootDir","/x"]"#, "DockerRootDir"), None);
        assert_eq!(field(br#"{"A":"unterminated"#, "A"), None);
        assert_eq!(
            string(br#""\ud83d\ude00 \n""#).as_deref(),
            Some("\u{1f600} \n")
        );
        let nodes = items(br#"[{"Endpoint":"unix:///a"}, {"Endpoint":"x"}]"#).unwrap();
        assert_eq!(nodes.len(), 2);
        assert_eq!(
            field(nodes[1], "Endpoint").and_then(string).as_deref(),
            Some("x")
        );
        assert!(is_empty(b"null") && is_empty(b"{ }") && is_empty(b"[]"));
        assert!(!is_empty(br#"{"o":"bind"}"#) && !is_empty(b"[{}]"));
    }

    #[test]
    fn deep_nesting_costs_no_stack() {
        let mut doc = b"{\"A\":".to_vec();
        doc.extend(std::iter::repeat_n(b'[', 1 << 20));
        doc.extend(std::iter::repeat_n(b']', 1 << 20));
        doc.extend(b",\"B\":\"x\"}");
        assert_eq!(field(&doc, "B").and_then(string).as_deref(), Some("x"));
    }
}
