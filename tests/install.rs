//! `dockmux install`, `uninstall` and `push`: a copied file installed for
//! real into temp dirs, as root and as a real unprivileged user; `pg-docker`
//! reaching a real engine afterwards; upgrades in place while commands run;
//! uninstall back to the listing from before; push through a real sshd on
//! loopback. Never /usr/local/bin, never the machine's own dockmux.

use std::collections::BTreeMap;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::engines::unique;
use crate::harness::exe::write_executable;
use crate::harness::sshd::{self, SshdOpts};
use crate::harness::testbed;
use crate::harness::users::user;
use crate::harness::{Env, Out, SYSTEM_PATH, dockmux_bin, finishes};

/// A dockmux file as a user has it after a download: `DIR/dockmux`, with
/// `trailer` after the ELF file's end (another build that runs the same).
fn download(dir: &Path, trailer: &[u8]) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let file = dir.join("dockmux");
    let mut bytes = std::fs::read(dockmux_bin()).unwrap();
    bytes.extend_from_slice(trailer);
    write_executable(&file, bytes);
    file
}

/// Every entry under `root` (not following symlinks): kind, and for a
/// symlink its target, for a file its size and mode.
fn listing(root: &Path) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    let mut todo = vec![root.to_path_buf()];
    while let Some(dir) = todo.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let m = std::fs::symlink_metadata(&path).unwrap();
            let what = if m.is_dir() {
                todo.push(path.clone());
                "dir".to_string()
            } else if m.file_type().is_symlink() {
                format!(
                    "symlink -> {}",
                    std::fs::read_link(&path).unwrap().display()
                )
            } else {
                format!("file {} bytes mode {:o}", m.len(), m.mode() & 0o7777)
            };
            out.insert(path.strip_prefix(root).unwrap().to_path_buf(), what);
        }
    }
    out
}

/// After uninstall: exactly the entries from before install, but for
/// directories install made, which stay, empty.
fn assert_back_to(before: &BTreeMap<PathBuf, String>, root: &Path) {
    let after = listing(root);
    let gone: Vec<_> = before.keys().filter(|k| !after.contains_key(*k)).collect();
    assert!(gone.is_empty(), "uninstall removed {gone:?}");
    for (path, what) in &after {
        match before.get(path) {
            Some(was) => assert_eq!(was, what, "{} changed", path.display()),
            // Every new entry is a directory: so each holds only new, empty directories.
            None => assert_eq!(what, "dir", "{} left behind", path.display()),
        }
    }
}

fn inode(p: &Path) -> u64 {
    std::fs::metadata(p).unwrap().ino()
}

#[test]
fn install_as_root_reaches_a_real_engine_and_uninstall_puts_back_the_listing() {
    let bed = testbed::shared();
    let mut env = Env::new();
    let bin = env.root().join("prefix/bin");
    std::fs::create_dir_all(&bin).unwrap();
    // PREFIX/share is a dir the shells read, as /usr/local/share is.
    let share = env.root().join("prefix/share");
    env.var("XDG_DATA_DIRS", &share);
    let file = download(&env.root().join("download"), b"");
    // No config: the built-in LazyCat engines get their links.
    let out = Out::of(env.program(&file).arg("install").arg("--dir").arg(&bin));
    let report = out.ok();
    for c in ["dockmux", "pg-docker", "lzc-docker"] {
        assert!(
            report.contains(&bin.join(c).display().to_string()),
            "{c}: {out}"
        );
    }
    assert_eq!(
        std::fs::read(bin.join("dockmux")).unwrap(),
        std::fs::read(&file).unwrap()
    );
    assert_eq!(
        std::fs::metadata(bin.join("dockmux")).unwrap().mode() & 0o7777,
        0o755
    );
    Out::of(
        env.program(bin.join("dockmux"))
            .args(["uninstall", "--dir"])
            .arg(&bin),
    )
    .ok();

    // With a config: its engines, the real ones of the test bed.
    env.user_config(&format!(
        "docker = \"{}\"\n[engines.pg]\nhost = \"{}\"\n[engines.lzc]\nhost = \"{}\"\naliases = [\"appstore\"]\n",
        testbed::real_docker().display(),
        bed.pg.host,
        bed.lzc.host
    ));
    let before = listing(env.root());
    let out = Out::of(env.program(&file).arg("install").arg("--dir").arg(&bin));
    let report = out.ok();
    assert!(
        report.starts_with(&format!("installed {}/dockmux (dockmux ", bin.display())),
        "{out}"
    );
    for c in ["pg-docker", "lzc-docker", "appstore"] {
        assert_eq!(
            std::fs::read_link(bin.join(c)).unwrap(),
            Path::new("dockmux"),
            "{out}"
        );
    }
    // Root, outside its HOME: PREFIX/share's completion places, as the man pages.
    for f in [
        "bash-completion/completions/pg-docker",
        "bash-completion/completions/dockmux",
        "fish/vendor_completions.d/appstore.fish",
    ] {
        assert!(share.join(f).is_file(), "{f}: {out}");
    }

    for page in [
        "man1/dockmux.1",
        "man1/dockmux-install.1",
        "man5/engines.toml.5",
    ] {
        let path = env.root().join("prefix/share/man").join(page);
        assert!(path.is_file(), "{page}: {out}");
    }

    // The installed link reaches the real engine.
    let name = unique("installed");
    let run = |cmd: &str, args: &[&str]| Out::of(env.program(bin.join(cmd)).args(args));
    run("pg-docker", &["volume", "create", &name]).ok();
    let out = run("pg-docker", &["volume", "ls", "-q"]);
    assert!(out.ok().lines().any(|l| l == name), "{out}");
    let out = run("lzc-docker", &["volume", "ls", "-q"]);
    assert!(!out.ok().lines().any(|l| l == name), "{out}");
    run("pg-docker", &["volume", "rm", &name]).ok();

    // Install from the installed file: nothing to do, and it says so.
    let listing_installed = listing(env.root());
    let out = run("dockmux", &["install", "--dir", bin.to_str().unwrap()]);
    assert!(
        out.ok().contains("is the file running: already installed"),
        "{out}"
    );
    assert_eq!(listing(env.root()), listing_installed);

    // Uninstall: the listing from before, the config kept (and said so).
    let out = run("dockmux", &["uninstall", "--dir", bin.to_str().unwrap()]);
    let report = out.ok();
    assert!(
        report.contains(&format!(
            "kept     {} (the config",
            env.user_config_path().display()
        )),
        "{out}"
    );
    assert_back_to(&before, env.root());
    // And a second time there is nothing to uninstall.
    let out = Out::of(env.program(&file).args(["uninstall", "--dir"]).arg(&bin));
    assert!(out.fails(125).contains("nothing to uninstall"), "{out}");
}

#[test]
fn install_as_a_real_user_goes_to_their_local_bin_and_reaches_an_engine() {
    let engine = testbed::private("install-user");
    let u = user("dockmux-other");
    let top = tempfile::Builder::new()
        .prefix("dockmux-install-user-")
        .tempdir_in("/tmp")
        .unwrap();
    std::fs::set_permissions(top.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let home = top.path().join("home");
    std::fs::create_dir_all(home.join(".config/dockmux")).unwrap();
    std::fs::write(
        home.join(".config/dockmux/engines.toml"),
        format!(
            "docker = \"{}\"\n[engines.pg]\nhost = \"{}\"\n",
            testbed::real_docker().display(),
            engine.host
        ),
    )
    .unwrap();
    let file = download(&home.join("Downloads"), b"");
    u.owns_tree(&home);
    // The engine's socket is the user's, as a docker group would make it reachable.
    u.owns(&engine.sock);

    let env = Env::new();
    let as_user = |program: &Path, args: &[&str]| {
        let mut c = env.program(program);
        c.args(args)
            .env("HOME", &home)
            .env(
                "PATH",
                format!("{}:{SYSTEM_PATH}", home.join(".local/bin").display()),
            )
            .env("DOCKMUX_SYSTEM_CONFIG", top.path().join("etc/engines.toml"))
            .env("DOCKMUX_SYSTEM_SHARE", top.path().join("share"))
            .current_dir(&home);
        u.runs(&mut c);
        finishes(&mut c)
    };
    let before = listing(&home);
    let out = as_user(&file, &["install"]);
    let report = out.ok();
    let local_bin = home.join(".local/bin");
    assert!(
        report.starts_with(&format!("installed {}/dockmux", local_bin.display())),
        "{out}"
    );
    let installed = std::fs::metadata(local_bin.join("dockmux")).unwrap();
    assert_eq!(installed.uid(), u.uid);
    // The user's own completion places.
    assert!(
        home.join(".local/share/bash-completion/completions/pg-docker")
            .is_file(),
        "{out}"
    );
    let out = as_user(&local_bin.join("pg-docker"), &["ps", "--format", "{{.ID}}"]);
    out.ok();
    let out = as_user(
        &local_bin.join("pg-docker"),
        &["info", "--format", "{{.DockerRootDir}}"],
    );
    assert_eq!(
        out.ok().trim(),
        engine.root.join("data").display().to_string(),
        "{out}"
    );

    // man finds the pages beside ~/.local/bin, the way it does for a bin dir on PATH.
    let out = as_user(Path::new("/usr/bin/man"), &["-w", "dockmux"]);
    assert_eq!(
        out.ok().trim(),
        home.join(".local/share/man/man1/dockmux.1")
            .display()
            .to_string()
    );

    // A directory that serves every user is root's to install into.
    let shared_dir = top.path().join("shared-bin");
    std::fs::create_dir(&shared_dir).unwrap();
    std::fs::set_permissions(&shared_dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    u.owns(&shared_dir);
    let out = as_user(&file, &["install", "--dir", shared_dir.to_str().unwrap()]);
    assert!(out.fails(125).contains("serves every user"), "{out}");
    assert!(std::fs::read_dir(&shared_dir).unwrap().next().is_none());

    let out = as_user(&local_bin.join("dockmux"), &["uninstall"]);
    out.ok();
    assert_back_to(&before, &home);
}

#[test]
fn nothing_is_half_done_when_a_check_fails() {
    let env = Env::new();
    let bin = env.root().join("bin2");
    std::fs::create_dir(&bin).unwrap();
    let file = download(&env.root().join("download"), b"");
    let install = |dir: &Path| Out::of(env.program(&file).arg("install").arg("--dir").arg(dir));
    // A file in a link's place that is not dockmux's.
    write_executable(&bin.join("pg-docker"), "#!/bin/sh\necho the box's own\n");
    let before = listing(env.root());
    let out = install(&bin);
    let err = out.fails(125);
    assert!(
        err.contains(&bin.join("pg-docker").display().to_string()),
        "{out}"
    );
    assert!(err.contains("nothing was installed"), "{out}");
    assert_eq!(listing(env.root()), before);
    std::fs::remove_file(bin.join("pg-docker")).unwrap();
    // Another program where dockmux goes.
    write_executable(&bin.join("dockmux"), "#!/bin/sh\n");
    let out = install(&bin);
    assert!(out.fails(125).contains("is not dockmux"), "{out}");
    std::fs::remove_file(bin.join("dockmux")).unwrap();
    // A directory others may write to.
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o777)).unwrap();
    let out = install(&bin);
    assert!(out.fails(125).contains("chmod"), "{out}");
    // A missing --dir is not made up.
    let out = install(&env.root().join("no/such/bin"));
    assert!(out.fails(125).contains("mkdir -p"), "{out}");
    // An alias named like a program.
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    env.user_config("[engines.pg]\nhost = \"unix:///x.sock\"\naliases = [\"ls\"]\n");
    let out = install(&bin);
    assert!(out.fails(125).contains("alias 'ls'"), "{out}");
    assert!(std::fs::read_dir(&bin).unwrap().next().is_none());
}

/// Commands started while install replaces the binary, over and over,
/// through a symlink and a hard link (made by `link --hard`): none fails.
#[test]
fn upgrades_in_place_never_fail_a_running_command() {
    const UPGRADES: usize = 16;
    let env = Env::new();
    let bin = env.root().join("prefix/bin");
    std::fs::create_dir_all(&bin).unwrap();
    // A recording client: what it was asked, by which engine.
    let client = env.root().join("client/docker");
    std::fs::create_dir_all(client.parent().unwrap()).unwrap();
    write_executable(&client, "#!/bin/sh\necho \"$DOCKMUX_ENGINE $*\"\n");
    env.user_config(&format!(
        "docker = \"{}\"\n[engines.pg]\nhost = \"unix:///x/pg.sock\"\n[engines.lzc]\nhost = \"unix:///x/lzc.sock\"\n",
        client.display()
    ));
    let builds = [
        download(&env.root().join("a"), b""),
        download(&env.root().join("b"), b"another build"),
    ];
    Out::of(
        env.program(&builds[0])
            .arg("install")
            .arg("--dir")
            .arg(&bin),
    )
    .ok();
    Out::of(
        env.program(bin.join("dockmux"))
            .args(["link", "--hard", "lzc"]),
    )
    .ok();
    assert_eq!(inode(&bin.join("lzc-docker")), inode(&bin.join("dockmux")));

    let stop = AtomicBool::new(false);
    let runs = AtomicUsize::new(0);
    let failures = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for (command, engine) in [("pg-docker", "pg"), ("lzc-docker", "lzc")] {
            let (stop, runs, failures, env, bin) = (&stop, &runs, &failures, &env, &bin);
            s.spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let out = env.program(bin.join(command)).arg("version").output();
                    runs.fetch_add(1, Ordering::Relaxed);
                    let ok = out.as_ref().is_ok_and(|o| {
                        o.status.success() && o.stdout == format!("{engine} version\n").as_bytes()
                    });
                    if !ok {
                        failures.lock().unwrap().push(format!("{command}: {out:?}"));
                    }
                }
            });
        }
        for round in 0..UPGRADES {
            let build = &builds[(round + 1) % 2];
            let out = Out::of(env.program(build).arg("install").arg("--dir").arg(&bin));
            assert!(out.ok().contains("replaced "), "round {round}: {out}");
            assert_eq!(
                std::fs::read(bin.join("dockmux")).unwrap(),
                std::fs::read(build).unwrap()
            );
            // The hard link follows the upgrade; the symlink still leads to dockmux.
            assert_eq!(inode(&bin.join("lzc-docker")), inode(&bin.join("dockmux")));
            assert_eq!(inode(&bin.join("pg-docker")), inode(&bin.join("dockmux")));
        }
        stop.store(true, Ordering::Relaxed);
    });
    let runs = runs.into_inner();
    let failures = failures.into_inner().unwrap();
    println!(
        "upgrade race: {runs} commands during {UPGRADES} upgrades, {} failed",
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {runs} failed: {:?}",
        failures.len(),
        &failures[..failures.len().min(3)]
    );
    // It raced: commands ran all through the upgrades.
    assert!(runs >= UPGRADES * 4, "only {runs} commands ran");
}

/// The remote of the push tests: sshd on loopback whose sessions get a PATH
/// with a `uname` that can lie, a temp dir the test watches, and a config
/// with the test bed's engines.
struct Remote {
    sshd: sshd::Sshd,
    tmp: PathBuf,
    lie: PathBuf,
    bin: PathBuf,
}

fn remote(env: &Env) -> Remote {
    let bed = testbed::shared();
    let shim = env.root().join("remote-shim");
    let tmp = env.root().join("remote-tmp");
    let bin = env.root().join("remote/bin");
    for d in [&shim, &tmp, &bin] {
        std::fs::create_dir_all(d).unwrap();
    }
    let lie = env.root().join("uname-lies");
    write_executable(
        &shim.join("uname"),
        format!(
            "#!/bin/sh\nif [ -f '{}' ]; then echo 'Linux riscv64'; else exec /bin/uname \"$@\"; fi\n",
            lie.display()
        ),
    );
    let config = env.root().join("remote-engines.toml");
    std::fs::write(
        &config,
        format!(
            "docker = \"{}\"\n[engines.pg]\nhost = \"{}\"\n[engines.lzc]\nhost = \"{}\"\n",
            testbed::real_docker().display(),
            bed.pg.host,
            bed.lzc.host
        ),
    )
    .unwrap();
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o600)).unwrap();
    let sshd = sshd::start(SshdOpts {
        env: vec![
            ("PATH".into(), format!("{}:{SYSTEM_PATH}", shim.display())),
            ("DOCKMUX_CONFIG".into(), config.display().to_string()),
            ("TMPDIR".into(), tmp.display().to_string()),
        ],
        ..Default::default()
    });
    Remote {
        sshd,
        tmp,
        lie,
        bin,
    }
}

impl Remote {
    fn push(&self, env: &Env, file: &Path, ssh: &str) -> Out {
        let mut c = env.program(file);
        c.arg("push")
            .arg(self.sshd.destination())
            .arg("--dir")
            .arg(&self.bin)
            .arg("--ssh")
            .arg(ssh);
        Out::of(&mut c)
    }

    fn ssh(&self) -> String {
        format!("ssh -F {}", self.sshd.ssh_config.display())
    }

    /// The remote's temp dir is empty again (the copy's dir is removed
    /// when the remote script ends, whatever ended it).
    fn wait_for_clean_tmp(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::fs::read_dir(&self.tmp).unwrap().next().is_some() {
            assert!(
                Instant::now() < deadline,
                "the copy was left in {}",
                self.tmp.display()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

#[test]
fn push_installs_over_ssh_and_a_broken_copy_leaves_the_old_binary() {
    let env = Env::new();
    let remote = remote(&env);
    let old = download(&env.root().join("old"), b"an older build");
    let new = download(&env.root().join("new"), b"");
    let installed = remote.bin.join("dockmux");
    let old_bytes = std::fs::read(&old).unwrap();

    // A first install: the report, then the remote's `dockmux list`.
    let out = remote.push(&env, &old, &remote.ssh());
    let stdout = out.ok();
    assert!(
        stdout.contains(&format!("installed {}", installed.display())),
        "{out}"
    );
    assert!(
        stdout.contains(&format!(
            "linked   {}/pg-docker -> dockmux",
            remote.bin.display()
        )),
        "{out}"
    );
    let table: Vec<&str> = stdout
        .lines()
        .skip_while(|l| !l.starts_with("NAME "))
        .collect();
    assert!(table.len() >= 3, "no list: {out}");
    assert!(
        table
            .iter()
            .any(|l| l.starts_with("pg ") && l.contains(" up ")),
        "{out}"
    );
    assert_eq!(std::fs::read(&installed).unwrap(), old_bytes);
    remote.wait_for_clean_tmp();

    // Another OS or architecture: refused before anything is copied.
    std::fs::write(&remote.lie, "").unwrap();
    let out = remote.push(&env, &new, &remote.ssh());
    let err = out.fails(125);
    assert!(
        err.contains("runs Linux riscv64, but this dockmux is built for Linux x86_64"),
        "{out}"
    );
    assert!(err.contains("nothing was copied"), "{out}");
    std::fs::remove_file(&remote.lie).unwrap();
    assert_eq!(std::fs::read(&installed).unwrap(), old_bytes);

    // A copy cut short (the connection ends after 1 MiB): refused there.
    let cut = env.root().join("ssh-cut");
    write_executable(
        &cut,
        format!(
            "#!/bin/sh\ncase \"$*\" in *dockmux-push*) ;; *) exec {ssh} \"$@\";; esac\n\
             head -c 1048576 | {ssh} \"$@\"\n",
            ssh = remote.ssh()
        ),
    );
    let out = remote.push(&env, &new, cut.to_str().unwrap());
    assert!(out.fails(1).contains("broke off"), "{out}");
    assert!(out.stderr.contains("was left as it was"), "{out}");
    assert_eq!(std::fs::read(&installed).unwrap(), old_bytes);
    remote.wait_for_clean_tmp();

    // ssh killed mid-copy, once 1 MiB is on the remote: the same.
    let killed = env.root().join("ssh-killed");
    let fifo = env.root().join("copy-fifo");
    write_executable(
        &killed,
        format!(
            "#!/bin/sh\ncase \"$*\" in *dockmux-push*) ;; *) exec {ssh} \"$@\";; esac\n\
             mkfifo '{fifo}'\n\
             {ssh} \"$@\" < '{fifo}' & pid=$!\n\
             exec 3> '{fifo}'\n\
             head -c 1048576 >&3\n\
             n=0\n\
             until [ \"$(cat '{tmp}'/dockmux-push.*/dockmux 2>/dev/null | wc -c)\" -ge 1048576 ]; do\n\
               n=$((n + 1)); [ $n -lt 1000 ] || exit 3; sleep 0.02\n\
             done\n\
             kill -9 $pid\n\
             kill -9 $$\n",
            ssh = remote.ssh(),
            fifo = fifo.display(),
            tmp = remote.tmp.display()
        ),
    );
    let out = remote.push(&env, &new, killed.to_str().unwrap());
    assert!(out.fails(1).contains("ended by a signal"), "{out}");
    assert_eq!(std::fs::read(&installed).unwrap(), old_bytes);
    remote.wait_for_clean_tmp();

    // ssh's own errors come through as they are, and nothing is copied.
    let out = remote.push(
        &env,
        &new,
        &format!("ssh -F {}", remote.sshd.wrong_key_config.display()),
    );
    let err = out.fails(1);
    assert!(err.contains("Permission denied"), "{out}");
    assert!(err.contains("nothing was copied"), "{out}");

    // The upgrade over ssh: the new build, the links still lead to it.
    let out = remote.push(&env, &new, &remote.ssh());
    assert!(
        out.ok()
            .contains(&format!("replaced {}", installed.display())),
        "{out}"
    );
    assert_eq!(
        std::fs::read(&installed).unwrap(),
        std::fs::read(&new).unwrap()
    );
    assert_eq!(inode(&remote.bin.join("pg-docker")), inode(&installed));
    remote.wait_for_clean_tmp();
}

/// A directory others can write to (here sticky, as /tmp) is refused for
/// install and link, as for the config; and what another user made there
/// is never removed, even when it leads to dockmux.
#[test]
fn a_directory_others_can_write_is_refused_and_another_users_link_there_stays() {
    let env = Env::new();
    env.user_config("[engines.pg]\nhost = \"unix:///run/pg.sock\"\n");
    let open = env.root().join("open");
    std::fs::create_dir(&open).unwrap();
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o1777)).unwrap();
    let d = open.to_str().unwrap();
    for args in [&["install", "--dir", d][..], &["link", "--dir", d][..]] {
        let out = Out::of(&mut env.dockmux(args));
        let err = out.fails(125);
        assert!(err.contains("is writable by everyone (mode 1777)"), "{out}");
        assert_eq!(std::fs::read_dir(&open).unwrap().count(), 0, "{args:?}");
    }
    // A dockmux put there by hand, and another user's link to it.
    let bin = download(&open, b"");
    let theirs = open.join("pg-docker");
    std::os::unix::fs::symlink("dockmux", &theirs).unwrap();
    user("dmx-other").owns(&theirs);
    let out = Out::of(env.program(&bin).args(["uninstall", "--dir", d]));
    out.ok();
    assert!(std::fs::symlink_metadata(&theirs).is_ok(), "{out}");
    assert!(!bin.exists(), "{out}");
}

/// A host whose key ssh does not know: push says to accept the key once,
/// with the command that does it (a check in batch mode would fail the same
/// way), and copies nothing.
#[test]
fn push_to_a_host_with_an_unknown_key_says_to_accept_it_once() {
    let env = Env::new();
    let sshd = sshd::start(SshdOpts::default());
    let empty = env.root().join("known_hosts_none");
    std::fs::write(&empty, "").unwrap();
    let ssh = format!(
        "ssh -F {} -o UserKnownHostsFile={}",
        sshd.ssh_config.display(),
        empty.display()
    );
    let bin = env.root().join("remote-bin");
    let out = Out::of(
        env.dockmux(["push", &sshd.destination(), "--ssh", &ssh])
            .args(["--dir".as_ref(), bin.as_os_str()]),
    );
    let err = out.fails(1);
    let accept = format!(
        "accept the key once: run `{ssh} {} true` and answer yes",
        sshd.destination()
    );
    assert!(
        err.contains("Host key verification failed")
            && err.contains("ssh does not know")
            && err.contains(&accept)
            && !err.contains("BatchMode"),
        "{out}"
    );
    assert!(!bin.exists(), "{out}");
}
