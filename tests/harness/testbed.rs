//! Real dockerd engines for the integration tests.
//!
//! All engines of one test process live under one short directory `/tmp/dmxe-XXXXXX/`
//! (unix socket paths are limited to 108 bytes). Daemons are spawned from a thread that
//! never exits, with PR_SET_PDEATHSIG, so they cannot outlive the test process; an atexit
//! handler stops them and removes their directories (libtest ends with `process::exit`,
//! also when tests fail), and leftovers of runs that were killed are removed on the next
//! start.

#![allow(dead_code)]

use std::collections::HashMap;
use std::ffi::{CString, OsString};
use std::fs;
use std::io::{Read, Write};
use std::ops::Deref;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::{PermissionsExt, symlink};
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

const BASE_PARENT: &str = "/tmp";
/// Distinct from every other temp dir of the tests: stale cleanup removes `/tmp/dmxe-*`.
const BASE_PREFIX: &str = "dmxe-";
/// The image every engine gets: Debian's static busybox and a few applet links.
pub const IMAGE: &str = "mini:1";
const APPLETS: &[&str] = &[
    "sh", "echo", "cat", "sleep", "true", "ls", "wc", "md5sum", "head", "tr", "id",
];
const START_TIMEOUT: Duration = Duration::from_secs(60);
const TERM_GRACE: Duration = Duration::from_secs(10);
const HINT: &str = "run the tests with ./scripts/test (as root; it installs the dependencies)";

/// The two engines shared by all tests: never stop these, use [`private`] for that.
pub struct Testbed {
    pub pg: Engine,
    pub lzc: Engine,
}

pub struct Engine {
    pub name: String,
    /// `unix:///tmp/dmxe-XXXXXX/NAME/docker.sock`
    pub host: String,
    pub sock: PathBuf,
    /// The engine's directory: data/, exec/, docker.pid, docker.sock, dockerd.log.
    pub root: PathBuf,
    daemon: Arc<Daemon>,
}

/// An engine of one test; dropping it stops the daemon and removes its directory.
pub struct EngineGuard(Engine);

struct Daemon {
    root: PathBuf,
    sock: PathBuf,
    log: PathBuf,
    /// Unique per engine and run: containerd namespace and cgroup parent.
    ns: String,
    child: Mutex<Option<Child>>,
}

struct Base {
    dir: PathBuf,
    /// `dmxe-XXXXXX-`: prefix of the namespaces and cgroups of this run.
    tag: String,
    home: PathBuf,
    rootfs_tar: PathBuf,
}

static BASE: OnceLock<Base> = OnceLock::new();
static DAEMONS: Mutex<Vec<Arc<Daemon>>> = Mutex::new(Vec::new());

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The shared engines "pg" and "lzc", started (concurrently) on first use.
pub fn shared() -> &'static Testbed {
    static TESTBED: OnceLock<Testbed> = OnceLock::new();
    TESTBED.get_or_init(|| {
        let (pg, lzc) = thread::scope(|s| {
            let pg = s.spawn(|| new_engine("pg", "pg"));
            let lzc = s.spawn(|| new_engine("lzc", "lzc"));
            let join = |h: thread::ScopedJoinHandle<'_, Engine>| {
                h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))
            };
            (join(pg), join(lzc))
        });
        Testbed { pg, lzc }
    })
}

/// An extra engine for a test that stops and starts engines.
pub fn private(name: &str) -> EngineGuard {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let clean: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .take(16)
        .collect();
    EngineGuard(new_engine(name, &format!("p{n}-{clean}")))
}

/// The tar every engine's image is imported from (Debian's static busybox).
pub fn rootfs_tar() -> PathBuf {
    base().rootfs_tar.clone()
}

/// Panics with a clear message unless real engines can run here.
pub fn require_engines() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        panic!("the real-engine tests need root (dockerd, containers): {HINT}");
    }
    if dockerd().is_none() {
        panic!("dockerd not found (Debian package docker.io): {HINT}");
    }
    busybox();
    real_docker();
    for tool in ["tar", "containerd", "runc"] {
        if find_program(tool).is_none() {
            panic!("{tool} not found: {HINT}");
        }
    }
}

impl Engine {
    /// The real docker client aimed at this engine, with a scrubbed environment.
    pub fn docker(&self) -> Command {
        let mut cmd = Command::new(real_docker());
        for (key, _) in std::env::vars_os() {
            let k = key.to_string_lossy();
            if k.starts_with("DOCKER_") || k.starts_with("DOCKMUX_") {
                cmd.env_remove(&key);
            }
        }
        cmd.env("DOCKER_HOST", &self.host).env("HOME", &base().home);
        cmd
    }

    /// Stops the daemon (containers, dockerd, containerd); the directories stay.
    pub fn stop(&self) {
        self.daemon.teardown();
    }

    /// Starts the daemon again on the same directories; no-op when it is running.
    pub fn start(&self) {
        self.daemon.start();
    }

    pub fn is_running(&self) -> bool {
        self.daemon.running()
    }

    /// The last lines of dockerd's log, for failure messages.
    pub fn log_tail(&self) -> String {
        self.daemon.log_tail()
    }
}

impl Deref for EngineGuard {
    type Target = Engine;
    fn deref(&self) -> &Engine {
        &self.0
    }
}

impl Drop for EngineGuard {
    fn drop(&mut self) {
        let d = &self.0.daemon;
        d.remove_networks();
        d.teardown();
        remove_bridges(&d.root);
        lock(&DAEMONS).retain(|x| !Arc::ptr_eq(x, d));
        if let Err(e) = fs::remove_dir_all(&d.root) {
            eprintln!("testbed: cannot remove {}: {e}", d.root.display());
        }
    }
}

fn new_engine(name: &str, dir: &str) -> Engine {
    let base = base();
    let root = base.dir.join(dir);
    fs::create_dir_all(&root).unwrap();
    fs::write(root.join("daemon.json"), "{}\n").unwrap();
    let sock = root.join("docker.sock");
    let daemon = Arc::new(Daemon {
        root: root.clone(),
        sock: sock.clone(),
        log: root.join("dockerd.log"),
        ns: format!("{}{dir}", base.tag),
        child: Mutex::new(None),
    });
    lock(&DAEMONS).push(daemon.clone());
    let engine = Engine {
        name: name.to_string(),
        host: format!("unix://{}", sock.display()),
        sock,
        root,
        daemon,
    };
    engine.start();
    let out = engine
        .docker()
        .args(["import", "-c", r#"CMD ["/bin/sh"]"#])
        .arg(&base.rootfs_tar)
        .arg(IMAGE)
        .output()
        .unwrap();
    if !out.status.success() {
        panic!(
            "engine {name}: docker import failed: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            engine.log_tail()
        );
    }
    engine
}

impl Daemon {
    fn running(&self) -> bool {
        matches!(
            lock(&self.child).as_mut().map(|c| c.try_wait()),
            Some(Ok(None))
        )
    }

    fn start(&self) {
        let mut guard = lock(&self.child);
        if let Some(c) = guard.as_mut()
            && let Ok(None) = c.try_wait()
        {
            return;
        }
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap();
        let r = |p: &str| self.root.join(p);
        let mut cmd =
            Command::new(dockerd().unwrap_or_else(|| panic!("dockerd not found: {HINT}")));
        cmd.arg("--config-file")
            .arg(r("daemon.json"))
            .arg("--data-root")
            .arg(r("data"))
            .arg("--exec-root")
            .arg(r("exec"))
            .arg("--pidfile")
            .arg(r("docker.pid"))
            .arg("--host")
            .arg(format!("unix://{}", self.sock.display()))
            .args(["--iptables=false", "--ip6tables=false", "--bridge=none"])
            .args(["--storage-driver=vfs", "--containerd-namespace", &self.ns])
            .args([
                "--containerd-plugins-namespace",
                &format!("{}-plugins", self.ns),
            ])
            .args(["--cgroup-parent", &format!("/{}", self.ns)])
            .env_clear()
            .env("PATH", daemon_path())
            .env("HOME", &base().home)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        let child = spawn_tied(cmd)
            .unwrap_or_else(|e| panic!("cannot start dockerd for {}: {e}", self.root.display()));
        *guard = Some(child);
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(c) = guard.as_mut()
                && let Ok(Some(status)) = c.try_wait()
            {
                panic!(
                    "dockerd for {} exited ({status}) while starting:\n{}",
                    self.root.display(),
                    self.log_tail()
                );
            }
            if ping(&self.sock) {
                return;
            }
            if Instant::now() > deadline {
                drop(guard);
                let tail = self.log_tail();
                self.teardown();
                panic!(
                    "dockerd for {} did not answer /_ping within {START_TIMEOUT:?}:\n{tail}",
                    self.root.display()
                );
            }
            thread::sleep(Duration::from_millis(25));
        }
    }

    /// Stops everything of this engine; never panics (runs in Drop and at exit).
    fn teardown(&self) {
        let mut child = lock(&self.child).take();
        // Containers first: a container whose pid 1 ignores SIGTERM would hold up dockerd's
        // shutdown for 10 s.
        let procs = processes();
        let shims: Vec<i32> = procs
            .iter()
            .filter(|p| self.owns(p) && contains(&p.cmdline, b"containerd-shim"))
            .map(|p| p.pid)
            .collect();
        signal_all(&descendants(&procs, &shims), libc::SIGKILL);
        if let Some(c) = child.as_mut()
            && let Ok(None) = c.try_wait()
        {
            signal_all(&[c.id() as i32], libc::SIGTERM);
            let deadline = Instant::now() + TERM_GRACE;
            while matches!(c.try_wait(), Ok(None)) && Instant::now() < deadline {
                thread::sleep(Duration::from_millis(20));
            }
        }
        // Whatever is left: dockerd if it hung, containerd, shims, containers.
        kill_matching(|p| self.owns(p));
        if let Some(mut c) = child {
            let _ = c.kill();
            let _ = c.wait();
        }
        unmount_under(&self.root);
        remove_cgroups(|name| name == self.ns);
    }

    /// A user-defined network's bridge stays in the host's network namespace
    /// when its dockerd goes, and holds one of docker's 31 address pools:
    /// left behind by each run, they run out ("could not find an available,
    /// non-overlapping IPv4 address pool"). So the engine's containers and
    /// then its networks are removed while it still answers (5 s at most),
    /// when it is done with (not when a test stops it to start it again).
    fn remove_networks(&self) {
        if !self.running() {
            return;
        }
        let host = format!("unix://{}", self.sock.display());
        let script = "ids=$(docker ps -aq); [ -z \"$ids\" ] || docker rm -f $ids >/dev/null; \
                      docker network prune -f >/dev/null";
        let mut cmd = Command::new("/bin/sh");
        cmd.args(["-c", script])
            .env_clear()
            .env(
                "PATH",
                format!(
                    "{}:/usr/bin:/bin",
                    real_docker().parent().unwrap_or(Path::new("/")).display()
                ),
            )
            .env("DOCKER_HOST", &host)
            .env("HOME", &base().home)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0);
        let Ok(mut child) = cmd.spawn() else { return };
        let deadline = Instant::now() + Duration::from_secs(5);
        while matches!(child.try_wait(), Ok(None)) && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(20));
        }
        if matches!(child.try_wait(), Ok(None)) {
            signal_all(&[-(child.id() as i32)], libc::SIGKILL);
            let _ = child.wait();
        }
    }

    fn owns(&self, p: &Proc) -> bool {
        let root = dir_prefix(&self.root);
        let plugins = format!("{}-plugins", self.ns);
        p.args()
            .any(|a| a == self.ns.as_bytes() || a == plugins.as_bytes() || contains(a, &root))
    }

    fn log_tail(&self) -> String {
        let text = fs::read_to_string(&self.log).unwrap_or_default();
        // containerd's grpc chatter buries the interesting lines.
        let lines: Vec<&str> = text
            .lines()
            .filter(|l| !l.contains("module=grpc"))
            .collect();
        let from = lines.len().saturating_sub(40);
        format!(
            "--- last lines of {} ---\n{}",
            self.log.display(),
            lines[from..].join("\n")
        )
    }
}

/// The per-process directory; the first call checks the host, removes leftovers of
/// killed runs and registers the exit handler.
fn base() -> &'static Base {
    BASE.get_or_init(|| {
        require_engines();
        remove_stale();
        let dir = tempfile::Builder::new()
            .prefix(BASE_PREFIX)
            .tempdir_in(BASE_PARENT)
            .unwrap()
            .keep();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        let (pid, start) = (
            std::process::id() as i32,
            proc_start_time(std::process::id() as i32),
        );
        fs::write(dir.join("owner"), format!("{pid} {}\n", start.unwrap_or(0))).unwrap();
        register_exit_handler();
        let tag = format!("{}-", dir.file_name().unwrap().to_string_lossy());
        let home = dir.join("home");
        fs::create_dir_all(&home).unwrap();
        let rootfs = dir.join("rootfs");
        fs::create_dir_all(rootfs.join("bin")).unwrap();
        fs::copy(busybox(), rootfs.join("bin/busybox")).unwrap();
        for applet in APPLETS {
            symlink("busybox", rootfs.join("bin").join(applet)).unwrap();
        }
        let rootfs_tar = dir.join("rootfs.tar");
        let status = Command::new("tar")
            .arg("-C")
            .arg(&rootfs)
            .arg("-cf")
            .arg(&rootfs_tar)
            .arg(".")
            .status()
            .unwrap();
        assert!(status.success(), "tar of the busybox rootfs failed");
        Base {
            dir,
            tag,
            home,
            rootfs_tar,
        }
    })
}

fn register_exit_handler() {
    extern "C" fn at_exit() {
        let _ = std::panic::catch_unwind(cleanup_all);
    }
    // SAFETY: at_exit is a plain extern "C" fn that never unwinds.
    if unsafe { libc::atexit(at_exit) } != 0 {
        panic!("atexit failed");
    }
}

fn cleanup_all() {
    let daemons = std::mem::take(&mut *lock(&DAEMONS));
    thread::scope(|s| {
        for d in &daemons {
            s.spawn(|| {
                d.remove_networks();
                d.teardown()
            });
        }
    });
    // Also catches what a start that panicked half-way did not register.
    if let Some(b) = BASE.get() {
        remove_run(&b.dir, &b.tag);
    }
}

/// Kills what is left of one run's engines, unmounts and removes its directory.
fn remove_run(dir: &Path, tag: &str) {
    let prefix = dir_prefix(dir);
    kill_matching(|p| {
        p.args()
            .any(|a| contains(a, &prefix) || a.starts_with(tag.as_bytes()))
    });
    unmount_under(dir);
    remove_cgroups(|name| name.starts_with(tag));
    for engine in fs::read_dir(dir).into_iter().flatten().flatten() {
        remove_bridges(&engine.path());
    }
    if let Err(e) = fs::remove_dir_all(dir) {
        eprintln!("testbed: cannot remove {}: {e}", dir.display());
    }
}

/// Removes the bridges of the engine at `root`, once its dockerd is gone.
/// A user-defined network's bridge stays in the host's network namespace
/// after its dockerd (see [`Daemon::remove_networks`]), which can remove it
/// only while it answers: not once a test stopped it, nor after it did not
/// answer in time, nor after a killed run. Their names are read from the
/// daemon's own record, its network store (libnetwork's bolt file, whose
/// values are the JSON the bridge driver wrote: `"BridgeName":"br-…"`).
/// Only `br-` and 12 hex digits is taken: made from the network's random
/// ID, no other dockerd has that bridge; a fixed name (docker_gwbridge, a
/// `com.docker.network.bridge.name` option) could be another's, and stays.
fn remove_bridges(root: &Path) {
    const KEY: &[u8] = b"\"BridgeName\":\"br-";
    let Ok(store) = fs::read(root.join("data/network/files/local-kv.db")) else {
        return;
    };
    let mut names: Vec<String> = (0..store.len())
        .filter(|&i| store[i..].starts_with(KEY))
        .filter_map(|i| {
            let id = store.get(i + KEY.len()..i + KEY.len() + 13)?;
            let (hex, end) = id.split_at(12);
            (end == b"\"" && hex.iter().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
                .then(|| format!("br-{}", String::from_utf8_lossy(hex)))
        })
        .collect();
    names.sort();
    names.dedup();
    let Some(ip) = find_program("ip") else {
        eprintln!("testbed: no ip(8) to remove the bridges {names:?}");
        return;
    };
    // A deleted network's record can linger in the store's free pages.
    for name in names
        .iter()
        .filter(|n| Path::new("/sys/class/net").join(n).exists())
    {
        let status = Command::new(&ip)
            .args(["link", "delete", name])
            .stdin(Stdio::null())
            .status();
        if !status.is_ok_and(|s| s.success()) {
            eprintln!("testbed: cannot remove bridge {name} of {}", root.display());
        }
    }
}

/// Removes `/tmp/dmxe-*` of earlier runs whose test process is gone.
fn remove_stale() {
    let Ok(entries) = fs::read_dir(BASE_PARENT) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with(BASE_PREFIX) || !entry.path().is_dir() {
            continue;
        }
        let dir = entry.path();
        let alive = match fs::read_to_string(dir.join("owner")) {
            Ok(owner) => {
                let mut it = owner.split_whitespace().map(|s| s.parse::<u64>().ok());
                match (it.next().flatten(), it.next().flatten()) {
                    (Some(pid), Some(start)) => proc_start_time(pid as i32) == Some(start),
                    _ => false,
                }
            }
            // Being created right now by another test process, or garbage.
            Err(_) => fs::metadata(&dir)
                .and_then(|m| m.modified())
                .map(|t| SystemTime::now().duration_since(t).unwrap_or_default())
                .is_ok_and(|age| age < Duration::from_secs(120)),
        };
        if !alive {
            remove_run(&dir, &format!("{name}-"));
        }
    }
}

/// Spawns from a thread that never exits: PR_SET_PDEATHSIG fires when the spawning
/// *thread* ends, and test threads are short-lived.
pub(crate) fn spawn_tied(cmd: Command) -> std::io::Result<Child> {
    type Request = (Command, mpsc::Sender<std::io::Result<Child>>);
    static SPAWNER: OnceLock<Mutex<mpsc::Sender<Request>>> = OnceLock::new();
    let tx = SPAWNER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Request>();
        thread::Builder::new()
            .name("testbed-spawner".into())
            .spawn(move || {
                for (mut cmd, reply) in rx {
                    let parent = std::process::id() as i32;
                    // SAFETY: only async-signal-safe calls between fork and exec.
                    unsafe {
                        cmd.pre_exec(move || {
                            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
                                return Err(std::io::Error::last_os_error());
                            }
                            if libc::getppid() != parent {
                                return Err(std::io::Error::from_raw_os_error(libc::ESRCH));
                            }
                            // Own process group: a Ctrl-C meant for cargo must not reach it.
                            libc::setpgid(0, 0);
                            Ok(())
                        });
                    }
                    let _ = reply.send(cmd.spawn());
                }
                // Keep the thread (and so the daemons) alive even if the channel closes.
                loop {
                    thread::park();
                }
            })
            .expect("spawn testbed-spawner thread");
        Mutex::new(tx)
    });
    let (reply_tx, reply_rx) = mpsc::channel();
    lock(tx)
        .send((cmd, reply_tx))
        .map_err(|_| std::io::Error::other("testbed spawner thread is gone"))?;
    reply_rx
        .recv()
        .map_err(|_| std::io::Error::other("testbed spawner thread is gone"))?
}

fn ping(sock: &Path) -> bool {
    let Ok(mut s) = UnixStream::connect(sock) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    let _ = s.set_write_timeout(Some(Duration::from_secs(2)));
    if s.write_all(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    buf.starts_with(b"HTTP/1.0 200") || buf.starts_with(b"HTTP/1.1 200")
}

// ---- programs ----

/// The real docker client: the first `docker` on the test process's original PATH
/// (from /proc/self/environ, before any test changed it) whose version is >= 23
/// (it has cobra's `__complete`), else the first one found.
pub fn real_docker() -> PathBuf {
    static DOCKER: OnceLock<PathBuf> = OnceLock::new();
    DOCKER
        .get_or_init(|| {
            let mut first = None;
            for dir in std::env::split_paths(&original_path()) {
                let p = dir.join("docker");
                if !is_executable(&p) {
                    continue;
                }
                if docker_major(&p).is_some_and(|v| v >= 23) {
                    return p;
                }
                first.get_or_insert(p);
            }
            first.unwrap_or_else(|| {
                panic!("no docker client on PATH (Debian package docker.io): {HINT}")
            })
        })
        .clone()
}

/// Every docker client the tests can try, each once: [`real_docker`] first, then
/// Debian's (/usr/bin/docker, 20.10 on bookworm) and a /usr/local/bin one where present.
pub fn all_dockers() -> Vec<PathBuf> {
    let mut found = vec![real_docker()];
    for p in ["/usr/bin/docker", "/usr/local/bin/docker"] {
        let p = PathBuf::from(p);
        let same = |q: &PathBuf| {
            let (a, b) = (std::fs::canonicalize(q), std::fs::canonicalize(&p));
            matches!((a, b), (Ok(a), Ok(b)) if a == b)
        };
        if is_executable(&p) && !found.iter().any(same) {
            found.push(p);
        }
    }
    found
}

fn docker_major(p: &Path) -> Option<u32> {
    let out = Command::new(p).arg("--version").output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let rest = text.split("version ").nth(1)?;
    rest.split('.').next()?.trim().parse().ok()
}

fn original_path() -> OsString {
    static PATH: OnceLock<OsString> = OnceLock::new();
    PATH.get_or_init(|| {
        fs::read("/proc/self/environ")
            .ok()
            .and_then(|env| {
                env.split(|b| *b == 0).find_map(|kv| {
                    kv.strip_prefix(b"PATH=")
                        .map(|v| OsString::from_vec(v.to_vec()))
                })
            })
            .or_else(|| std::env::var_os("PATH"))
            .unwrap_or_default()
    })
    .clone()
}

/// The PATH for dockerd (it looks up containerd, runc, docker-init): the original PATH
/// plus the system directories, which non-login root shells sometimes lack.
fn daemon_path() -> OsString {
    let mut dirs: Vec<PathBuf> = std::env::split_paths(&original_path()).collect();
    for d in [
        "/usr/local/sbin",
        "/usr/local/bin",
        "/usr/sbin",
        "/usr/bin",
        "/sbin",
        "/bin",
    ] {
        dirs.push(PathBuf::from(d));
    }
    std::env::join_paths(dirs).unwrap_or_default()
}

fn find_program(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&daemon_path())
        .map(|d| d.join(name))
        .find(|p| is_executable(p))
}

fn dockerd() -> Option<PathBuf> {
    find_program("dockerd")
}

/// Debian's busybox-static; the dynamic one from package busybox cannot run in the image.
fn busybox() -> PathBuf {
    for p in ["/bin/busybox", "/usr/bin/busybox"] {
        let p = Path::new(p);
        if is_executable(p) {
            if is_static_elf(p) {
                return p.to_path_buf();
            }
            panic!(
                "{} is not statically linked: install busybox-static; {HINT}",
                p.display()
            );
        }
    }
    panic!("busybox not found (Debian package busybox-static): {HINT}");
}

/// An ELF file without a PT_INTERP program header.
fn is_static_elf(p: &Path) -> bool {
    let Ok(b) = fs::read(p) else { return false };
    if b.len() < 64 || &b[..4] != b"\x7fELF" || b[4] != 2 {
        return false;
    }
    let u = |at: usize, n: usize| -> usize {
        b[at..at + n]
            .iter()
            .rev()
            .fold(0, |acc, x| (acc << 8) | *x as usize)
    };
    let (phoff, phentsize, phnum) = (u(0x20, 8), u(0x36, 2), u(0x38, 2));
    (0..phnum).all(|i| {
        let at = phoff + i * phentsize;
        at + 4 <= b.len() && u(at, 4) != 3
    })
}

fn is_executable(p: &Path) -> bool {
    fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

// ---- processes, mounts, cgroups ----

struct Proc {
    pid: i32,
    ppid: i32,
    cmdline: Vec<u8>,
}

impl Proc {
    fn args(&self) -> impl Iterator<Item = &[u8]> {
        self.cmdline.split(|b| *b == 0).filter(|a| !a.is_empty())
    }
}

/// Live processes other than this one (zombies count as gone: pid 1 may not reap them).
fn processes() -> Vec<Proc> {
    let me = std::process::id() as i32;
    let mut out = Vec::new();
    let Ok(entries) = fs::read_dir("/proc") else {
        return out;
    };
    for e in entries.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else {
            continue;
        };
        if pid == me {
            continue;
        }
        let Some((state, ppid, _)) = proc_stat(pid) else {
            continue;
        };
        if state == 'Z' || state == 'X' {
            continue;
        }
        let cmdline = fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        out.push(Proc { pid, ppid, cmdline });
    }
    out
}

/// (state, ppid, starttime) from /proc/PID/stat.
fn proc_stat(pid: i32) -> Option<(char, i32, u64)> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    Some((
        f.first()?.chars().next()?,
        f.get(1)?.parse().ok()?,
        f.get(19)?.parse().ok()?,
    ))
}

fn proc_start_time(pid: i32) -> Option<u64> {
    proc_stat(pid)
        .filter(|s| s.0 != 'Z' && s.0 != 'X')
        .map(|s| s.2)
}

fn descendants(procs: &[Proc], roots: &[i32]) -> Vec<i32> {
    let mut children: HashMap<i32, Vec<i32>> = HashMap::new();
    for p in procs {
        children.entry(p.ppid).or_default().push(p.pid);
    }
    let mut out = Vec::new();
    let mut todo: Vec<i32> = roots.to_vec();
    while let Some(pid) = todo.pop() {
        for &c in children.get(&pid).map(Vec::as_slice).unwrap_or_default() {
            out.push(c);
            todo.push(c);
        }
    }
    out
}

fn signal_all(pids: &[i32], sig: i32) {
    for &pid in pids {
        // SAFETY: kill has no memory-safety preconditions.
        unsafe { libc::kill(pid, sig) };
    }
}

/// SIGKILLs matching processes and their descendants, and waits until they are gone.
fn kill_matching(matches: impl Fn(&Proc) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let procs = processes();
        let mut pids: Vec<i32> = procs.iter().filter(|p| matches(p)).map(|p| p.pid).collect();
        pids.extend(descendants(&procs, &pids));
        if pids.is_empty() || Instant::now() > deadline {
            if !pids.is_empty() {
                eprintln!("testbed: processes survived SIGKILL: {pids:?}");
            }
            return;
        }
        signal_all(&pids, libc::SIGKILL);
        thread::sleep(Duration::from_millis(20));
    }
}

fn dir_prefix(dir: &Path) -> Vec<u8> {
    let mut p = dir.as_os_str().as_bytes().to_vec();
    p.push(b'/');
    p
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Mount points at or below `dir`, innermost last (mountinfo order).
fn mounts_under(dir: &Path) -> Vec<PathBuf> {
    let prefix = dir_prefix(dir);
    let info = fs::read("/proc/self/mountinfo").unwrap_or_default();
    info.split(|b| *b == b'\n')
        .filter_map(|line| line.split(|b| *b == b' ').nth(4))
        .map(unescape_mountinfo)
        .filter(|m| m.starts_with(&prefix) || *m == prefix[..prefix.len() - 1])
        .map(|m| PathBuf::from(OsString::from_vec(m)))
        .collect()
}

/// mountinfo writes space, tab, newline and backslash as `\ooo`.
fn unescape_mountinfo(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'\\'
            && i + 3 < s.len()
            && s[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
        {
            out.push(
                s[i + 1..i + 4]
                    .iter()
                    .fold(0u8, |a, c| a.wrapping_mul(8) + (c - b'0')),
            );
            i += 4;
        } else {
            out.push(s[i]);
            i += 1;
        }
    }
    out
}

fn unmount_under(dir: &Path) {
    for _ in 0..20 {
        let mounts = mounts_under(dir);
        if mounts.is_empty() {
            return;
        }
        for m in mounts.iter().rev() {
            if let Ok(c) = CString::new(m.as_os_str().as_bytes()) {
                // SAFETY: c is a valid NUL-terminated path.
                unsafe { libc::umount2(c.as_ptr(), libc::MNT_DETACH) };
            }
        }
    }
    eprintln!("testbed: mounts left under {}", dir.display());
}

/// Removes the cgroups (v1 or v2) whose top-level name matches: runc removes a container's
/// cgroup, not the `--cgroup-parent` one, and a killed run removes nothing.
fn remove_cgroups(matches: impl Fn(&str) -> bool) {
    let top = Path::new("/sys/fs/cgroup");
    let mut roots = vec![top.to_path_buf()];
    if let Ok(entries) = fs::read_dir(top) {
        roots.extend(entries.flatten().map(|e| e.path()).filter(|p| p.is_dir()));
    }
    for root in roots {
        let Ok(entries) = fs::read_dir(&root) else {
            continue;
        };
        for e in entries.flatten() {
            if matches(&e.file_name().to_string_lossy()) && e.path().is_dir() {
                rmdir_tree(&e.path());
            }
        }
    }
}

fn rmdir_tree(dir: &Path) {
    if let Ok(entries) = fs::read_dir(dir) {
        for e in entries.flatten() {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                rmdir_tree(&e.path());
            }
        }
    }
    let _ = fs::remove_dir(dir);
}
