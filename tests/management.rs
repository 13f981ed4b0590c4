//! The config file (where, merging, validation, permissions) and the
//! management commands: list, link/unlink, config, wrappers.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::harness::{Env, TWO_ENGINES, dockmux_bin};

fn chmod(p: &Path, mode: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn with_no_config_the_built_in_lazycat_engines_are_used() {
    let env = Env::new();
    let out = env.dockmux(["list", "--names"]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "lzc\npg\n");
    env.fake_docker();
    env.link("pg-docker");
    let out = env.run("pg-docker", ["ps"]);
    out.ok();
    assert_eq!(
        env.last_call().var("DOCKER_HOST"),
        Some("unix:///data/playground/docker.sock")
    );
    // The seed's hint: the playground engine needs Dockge and a reboot.
    assert!(out.stderr.contains("Dockge"), "{out}");
}

#[test]
fn system_and_user_configs_merge_and_the_user_wins() {
    let env = Env::new();
    env.system_config(
        "[engines.pg]\nhost = \"unix:///sys/pg.sock\"\n[engines.lzc]\nhost = \"unix:///sys/lzc.sock\"\n",
    );
    env.user_config(
        "[engines.pg]\nhost = \"unix:///mine/pg.sock\"\n[engines.nas]\nhost = \"ssh://me@nas\"\n",
    );
    let json = env.dockmux(["list", "--json"]).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let hosts: Vec<(&str, &str, &str)> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["name"].as_str().unwrap(),
                e["host"].as_str().unwrap(),
                e["source"].as_str().unwrap(),
            )
        })
        .collect();
    let sys = env.system_config_path.display().to_string();
    let user = env.user_config_path().display().to_string();
    assert_eq!(
        hosts,
        [
            ("lzc", "unix:///sys/lzc.sock", sys.as_str()),
            ("nas", "ssh://me@nas", user.as_str()),
            ("pg", "unix:///mine/pg.sock", user.as_str()),
        ]
    );
}

#[test]
fn dockmux_config_is_the_only_file_when_set() {
    let mut env = Env::new();
    env.user_config(TWO_ENGINES);
    let only = env.root().join("only.toml");
    std::fs::write(&only, "[engines.solo]\nhost = \"tcp://solo:2375\"\n").unwrap();
    env.var("DOCKMUX_CONFIG", &only);
    let out = crate::harness::Out::of(&mut env.dockmux(["list", "--names"]));
    assert_eq!(out.ok(), "solo\n");

    let mut env = Env::new();
    env.var("DOCKMUX_CONFIG", env.root().join("missing.toml"));
    let out = crate::harness::Out::of(&mut env.dockmux(["list"]));
    assert!(out.fails(125).contains("does not exist"), "{out}");
}

#[test]
fn config_errors_name_file_line_and_column() {
    let env = Env::new();
    env.fake_docker();
    env.link("pg-docker");
    let cases = [
        (
            "[engines.pg]\nhots = \"unix:///s\"\n",
            ":2:1: unknown key 'hots' in engine 'pg'; did you mean 'host'?",
        ),
        (
            "[engines.pg]\nhost = \"/tmp/x.sock\"\n",
            ":2:8: host '/tmp/x.sock' is a bare path",
        ),
        (
            "[engines.PG]\nhost = \"unix:///s\"\n",
            ":1:10: engine name 'PG' is invalid",
        ),
        (
            "[engines.pg]\nhost = \"ssh://u:pw@h\"\n",
            ":2:8: host 'ssh://u:pw@h' has a password: plain-text passwords",
        ),
        (
            "[engines.pg]\nhost = \"unix:///s\"\n[engines.x]\nhost = \"unix:///x\"\naliases = [\"pg-docker\"]\n",
            ":5:12: command 'pg-docker' is claimed",
        ),
        (
            "dokcer = \"/usr/bin/docker\"\n",
            ":1:1: unknown key 'dokcer' at the top level; did you mean 'docker'?",
        ),
        ("[engines.pg\n", ":1:"),
    ];
    for (text, want) in cases {
        let path = env.user_config(text);
        let out = env.run("pg-docker", ["ps"]);
        let err = out.fails(125);
        let want = format!("pg-docker: {}{want}", path.display());
        assert!(err.starts_with(&want), "want {want:?}\n{out}");
        assert!(!env.fake_ran());
    }
}

#[test]
fn an_insecure_config_is_refused_with_the_fix() {
    let env = Env::new();
    env.fake_docker();
    env.link("pg-docker");
    let path = env.user_config(TWO_ENGINES);
    let dir = path.parent().unwrap();

    chmod(&path, 0o666);
    let out = env.run("pg-docker", ["ps"]);
    let err = out.fails(125);
    assert!(err.contains("writable by everyone"), "{out}");
    assert!(
        err.contains(&format!("chmod go-w {}", path.display())),
        "{out}"
    );
    chmod(&path, 0o620);
    assert!(
        env.run("pg-docker", ["ps"])
            .fails(125)
            .contains("writable by its group")
    );
    chmod(&path, 0o600);

    chmod(dir, 0o777);
    let out = env.run("pg-docker", ["ps"]);
    assert!(
        out.fails(125)
            .contains(&format!("chmod go-w {}", dir.display())),
        "{out}"
    );
    chmod(dir, 0o700);
    env.run("pg-docker", ["ps"]).ok();
    assert!(env.fake_ran());
}

#[test]
fn a_config_owned_by_someone_else_is_refused() {
    if unsafe { libc::geteuid() } != 0 {
        panic!("this test needs root (to chown); run it via ./scripts/test");
    }
    let env = Env::new();
    env.fake_docker();
    env.link("pg-docker");
    let path = env.user_config(TWO_ENGINES);
    std::os::unix::fs::chown(&path, Some(65534), None).unwrap();
    let out = env.run("pg-docker", ["ps"]);
    let err = out.fails(125);
    assert!(err.contains("owned by uid 65534"), "{out}");
    assert!(
        err.contains(&format!("chown 0 {}", path.display())),
        "{out}"
    );
}

#[test]
fn a_symlinked_config_into_a_writable_place_is_refused() {
    let env = Env::new();
    env.fake_docker();
    env.link("pg-docker");
    let open_dir = env.root().join("open");
    std::fs::create_dir(&open_dir).unwrap();
    let real = open_dir.join("engines.toml");
    std::fs::write(&real, TWO_ENGINES).unwrap();
    chmod(&real, 0o600);
    chmod(&open_dir, 0o777);
    let link = env.user_config_path();
    std::fs::create_dir_all(link.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let out = env.run("pg-docker", ["ps"]);
    assert!(
        out.fails(125)
            .contains(&format!("chmod go-w {}", open_dir.display())),
        "{out}"
    );
}

#[test]
fn list_shows_names_commands_hosts_and_sources() {
    let env = Env::new();
    let user = env.user_config(TWO_ENGINES);
    let out = crate::harness::Out::of(&mut env.dockmux(["list"]));
    let u = user.display();
    assert_eq!(
        out.ok(),
        format!(
            "NAME   COMMAND                 HOST                           STATUS      SOURCE\n\
             lzc    lzc-docker              unix:///nonexistent/lzc.sock   no socket   {u}\n\
             pg     pg-docker, playground   unix:///nonexistent/pg.sock    no socket   {u}\n\
             \n\
             lzc: no socket at /nonexistent/lzc.sock; fix: start the engine (or fix its host in the config)\n\
             pg: no socket at /nonexistent/pg.sock; fix: start the playground\n"
        )
    );
}

#[test]
fn list_into_a_closed_pipe_is_not_an_error() {
    let env = Env::new();
    let mut many = String::new();
    for i in 0..3000 {
        many.push_str(&format!("[engines.e{i}]\nhost = \"unix:///s/{i}.sock\"\n"));
    }
    env.user_config(&many);
    // Through bash, to read dockmux's own exit status from PIPESTATUS.
    let script = format!(
        "'{}' list | head -1; echo \"${{PIPESTATUS[0]}}\"",
        dockmux_bin().display()
    );
    let mut cmd = std::process::Command::new("/bin/bash");
    cmd.args(["-c", &script])
        .env_clear()
        .env("HOME", &env.home)
        .env("DOCKMUX_SYSTEM_CONFIG", &env.system_config_path);
    let out = crate::harness::Out::of(&mut cmd);
    let text = out.ok();
    assert!(
        text.starts_with("NAME ") && text.ends_with("SOURCE\n0\n"),
        "{out}"
    );
    assert_eq!(out.stderr, "");
}

#[test]
fn link_makes_relative_links_is_idempotent_and_never_clobbers() {
    let env = Env::new();
    env.user_config(TWO_ENGINES);
    // A copy of dockmux in its own dir, as an install would have it.
    let dm = env.bin.join("dockmux");
    crate::harness::copy_dockmux(&dm);
    let run = |args: &[&str]| crate::harness::Out::of(env.cmd("dockmux").args(args));
    let foreign = env.bin.join("lzc-docker");
    std::fs::write(&foreign, "#!/bin/sh\necho mine\n").unwrap();

    let out = run(&["link"]);
    assert_eq!(out.code, Some(1), "{out}");
    assert!(
        out.stderr.contains("lzc-docker") && out.stderr.contains("--force"),
        "{out}"
    );
    assert_eq!(
        std::fs::read_to_string(&foreign).unwrap(),
        "#!/bin/sh\necho mine\n"
    );
    for name in ["pg-docker", "playground"] {
        assert_eq!(
            std::fs::read_link(env.bin.join(name)).unwrap(),
            Path::new("dockmux")
        );
    }
    let again = run(&["link", "pg"]);
    assert!(again.ok().lines().all(|l| l.starts_with("ok ")), "{again}");

    let forced = run(&["link", "--force", "lzc"]);
    assert!(forced.ok().contains("replaced"), "{forced}");
    assert_eq!(std::fs::read_link(&foreign).unwrap(), Path::new("dockmux"));

    // Drop the alias from the config: --prune removes its link, and only it.
    env.user_config("[engines.pg]\nhost = \"unix:///nonexistent/pg.sock\"\n[engines.lzc]\nhost = \"unix:///x\"\n");
    let mine = env.bin.join("mine");
    std::fs::write(&mine, "x").unwrap();
    let pruned = run(&["link", "--prune"]);
    assert!(pruned.ok().contains("pruned"), "{pruned}");
    assert!(!env.bin.join("playground").exists());
    assert!(env.bin.join("pg-docker").exists() && mine.exists() && dm.exists());

    let removed = run(&["unlink"]);
    removed.ok();
    assert!(!env.bin.join("pg-docker").exists() && !env.bin.join("lzc-docker").exists());
    assert!(
        mine.exists() && dm.exists(),
        "unlink removed something not ours"
    );
}

#[test]
fn link_into_another_dir_uses_an_absolute_target_and_hard_links_work() {
    let env = Env::new();
    env.user_config(TWO_ENGINES);
    let other = env.root().join("links");
    std::fs::create_dir(&other).unwrap();
    let out =
        crate::harness::Out::of(&mut env.dockmux(["link", "--dir", other.to_str().unwrap(), "pg"]));
    out.ok();
    let target = std::fs::read_link(other.join("pg-docker")).unwrap();
    assert!(target.is_absolute(), "{target:?}");
    assert!(!other.join("lzc-docker").exists());

    // The link really works.
    env.fake_docker();
    let mut c = std::process::Command::new(other.join("playground"));
    c.arg("ps")
        .env_clear()
        .env("HOME", &env.home)
        .env("PATH", &env.path)
        .env("DOCKMUX_SYSTEM_CONFIG", &env.system_config_path);
    crate::harness::Out::of(&mut c).ok();
    assert_eq!(env.last_call().var("DOCKMUX_ENGINE"), Some("pg"));

    let hard = env.root().join("hard");
    std::fs::create_dir(&hard).unwrap();
    let out = crate::harness::Out::of(&mut env.dockmux([
        "link",
        "--hard",
        "--dir",
        hard.to_str().unwrap(),
        "lzc",
    ]));
    out.ok();
    let meta = std::fs::symlink_metadata(hard.join("lzc-docker")).unwrap();
    assert!(meta.file_type().is_file());
    let again = crate::harness::Out::of(&mut env.dockmux([
        "link",
        "--hard",
        "--dir",
        hard.to_str().unwrap(),
        "lzc",
    ]));
    assert!(again.ok().starts_with("ok "), "{again}");
}

#[test]
fn link_rejects_unknown_engines_before_touching_anything() {
    let env = Env::new();
    env.user_config(TWO_ENGINES);
    let dir = env.root().join("links");
    std::fs::create_dir(&dir).unwrap();
    let out = crate::harness::Out::of(&mut env.dockmux([
        "link",
        "--dir",
        dir.to_str().unwrap(),
        "pg",
        "nope",
    ]));
    assert!(out.fails(125).contains("no engine named 'nope'"), "{out}");
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
}

#[test]
fn config_path_and_show() {
    let env = Env::new();
    let user = env.user_config(TWO_ENGINES);
    let out = crate::harness::Out::of(&mut env.dockmux(["config", "path"]));
    let text = out.ok();
    let rows: Vec<Vec<&str>> = text
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    let sys = env.system_config_path.display().to_string();
    let user_s = user.display().to_string();
    assert_eq!(rows[0][..2], [sys.as_str(), "missing"], "{text}");
    assert_eq!(rows[1][..2], [user_s.as_str(), "exists"], "{text}");

    let out = crate::harness::Out::of(&mut env.dockmux(["config", "show"]));
    let shown = out.ok();
    assert!(
        shown.contains(&format!("[engines.pg]  # from {}", user.display())),
        "{shown}"
    );
    // What `show` prints is itself a valid config with the same engines.
    let copy = env.root().join("copy.toml");
    std::fs::write(&copy, shown).unwrap();
    let mut c = env.dockmux(["list", "--json"]);
    c.env("DOCKMUX_CONFIG", &copy);
    let a = crate::harness::Out::of(&mut c);
    let b = crate::harness::Out::of(&mut env.dockmux(["list", "--json"]));
    let strip = |s: &str| -> serde_json::Value {
        let mut v: serde_json::Value = serde_json::from_str(s).unwrap();
        for e in v.as_array_mut().unwrap() {
            e.as_object_mut().unwrap().remove("source");
        }
        v
    };
    assert_eq!(strip(a.ok()), strip(b.ok()));
}

#[test]
fn checked_in_wrappers_match_the_generator() {
    let env = Env::new();
    let out = env.root().join("wrappers");
    std::fs::create_dir(&out).unwrap();
    crate::harness::Out::of(&mut env.dockmux(["wrappers", "--dir", out.to_str().unwrap()])).ok();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("wrappers");
    let mut names: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    assert_eq!(names, ["lzc-docker", "pg-docker"]);
    for name in names {
        let generated = std::fs::read_to_string(out.join(&name)).unwrap();
        let checked_in = std::fs::read_to_string(repo.join(&name)).unwrap_or_else(|_| {
            panic!("wrappers/{name:?} is missing; run: dockmux wrappers --dir wrappers")
        });
        assert_eq!(
            generated, checked_in,
            "wrappers/{name:?} is stale; regenerate with no config present: env -i HOME=/nonexistent DOCKMUX_SYSTEM_CONFIG=/nonexistent dockmux wrappers --dir wrappers"
        );
    }
}

#[test]
fn a_generated_wrapper_routes_like_the_binary() {
    let env = Env::new();
    env.user_config(TWO_ENGINES);
    env.fake_docker();
    let dir = env.root().join("w");
    std::fs::create_dir(&dir).unwrap();
    crate::harness::Out::of(&mut env.dockmux(["wrappers", "--dir", dir.to_str().unwrap()])).ok();
    let mut c = std::process::Command::new(dir.join("playground"));
    c.args(["ps", "", "a b"])
        .env_clear()
        .env("PATH", &env.path)
        .env("DOCKER_TLS_VERIFY", "1");
    crate::harness::Out::of(&mut c).ok();
    let call = env.last_call();
    assert_eq!(call.args_str(), ["ps", "", "a b"]);
    assert_eq!(call.var("DOCKER_HOST"), Some("unix:///nonexistent/pg.sock"));
    assert_eq!(call.var("DOCKER_TLS_VERIFY"), None);
}

#[test]
fn usage_errors_exit_125() {
    let env = Env::new();
    let out = crate::harness::Out::of(&mut env.dockmux(["lisst"]));
    assert!(out.fails(125).contains("list"), "{out}");
    let out = crate::harness::Out::of(&mut env.dockmux(["--version"]));
    assert!(out.ok().starts_with("dockmux "), "{out}");
}

#[test]
fn xdg_config_home_moves_the_user_config() {
    let mut env = Env::new();
    env.user_config(TWO_ENGINES);
    let xdg = env.root().join("xdg");
    std::fs::create_dir_all(xdg.join("dockmux")).unwrap();
    chmod(&xdg.join("dockmux"), 0o700);
    std::fs::write(
        xdg.join("dockmux/engines.toml"),
        "[engines.x]\nhost = \"tcp://x:2375\"\n",
    )
    .unwrap();
    env.var("XDG_CONFIG_HOME", &xdg);
    let out = crate::harness::Out::of(&mut env.dockmux(["list", "--names"]));
    assert_eq!(out.ok(), "x\n");
    // A relative XDG_CONFIG_HOME is ignored, as the XDG spec says.
    env.var("XDG_CONFIG_HOME", "relative/dir");
    let out = crate::harness::Out::of(&mut env.dockmux(["list", "--names"]));
    assert_eq!(out.ok(), "lzc\npg\n");
}

#[test]
fn a_clash_stops_only_the_command_it_names_and_list_and_doctor_report_it() {
    // The admin's engine and a user's both claim `work`: the user's own
    // engines, the admin's, and every other command keep running.
    let env = Env::new();
    env.fake_docker();
    let sys = env.system_config(
        "[engines.db]\nhost = \"unix:///sys/db.sock\"\naliases = [\"work\"]\n[engines.other]\nhost = \"unix:///sys/other.sock\"\n",
    );
    let user = env.user_config(
        "[engines.mine]\nhost = \"unix:///mine.sock\"\naliases = [\"work\", \"mine\"]\n",
    );
    for (command, host) in [
        ("other-docker", "unix:///sys/other.sock"),
        ("db-docker", "unix:///sys/db.sock"),
        ("mine-docker", "unix:///mine.sock"),
        ("mine", "unix:///mine.sock"),
    ] {
        env.link(command);
        env.run(command, ["ps"]).ok();
        assert_eq!(env.last_call().var("DOCKER_HOST"), Some(host), "{command}");
    }
    env.clear_record();
    env.link("work");
    let out = env.run("work", ["ps"]);
    let err = out.fails(125);
    // Named at the user's claim (the one a user can change), with the other's place.
    let want = format!(
        "work: {}:3:12: command 'work' is claimed by engines 'db' and 'mine'; remove or rename one (the other claim is at {}:3:12)",
        user.display(),
        sys.display()
    );
    assert!(err.starts_with(&want), "want {want:?}\n{out}");
    assert!(!env.fake_ran(), "{out}");

    let list = crate::harness::Out::of(&mut env.dockmux(["list", "--no-probe"]));
    let text = list.ok();
    assert!(text.contains("mine-docker, work (clash), mine"), "{list}");
    assert!(text.contains(&want["work: ".len()..]), "{list}");
    let json = crate::harness::Out::of(&mut env.dockmux(["list", "--no-probe", "--json"]));
    let v: serde_json::Value = serde_json::from_str(json.ok()).unwrap();
    let clashes: Vec<(&str, &str)> = v
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| {
            let name = e["name"].as_str().unwrap();
            e["clashes"]
                .as_array()
                .unwrap()
                .iter()
                .map(move |c| (name, c["command"].as_str().unwrap()))
        })
        .collect();
    assert_eq!(clashes, [("db", "work"), ("mine", "work")], "{json}");

    let doctor = crate::harness::Out::of(&mut env.dockmux(["doctor", "--json"]));
    assert_eq!(doctor.code, Some(1), "{doctor}");
    let report: serde_json::Value = serde_json::from_str(&doctor.stdout).unwrap();
    let found: Vec<&serde_json::Value> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["check"] == "clash")
        .collect();
    assert_eq!(found.len(), 1, "{report:#}");
    assert_eq!(found[0]["level"], "problem");
    assert!(
        found[0]["fix"]
            .as_str()
            .unwrap()
            .contains(&format!("{}:3:12", user.display())),
        "{report:#}"
    );
    // The engine checks still ran.
    assert!(
        report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["check"] == "engine"),
        "{report:#}"
    );

    // Edits go on (one may be the fix); a new claim on `work` is refused.
    let out = crate::harness::Out::of(&mut env.dockmux(["add", "more", "unix:///more.sock"]));
    out.ok();
    let out = crate::harness::Out::of(&mut env.dockmux([
        "add",
        "third",
        "unix:///third.sock",
        "--alias",
        "work",
    ]));
    assert!(out.fails(125).contains("'work'"), "{out}");
    let out = crate::harness::Out::of(&mut env.dockmux(["remove", "mine"]));
    out.ok();
    env.run("work", ["ps"]).ok();
    assert_eq!(
        env.last_call().var("DOCKER_HOST"),
        Some("unix:///sys/db.sock")
    );
}

#[test]
fn a_mistake_in_one_engine_stops_that_engine_only_across_files() {
    let env = Env::new();
    env.fake_docker();
    for name in ["pg-docker", "lzc-docker", "nas-docker", "bad-docker"] {
        env.link(name);
    }
    // Root's typo in the system file; the user's own engine in theirs.
    let system = env.system_config(
        "[engines.lzc]\nhost = \"unix:///lzc.sock\"\n\n[engines.nas]\nhots = \"unix:///nas.sock\"\n",
    );
    let user = env.user_config("[engines.pg]\nhost = \"unix:///pg.sock\"\n");
    for cmd in ["pg-docker", "lzc-docker"] {
        env.clear_record();
        env.run(cmd, ["ps"]).ok();
        assert!(env.fake_ran(), "{cmd}");
    }
    env.clear_record();
    let out = env.run("nas-docker", ["ps"]);
    let want = format!(
        "nas-docker: {}:5:1: unknown key 'hots' in engine 'nas'; did you mean 'host'?",
        system.display()
    );
    assert!(out.fails(125).starts_with(&want), "{out}");
    assert!(!env.fake_ran());
    let out = crate::harness::Out::of(&mut env.dockmux(["list", "--no-probe"]));
    let err = out.fails(1);
    assert!(
        out.stdout.contains("\nlzc ") && out.stdout.contains("\npg "),
        "{out}"
    );
    assert!(
        err.starts_with(&format!(
            "dockmux: skipped engine 'nas': {}:5:1: unknown key 'hots' in engine 'nas'",
            system.display()
        )),
        "{out}"
    );
    let out = crate::harness::Out::of(&mut env.dockmux(["doctor"]));
    assert!(
        out.stdout.contains("engine 'nas' is not usable: ")
            && out
                .stdout
                .contains(&format!("edit {}:5:1", system.display())),
        "{out}"
    );
    // The user's file has no mistake: it can be edited.
    crate::harness::Out::of(&mut env.dockmux(["add", "box", "unix:///box.sock"])).ok();

    // A mistake in the user's own file: its other engines run, edits of it stop.
    let text = "[engines.pg]\nhost = \"unix:///pg.sock\"\n\n[engines.bad]\nhost = \"unix:///bad.sock\"\nprotect = \"yes\"\n";
    env.user_config(text);
    env.clear_record();
    env.run("pg-docker", ["ps"]).ok();
    assert!(env.fake_ran());
    let out = env.run("bad-docker", ["ps"]);
    assert!(
        out.fails(125).starts_with(&format!(
            "bad-docker: {}:6:11: protect must be true or false",
            user.display()
        )),
        "{out}"
    );
    let out = crate::harness::Out::of(&mut env.dockmux(["add", "box", "unix:///box.sock"]));
    assert!(
        out.fails(125).contains("protect must be true or false"),
        "{out}"
    );
    assert_eq!(std::fs::read_to_string(&user).unwrap(), text);

    // A file that is not TOML at all still stops everything.
    env.user_config("[engines.pg\nhost = \"unix:///pg.sock\"\n");
    for cmd in ["pg-docker", "lzc-docker"] {
        let out = env.run(cmd, ["ps"]);
        assert!(out.fails(125).contains("invalid TOML"), "{cmd}: {out}");
    }
}
