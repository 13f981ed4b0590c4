//! Engine host URLs, checked by the rules the docker client applies
//! (docker/cli opts/hosts.go), so a bad URL fails when the config is read,
//! not as a confusing docker error later.

use std::path::Path;

/// What kind of endpoint a valid host URL names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Unix,
    Tcp,
    Ssh,
}

/// Checks `url`; on error the message says what is wrong and how to write it.
pub fn check(url: &str) -> Result<Kind, String> {
    let Some((scheme, rest)) = url.split_once("://") else {
        if url.starts_with('/') {
            return Err(format!(
                "host '{url}' is a bare path, which docker reads as tcp://localhost:2375{url}; \
                 write \"unix://{url}\""
            ));
        }
        return Err(format!(
            "host '{url}' has no scheme; write unix:///path/to/docker.sock, tcp://HOST:PORT or ssh://[USER@]HOST[:PORT]"
        ));
    };
    match scheme {
        "unix" => check_unix(url, rest).map(|()| Kind::Unix),
        "tcp" => check_tcp(url, rest).map(|()| Kind::Tcp),
        "ssh" => check_ssh(url, rest).map(|()| Kind::Ssh),
        "http" | "https" => Err(format!(
            "host '{url}': docker does not take {scheme}:// URLs; write tcp://{rest} (add `tls = {{ verify = true }}` for TLS)"
        )),
        _ => Err(format!(
            "host '{url}': scheme '{scheme}' is not one the docker client accepts; use unix, tcp or ssh"
        )),
    }
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

fn check_unix(url: &str, path: &str) -> Result<(), String> {
    if path.starts_with('/') {
        Ok(())
    } else if path.is_empty() {
        Err(format!(
            "host '{url}' has no socket path; write unix:///path/to/docker.sock"
        ))
    } else {
        Err(format!(
            "host '{url}': a unix socket needs an absolute path; write unix:///{path} (three slashes) with the full path"
        ))
    }
}

fn check_tcp(url: &str, rest: &str) -> Result<(), String> {
    let authority = rest.split('/').next().unwrap_or_default();
    let (host, port) = split_host_port(authority);
    match port {
        None => Err(format!(
            "host '{url}' needs a port; write tcp://{authority}:2376 (TLS) or tcp://{authority}:2375"
        )),
        Some(_) if host.is_empty() => Err(format!(
            "host '{url}' has no host name; write tcp://HOST:PORT"
        )),
        Some(p) => check_port(url, p),
    }
}

fn check_ssh(url: &str, rest: &str) -> Result<(), String> {
    if rest.contains('?') || rest.contains('#') {
        return Err(format!(
            "host '{url}': ssh URLs take no query or fragment; write ssh://[USER@]HOST[:PORT][/path/to/docker.sock]"
        ));
    }
    let authority = rest.split('/').next().unwrap_or_default();
    let host_port = match authority.rsplit_once('@') {
        Some((user, _)) if user.contains(':') => {
            return Err(format!(
                "host '{url}': plain-text passwords are not supported; use an ssh key (ssh-agent or ~/.ssh/config)"
            ));
        }
        Some(("", _)) => {
            return Err(format!(
                "host '{url}' has an empty user name; write ssh://USER@HOST or drop the '@'"
            ));
        }
        Some((_, hp)) => hp,
        None => authority,
    };
    let (host, port) = split_host_port(host_port);
    if host.is_empty() {
        return Err(format!(
            "host '{url}' has no host name; write ssh://[USER@]HOST[:PORT]"
        ));
    }
    match port {
        Some(p) => check_port(url, p),
        None => Ok(()),
    }
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

pub fn ssh_spec(url: &str) -> Option<SshSpec> {
    let rest = url.strip_prefix("ssh://")?;
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let (user, host_port) = match authority.rsplit_once('@') {
        Some((u, hp)) => (Some(u.to_string()), hp),
        None => (None, authority),
    };
    let (host, port) = split_host_port(host_port);
    Some(SshSpec {
        user,
        host: host.to_string(),
        port: port.map(str::to_string),
        path: path.to_string(),
    })
}

/// Splits `host:port`, `[v6]:port`, `host`, `[v6]`.
fn split_host_port(s: &str) -> (&str, Option<&str>) {
    if let Some(v6) = s.strip_prefix('[') {
        return match v6.split_once(']') {
            Some((h, tail)) => (h, tail.strip_prefix(':')),
            None => (s, None),
        };
    }
    match s.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (s, None),
    }
}

fn check_port(url: &str, port: &str) -> Result<(), String> {
    match port.parse::<u16>() {
        Ok(p) if p > 0 => Ok(()),
        _ => Err(format!(
            "host '{url}': invalid port '{port}'; a port is a number from 1 to 65535"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_what_docker_accepts() {
        for (url, kind) in [
            ("unix:///data/playground/docker.sock", Kind::Unix),
            ("tcp://10.0.0.5:2376", Kind::Tcp),
            ("tcp://[::1]:2375", Kind::Tcp),
            ("ssh://nas", Kind::Ssh),
            ("ssh://me@nas:2222", Kind::Ssh),
            ("ssh://me@nas:2222/run/user/1000/docker.sock", Kind::Ssh),
        ] {
            assert_eq!(check(url), Ok(kind), "{url}");
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
            ("/tmp/x.sock", "unix:///tmp/x.sock"),
            ("unix://tmp/x.sock", "absolute path"),
            ("unix://", "no socket path"),
            ("tcp://10.0.0.5", "needs a port"),
            ("tcp://:2375", "no host name"),
            ("tcp://h:99999", "invalid port"),
            ("tcp://h:x", "invalid port"),
            ("ssh://me:pw@nas", "passwords"),
            ("ssh://nas?x=1", "no query"),
            ("ssh://nas#frag", "no query"),
            ("ssh://", "no host name"),
            ("ssh://me@", "no host name"),
            ("https://nas:2376", "tcp://nas:2376"),
            ("npipe:////./pipe/docker", "use unix, tcp or ssh"),
            ("nas:2375", "no scheme"),
        ];
        for (url, needle) in cases {
            let err = check(url).expect_err(url);
            assert!(err.contains(needle), "{url}: {err}");
        }
    }
}
