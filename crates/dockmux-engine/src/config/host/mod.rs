//! Engine host URLs. One is accepted only if the docker client takes it and
//! then connects where it says, so a bad URL fails when the config is read,
//! not as a confusing docker error (or a connection elsewhere) later.
//!
//! The rules come from docker/cli and the Go libraries it relies on:
//! opts/hosts.go (`ParseHost` trims spaces, a second `://` is refused,
//! `ParseTCPAddr`), cli/connhelper (every host goes through `url.Parse`;
//! ssh.go refuses a password, a query or a fragment and runs
//! `ssh [-l USER] [-p PORT] -- HOST docker [--host unix://PATH] system dial-stdio`),
//! Go's net/url (host characters, a port of digits only, `%` escapes) and
//! net (`isDomainName`, which a name must pass to be looked up). Where docker
//! takes a URL but changes it (drops a user, a query or a fragment; reads
//! `tcp://::1:2375` as the address `::1:2375` with port 2375) or hands on
//! what cannot work (`ssh -p 0`, a host name starting with '-'), dockmux
//! refuses it. tests/hosts.rs holds these rules to the real clients.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::Path;

mod name;

/// What kind of endpoint a valid host URL names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Unix,
    Tcp,
    Ssh,
}

/// Checks `url`; on error the message says what is wrong and how to write
/// it. A URL it suggests ("write \"…\"") passes this check itself.
pub fn check(url: &str) -> Result<Kind, String> {
    parse(url).map_err(|r| r.message(url))
}

/// The socket path of a `unix://` URL (assumes the URL passed `check`).
pub fn unix_socket(url: &str) -> Option<&Path> {
    url.strip_prefix("unix://").map(Path::new)
}

/// A form of `url` for telling whether two hosts are the same endpoint:
/// `/var/run` is `/run` on every current Linux, and doubled or trailing
/// slashes in a socket path mean nothing.
pub fn same_endpoint(a: &str, b: &str) -> bool {
    normalize(a) == normalize(b)
}

/// What [`same_endpoint`] compares: a key for maps of endpoints.
pub fn endpoint_key(url: &str) -> String {
    normalize(url)
}

/// The parts of an `ssh://` URL, as docker's ssh connection helper reads
/// them (docker/cli cli/connhelper/ssh): the socket path is what follows the
/// authority. Assumes the URL passed `check`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SshSpec {
    pub user: Option<String>,
    pub host: String,
    pub port: Option<String>,
    /// Empty when the URL names no socket path.
    pub path: String,
}

impl SshSpec {
    /// `[-l USER] [-p PORT] -- HOST`: ssh's arguments for the destination,
    /// as docker's helper writes them.
    pub fn destination(&self) -> Vec<String> {
        let mut args = Vec::new();
        if let Some(user) = &self.user {
            args.extend(["-l".to_string(), user.clone()]);
        }
        if let Some(port) = &self.port {
            args.extend(["-p".to_string(), port.clone()]);
        }
        args.extend(["--".to_string(), self.host.clone()]);
        args
    }
}

pub fn ssh_spec(url: &str) -> Option<SshSpec> {
    let rest = url.strip_prefix("ssh://")?;
    let (authority, path) = split_path(rest);
    let (user, host_port) = match authority.rsplit_once('@') {
        Some((u, hp)) => (Some(u.to_string()), hp),
        None => (None, authority),
    };
    let hp = split_host(host_port, &String::new, "", SSH_FORM, false).ok()?;
    Some(SshSpec {
        user,
        host: hp.host.to_string(),
        port: hp.port.map(str::to_string),
        path: path.to_string(),
    })
}

fn normalize(url: &str) -> String {
    match url.strip_prefix("unix://") {
        Some(path) => {
            let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
            let parts = match parts.as_slice() {
                ["var", "run", rest @ ..] => [&["run"], rest].concat(),
                _ => parts,
            };
            format!("unix:///{}", parts.join("/"))
        }
        None => url.trim_end_matches('/').to_ascii_lowercase(),
    }
}

/// Why a URL is refused: the problem, the URLs that would do instead (each
/// offered only if it passes the check), and otherwise the general form.
struct Refusal {
    problem: String,
    fixes: Vec<String>,
    form: &'static str,
}

const ANY_FORM: &str = "the forms are unix:///PATH/TO/docker.sock, tcp://HOST:PORT and ssh://[USER@]HOST[:PORT][/PATH]";
const UNIX_FORM: &str = "the form is unix:///PATH/TO/docker.sock";
const TCP_FORM: &str =
    "the form is tcp://HOST:PORT, HOST a name, an IPv4 address or an IPv6 address in [ ]";
const SSH_FORM: &str = "the form is ssh://[USER@]HOST[:PORT][/PATH/TO/docker.sock], HOST a name, an IPv4 address or an IPv6 address in [ ]";

fn refuse(problem: impl Into<String>, form: &'static str) -> Refusal {
    Refusal {
        problem: problem.into(),
        fixes: Vec::new(),
        form,
    }
}

impl Refusal {
    fn fix(mut self, url: impl Into<String>) -> Refusal {
        self.fixes.push(url.into());
        self
    }

    fn message(self, url: &str) -> String {
        let fixes: Vec<String> = self
            .fixes
            .into_iter()
            .filter(|f| f != url && parse(f).is_ok())
            .map(|f| format!("\"{f}\""))
            .collect();
        let advice = match fixes.as_slice() {
            [] => self.form.to_string(),
            [one] => format!("write {one}"),
            [first, rest @ ..] => format!("write {first} (or {})", rest.join(" or ")),
        };
        format!("host '{url}' {}; {advice}", self.problem)
    }
}

type Checked = Result<Kind, Refusal>;

fn parse(url: &str) -> Checked {
    // docker trims spaces (opts.ParseHost); anything reading the config raw does not.
    let trimmed = url.trim();
    if trimmed.len() != url.len() {
        return Err(refuse("has spaces around it", ANY_FORM).fix(trimmed));
    }
    if let Some(c) = url.chars().find(|c| c.is_control()) {
        return Err(refuse(
            format!("contains the control character {c:?}, which docker's URL parser refuses"),
            ANY_FORM,
        ));
    }
    let Some((scheme, rest)) = url.split_once("://") else {
        if url.starts_with('/') {
            return Err(refuse(
                format!("is a bare path, which docker reads as tcp://localhost:2375{url}"),
                UNIX_FORM,
            )
            .fix(format!("unix://{url}")));
        }
        // `unix:/PATH`, `ssh:HOST`: a scheme with its slashes missing.
        if let Some((scheme, rest)) = url.split_once(':')
            && ["unix", "tcp", "ssh"].contains(&scheme.to_ascii_lowercase().as_str())
        {
            let scheme = scheme.to_ascii_lowercase();
            let rest = rest.trim_start_matches('/');
            let fixed = match scheme.as_str() {
                "unix" => format!("unix:///{rest}"),
                _ => format!("{scheme}://{rest}"),
            };
            return Err(refuse(
                format!("has '{scheme}:' without the '//' after it"),
                ANY_FORM,
            )
            .fix(fixed));
        }
        // docker reads a URL without a scheme as tcp.
        return Err(refuse("has no scheme", ANY_FORM).fix(format!("tcp://{url}")));
    };
    if rest.contains("://") {
        return Err(refuse(
            "has a second '://', which docker refuses (invalid proto)",
            ANY_FORM,
        ));
    }
    match scheme {
        "unix" => unix(rest).map(|()| Kind::Unix),
        "tcp" => tcp(rest).map(|()| Kind::Tcp),
        "ssh" => ssh(rest).map(|()| Kind::Ssh),
        "http" | "https" => Err(refuse(
            format!(
                "uses {scheme}://, which docker does not take (add `tls = {{ verify = true }}` for TLS)"
            ),
            TCP_FORM,
        )
        .fix(format!("tcp://{rest}"))),
        _ if ["unix", "tcp", "ssh"].contains(&scheme.to_ascii_lowercase().as_str()) => Err(
            refuse(format!("has scheme '{scheme}'; docker takes it in lowercase only"), ANY_FORM)
                .fix(format!("{}://{rest}", scheme.to_ascii_lowercase())),
        ),
        _ => Err(refuse(
            format!("has scheme '{scheme}', which is not one the docker client accepts; use unix, tcp or ssh"),
            ANY_FORM,
        )),
    }
}

fn unix(path: &str) -> Result<(), Refusal> {
    if path.is_empty() {
        return Err(refuse("has no socket path", UNIX_FORM));
    }
    if !path.starts_with('/') {
        return Err(refuse(
            "needs an absolute socket path (three slashes after unix:)",
            UNIX_FORM,
        )
        .fix(format!("unix:///{path}")));
    }
    socket_path_fits(path, UNIX_FORM)?;
    // The path is used as written, but the whole URL must pass Go's url.Parse first.
    if let Some(bad) = name::bad_escape(path) {
        return Err(refuse(
            format!(
                "has '{bad}' in its path, which docker's URL parser refuses ('%' must start an escape like %20); rename the socket"
            ),
            UNIX_FORM,
        ));
    }
    Ok(())
}

/// The most bytes a unix socket path may have: `sun_path` holds 108 with
/// the NUL. docker 20.10 refuses a longer one as "too long"; 28.x panics.
const SOCKET_PATH_MAX: usize = 107;

fn socket_path_fits(path: &str, form: &'static str) -> Result<(), Refusal> {
    if path.len() <= SOCKET_PATH_MAX {
        return Ok(());
    }
    Err(refuse(
        format!(
            "has a socket path of {} bytes, but a unix socket path holds at most {SOCKET_PATH_MAX} \
             (sun_path), so docker cannot connect to it; move the socket, or link it from a shorter path",
            path.len()
        ),
        form,
    ))
}

fn tcp(rest: &str) -> Result<(), Refusal> {
    if let Some(i) = rest.find(['?', '#']) {
        return Err(refuse(
            "has a query or fragment, which docker drops without a word",
            TCP_FORM,
        )
        .fix(format!("tcp://{}", &rest[..i])));
    }
    let (authority, path) = split_path(rest);
    if let Some((_, host_port)) = authority.rsplit_once('@') {
        return Err(refuse(
            "has a user name, which docker drops for tcp without a word",
            TCP_FORM,
        )
        .fix(format!("tcp://{host_port}{path}")));
    }
    if path.contains('%') {
        return Err(refuse(
            "has '%' in its path, which docker decodes and so changes",
            TCP_FORM,
        ));
    }
    let hp = split_host(authority, &|| "tcp://".to_string(), path, TCP_FORM, true)?;
    let Some(port) = hp.port else {
        return Err(
            refuse("needs a port (2376 with TLS, 2375 without)", TCP_FORM)
                .fix(format!("tcp://{authority}:2376{path}"))
                .fix(format!("tcp://{authority}:2375{path}")),
        );
    };
    if hp.host.is_empty() {
        // docker would use localhost.
        return Err(
            refuse("has no host name", TCP_FORM).fix(format!("tcp://localhost:{port}{path}"))
        );
    }
    check_host(&hp, TCP_FORM)?;
    check_port(
        port,
        |p| format!("tcp://{}:{p}{path}", hp.bracketed()),
        TCP_FORM,
    )
}

fn ssh(rest: &str) -> Result<(), Refusal> {
    if let Some(i) = rest.find(['?', '#']) {
        return Err(refuse(
            "has a query or fragment, which docker refuses for ssh",
            SSH_FORM,
        )
        .fix(format!("ssh://{}", &rest[..i])));
    }
    let (authority, path) = split_path(rest);
    let (user, host_port) = match authority.rsplit_once('@') {
        Some((user, hp)) => (Some(user), hp),
        None => (None, authority),
    };
    if let Some(user) = user {
        if let Some((name, _)) = user.split_once(':') {
            return Err(refuse(
                "has a password: plain-text passwords are not supported; use an ssh key (ssh-agent or ~/.ssh/config)",
                SSH_FORM,
            )
            .fix(format!("ssh://{name}@{host_port}{path}")));
        }
        if user.is_empty() {
            return Err(
                refuse("has an empty user name", SSH_FORM).fix(format!("ssh://{host_port}{path}"))
            );
        }
        if !name::is_login(user) {
            return Err(refuse(
                format!(
                    "has user '{user}', which is not a login name (letters, digits, '.', '_', '-', not first)"
                ),
                SSH_FORM,
            ));
        }
    }
    // Built only for a message: the engine path checks every host it reads.
    let prefix = || {
        format!(
            "ssh://{}",
            user.map(|u| format!("{u}@")).unwrap_or_default()
        )
    };
    let hp = split_host(host_port, &prefix, path, SSH_FORM, false)?;
    if hp.host.is_empty() {
        return Err(refuse("has no host name", SSH_FORM));
    }
    check_host(&hp, SSH_FORM)?;
    if let Some(port) = hp.port {
        check_port(
            port,
            |p| format!("{}{}:{p}{path}", prefix(), hp.bracketed()),
            SSH_FORM,
        )?;
    }
    if path == "/" {
        return Err(refuse("has an empty socket path after the host", SSH_FORM)
            .fix(format!("{}{host_port}", prefix())));
    }
    // docker hands the path to the remote shell (`docker --host unix://PATH …`).
    socket_path_fits(path, SSH_FORM)?;
    if let Some(c) = path.chars().find(|&c| !name::is_remote_path_char(c)) {
        return Err(refuse(
            format!(
                "has {c:?} in its socket path, which the remote shell would read; use letters, digits and . _ - / + = : , @ ~"
            ),
            SSH_FORM,
        ));
    }
    Ok(())
}

/// `AUTHORITY` and `/PATH` (empty when there is none).
fn split_path(rest: &str) -> (&str, &str) {
    match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    }
}

/// A host and an optional port as written; `v6` when in brackets.
struct HostPort<'a> {
    host: &'a str,
    v6: bool,
    port: Option<&'a str>,
}

impl HostPort<'_> {
    /// The host as it goes in a URL.
    fn bracketed(&self) -> String {
        if self.v6 {
            format!("[{}]", self.host)
        } else {
            self.host.to_string()
        }
    }
}

/// Splits `host:port`, `[v6]:port`, `host`, `[v6]`. `prefix` and `path`
/// rebuild a URL for a fix; `port_needed` for tcp, where docker needs one.
fn split_host<'a>(
    s: &'a str,
    prefix: &dyn Fn() -> String,
    path: &str,
    form: &'static str,
    port_needed: bool,
) -> Result<HostPort<'a>, Refusal> {
    if let Some(inner) = s.strip_prefix('[') {
        let Some((host, tail)) = inner.split_once(']') else {
            return Err(refuse("has '[' without ']'", form));
        };
        return match tail {
            "" => Ok(HostPort {
                host,
                v6: true,
                port: None,
            }),
            _ => match tail.strip_prefix(':') {
                Some(port) => Ok(HostPort {
                    host,
                    v6: true,
                    port: Some(port),
                }),
                None => Err(refuse(
                    format!("has '{tail}' after ']', where only ':PORT' may follow"),
                    form,
                )),
            },
        };
    }
    match s.matches(':').count() {
        0 => Ok(HostPort {
            host: s,
            v6: false,
            port: None,
        }),
        1 => {
            let (host, port) = s.split_once(':').unwrap_or((s, ""));
            Ok(HostPort {
                host,
                v6: false,
                port: Some(port),
            })
        }
        _ => {
            // An IPv6 address without brackets: docker splits it at the last
            // ':' or takes all of it as the address, either way not as meant.
            let mut r = refuse(
                "has an IPv6 address without brackets, which docker misreads",
                form,
            );
            let whole = s.parse::<Ipv6Addr>().is_ok();
            if let Some((h, p)) = s.rsplit_once(':')
                && h.parse::<Ipv6Addr>().is_ok()
                && name::is_port(p)
            {
                r = r.fix(format!("{}[{h}]:{p}{path}", prefix()));
            }
            if whole && !port_needed {
                r = r.fix(format!("{}[{s}]{path}", prefix()));
            }
            Err(r)
        }
    }
}

fn check_host(hp: &HostPort, form: &'static str) -> Result<(), Refusal> {
    let host = hp.host;
    if hp.v6 {
        return match host.parse::<Ipv6Addr>() {
            Ok(_) => Ok(()),
            Err(_) => Err(refuse(
                format!("has '[{host}]', which is not an IPv6 address"),
                form,
            )),
        };
    }
    if host.parse::<Ipv4Addr>().is_ok() || name::is_domain_name(host) {
        return Ok(());
    }
    let why = if host.chars().any(char::is_whitespace) {
        "a space"
    } else if host.starts_with('-') {
        "a leading '-'"
    } else if host.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        "digits that are no IPv4 address"
    } else {
        "characters no host name has"
    };
    Err(refuse(
        format!("has host name '{host}' with {why}, which docker cannot connect to"),
        form,
    ))
}

/// A port: digits only (Go's url.Parse), 1 to 65535. `with` rebuilds the URL with another port.
fn check_port(
    port: &str,
    with: impl Fn(&str) -> String,
    form: &'static str,
) -> Result<(), Refusal> {
    if name::is_port(port) {
        return Ok(());
    }
    if port.is_empty() {
        return Err(refuse("has ':' but no port after it", form)
            .fix(with("2376"))
            .fix(with("2375")));
    }
    let mut r = refuse(
        format!("has invalid port '{port}'; a port is a number from 1 to 65535"),
        form,
    );
    if let Some(digits) = port.strip_prefix('+') {
        r = r.fix(with(digits));
    }
    Err(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_what_docker_accepts() {
        for (url, kind) in [
            ("unix:///data/playground/docker.sock", Kind::Unix),
            ("unix:///tmp/a b.sock", Kind::Unix),
            ("unix:///tmp/a%20b?c#d", Kind::Unix),
            ("tcp://10.0.0.5:2376", Kind::Tcp),
            ("tcp://[::1]:2375", Kind::Tcp),
            ("tcp://db.prod_1.example.:01/base", Kind::Tcp),
            ("ssh://nas", Kind::Ssh),
            ("ssh://me@nas:2222", Kind::Ssh),
            ("ssh://me.x-y@[fe80::1]", Kind::Ssh),
            ("ssh://me@nas:2222/run/user/1000/docker.sock", Kind::Ssh),
        ] {
            assert_eq!(check(url), Ok(kind), "{url}");
        }
    }

    /// The URLs a message suggests: each in quotes after "write" or "or".
    fn suggestions(message: &str) -> Vec<&str> {
        message
            .split("write ")
            .skip(1)
            .flat_map(|part| part.split(" (or "))
            .filter_map(|s| s.split('"').nth(1))
            .collect()
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3_000))]
        /// Whatever the input, a suggested URL passes the check itself.
        #[test]
        fn every_suggestion_passes_the_check(
            url in "(( |/|unix://|tcp://|ssh://|TCP://|https://)?([a-z]{1,3}|[0-9.]{1,8}|[:\\[\\]f1]{1,7}|[@ %+/?#:-]){0,6})"
        ) {
            if let Err(e) = check(&url) {
                for s in suggestions(&e) {
                    proptest::prop_assert!(check(s).is_ok(), "{url:?} suggests {s:?}: {:?}", check(s));
                    proptest::prop_assert_ne!(s, url.as_str());
                }
            }
        }
    }

    #[test]
    fn ssh_urls_split_as_docker_splits_them() {
        let spec = ssh_spec("ssh://me@nas:2222/run/user/1000/docker.sock").unwrap();
        assert_eq!(spec.user.as_deref(), Some("me"));
        assert_eq!(spec.host, "nas");
        assert_eq!(spec.port.as_deref(), Some("2222"));
        assert_eq!(spec.path, "/run/user/1000/docker.sock");
        let spec = ssh_spec("ssh://[::1]").unwrap();
        assert_eq!(
            (spec.host.as_str(), spec.port, spec.path.as_str()),
            ("::1", None, "")
        );
    }

    #[test]
    fn the_same_endpoint_in_other_spellings() {
        assert!(same_endpoint(
            "unix:///var/run/docker.sock",
            "unix:///run//docker.sock"
        ));
        assert!(same_endpoint("tcp://NAS:2375/", "tcp://nas:2375"));
        assert!(!same_endpoint("unix:///run/a.sock", "unix:///run/b.sock"));
    }

    #[test]
    fn rejects_with_a_fix() {
        let cases = [
            ("/tmp/x.sock", "write \"unix:///tmp/x.sock\""),
            ("unix://tmp/x.sock", "write \"unix:///tmp/x.sock\""),
            ("unix:/tmp/a.sock", "write \"unix:///tmp/a.sock\""),
            ("unix:tmp/a.sock", "write \"unix:///tmp/a.sock\""),
            ("ssh:me@nas", "write \"ssh://me@nas\""),
            ("unix://", "no socket path"),
            ("unix:///tmp/100%.sock", "'%.s'"),
            (
                "tcp://10.0.0.5",
                "write \"tcp://10.0.0.5:2376\" (or \"tcp://10.0.0.5:2375\")",
            ),
            ("tcp://:2375", "write \"tcp://localhost:2375\""),
            ("tcp://h:99999", "invalid port"),
            ("tcp://h:0", "invalid port"),
            ("tcp://h:x", "invalid port"),
            ("tcp://h:+80", "write \"tcp://h:80\""),
            ("tcp://::1:2375", "write \"tcp://[::1]:2375\""),
            ("tcp://[::1]x:2375", "'x:2375' after ']'"),
            ("tcp://[nas]:2375", "not an IPv6 address"),
            ("tcp://h :2375", "with a space"),
            ("tcp://me@h:2375", "write \"tcp://h:2375\""),
            ("tcp://h:2375?x=1", "write \"tcp://h:2375\""),
            ("tcp://010.0.0.1:2375", "no IPv4 address"),
            ("tcp://h:1/a%41", "'%'"),
            (" tcp://h:2375", "write \"tcp://h:2375\""),
            ("TCP://h:2375", "write \"tcp://h:2375\""),
            ("unix:///a://b", "second '://'"),
            ("ssh://me:pw@nas", "write \"ssh://me@nas\""),
            ("ssh://nas?x=1", "write \"ssh://nas\""),
            ("ssh://nas#frag", "query or fragment"),
            ("ssh://", "no host name"),
            ("ssh://me@", "no host name"),
            ("ssh://@nas", "write \"ssh://nas\""),
            ("ssh://me@nas local", "with a space"),
            ("ssh://host -- args", "with a space"),
            ("ssh://-oProxyCommand=id", "leading '-'"),
            ("ssh://-l@nas", "not a login name"),
            ("ssh://::1", "write \"ssh://[::1]\""),
            (
                "ssh://fe80::1:22",
                "write \"ssh://[fe80::1]:22\" (or \"ssh://[fe80::1:22]\")",
            ),
            ("ssh://nas:0", "invalid port"),
            ("ssh://nas/", "write \"ssh://nas\""),
            ("ssh://nas/run/$(x).sock", "remote shell"),
            ("ssh://nas/a%20b", "remote shell"),
            ("https://nas:2376", "write \"tcp://nas:2376\""),
            ("npipe:////./pipe/docker", "use unix, tcp or ssh"),
            ("nas:2375", "write \"tcp://nas:2375\""),
            ("nas", "has no scheme; the forms are"),
        ];
        for (url, needle) in cases {
            let err = check(url).expect_err(url);
            assert!(err.contains(needle), "{url}: {err}");
        }
    }
}
