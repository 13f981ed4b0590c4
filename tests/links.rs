//! Which files are dockmux's links: hard links to any dockmux build (kept
//! working through an upgrade by rename), only links that resolve to this
//! dockmux or that it recorded making, and never a link named like another
//! program.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::harness::exe::{copy_executable, write_executable};
use crate::harness::{Env, Out, TWO_ENGINES, dockmux_bin};

/// `bin/dockmux`, a copy of the binary under test, as an install has it.
fn installed(env: &Env) -> PathBuf {
    let dm = env.bin.join("dockmux");
    install_build(&dm, b"");
    dm
}

/// Installs a build at `dm` the way `dockmux install` does: written under a
/// temp name, renamed over the old one. `trailer` makes it another build
/// (bytes after an ELF file's end change nothing when it runs).
fn install_build(dm: &Path, trailer: &[u8]) {
    let tmp = dm.with_file_name(".dockmux.new");
    let mut bytes = std::fs::read(dockmux_bin()).unwrap();
    bytes.extend_from_slice(trailer);
    write_executable(&tmp, bytes);
    std::fs::rename(&tmp, dm).unwrap();
}

fn inode(p: &Path) -> u64 {
    std::fs::symlink_metadata(p).unwrap().ino()
}

const COMMANDS: [&str; 3] = ["pg-docker", "playground", "lzc-docker"];

#[test]
fn hard_links_are_remade_by_an_upgrade_and_removed_by_unlink() {
    let env = Env::new();
    env.user_config(TWO_ENGINES);
    env.fake_docker();
    let dm = installed(&env);
    let run = |args: &[&str]| Out::of(env.cmd("dockmux").args(args));
    run(&["link", "--hard"]).ok();
    for c in COMMANDS {
        assert_eq!(inode(&env.bin.join(c)), inode(&dm), "{c}");
    }

    for (round, forget_record) in [(1u8, false), (2, true)] {
        // Round 2: links made before dockmux kept a record of them.
        if forget_record {
            std::fs::remove_file(env.bin.join(".dockmux-links")).unwrap();
        }
        install_build(&dm, &[round; 16]);
        assert_ne!(inode(&env.bin.join("pg-docker")), inode(&dm));
        // What `dockmux install` runs after the rename.
        let out = run(&["link"]);
        let report = out.ok();
        for c in COMMANDS {
            let path = env.bin.join(c);
            assert!(
                report.contains(&format!("relinked {} hard link to", path.display())),
                "round {round}: {out}"
            );
            assert_eq!(inode(&path), inode(&dm), "round {round}: {c}");
        }
        // The links run the new build.
        env.run("pg-docker", ["ps"]).ok();
        assert_eq!(env.last_call().var("DOCKMUX_ENGINE"), Some("pg"));
        // And `link --hard` finds them up to date.
        let out = run(&["link", "--hard"]);
        assert!(
            out.ok().lines().take(3).all(|l| l.starts_with("ok ")),
            "round {round}: {out}"
        );
    }

    install_build(&dm, b"third");
    let out = run(&["unlink"]);
    let report = out.ok();
    assert!(!report.contains("no links"), "{out}");
    for c in COMMANDS {
        assert!(!env.bin.join(c).exists(), "{c} left behind: {out}");
    }
    assert!(dm.exists());
}

#[test]
fn unlink_removes_only_links_to_this_dockmux_or_that_it_recorded_making() {
    let env = Env::new();
    env.user_config(TWO_ENGINES);
    let dm = installed(&env);
    let run = |dm: &Path, args: &[&str]| Out::of(env.program(dm).args(args));
    // Not dockmux's: dangling links to files named dockmux, a renamed copy
    // of dockmux, someone's own script.
    let dangling = [
        ("mytool", "/nonexistent/dockmux"),
        ("other-docker", "/nonexistent/dockmux"),
        ("tool2", "dockmux.gone"),
    ];
    for (name, target) in dangling {
        std::os::unix::fs::symlink(target, env.bin.join(name)).unwrap();
    }
    copy_executable(&dm, &env.bin.join("dmx"));
    std::fs::write(env.bin.join("mine-docker"), "#!/bin/sh\necho mine\n").unwrap();
    let theirs = ["mytool", "other-docker", "tool2", "dmx", "mine-docker"];

    run(&dm, &["link", "pg"]).ok();
    let out = run(&dm, &["unlink"]);
    let report = out.ok();
    for c in ["pg-docker", "playground"] {
        assert!(!env.bin.join(c).exists(), "{out}");
    }
    for c in theirs {
        assert!(
            std::fs::symlink_metadata(env.bin.join(c)).is_ok(),
            "{c} was removed: {report}"
        );
    }

    // Links dockmux made stay its own when the binary moves away: the
    // record says so (they dangle now).
    let links = env.root().join("links");
    std::fs::create_dir(&links).unwrap();
    let links_arg = links.to_str().unwrap();
    run(&dm, &["link", "--dir", links_arg, "pg"]).ok();
    std::os::unix::fs::symlink("/nonexistent/dockmux", links.join("mytool")).unwrap();
    let moved = env.root().join("moved");
    std::fs::create_dir(&moved).unwrap();
    std::fs::rename(&dm, moved.join("dockmux")).unwrap();
    assert!(
        std::fs::metadata(links.join("pg-docker")).is_err(),
        "not dangling"
    );
    let out = run(&moved.join("dockmux"), &["unlink", "--dir", links_arg]);
    out.ok();
    assert!(
        std::fs::symlink_metadata(links.join("pg-docker")).is_err(),
        "{out}"
    );
    assert!(
        std::fs::symlink_metadata(links.join("playground")).is_err(),
        "{out}"
    );
    assert!(
        std::fs::symlink_metadata(links.join("mytool")).is_ok(),
        "{out}"
    );
}

/// An Env whose PATH is `bin`, then `extra`, then the system directories.
fn env_with_path_dir(extra: &str) -> (Env, PathBuf) {
    let mut env = Env::new();
    let dir = env.root().join(extra);
    std::fs::create_dir(&dir).unwrap();
    env.path = format!(
        "{}:{}:{}",
        env.bin.display(),
        dir.display(),
        crate::harness::SYSTEM_PATH
    )
    .into();
    (env, dir)
}

#[test]
fn links_never_stand_in_front_of_other_programs_but_engine_commands_may() {
    let (env, later) = env_with_path_dir("later");
    env.user_config(TWO_ENGINES);
    let dm = installed(&env);
    let run = |args: &[&str]| Out::of(env.cmd("dockmux").args(args));
    // A program of the test's own, and system ones.
    let tool = later.join("mytool");
    write_executable(&tool, "#!/bin/sh\necho mytool\n");
    let config = std::fs::read(env.user_config_path()).unwrap();
    for alias in ["ssh", "ls", "sh", "mytool"] {
        let out = run(&[
            "add",
            "box",
            "unix:///run/box.sock",
            "--alias",
            alias,
            "--link",
        ]);
        let err = out.fails(125);
        assert!(
            err.contains(&format!("alias '{alias}' names an existing program")),
            "{out}"
        );
        assert_eq!(
            std::fs::read(env.user_config_path()).unwrap(),
            config,
            "{alias}"
        );
        assert!(
            std::fs::symlink_metadata(env.bin.join(alias)).is_err(),
            "{alias}"
        );
        assert!(std::fs::symlink_metadata(env.bin.join("box-docker")).is_err());
    }

    // A hand-written alias: `link` makes the other links and never that one,
    // not even with --force; no completion file for it either.
    env.user_config(&format!(
        "{TWO_ENGINES}\n[engines.box]\nhost = \"unix:///run/box.sock\"\naliases = [\"mytool\", \"boxy\"]\n"
    ));
    for args in [&["link"][..], &["link", "--force", "box"][..]] {
        let out = run(args);
        let err = out.fails(1);
        assert!(err.contains("alias 'mytool' of engine 'box'"), "{out}");
        assert!(
            out.stdout
                .contains(&format!("refused  {}", env.bin.join("mytool").display())),
            "{out}"
        );
        assert!(env.bin.join("boxy").exists() && env.bin.join("box-docker").exists());
        assert!(std::fs::symlink_metadata(env.bin.join("mytool")).is_err());
    }
    // As root, links outside HOME get the system's completion places.
    let completions = env.system_share.join("bash-completion/completions");
    assert!(
        completions.join("boxy").exists(),
        "no completion files at all?"
    );
    assert!(!completions.join("mytool").exists());

    // One made by an older dockmux: doctor reports it.
    std::os::unix::fs::symlink("dockmux", env.bin.join("mytool")).unwrap();
    let out = run(&["doctor", "--json"]);
    let report: Value = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {out}"));
    let found: Vec<&Value> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| {
            c["level"] == "problem"
                && c["message"].as_str().unwrap().contains(&format!(
                    "stands in front of the program {}",
                    tool.display()
                ))
        })
        .collect();
    assert_eq!(found.len(), 1, "{report:#}");
    assert!(dm.exists());
}

#[test]
fn an_engine_command_may_stand_in_front_of_an_existing_one_and_says_so() {
    for (earlier, want) in [(false, "now stands in front of"), (true, "PATH finds")] {
        let (env, other_dir) = env_with_path_dir("boxbin");
        let mut env = env;
        if earlier {
            // The box's own directory comes before the links on PATH.
            env.path = format!(
                "{}:{}:{}",
                other_dir.display(),
                env.bin.display(),
                crate::harness::SYSTEM_PATH
            )
            .into();
        }
        env.user_config(TWO_ENGINES);
        installed(&env);
        let script = other_dir.join("lzc-docker");
        let text = "#!/bin/sh\necho the box's own\n";
        write_executable(&script, text);
        let out = Out::of(env.cmd("dockmux").args(["link", "lzc"]));
        let report = out.ok();
        assert!(
            report.contains(&format!("{want} {}", script.display())),
            "{out}"
        );
        assert_eq!(std::fs::read_to_string(&script).unwrap(), text);
        assert!(env.bin.join("lzc-docker").exists());
    }
}

/// The files under `root` named for a command: its link and its completion files.
fn files_named_for(root: &Path, command: &str) -> Vec<PathBuf> {
    fn walk(d: &Path, command: &str, found: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(d).into_iter().flatten().flatten() {
            let p = e.path();
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                walk(&p, command, found);
            } else if e.file_name().to_string_lossy().contains(command) {
                found.push(p);
            }
        }
    }
    let mut found = Vec::new();
    walk(root, command, &mut found);
    found
}

#[test]
fn names_and_aliases_too_long_for_their_files_are_refused_before_anything_is_written() {
    let env = Env::new();
    env.fake_docker();
    let bin = env.bin.to_str().unwrap();
    // NAME_MAX (255) less what the longest file made for a command adds to it:
    // `.COMMAND.fish.dockmux-tmp-PID`, a fish completion file's temp (PID up to 7 digits).
    let longest = 255 - 1 - 5 - 13 - 7;
    let name = |len: usize| "n".repeat(len - "-docker".len());
    let alias = |len: usize| "a".repeat(len);
    for (what, args) in [
        (
            "engine name",
            vec![name(longest + 1), "--alias".into(), "ok".into()],
        ),
        (
            "alias",
            vec!["ok".into(), "--alias".into(), alias(longest + 1)],
        ),
        ("alias", vec!["ok".into(), "--alias".into(), alias(255)]),
    ] {
        let mut c = env.dockmux(["add"]);
        c.arg(&args[0])
            .args(["unix:///x.sock", "--link", "--dir", bin])
            .args(&args[1..]);
        let out = Out::of(&mut c);
        let err = out.fails(125);
        assert!(
            err.contains(what) && err.contains(&format!("at most {longest}")),
            "{out}"
        );
        assert!(!env.user_config_path().exists(), "{out}");
        assert!(!env.bin.join("ok").exists(), "{out}");
    }
    // The longest of each is linked, its completion files written, and it runs.
    let (n, a) = (name(longest), alias(longest));
    let mut c = env.dockmux([
        "add",
        &n,
        "unix:///x.sock",
        "--alias",
        &a,
        "--link",
        "--dir",
        bin,
    ]);
    Out::of(&mut c).ok();
    for command in [format!("{n}-docker"), a.clone()] {
        let files = files_named_for(env.root(), &command);
        assert!(
            files.iter().any(|f| f.to_string_lossy().ends_with(".fish")),
            "{command}: {files:?}"
        );
        env.clear_record();
        env.run(&command, ["ps"]).ok();
        assert_eq!(env.last_call().var("DOCKMUX_ENGINE"), Some(n.as_str()));
    }
    // A config holding a name one byte longer is refused where it is read.
    let cfg = env.user_config(&format!(
        "[engines.{}]\nhost = \"unix:///x.sock\"\n",
        name(longest + 1)
    ));
    let out = Out::of(&mut env.dockmux(["list"]));
    assert!(
        out.code != Some(0)
            && out.stderr.contains(&cfg.display().to_string())
            && out.stderr.contains(&format!("at most {longest}")),
        "{out}"
    );
}

#[test]
fn a_link_record_that_cannot_be_written_is_refused_before_anything_is_written() {
    let env = Env::new();
    let bin = env.bin.to_str().unwrap();
    std::fs::create_dir(env.bin.join(".dockmux-links")).unwrap();
    for args in [
        &["add", "rec", "unix:///x", "--link", "--dir", bin][..],
        &["link", "--dir", bin, "pg"][..],
    ] {
        let out = Out::of(&mut env.dockmux(args));
        let err = out.fails(125);
        assert!(
            err.contains(&format!("{bin}/.dockmux-links is not a file"))
                && err.contains("nothing was changed"),
            "{out}"
        );
        assert!(!env.user_config_path().exists(), "{out}");
        assert!(!env.bin.join("rec-docker").exists() && !env.bin.join("pg-docker").exists());
    }
}

#[test]
fn add_link_stopped_halfway_says_which_links_were_made() {
    // A link dir with room for one entry only: the first link is made, the second is not.
    let env = Env::new();
    let full = env.root().join("full");
    std::fs::create_dir(&full).unwrap();
    let mut c = env.program("/usr/bin/unshare");
    c.args([
        "-m",
        "/bin/sh",
        "-c",
        "/usr/bin/mount -t tmpfs -o nr_inodes=2,size=1m,mode=755 tmpfs \"$0\" || exit 99; \
         \"$@\"; rc=$?; /usr/bin/ls -A \"$0\"; exit $rc",
    ])
    .arg(&full)
    .arg(dockmux_bin())
    .args("add nas ssh://me@nas --alias nasd --link --dir".split(' '))
    .arg(&full);
    let out = Out::of(&mut c);
    let err = out.fails(1);
    assert!(
        err.contains("engine 'nas' was added")
            && err.contains("No space left on device")
            && err.contains(&format!("only nas-docker is linked ({})", full.display()))
            && err.contains(&format!("dockmux link --dir {} nas", full.display())),
        "{out}"
    );
    assert_eq!(out.stdout.lines().last(), Some("nas-docker"), "{out}");
}

/// Links made with `add --link --dir D` (D on PATH) are found through D's
/// record by `rename` and `remove --unlink` without `--dir`; doctor reports
/// one whose engine is gone; `link --prune-only` prunes it and links nothing.
#[test]
fn links_in_another_dir_are_found_by_rename_remove_doctor_and_pruned_alone() {
    let mut env = Env::new();
    env.user_config(TWO_ENGINES);
    let d = env.root().join("d");
    std::fs::create_dir(&d).unwrap();
    let path = format!("{}:{}", d.display(), env.path.to_str().unwrap());
    env.var("PATH", path);
    let ds = d.to_str().unwrap();
    let run = |args: &[&str]| Out::of(&mut env.dockmux(args));
    run(&["add", "nas", "unix:///run/nas.sock", "--link", "--dir", ds]).ok();
    assert!(d.join("nas-docker").exists());

    let out = run(&["rename", "nas", "nas2"]);
    out.ok();
    assert!(
        std::fs::symlink_metadata(d.join("nas-docker")).is_err(),
        "{out}"
    );
    assert!(d.join("nas2-docker").exists(), "{out}");
    let out = run(&["remove", "nas2", "--unlink"]);
    out.ok();
    assert!(
        std::fs::symlink_metadata(d.join("nas2-docker")).is_err(),
        "{out}"
    );

    // An engine gone from the config while its link stays: doctor says so.
    run(&["add", "box", "unix:///run/box.sock", "--link", "--dir", ds]).ok();
    run(&["remove", "box"]).ok();
    let doctor = run(&["doctor", "--json", "--timeout", "100ms"]);
    let checks: Value = serde_json::from_str(&doctor.stdout).unwrap();
    let stale: Vec<&Value> = checks["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["check"] == "stale_link")
        .collect();
    assert!(
        stale.iter().any(|c| c["level"] == "warning"
            && c["message"]
                .as_str()
                .unwrap()
                .contains(&d.join("box-docker").display().to_string())),
        "{doctor}"
    );
    let out = run(&["link", "--prune-only", "--dir", ds]);
    assert!(
        out.ok()
            .contains(&format!("pruned   {}", d.join("box-docker").display())),
        "{out}"
    );
    let left: Vec<_> = std::fs::read_dir(&d)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(left.is_empty(), "{left:?}: {out}");
}

/// Links made with `--dir D`, D on no PATH, are found without `--dir` by
/// every command that looks for links, through the index of the dirs
/// dockmux made links in (root's beside the system config); an index
/// another user could write is not read.
#[test]
fn links_in_a_dir_on_no_path_are_found_through_the_index() {
    let env = Env::new();
    env.user_config(TWO_ENGINES);
    let dm = installed(&env);
    let d = env.root().join("d");
    std::fs::create_dir(&d).unwrap();
    let ds = d.to_str().unwrap();
    let run = |env: &Env, args: &[&str]| Out::of(env.program(&dm).args(args));
    let exists = |name: &str| std::fs::symlink_metadata(d.join(name)).is_ok();
    let index = env.system_config_path.with_file_name("link-dirs");

    run(
        &env,
        &["add", "nas", "unix:///run/nas.sock", "--link", "--dir", ds],
    )
    .ok();
    assert!(exists("nas-docker"));
    assert!(
        std::fs::read_to_string(&index)
            .unwrap()
            .contains(&format!("\n{ds}\n")),
        "{}",
        index.display()
    );
    let out = run(&env, &["rename", "nas", "nas2"]);
    assert!(!exists("nas-docker") && exists("nas2-docker"), "{out}");
    let out = run(&env, &["remove", "nas2", "--unlink"]);
    assert!(!exists("nas2-docker"), "{out}");

    run(
        &env,
        &["add", "box", "unix:///run/box.sock", "--link", "--dir", ds],
    )
    .ok();
    run(&env, &["remove", "box"]).ok();
    let doctor = run(&env, &["doctor", "--timeout", "100ms"]);
    assert!(
        doctor.stdout.contains(&format!(
            "{}: no engine is named by it",
            d.join("box-docker").display()
        )),
        "{doctor}"
    );
    let out = run(&env, &["link", "--prune-only"]);
    assert!(
        out.ok().contains(&format!("pruned   {ds}/box-docker")),
        "{out}"
    );

    run(&env, &["link", "--dir", ds, "pg"]).ok();
    let out = run(&env, &["unlink", "pg"]);
    assert!(
        out.ok().contains(&format!("removed  {ds}/pg-docker")),
        "{out}"
    );

    // An index others can write is a hint no one takes.
    run(&env, &["link", "--dir", ds, "pg"]).ok();
    std::fs::set_permissions(&index, std::fs::Permissions::from_mode(0o666)).unwrap();
    let out = run(&env, &["unlink", "pg"]);
    assert!(exists("pg-docker"), "{out}");
    std::fs::set_permissions(&index, std::fs::Permissions::from_mode(0o644)).unwrap();

    // uninstall takes the links to the binary it removes, wherever they are.
    let out = run(&env, &["uninstall", "--dir", env.bin.to_str().unwrap()]);
    out.ok();
    assert!(!exists("pg-docker") && !dm.exists(), "{out}");
    assert!(!index.exists(), "{out}");
}
