//! A real OpenSSH sshd on 127.0.0.1 for the over-SSH tests: key auth only, its own host
//! key, a free port, everything in a temp dir removed on drop.

#![allow(dead_code)]

use std::fs;
use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use super::testbed::spawn_tied;

const SSHD: &str = "/usr/sbin/sshd";
const HINT: &str = "run the tests with ./scripts/test (as root; it installs the dependencies)";

#[derive(Clone, Debug, Default)]
pub struct SshdOpts {
    /// Environment of every session, as sshd_config `SetEnv` (it overrides sshd's default
    /// PATH; note that Debian's bash still sources ~/.bashrc for `ssh host cmd`).
    pub env: Vec<(String, String)>,
    /// Extra sshd_config lines.
    pub extra_config: Vec<String>,
}

pub struct Sshd {
    pub port: u16,
    /// The login user: the user running the tests (root in CI).
    pub user: String,
    /// The authorized private key.
    pub key: PathBuf,
    /// Client config for `ssh -F`: key, known host, batch mode, port.
    pub ssh_config: PathBuf,
    /// Same as `ssh_config` but with a key sshd does not accept.
    pub wrong_key_config: PathBuf,
    pub known_hosts: PathBuf,
    pub dir: PathBuf,
    sshd_config: PathBuf,
    log: PathBuf,
    child: Mutex<Option<Child>>,
    _tmp: tempfile::TempDir,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Starts sshd and waits until it answers with its banner.
pub fn start(opts: SshdOpts) -> Sshd {
    if !Path::new(SSHD).exists() {
        panic!("{SSHD} not found (Debian package openssh-server): {HINT}");
    }
    // sshd refuses to start without its privilege separation directory.
    let _ = fs::create_dir_all("/run/sshd");
    let tmp = tempfile::Builder::new()
        .prefix("dmxssh-")
        .tempdir_in("/tmp")
        .unwrap();
    let dir = tmp.path().to_path_buf();
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
    let keygen = |name: &str| {
        let path = dir.join(name);
        let out = Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-C", name, "-f"])
            .arg(&path)
            .output()
            .unwrap_or_else(|e| panic!("ssh-keygen: {e}: {HINT}"));
        assert!(
            out.status.success(),
            "ssh-keygen failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        path
    };
    let host_key = keygen("host_key");
    let key = keygen("id_ed25519");
    let wrong_key = keygen("wrong_key");
    fs::copy(key.with_extension("pub"), dir.join("authorized_keys")).unwrap();
    let user = current_user();

    let mut sshd = Sshd {
        port: 0,
        user,
        key,
        ssh_config: dir.join("ssh_config"),
        wrong_key_config: dir.join("ssh_config_wrong_key"),
        known_hosts: dir.join("known_hosts"),
        sshd_config: dir.join("sshd_config"),
        log: dir.join("sshd.log"),
        dir,
        child: Mutex::new(None),
        _tmp: tmp,
    };
    // A free port can be taken between probing and binding: retry a few times.
    for attempt in 1..=5 {
        sshd.port = free_port();
        sshd.write_configs(&host_key, &wrong_key, &opts);
        match sshd.spawn() {
            Ok(()) => return sshd,
            Err(e) if attempt == 5 => panic!("{e}"),
            Err(_) => {}
        }
    }
    unreachable!()
}

impl Sshd {
    /// `ssh -F ssh_config -p PORT USER@127.0.0.1 REMOTE_CMD`.
    pub fn ssh(&self, remote_cmd: &str) -> Command {
        self.ssh_with(&self.ssh_config, remote_cmd)
    }

    /// Like [`Sshd::ssh`] with another client config (e.g. `wrong_key_config`).
    pub fn ssh_with(&self, config: &Path, remote_cmd: &str) -> Command {
        let mut cmd = Command::new("ssh");
        cmd.arg("-F")
            .arg(config)
            .arg("-p")
            .arg(self.port.to_string())
            .arg(self.destination())
            .arg(remote_cmd)
            .env_remove("SSH_AUTH_SOCK")
            .stdin(Stdio::null());
        cmd
    }

    /// `USER@127.0.0.1`
    pub fn destination(&self) -> String {
        format!("{}@127.0.0.1", self.user)
    }

    /// `ssh://USER@127.0.0.1:PORT` + `path`, for DOCKER_HOST.
    pub fn docker_host(&self, remote_sock: &Path) -> String {
        format!(
            "ssh://{}@127.0.0.1:{}{}",
            self.user,
            self.port,
            remote_sock.display()
        )
    }

    /// Writes `HOME/.ssh/{config,id_ed25519,known_hosts}` and `HOME/bin/ssh`, and returns
    /// `HOME/bin`: put it first on PATH. Docker's ssh transport runs plain `ssh`, and ssh
    /// reads `~/.ssh/config` from the passwd home directory, not `$HOME`, so the wrapper
    /// passes `-F HOME/.ssh/config`.
    pub fn install_client_config(&self, home: &Path) -> PathBuf {
        let ssh_dir = home.join(".ssh");
        fs::create_dir_all(&ssh_dir).unwrap();
        fs::set_permissions(&ssh_dir, fs::Permissions::from_mode(0o700)).unwrap();
        let key = ssh_dir.join("id_ed25519");
        fs::copy(&self.key, &key).unwrap();
        let known = ssh_dir.join("known_hosts");
        fs::copy(&self.known_hosts, &known).unwrap();
        let config = ssh_dir.join("config");
        fs::write(&config, self.client_config(&key, &known)).unwrap();
        for f in [&key, &known, &config] {
            fs::set_permissions(f, fs::Permissions::from_mode(0o600)).unwrap();
        }
        let bin = home.join("bin");
        fs::create_dir_all(&bin).unwrap();
        let real_ssh = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
            .filter(|d| *d != bin)
            .map(|d| d.join("ssh"))
            .find(|p| p.is_file())
            .unwrap_or_else(|| PathBuf::from("/usr/bin/ssh"));
        let quoted = |p: &Path| {
            let s = p.display().to_string();
            assert!(!s.contains('\''), "quote in path {s}");
            format!("'{s}'")
        };
        let wrapper = bin.join("ssh");
        super::exe::write_executable(
            &wrapper,
            format!(
                "#!/bin/sh\nexec {} -F {} \"$@\"\n",
                quoted(&real_ssh),
                quoted(&config)
            ),
        );
        bin
    }

    /// Kills sshd (open sessions go on); the port and files stay for [`Sshd::restart`].
    pub fn stop(&self) {
        if let Some(mut c) = lock(&self.child).take() {
            // SAFETY: kill has no memory-safety preconditions.
            unsafe { libc::kill(c.id() as i32, libc::SIGTERM) };
            let deadline = Instant::now() + Duration::from_secs(5);
            while matches!(c.try_wait(), Ok(None)) && Instant::now() < deadline {
                thread::sleep(Duration::from_millis(10));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts sshd again on the same port after [`Sshd::stop`].
    pub fn restart(&self) {
        if lock(&self.child).is_none() {
            self.spawn().unwrap_or_else(|e| panic!("{e}"));
        }
    }

    /// sshd's own log (`-e`): accepted/refused keys, errors.
    pub fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn client_config(&self, key: &Path, known_hosts: &Path) -> String {
        format!(
            "Host *\n  Port {}\n  User {}\n  IdentityFile {}\n  IdentitiesOnly yes\n  \
             IdentityAgent none\n  UserKnownHostsFile {}\n  GlobalKnownHostsFile /dev/null\n  \
             StrictHostKeyChecking yes\n  BatchMode yes\n  PasswordAuthentication no\n  \
             ConnectTimeout 10\n  LogLevel ERROR\n",
            self.port,
            self.user,
            key.display(),
            known_hosts.display()
        )
    }

    fn write_configs(&self, host_key: &Path, wrong_key: &Path, opts: &SshdOpts) {
        let d = |p: &str| self.dir.join(p).display().to_string();
        let mut cfg = format!(
            "Port {}\nListenAddress 127.0.0.1\nHostKey {}\nPidFile {}\nAuthorizedKeysFile {}\n\
             PubkeyAuthentication yes\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n\
             UsePAM no\nStrictModes no\nPermitRootLogin prohibit-password\nPrintMotd no\n\
             PrintLastLog no\nAcceptEnv none\nLogLevel VERBOSE\n",
            self.port,
            host_key.display(),
            d("sshd.pid"),
            d("authorized_keys"),
        );
        // The machine's own system config and completion files (an installed
        // dockmux's) stay out of the sessions, unless a test sets them.
        let mut env = opts.env.clone();
        for (k, file) in [
            ("DOCKMUX_SYSTEM_CONFIG", "system-engines.toml"),
            ("DOCKMUX_SYSTEM_SHARE", "system-share"),
        ] {
            if !env.iter().any(|(key, _)| key == k) {
                env.push((k.to_string(), d(file)));
            }
        }
        {
            // One line: sshd keeps only the first SetEnv directive.
            cfg.push_str("SetEnv");
            for (k, v) in &env {
                assert!(!v.contains('"'), "SetEnv value with a quote: {v}");
                cfg.push_str(&format!(" {k}=\"{v}\""));
            }
            cfg.push('\n');
        }
        for line in &opts.extra_config {
            cfg.push_str(line);
            cfg.push('\n');
        }
        fs::write(&self.sshd_config, cfg).unwrap();

        let host_pub = fs::read_to_string(host_key.with_extension("pub")).unwrap();
        let host_pub = host_pub
            .split_whitespace()
            .take(2)
            .collect::<Vec<_>>()
            .join(" ");
        fs::write(
            &self.known_hosts,
            format!(
                "[127.0.0.1]:{p} {host_pub}\n[localhost]:{p} {host_pub}\n",
                p = self.port
            ),
        )
        .unwrap();
        fs::write(
            &self.ssh_config,
            self.client_config(&self.key, &self.known_hosts),
        )
        .unwrap();
        fs::write(
            &self.wrong_key_config,
            self.client_config(wrong_key, &self.known_hosts),
        )
        .unwrap();
    }

    fn spawn(&self) -> Result<(), String> {
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap();
        let mut cmd = Command::new(SSHD);
        cmd.arg("-D")
            .arg("-e")
            .arg("-f")
            .arg(&self.sshd_config)
            .env_clear()
            .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        let mut child = spawn_tied(cmd).map_err(|e| format!("cannot start {SSHD}: {e}"))?;
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return Err(format!(
                    "sshd exited ({status}) while starting:\n{}",
                    self.log()
                ));
            }
            if banner(self.port) {
                *lock(&self.child) = Some(child);
                return Ok(());
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("sshd did not answer within 20s:\n{}", self.log()));
            }
            thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        self.stop();
    }
}

fn banner(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    let mut buf = [0u8; 8];
    s.read_exact(&mut buf).is_ok() && &buf == b"SSH-2.0-"
}

fn free_port() -> u16 {
    TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap()
}

fn current_user() -> String {
    let out = Command::new("id").arg("-un").output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}
