//! The docker client's version, as `docker --version` prints it: doctor
//! reports it, and completion (completion/old_client) answers in the place
//! of a client too old to name the engine's objects. Runs a process, so it
//! is never on the engine path.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use crate::docker::children::Batch;

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
