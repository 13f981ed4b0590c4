//! The docker client's version, as `docker --version` prints it: doctor
//! reports it, and completion (completion/old_client) answers in the place
//! of a client too old to name the engine's objects. Runs a process, so it
//! is never on the engine path.

use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use crate::docker::children::Batch;
use crate::files::cache;

/// The first docker whose `__complete` answers with names (cobra's
/// completion came with docker 23; 20.10's answers `:0`, "files", for every
/// argument).
pub const COMPLETES_NAMES: u32 = 23;

/// What `CLIENT --version` prints, if it succeeds before `deadline`.
pub fn output(client: &Path, deadline: Instant) -> Option<String> {
    let mut cmd = Command::new(client);
    cmd.arg("--version");
    match Batch::new().run_until(&mut cmd, deadline) {
        Ok(done) if done.status.success() => {
            Some(String::from_utf8_lossy(&done.stdout).into_owned())
        }
        _ => None,
    }
}

/// The client's major version, as [`output`] and [`parse`] tell it,
/// remembered for the client file it came from: TAB at a name's place asks
/// it every time, and a docker process costs as much as the client's own
/// answer (bench/REMOTE.md). The file's identity (device, inode, size,
/// modification and change times, after symlinks) is the key: replacing or
/// rewriting the client changes it, and it is asked again.
pub fn major(client: &Path, deadline: Instant) -> Option<u32> {
    let key = std::fs::metadata(client).ok().map(|m| {
        format!(
            "{}\0{}:{}:{}:{}.{}:{}.{}\n",
            client.display(),
            m.dev(),
            m.ino(),
            m.size(),
            m.mtime(),
            m.mtime_nsec(),
            m.ctime(),
            m.ctime_nsec()
        )
    });
    // One client, the last asked.
    let file = cache::file("client-version");
    if let (Some(key), Some(file)) = (&key, &file)
        && let Some(major) = cache::read(file, key).and_then(|t| t.strip_suffix('\n')?.parse().ok())
    {
        return Some(major);
    }
    let (_, major) = parse(&output(client, deadline)?)?;
    if let (Some(key), Some(file)) = (key, file) {
        cache::write(&file, &key, &format!("{major}\n"));
    }
    Some(major)
}

/// `Docker version 28.2.2, build e6534b4` → ("28.2.2", 28).
pub fn parse(text: &str) -> Option<(String, u32)> {
    let rest = text.trim().strip_prefix("Docker version ")?;
    let v = rest.split([',', ' ']).next()?.to_string();
    let major = v.split('.').next()?.parse().ok()?;
    Some((v, major))
}

#[cfg(test)]
mod tests {
    #[test]
    fn versions_are_read_from_docker_version_lines() {
        assert_eq!(
            super::parse("Docker version 28.2.2, build e6534b4\n"),
            Some(("28.2.2".into(), 28))
        );
        assert_eq!(
            super::parse("Docker version 20.10.24+dfsg1, build 297e128"),
            Some(("20.10.24+dfsg1".into(), 20))
        );
        assert_eq!(super::parse("podman version 4.3.1"), None);
    }
}
