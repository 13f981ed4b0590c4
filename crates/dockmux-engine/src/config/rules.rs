//! The rules about an engine and the client, each written once: the full
//! parser (parse.rs), the quick scanner (scan.rs) and the edits (src/edit/mod.rs)
//! all ask here, each with its own words around the answer. A host URL's rule
//! is crates/dockmux-engine/src/config/host/mod.rs; what a value may hold is crates/dockmux-engine/src/text/plain.rs.

use crate::config::host::Kind;

/// The longest command (`NAME-docker` or an alias) whose files all fit in a
/// file name (NAME_MAX, 255 bytes): the longest is the temp file of its fish
/// completion file, `.COMMAND.fish.dockmux-tmp-PID` (PID up to 7 digits).
pub const COMMAND_MAX: usize = 255 - ".".len() - ".fish".len() - ".dockmux-tmp-".len() - 7;

/// `start` and `suffix` make the command (checked ASCII, so `start` can be cut anywhere).
#[inline(always)]
fn check_command_length(start: &str, suffix: &str) -> std::result::Result<(), String> {
    let len = start.len() + suffix.len();
    if len <= COMMAND_MAX {
        return Ok(());
    }
    Err(format!(
        "its command '{}…{suffix}' would be {len} bytes, and a command may have at most \
         {COMMAND_MAX} (its link and completion files must fit in a file name); use a shorter one",
        &start[..16]
    ))
}

/// Engine names: `[a-z0-9][a-z0-9._-]*`, so every name is a safe file and
/// command name, and short enough that `NAME-docker` is one.
pub fn check_name(name: &str) -> std::result::Result<(), String> {
    check_name_chars(name)?;
    check_command_length(name, "-docker")
}

fn check_name_chars(name: &str) -> std::result::Result<(), String> {
    let ok = name.bytes().enumerate().all(|(i, b)| {
        b.is_ascii_lowercase() || b.is_ascii_digit() || (i > 0 && matches!(b, b'.' | b'_' | b'-'))
    });
    if !name.is_empty() && ok {
        return Ok(());
    }
    let lower = name.to_ascii_lowercase();
    let fix = if lower != name && check_name_chars(&lower).is_ok() {
        format!("; try '{lower}'")
    } else {
        String::new()
    };
    Err(format!(
        "names use lowercase letters, digits, '.', '_' and '-', and start with a letter or digit{fix}"
    ))
}

pub fn check_alias(alias: &str) -> std::result::Result<(), String> {
    check_name_chars(alias)?;
    check_command_length(alias, "")?;
    if alias.starts_with("dockmux") {
        return Err("names starting with 'dockmux' belong to dockmux itself".into());
    }
    Ok(())
}

/// The longest tag: far above a useful label, short enough for a table cell.
pub const TAG_MAX: usize = 64;

/// Tags (`tags = ["nas"]`, selected as `@nas`): the characters of a name,
/// so a tag is one shell word and never reads as a glob or an exclusion.
pub fn check_tag(tag: &str) -> std::result::Result<(), String> {
    check_name_chars(tag)?;
    if tag.len() > TAG_MAX {
        return Err(format!("a tag may have at most {TAG_MAX} bytes"));
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

/// An engine's `client = "…"`: an absolute path. Unlike the top-level
/// `docker`, never a name looked up on PATH: the key is there to run that
/// one client instead of the PATH search.
pub fn check_client(path: &str) -> std::result::Result<(), String> {
    match path.starts_with('/') {
        true => Ok(()),
        false => Err(format!(
            "client = \"{path}\": give the docker client's absolute path, like \"/usr/bin/docker\""
        )),
    }
}

/// `tls.cert_path`: an absolute directory path.
#[inline(always)]
pub fn cert_path_ok(path: &str) -> bool {
    path.starts_with('/')
}

/// `safe_binds` entries and `data_root`: absolute paths.
#[inline(always)]
pub fn host_dir_ok(path: &str) -> bool {
    path.starts_with('/')
}

/// [`host_dir_ok`] as a check with its reason, for the parser's messages.
pub fn check_host_dir(path: &str) -> std::result::Result<(), String> {
    match host_dir_ok(path) {
        true => Ok(()),
        false => Err("it must be an absolute directory path, like \"/srv/apps\"".into()),
    }
}

/// `pin`: what identifies an engine, from its `/info`: the ID (which every
/// dockerd 20.10 on one machine shares), the name (the host's) and the data
/// root (`DockerRootDir`, last: a path may hold spaces). Written by
/// [`pin`], compared whole.
pub fn pin(id: &str, name: &str, root: &str) -> String {
    format!("id={id} name={name} root={root}")
}

/// [`pin`]'s shape, for the parser's message.
pub fn check_pin(value: &str) -> std::result::Result<(), String> {
    let shaped = value.strip_prefix("id=").and_then(|r| {
        let (id, r) = r.split_once(" name=")?;
        let (name, root) = r.split_once(" root=")?;
        (!id.is_empty() && !id.contains(' ') && !name.contains(' ') && root.starts_with('/'))
            .then_some(())
    });
    match shaped {
        Some(()) => Ok(()),
        None => Err(format!(
            "pin = \"{value}\" is not an engine's identity (\"id=ID name=NAME root=/DATA-ROOT\"); \
             `dockmux set ENGINE --pin` records the engine's own"
        )),
    }
}

/// TLS goes only with tcp:// hosts.
#[inline(always)]
pub fn tls_fits(kind: Kind) -> bool {
    kind == Kind::Tcp
}

/// `persist` is how long an ssh engine's shared connection stays: other
/// hosts have none, so on them it would be said and do nothing.
pub fn persist_fits(kind: Kind) -> bool {
    kind == Kind::Ssh
}

/// How long an ssh engine's shared connection stays up after its last use
/// when the config does not say (src/forward/).
pub const PERSIST_DEFAULT: u64 = 600;
/// The longest `persist` (a week): longer is a mistake, not a wish.
const PERSIST_MAX: u64 = 7 * 24 * 3600;

/// `persist = "10m"`: seconds, from digits and one unit (`s`, `m`, `h`; none
/// is seconds). `"0"` turns the shared connection off.
pub fn persist_secs(value: &str) -> std::result::Result<u64, String> {
    let split = value
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(value.len());
    let (digits, unit) = value.split_at(split);
    let scale = match unit {
        "" | "s" => Some(1),
        "m" => Some(60),
        "h" => Some(3600),
        _ => None,
    };
    let secs = scale
        .filter(|_| !digits.is_empty() && digits.len() <= 9)
        .and_then(|scale| digits.parse::<u64>().ok().map(|n| n * scale));
    match secs {
        Some(secs) if secs <= PERSIST_MAX => Ok(secs),
        _ => Err(format!(
            "persist = \"{value}\": give how long the shared ssh connection stays up after its \
             last use, like \"10m\", \"90s\" or \"1h\" (at most \"168h\"), or \"0\" to turn it off"
        )),
    }
}
