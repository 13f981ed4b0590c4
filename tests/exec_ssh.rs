//! `dockmux exec` for an ssh engine whose URL names a socket path: tools that
//! reject such a URL (docker-compose v1, the Docker SDK, a plain HTTP client
//! on a unix socket) reach the engine through a real sshd on loopback, for
//! the life of the command; `env` says what it cannot express.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::engines::{bed_env, unique};
use crate::harness::sshd::{self, Sshd, SshdOpts};
use crate::harness::testbed::{self, IMAGE};
use crate::harness::{Env, Out};

/// pg and lzc of the test bed, and `far`: pg's socket over ssh, with no
/// shared connection (`persist = "0"`): the bridge is what exec gives a
/// program then (tests/remote.rs has exec through a shared connection).
fn far_env(sshd: &Sshd) -> Env {
    let bed = testbed::shared();
    let mut env = bed_env();
    let ssh_bin = sshd.install_client_config(&env.home);
    env.path = format!("{}:{}", ssh_bin.display(), env.path.to_string_lossy()).into();
    env.user_config(&format!(
        "persist = \"0\"\n[engines.pg]\nhost = \"{}\"\n[engines.lzc]\nhost = \"{}\"\n[engines.far]\nhost = \"{}\"\n",
        bed.pg.host,
        bed.lzc.host,
        sshd.docker_host(&bed.pg.sock)
    ));
    env
}

/// A client with only python's standard library: GET /info over the unix
/// socket DOCKER_HOST names, on three connections, two at once; prints
/// DOCKER_HOST, then DockerRootDir once per answer.
const HTTP_CLIENT: &str = r#"
import json, os, socket, sys, threading
host = os.environ["DOCKER_HOST"]
print(host, flush=True)
if not host.startswith("unix://"):
    sys.exit("not a unix socket: " + host)
def info(out):
    s = socket.socket(socket.AF_UNIX)
    s.connect(host[len("unix://"):])
    s.sendall(b"GET /info HTTP/1.0\r\nHost: docker\r\n\r\n")
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.") and b" 200 " in head.split(b"\r\n")[0], head
    out.append(json.loads(body)["DockerRootDir"])
got = []
info(got)
threads = [threading.Thread(target=info, args=(got,)) for _ in range(2)]
for t in threads: t.start()
for t in threads: t.join()
for r in got: print(r)
"#;

/// The socket directory named by a printed DOCKER_HOST is gone soon after
/// the program ended (the bridge cleans up and exits).
fn assert_cleaned_up(docker_host: &str) {
    let sock = PathBuf::from(docker_host.strip_prefix("unix://").unwrap());
    let dir = sock.parent().unwrap().to_path_buf();
    assert!(
        dir.file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("dockmux-exec-"),
        "{docker_host}"
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while dir.exists() {
        assert!(Instant::now() < deadline, "{} left behind", dir.display());
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn under(path: &str, root: &Path) -> bool {
    path.starts_with(root.to_str().unwrap())
}

#[test]
fn exec_carries_an_ssh_engines_socket_path_for_tools_that_reject_it() {
    let bed = testbed::shared();
    let sshd = sshd::start(SshdOpts::default());
    let env = far_env(&sshd);

    // A plain HTTP client on the socket.
    let start = Instant::now();
    let out = Out::of(&mut env.dockmux(["exec", "far", "python3", "-c", HTTP_CLIENT]));
    let text = out.ok();
    let mut lines = text.lines();
    let docker_host = lines.next().unwrap().to_string();
    let roots: Vec<&str> = lines.collect();
    assert_eq!(roots.len(), 3, "{out}");
    assert!(roots.iter().all(|r| under(r, &bed.pg.root)), "{out}");
    assert_cleaned_up(&docker_host);
    eprintln!(
        "http client, 3 connections over ssh (2 at once): {:?}",
        start.elapsed()
    );

    // The Docker SDK for Python.
    let sdk = "import docker, os; print(os.environ['DOCKER_HOST']); \
               print(docker.from_env().info()['DockerRootDir'])";
    let out = Out::of(&mut env.dockmux(["exec", "far", "python3", "-c", sdk]));
    let text = out.ok();
    let (host, root) = text.trim().split_once('\n').unwrap();
    assert!(under(root, &bed.pg.root), "{out}");
    assert_cleaned_up(host);
    eprintln!("docker SDK: {:?}", start.elapsed());

    // docker-compose v1 creates a container in the pg engine.
    let project = unique("bridge").replace('-', "");
    let compose = env.root().join("compose.yml");
    std::fs::write(
        &compose,
        format!(
            "version: \"2.4\"\nservices:\n  one:\n    image: {IMAGE}\n    command: [\"true\"]\n    network_mode: none\n"
        ),
    )
    .unwrap();
    let compose_arg = compose.to_str().unwrap();
    let up = [
        "docker-compose",
        "-p",
        &project,
        "-f",
        compose_arg,
        "up",
        "--no-start",
    ];
    Out::of(env.dockmux(["exec", "far"]).args(up)).ok();
    let filter = format!("label=com.docker.compose.project={project}");
    let ps = ["ps", "-a", "--filter", &filter, "--format", "{{.Names}}"];
    let seen = env.run("pg-docker", ps);
    assert!(seen.ok().contains(&project), "{seen}");
    assert_eq!(env.run("lzc-docker", ps).ok(), "");
    let down = ["docker-compose", "-p", &project, "-f", compose_arg, "down"];
    Out::of(env.dockmux(["exec", "far"]).args(down)).ok();
    assert_eq!(env.run("pg-docker", ps).ok(), "");
    eprintln!("docker-compose up and down: {:?}", start.elapsed());

    // The program's exit status is its own.
    let out = Out::of(&mut env.dockmux(["exec", "far", "sh", "-c", "echo $DOCKER_HOST; exit 7"]));
    assert_eq!(out.code, Some(7), "{out}");
    assert_cleaned_up(out.stdout.trim());
}

#[test]
fn env_says_what_an_ssh_socket_path_means_for_other_tools() {
    let sshd = sshd::start(SshdOpts::default());
    let env = far_env(&sshd);
    let out = Out::of(&mut env.dockmux(["env", "far", "--shell", "sh"]));
    let text = out.ok();
    assert!(
        text.lines()
            .any(|l| l.starts_with("# note:") && l.contains("dockmux exec far")),
        "{out}"
    );
    assert!(out.stderr.contains("dockmux exec far"), "{out}");
    // Engines the tools can reach as they are get no note.
    let out = Out::of(&mut env.dockmux(["env", "pg", "--shell", "sh"]));
    assert!(!out.ok().contains("note"), "{out}");
    assert_eq!(out.stderr, "");
}

/// Process `pid`'s start time, as /proc/PID/stat's field 22.
fn start_time(pid: u32) -> String {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let rest = stat.rsplit_once(") ").unwrap().1;
    rest.split(' ').nth(19).unwrap().to_string()
}

#[test]
fn a_killed_bridge_is_named_and_cleaned_up_and_stale_ones_are_swept() {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    let sshd = sshd::start(SshdOpts::default());
    // The Env's own runtime dir (0700, its XDG_RUNTIME_DIR).
    let env = far_env(&sshd);
    let runtime = env.runtime_dir();

    // The bridge killed while the program runs: the program's stderr says why.
    let script = r#"d=${DOCKER_HOST#unix://}; d=${d%/docker.sock}; echo "$d"
        i=0; while [ ! -s "$d/bridge" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done
        kill -9 "$(cut -d' ' -f1 "$d/bridge")"; sleep 1
        docker version --format '{{.Server.Version}}' >/dev/null 2>&1; echo "rc=$?""#;
    let out = Out::of(&mut env.dockmux(["exec", "far", "sh", "-c", script]));
    let text = out.ok();
    let dir = PathBuf::from(text.lines().next().unwrap());
    assert!(text.contains("rc=1"), "{out}");
    assert!(
        out.stderr.contains(
            "dockmux exec: the ssh bridge for engine 'far' (pid "
        ) && out.stderr.contains(") ended before the program did (it was killed): the program can no longer reach the engine at unix://"),
        "{out}"
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while dir.exists() {
        assert!(Instant::now() < deadline, "{} left behind", dir.display());
        std::thread::sleep(Duration::from_millis(20));
    }

    // Left by bridges killed with their watchers: swept by the next exec.
    let make = |name: &str, bridge: Option<String>| {
        let d = runtime.join(name);
        std::fs::DirBuilder::new().mode(0o700).create(&d).unwrap();
        std::fs::write(d.join("docker.sock"), "").unwrap();
        if let Some(b) = bridge {
            std::fs::write(d.join("bridge"), b).unwrap();
        }
        d
    };
    let mut gone = std::process::Command::new("true").spawn().unwrap();
    let dead = gone.id();
    gone.wait().unwrap();
    let me = std::process::id();
    let stale = make(
        &format!("dockmux-exec-{me}-0000dead"),
        Some(format!("{dead} 1\n")),
    );
    // The pid lives, but is another process (a reused pid).
    let reused = make(
        &format!("dockmux-exec-{me}-0000abcd"),
        Some(format!("{me} 1\n")),
    );
    let stale_unrecorded = make(&format!("dockmux-exec-{dead}-0000beef"), None);
    let live = make(
        &format!("dockmux-exec-{dead}-00001111"),
        Some(format!("{me} {}\n", start_time(me))),
    );
    let unrecorded_live = make(&format!("dockmux-exec-{me}-00002222"), None);
    let foreign = make(&format!("dockmux-exec-{dead}-00003333"), None);
    std::os::unix::fs::chown(&foreign, Some(65534), Some(65534)).unwrap();
    let open = make(&format!("dockmux-exec-{dead}-00004444"), None);
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o755)).unwrap();
    let target = make("elsewhere", None);
    let link = runtime.join(format!("dockmux-exec-{dead}-00005555"));
    std::os::unix::fs::symlink(&target, &link).unwrap();
    Out::of(&mut env.dockmux(["exec", "far", "true"])).ok();
    for d in [&stale, &reused, &stale_unrecorded] {
        assert!(!d.exists(), "{} was not swept", d.display());
    }
    for d in [&live, &unrecorded_live, &foreign, &open, &link, &target] {
        assert!(d.exists(), "{} was swept", d.display());
    }
    assert!(target.join("docker.sock").exists());
}
