//! How a lifted protection (engine::policy::lift) is shown: `protect lift`
//! says until when, `list` shows it in its POLICY column and `--json`.

use std::time::{SystemTime, UNIX_EPOCH};

/// `t` broken down, in local time or UTC.
fn tm(t: SystemTime, utc: bool) -> libc::tm {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()) as libc::time_t;
    // SAFETY: an all-zero tm is a valid value; localtime_r and gmtime_r
    // only write into it.
    let mut out: libc::tm = unsafe { std::mem::zeroed() };
    unsafe {
        if utc {
            libc::gmtime_r(&secs, &mut out);
        } else {
            libc::localtime_r(&secs, &mut out);
        }
    }
    out
}

/// "06:10:23", local time: when a lift ends, as a person reads a clock.
pub fn clock(t: SystemTime) -> String {
    let t = tm(t, false);
    format!("{:02}:{:02}:{:02}", t.tm_hour, t.tm_min, t.tm_sec)
}

/// "2026-12-07T06:10:23Z": when a lift ends, for `list --json`.
pub fn utc(t: SystemTime) -> String {
    let t = tm(t, true);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.tm_year + 1900,
        t.tm_mon + 1,
        t.tm_mday,
        t.tm_hour,
        t.tm_min,
        t.tm_sec
    )
}
