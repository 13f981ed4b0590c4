//! A lifted protection (`dockmux protect lift NAME 10m`): until a deadline,
//! the user's own held commands on NAME run without the second yes. Per
//! user and never in a config: a file in the user's runtime directory
//! (`$XDG_RUNTIME_DIR/dockmux-lift/NAME`, else `/tmp/dockmux-lift-UID/NAME`;
//! gone at logout or reboot), trusted only as the user's own: the directory
//! theirs and closed to others, the file theirs, 0600, not a link. A lift
//! someone else could have written (planted in `/tmp`) lifts nothing.

use std::io::Read;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::config::Settings;

/// The directory of this user's lifts.
pub fn dir() -> PathBuf {
    // SAFETY: geteuid has no preconditions.
    let uid = unsafe { libc::geteuid() };
    match std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .filter(|d| d.is_absolute())
    {
        Some(runtime) => runtime.join("dockmux-lift"),
        None => PathBuf::from(format!("/tmp/dockmux-lift-{uid}")),
    }
}

/// Whether `meta` is this user's and closed to others (no group or other
/// access at all).
pub fn own(meta: &std::fs::Metadata) -> bool {
    // SAFETY: geteuid has no preconditions.
    meta.uid() == unsafe { libc::geteuid() } && meta.mode() & 0o077 == 0
}

/// The lift's file as written for `engine`: the deadline and the host it
/// was lifted for (a lift does not follow the name to another host).
pub fn text(engine: &Settings, until: SystemTime) -> String {
    let at = until.duration_since(UNIX_EPOCH).unwrap_or_default();
    format!(
        "until {}.{:09}\nhost {}\n",
        at.as_secs(),
        at.subsec_nanos(),
        engine.host
    )
}

/// Until when `engine`'s protection is lifted for this user: `None` when
/// it is not, the lift has run out, or its file is not trusted.
pub fn until(engine: &Settings) -> Option<SystemTime> {
    let dir = dir();
    let dir_ok = std::fs::symlink_metadata(&dir).is_ok_and(|m| m.is_dir() && own(&m));
    if !dir_ok {
        return None;
    }
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(dir.join(&engine.name))
        .ok()?;
    let meta = f.metadata().ok()?;
    if !meta.is_file() || !own(&meta) || meta.len() > 4096 {
        return None;
    }
    let mut text = String::new();
    f.read_to_string(&mut text).ok()?;
    let rest = text.strip_prefix("until ")?;
    let (at, rest) = rest.split_once('\n')?;
    if rest != format!("host {}\n", engine.host) {
        return None;
    }
    let (secs, nanos) = at.split_once('.')?;
    let until = UNIX_EPOCH
        + Duration::new(
            secs.parse().ok()?,
            nanos.parse().ok().filter(|n| *n < 1_000_000_000)?,
        );
    (SystemTime::now() < until).then_some(until)
}
