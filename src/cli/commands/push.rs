//! `dockmux push [USER@]HOST [--dir DIR] [--ssh CMD]`: this dockmux, copied
//! over the user's own ssh and installed there by `dockmux install`. The
//! remote's `uname -sm` must be this build's. The copy goes to a temp file
//! on the remote and is installed only once its size and SHA-256 match, so
//! a copy that breaks off leaves the remote's dockmux as it was.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, ExitStatus, Stdio};

use clap::Args;
use sha2::{Digest, Sha256};

use crate::config::Sources;
use crate::error::{Error, Result};
use crate::exit_codes::ExitCode;
use crate::install::bin_dir::running_binary;
use crate::{output, text::escape, text::quote};

#[derive(Args, Debug)]
pub struct PushArgs {
    /// The machine to install on, as ssh names it
    #[arg(value_name = "[USER@]HOST")]
    pub host: String,
    /// Directory to install into there [default: install's: /usr/local/bin as root, else ~/.local/bin]
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// The ssh command, split into words as a shell splits them (like rsync -e)
    #[arg(long, value_name = "CMD", default_value = "ssh")]
    pub ssh: String,
}

/// Runs on the remote under `sh -c`, with the size, the SHA-256 and
/// install's arguments. No `'` or `\` in it: it is passed in single quotes,
/// which the remote's login shell (sh, bash, zsh or fish) keeps as they are.
/// The temp dir goes with the script, whatever ends it (a dropped
/// connection ends `cat` with a short file).
const REMOTE_SCRIPT: &str = r#"size=$1; sum=$2; shift 2
command -v sha256sum >/dev/null 2>&1 || exit 91
t=$(mktemp -d "${TMPDIR:-/tmp}/dockmux-push.XXXXXX") || exit 90
cleanup() { rm -rf "$t"; }
trap cleanup EXIT
trap "exit 129" HUP
trap "exit 130" INT
trap "exit 141" PIPE
trap "exit 143" TERM
cat > "$t/dockmux" || exit 92
[ "$(wc -c < "$t/dockmux")" -eq "$size" ] || exit 92
case "$(sha256sum < "$t/dockmux")" in "$sum "*) ;; *) exit 92;; esac
chmod 700 "$t/dockmux" || exit 90
"$t/dockmux" install "$@" < /dev/null || exit
"$t/dockmux" list < /dev/null
exit 0"#;

/// The script's own exit codes.
const NO_TEMP: i32 = 90;
const NO_SHA256SUM: i32 = 91;
const BROKEN_COPY: i32 = 92;
/// ssh's own failure (no connection, no auth).
const SSH_FAILED: i32 = 255;

pub fn run(args: &PushArgs, _sources: &Sources) -> Result<ExitCode> {
    check_host(&args.host)?;
    let ssh = ssh_words(&args.ssh)?;
    let dir = match &args.dir {
        Some(d) => Some(remote_dir(d)?),
        None => None,
    };
    let bytes = running_binary()?;
    let local = local_system();
    let host = &args.host;

    let out = ssh_command(&ssh, host, "uname -sm")
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| not_started(&ssh, e))?;
    // ssh's own words, passed on (escaped: they hold the remote's text).
    let said = String::from_utf8_lossy(&out.stderr);
    for line in said.lines() {
        output::note(&escape::text(line));
    }
    if out.status.code() != Some(0) {
        return Err(unreachable(host, out.status, &ssh, &said));
    }
    let remote = escape::one_line(&out.stdout);
    if remote != local {
        let remote = if remote.is_empty() {
            "an unknown system (uname -sm printed nothing)".to_string()
        } else {
            remote
        };
        return Err(Error::Usage(format!(
            "{host} runs {remote}, but this dockmux is built for {local}; copy a dockmux \
             built for {remote} there and run `./dockmux install` on it; nothing was copied"
        )));
    }

    let sum = hex(&Sha256::digest(&bytes));
    let mut remote_cmd = format!(
        "sh -c {} dockmux-push {} {sum}",
        quote::sh(REMOTE_SCRIPT),
        bytes.len()
    );
    if let Some(d) = &dir {
        remote_cmd.push_str(&format!(" --dir {}", quote::sh(d)));
    }
    output::print(&format!(
        "copying dockmux {} ({} bytes, {local}) to {host} and installing it there\n",
        env!("CARGO_PKG_VERSION"),
        bytes.len()
    ))?;
    let mut child = ssh_command(&ssh, host, &remote_cmd)
        .stdin(Stdio::piped())
        .spawn()
        .map_err(|e| not_started(&ssh, e))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A remote that stops reading has said why, or its exit code will.
        let _ = stdin.write_all(&bytes);
    }
    let status = child
        .wait()
        .map_err(|e| Error::io(format!("cannot wait for {}", ssh[0]), e))?;
    match status.code() {
        Some(0) => Ok(ExitCode::Success),
        Some(BROKEN_COPY) => Err(Error::Failed(format!(
            "the copy to {host} broke off (what arrived was not this dockmux, byte for byte); \
             {host}'s dockmux was left as it was; run the push again"
        ))),
        Some(NO_SHA256SUM) => Err(Error::Failed(format!(
            "{host} has no sha256sum to check the copy with (Debian: coreutils); nothing was installed"
        ))),
        Some(NO_TEMP) => Err(Error::Failed(format!(
            "{host} has no temp directory to copy into (its message is above); set TMPDIR \
             there to a directory it may write and run programs in; nothing was installed"
        ))),
        Some(SSH_FAILED) => Err(Error::Failed(format!(
            "ssh to {host} failed while copying or installing (its message is above); if the \
             copy had not arrived whole, {host}'s dockmux was left as it was; run the push again"
        ))),
        Some(126) => Err(Error::Failed(format!(
            "the copy could not be run on {host} (is its temp directory mounted noexec? set \
             TMPDIR there to one that is not); nothing was installed"
        ))),
        _ if status.code().is_none() => Err(Error::Failed(format!(
            "{} ended by a signal ({status}) while copying or installing; if the copy had not \
             arrived whole, {host}'s dockmux was left as it was; run the push again",
            ssh[0]
        ))),
        // install's own refusal or failure, which said what and how to fix it.
        _ => Err(Error::Failed(format!(
            "dockmux install on {host} did not finish ({status}; its message is above)"
        ))),
    }
}

/// `[USER@]HOST`: one word that ssh reads as a destination, not an option.
fn check_host(host: &str) -> Result<()> {
    if host.is_empty()
        || host.starts_with('-')
        || host
            .chars()
            .any(|c| c.is_whitespace() || escape::is_unsafe(c))
    {
        return Err(Error::Usage(format!(
            "'{}' is not a host to push to; give [USER@]HOST as ssh takes it (e.g. me@nas.local)",
            escape::text(host)
        )));
    }
    Ok(())
}

/// `--ssh CMD` split as a shell splits words.
fn ssh_words(cmd: &str) -> Result<Vec<String>> {
    match shlex::split(cmd) {
        Some(words) if !words.is_empty() => Ok(words),
        _ => Err(Error::Usage(format!(
            "--ssh '{}' is not a command line a shell could split (an open quote?); give e.g. --ssh 'ssh -p 2222'",
            escape::text(cmd)
        ))),
    }
}

/// The remote dir, as text the remote shells take in single quotes.
fn remote_dir(dir: &std::path::Path) -> Result<String> {
    let text = dir.to_str().filter(|t| {
        !t.is_empty()
            && !t.starts_with('~')
            && !t.contains('\\')
            && !t.chars().any(escape::is_unsafe)
    });
    text.map(str::to_string).ok_or_else(|| {
        Error::Usage(format!(
            "--dir {} cannot be passed to the remote as it is (no ~, backslash or control \
             character); give the remote directory's absolute path",
            escape::text(&dir.to_string_lossy())
        ))
    })
}

/// `CMD… -o BatchMode=yes -- HOST REMOTE-COMMAND`: never a prompt.
fn ssh_command(ssh: &[String], host: &str, remote: &str) -> Command {
    let mut cmd = Command::new(&ssh[0]);
    cmd.args(&ssh[1..])
        .args(["-o", "BatchMode=yes", "--", host, remote]);
    cmd
}

fn not_started(ssh: &[String], e: std::io::Error) -> Error {
    Error::io(
        format!(
            "cannot run {} (from --ssh); give the ssh command to use, e.g. --ssh 'ssh -p 2222'",
            quote::sh_word(&ssh[0])
        ),
        e,
    )
}

/// ssh failed: why, from what it said, and the fix. A host key it does not
/// know (or that changed) fails every batch-mode try the same way, so the
/// fix is to settle the key once, by hand.
fn unreachable(host: &str, status: ExitStatus, ssh: &[String], said: &str) -> Error {
    let how = ssh
        .iter()
        .map(|w| quote::sh_word(w))
        .collect::<Vec<_>>()
        .join(" ");
    let host_q = quote::sh_word(host);
    if said.contains("REMOTE HOST IDENTIFICATION HAS CHANGED") {
        return Error::Failed(format!(
            "ssh refused {host}: its host key is not the one known for it (ssh's message is \
             above); if the machine was reinstalled, forget the old key (ssh-keygen -R HOST, \
             with the host as ssh names it), accept the new one once with `{how} {host_q} true`, \
             then push again; nothing was copied"
        ));
    }
    if said.contains("Host key verification failed") {
        return Error::Failed(format!(
            "ssh does not know {host}'s host key yet, and push never answers ssh's question \
             itself (batch mode); accept the key once: run `{how} {host_q} true` and answer yes \
             after checking the fingerprint, then push again; nothing was copied"
        ));
    }
    Error::Failed(format!(
        "cannot run commands on {host} over ssh ({status}; ssh's message is above); check that \
         `{how} -o BatchMode=yes {host} true` works (batch mode: a key, no password prompt); \
         nothing was copied"
    ))
}

/// What `uname -sm` prints here.
fn local_system() -> String {
    // SAFETY: an all-zero utsname is valid; uname fills it.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    // SAFETY: u is writable; uname(2) cannot fail with a valid pointer.
    unsafe { libc::uname(&mut u) };
    let field = |f: &[libc::c_char]| {
        // SAFETY: uname NUL-terminates each field within its array.
        unsafe { std::ffi::CStr::from_ptr(f.as_ptr()) }
            .to_string_lossy()
            .into_owned()
    };
    format!("{} {}", field(&u.sysname), field(&u.machine))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_remote_script_survives_single_quotes_in_every_shell() {
        assert!(!REMOTE_SCRIPT.contains('\'') && !REMOTE_SCRIPT.contains('\\'));
    }

    #[test]
    fn ssh_is_split_as_a_shell_splits_it() {
        assert_eq!(
            ssh_words(r#"ssh -i "/a b/key" -p 22"#).unwrap(),
            ["ssh", "-i", "/a b/key", "-p", "22"]
        );
        assert!(ssh_words("ssh 'open").is_err());
        assert!(ssh_words("  ").is_err());
    }

    #[test]
    fn hosts_that_ssh_would_read_as_options_are_refused() {
        for bad in ["-oProxyCommand=x", "", "a b", "a\nb"] {
            assert!(check_host(bad).is_err(), "{bad:?}");
        }
        check_host("me@nas.local").unwrap();
    }
}
