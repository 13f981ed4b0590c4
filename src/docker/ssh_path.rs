//! The PATH a non-interactive `ssh THIS-HOST CMD` gets, as far as it can be
//! known from here. OpenSSH builds it in this order (session.c,
//! do_setup_env): the compiled-in default (another for root), then
//! `~/.ssh/environment` if PermitUserEnvironment allows, then PAM's
//! environment (pam_env reads /etc/environment) if UsePAM, then the
//! sshd_config `SetEnv`. The login shell may still change it (bash reads
//! ~/.bashrc for ssh commands, zsh ~/.zshenv, fish config.fish): that part is
//! named, not guessed.

use std::path::{Path, PathBuf};

use crate::text::pattern::wildcard;

/// sshd's config; `DOCKMUX_SSHD_CONFIG` moves it (tests and chroots).
pub const SSHD_CONFIG: &str = "/etc/ssh/sshd_config";
/// Where the session setup code lives (sshd-session since OpenSSH 9.8).
const SSHD_BINARIES: &[&str] = &["/usr/lib/openssh/sshd-session", "/usr/sbin/sshd"];
/// Debian's build flags (--with-default-path, --with-superuser-path).
const DEBIAN_USER_PATH: &str = "/usr/local/bin:/usr/bin:/bin:/usr/games";
const DEBIAN_ROOT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshPath {
    pub path: String,
    /// Where the value comes from, for messages.
    pub from: String,
}

impl SshPath {
    pub fn contains(&self, dir: &Path) -> bool {
        std::env::split_paths(&self.path).any(|d| same_dir(&d, dir))
    }
}

/// The same directory, or (where it does not exist here) the same path.
fn same_dir(a: &Path, b: &Path) -> bool {
    crate::files::paths::same_file(a, b) || a == b
}

/// The PATH for the current user, or `None` when there is no sshd here.
pub fn current() -> Option<SshPath> {
    let config = std::env::var_os("DOCKMUX_SSHD_CONFIG")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(SSHD_CONFIG));
    let binary = SSHD_BINARIES.iter().map(Path::new).find(|p| p.exists());
    if binary.is_none() && !config.exists() {
        return None;
    }
    let root = crate::files::secure::euid() == 0;
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let settings = Settings::read(&config);
    Some(resolve(root, binary, home.as_deref(), &settings))
}

fn resolve(root: bool, binary: Option<&Path>, home: Option<&Path>, s: &Settings) -> SshPath {
    let mut out = compiled_default(root, binary);
    if s.permit_user_env_allows_path()
        && let Some(home) = home
    {
        let file = home.join(".ssh/environment");
        if let Some(p) = env_file_path(&file) {
            out = SshPath {
                path: p,
                from: format!("from {} (PermitUserEnvironment)", file.display()),
            };
        }
    }
    if s.use_pam
        && let Some(p) = env_file_path(Path::new("/etc/environment"))
    {
        out = SshPath {
            path: p,
            from: "from /etc/environment, read by PAM".into(),
        };
    }
    if let Some(p) = &s.setenv_path {
        out = SshPath {
            path: p.clone(),
            from: format!("SetEnv in {}", s.file.display()),
        };
    }
    out
}

fn compiled_default(root: bool, binary: Option<&Path>) -> SshPath {
    let who = if root { "root" } else { "users" };
    let prefix = if root {
        "/usr/local/sbin:"
    } else {
        "/usr/local/bin:"
    };
    if let Some(bin) = binary
        && let Ok(bytes) = std::fs::read(bin)
        && let Some(found) = find_path_string(&bytes, prefix)
    {
        return SshPath {
            path: found,
            from: format!("built into {} for {who}", bin.display()),
        };
    }
    SshPath {
        path: if root {
            DEBIAN_ROOT_PATH
        } else {
            DEBIAN_USER_PATH
        }
        .to_string(),
        from: format!("Debian sshd's built-in default for {who}"),
    }
}

/// The first NUL-terminated string in a binary that starts with `prefix` and
/// is a list of absolute directories.
fn find_path_string(bytes: &[u8], prefix: &str) -> Option<String> {
    bytes
        .split(|&b| b == 0)
        .filter(|s| s.starts_with(prefix.as_bytes()))
        .filter_map(|s| std::str::from_utf8(s).ok())
        .find(|s| {
            s.split(':')
                .all(|d| d.starts_with('/') && !d.contains(char::is_whitespace))
        })
        .map(str::to_string)
}

/// `PATH=…` from a KEY=VALUE file (~/.ssh/environment, /etc/environment).
fn env_file_path(file: &Path) -> Option<String> {
    let text = std::fs::read_to_string(file).ok()?;
    text.lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.strip_prefix("PATH="))
        .map(|v| v.trim_matches('"').to_string())
        .next_back()
}

/// What matters of sshd_config: the first value of each keyword wins, as in sshd.
#[derive(Debug, Default)]
struct Settings {
    file: PathBuf,
    use_pam: bool,
    permit_user_env: Option<String>,
    setenv_path: Option<String>,
}

impl Settings {
    fn read(file: &Path) -> Settings {
        let mut s = Settings {
            file: file.to_path_buf(),
            ..Settings::default()
        };
        let (mut pam, mut seen_setenv) = (None, false);
        let mut lines = Vec::new();
        collect_lines(file, &mut lines, 0);
        for words in lines {
            let Some((key, args)) = words.split_first() else {
                continue;
            };
            match key.to_ascii_lowercase().as_str() {
                // Conditional blocks apply to some connections only; stop at the first.
                "match" => break,
                "usepam" if pam.is_none() => pam = args.first().map(|v| v == "yes"),
                "permituserenvironment" if s.permit_user_env.is_none() => {
                    s.permit_user_env = args.first().cloned();
                }
                "setenv" if !seen_setenv => {
                    seen_setenv = true;
                    s.setenv_path = args
                        .iter()
                        .find_map(|kv| kv.strip_prefix("PATH=").map(str::to_string));
                }
                _ => {}
            }
        }
        s.use_pam = pam.unwrap_or(false);
        s
    }

    fn permit_user_env_allows_path(&self) -> bool {
        match self.permit_user_env.as_deref() {
            None | Some("no") => false,
            Some("yes") => true,
            Some(list) => list.split(',').any(|pat| wildcard(pat.trim(), "PATH")),
        }
    }
}

/// sshd_config lines split into words, `Include`s followed (glob `*` in the file name).
fn collect_lines(file: &Path, out: &mut Vec<Vec<String>>, depth: u32) {
    let Ok(text) = std::fs::read_to_string(file) else {
        return;
    };
    let dir = file.parent().unwrap_or(Path::new("/etc/ssh"));
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let words = split_words(line);
        if words
            .first()
            .is_some_and(|k| k.eq_ignore_ascii_case("include"))
        {
            if depth < 8 {
                for pattern in &words[1..] {
                    for f in glob(&dir.join(pattern)) {
                        collect_lines(&f, out, depth + 1);
                    }
                }
            }
            continue;
        }
        out.push(words);
    }
}

/// Words as sshd splits them: whitespace or one `=` after the keyword; double quotes group.
fn split_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let (mut quoted, mut any) = (false, false);
    for c in line.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                any = true;
            }
            c if !quoted && (c.is_whitespace() || (c == '=' && words.is_empty())) => {
                if any {
                    words.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            c => {
                cur.push(c);
                any = true;
            }
        }
    }
    if any {
        words.push(cur);
    }
    words
}

/// Files matching a path whose last component may hold `*`, sorted.
fn glob(pattern: &Path) -> Vec<PathBuf> {
    let name = pattern
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if !name.contains('*') && !name.contains('?') {
        return vec![pattern.to_path_buf()];
    }
    let dir = pattern.parent().unwrap_or(Path::new("/"));
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| wildcard(&name, &e.file_name().to_string_lossy()))
        .map(|e| e.path())
        .collect();
    found.sort();
    found
}

/// How a user puts `dir` on the PATH of their own `ssh HOST CMD` sessions,
/// by their login shell (the one in the password database, which sshd runs).
pub fn path_fix(dir: &Path) -> String {
    let export = crate::text::quote::path_prepend(dir);
    let d = crate::text::quote::path(dir);
    let fish = if d.starts_with('\'') {
        crate::text::quote::fish(&dir.to_string_lossy())
    } else {
        d
    };
    match login_shell().as_str() {
        "bash" => format!(
            "add the line {export} at the top of ~/.bashrc \
             (bash reads it for ssh commands, up to its \"not interactive: return\" line)"
        ),
        "zsh" => format!("add the line {export} to ~/.zshenv"),
        "fish" => format!("add the line set -gx PATH {fish} $PATH to ~/.config/fish/config.fish"),
        other => format!(
            "your login shell ({other}) reads no startup file for ssh commands: \
             change it to bash (chsh -s /bin/bash) and add {export} at the top of ~/.bashrc"
        ),
    }
}

/// The basename of the user's login shell from /etc/passwd (not glibc's
/// NSS: see crates/dockmux-engine/src/files/accounts.rs), else `$SHELL`'s.
fn login_shell() -> String {
    let from_passwd =
        crate::files::accounts::Accounts::users(Path::new("/")).shell(crate::files::secure::euid());
    let shell = from_passwd
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("SHELL").ok())
        .unwrap_or_default();
    Path::new(&shell)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "sh".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sshd_words_and_wildcards() {
        assert_eq!(
            split_words(r#"SetEnv PATH="/a b:/c" X=1"#),
            ["SetEnv", "PATH=/a b:/c", "X=1"]
        );
        assert_eq!(split_words("UsePAM=yes"), ["UsePAM", "yes"]);
    }

    #[test]
    fn first_keyword_wins_and_match_blocks_are_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir(d.join("conf.d")).unwrap();
        std::fs::write(d.join("conf.d/10.conf"), "SetEnv PATH=/from/include\n").unwrap();
        std::fs::write(
            d.join("sshd_config"),
            "Include conf.d/*.conf\nSetEnv PATH=/ignored\nUsePAM yes\nUsePAM no\n\
             Match User x\nPermitUserEnvironment yes\n",
        )
        .unwrap();
        let s = Settings::read(&d.join("sshd_config"));
        assert_eq!(s.setenv_path.as_deref(), Some("/from/include"));
        assert!(s.use_pam);
        assert!(!s.permit_user_env_allows_path());
        let p = resolve(false, None, None, &s);
        assert_eq!(p.path, "/from/include");
        assert!(p.from.contains("SetEnv"), "{p:?}");
    }

    #[test]
    fn the_compiled_in_default_is_found_in_the_binary() {
        let bin = b"junk\0/usr/local/binx\0/usr/local/bin:/usr/bin:/opt/x\0more\0";
        assert_eq!(
            find_path_string(bin, "/usr/local/bin:").as_deref(),
            Some("/usr/local/bin:/usr/bin:/opt/x")
        );
        let user = compiled_default(false, None);
        assert_eq!(user.path, DEBIAN_USER_PATH);
    }
}
