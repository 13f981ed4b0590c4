//! The rules about an engine and the client, each written once: the full
//! parser (parse.rs), the quick scanner (scan.rs) and the edits (src/edit.rs)
//! all ask here, each with its own words around the answer. A host URL's rule
//! is src/host.rs; what a value may hold is src/plain.rs.

use crate::host::Kind;

/// Engine names: `[a-z0-9][a-z0-9._-]*`, so every name is a safe file and command name.
pub fn check_name(name: &str) -> std::result::Result<(), String> {
    let ok = name.bytes().enumerate().all(|(i, b)| {
        b.is_ascii_lowercase() || b.is_ascii_digit() || (i > 0 && matches!(b, b'.' | b'_' | b'-'))
    });
    if !name.is_empty() && ok {
        return Ok(());
    }
    let lower = name.to_ascii_lowercase();
    let fix = if lower != name && check_name(&lower).is_ok() {
        format!("; try '{lower}'")
    } else {
        String::new()
    };
    Err(format!(
        "names use lowercase letters, digits, '.', '_' and '-', and start with a letter or digit{fix}"
    ))
}

pub fn check_alias(alias: &str) -> std::result::Result<(), String> {
    check_name(alias)?;
    if alias.starts_with("dockmux") {
        return Err("names starting with 'dockmux' belong to dockmux itself".into());
    }
    Ok(())
}

// The three below are one comparison each, on the engine path: inlined, as
// the expressions they replace were.

/// `docker = "…"`: an absolute path, or a command name looked up on PATH
/// (never a relative path, which would depend on the working directory).
#[inline(always)]
pub fn client_path_ok(path: &str) -> bool {
    !path.is_empty() && (!path.contains('/') || path.starts_with('/'))
}

/// `tls.cert_path`: an absolute directory path.
#[inline(always)]
pub fn cert_path_ok(path: &str) -> bool {
    path.starts_with('/')
}

/// TLS goes only with tcp:// hosts.
#[inline(always)]
pub fn tls_fits(kind: Kind) -> bool {
    kind == Kind::Tcp
}
