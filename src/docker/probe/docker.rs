//! Engines asked through the stock docker client (tcp and ssh, so TLS and
//! ssh behave as for `NAME-docker`): the client run with the engine's
//! environment under the deadline (children.rs), its errors sorted into
//! states, each with a fix.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use super::{Meter, Reach, State, Status, Target, timed_out};
use crate::config::host::Kind;
use crate::docker::children::{Batch, Unfinished};
use crate::engine;
use crate::text::escape;

/// The plain ssh command that checks what docker's ssh transport needs:
/// `ssh -p 2222 me@nas docker version` for `ssh://me@nas:2222`, with
/// `-H unix://PATH` when the URL names the remote socket.
pub(super) fn ssh_check_command(url: &str) -> String {
    let rest = url.strip_prefix("ssh://").unwrap_or(url);
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], Some(&rest[i..])),
        None => (rest, None),
    };
    let (user, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => (h, Some(p)),
        _ => (hostport, None),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let mut words = vec!["ssh".to_string()];
    if let Some(p) = port {
        words.extend(["-p".to_string(), p.to_string()]);
    }
    words.push(match user {
        Some(u) => format!("{u}@{host}"),
        None => host.to_string(),
    });
    words.push("docker".to_string());
    if let Some(path) = path.filter(|p| *p != "/") {
        words.extend(["-H".to_string(), format!("unix://{path}")]);
    }
    words.push("version".to_string());
    let words: Vec<String> = words
        .iter()
        .map(|w| crate::text::quote::sh_word(w))
        .collect();
    words.join(" ")
}

/// `docker version` with the engine's environment, killed at the deadline.
pub(super) fn probe_client(
    batch: &Batch,
    docker: &Path,
    t: &Target,
    deadline: Instant,
    timeout: Duration,
) -> Status {
    let args = ["version", "--format", "{{json .Server}}"];
    let done = match client_output(batch, docker, t, &args, (deadline, timeout), None) {
        Ok(done) => done,
        Err(status) => return status,
    };
    // Only the two fields shown are kept: the client's output is up to 1 MiB.
    let server = serde_json::from_slice::<super::Version>(&done.stdout);
    if let (true, Ok(v)) = (done.status.success(), server) {
        return Status::up(v.version, v.api_version);
    }
    classify_client_error(t, docker_message(&done.stderr))
}

/// `docker ARGS…` for [`ask_all`]: its output when it succeeds. The output
/// is an answer of any size (`ps -a` of 10,000 containers is ~6 MB), so it
/// is charged to the engine's `meter` as it is read, as a unix socket's
/// answer is, rather than cut at a fixed size.
pub(super) fn run_client(
    reach: &Reach,
    docker: &Path,
    t: &Target,
    args: &[String],
    meter: &mut Meter,
) -> Result<Vec<u8>, Status> {
    let mut over = None;
    let mut charge = |n| {
        meter
            .charge(n)
            .map_err(|status| over = Some(status))
            .is_ok()
    };
    let done = client_output(
        &reach.batch,
        docker,
        t,
        args,
        (reach.deadline, reach.timeout),
        Some(&mut charge),
    );
    if let Some(status) = over {
        return Err(status);
    }
    let done = done?;
    if done.status.success() {
        Ok(done.stdout)
    } else {
        Err(classify_client_error(t, docker_message(&done.stderr)))
    }
}

/// The client run with the engine's environment until it exits or the
/// deadline comes (`when`: the deadline, and the timeout it came from).
/// Its stdout is charged to `charge` when given, else kept to 1 MiB.
pub(super) fn client_output(
    batch: &Batch,
    docker: &Path,
    t: &Target,
    args: &[impl AsRef<std::ffi::OsStr>],
    (deadline, timeout): (Instant, Duration),
    charge: Option<&mut dyn FnMut(usize) -> bool>,
) -> Result<crate::docker::children::Finished, Status> {
    let mut cmd = Command::new(docker);
    cmd.args(args)
        // ssh must not ask for a password or a host key on the user's terminal.
        .env("SSH_ASKPASS_REQUIRE", "never");
    engine::set_env(&mut cmd, &t.env);
    let run = match charge {
        Some(charge) => batch.run_charged(&mut cmd, deadline, charge),
        None => batch.run_until(&mut cmd, deadline),
    };
    let done = match run {
        Ok(done) => done,
        Err(Unfinished::TimedOut | Unfinished::Closed) => return Err(timed_out(timeout)),
        Err(Unfinished::Spawn(e)) => {
            return Err(Status::failed(
                State::Unknown,
                format!("cannot run {}: {e}", docker.display()),
                None,
            ));
        }
    };
    if done.overflowed {
        let first = args
            .first()
            .map(|a| a.as_ref().to_string_lossy().into_owned());
        return Err(Status::failed(
            State::Error,
            format!(
                "{} {} wrote more than {} MiB",
                docker.display(),
                first.unwrap_or_default(),
                crate::docker::children::OUTPUT_CAP >> 20
            ),
            Some("check that the docker client is docker's".into()),
        ));
    }
    Ok(done)
}

/// docker's own error text, on one line.
pub(super) fn docker_message(stderr: &[u8]) -> String {
    match escape::one_line(stderr) {
        m if m.is_empty() => "docker failed without a message".to_string(),
        m => m,
    }
}

pub(super) fn classify_client_error(t: &Target, message: String) -> Status {
    let lower = message.to_ascii_lowercase();
    let (state, fix) = if t.kind == Kind::Ssh {
        let check = ssh_check_command(&t.host);
        let fix = if lower.contains("permission denied") {
            format!("check that your ssh key is accepted: {check}")
        } else if lower.contains("host key") {
            format!("connect once with plain ssh to check and accept the host key: {check}")
        } else {
            format!("check that `{check}` works from this shell")
        };
        (State::SshError, fix)
    } else if t.tls
        || lower.contains("tls")
        || lower.contains("x509")
        || lower.contains("certificate")
    {
        (
            State::TlsError,
            "check the engine's tls settings (cert_path holds ca.pem, cert.pem, key.pem)".into(),
        )
    } else if lower.contains("permission denied") {
        (
            State::PermissionDenied,
            format!("ask for access to {} (the engine refused you)", t.host),
        )
    } else if lower.contains("connection refused") {
        (State::Refused, "start the engine, or fix its host".into())
    } else {
        (State::Down, "start the engine, or fix its host".into())
    };
    Status::failed(state, message, Some(fix))
}
