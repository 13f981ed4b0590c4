//! One command, every engine: `dockmux ps`, `dockmux each`, `dockmux find`
//! on the real test bed (two engines up, one stopped, sockets that never
//! answer), checked against what the real docker client says.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::engines::{bed_env, unique};
use crate::harness::testbed::{self, IMAGE};
use crate::harness::{Env, Out};
use crate::status::hanging_engines;

pub fn create(env: &Env, cmd: &str, name: &str) {
    env.run(cmd, ["create", "--name", name, "--network", "none", IMAGE])
        .ok();
}

fn ps_json(env: &Env, args: &[&str]) -> Vec<Value> {
    let out = Out::of(env.dockmux(["ps", "--json"]).args(args));
    serde_json::from_str::<Value>(out.ok())
        .unwrap_or_else(|e| panic!("{e}: {out}"))
        .as_array()
        .unwrap()
        .clone()
}

/// The real client's `docker ps -a --format json` object for container `name`.
fn docker_ps(engine: &testbed::Engine, name: &str) -> Value {
    let out = Out::of(engine.docker().args([
        "ps",
        "-a",
        "--format",
        "json",
        "--filter",
        &format!("name=^{name}$"),
    ]));
    serde_json::from_str(out.ok().trim()).unwrap_or_else(|e| panic!("{e}: {out}"))
}

fn rows_named<'a>(rows: &'a [Value], name: &str) -> Vec<&'a Value> {
    rows.iter().filter(|r| r["Names"] == name).collect()
}

#[test]
fn ps_a_shows_each_engine_s_containers_under_its_name_as_docker_does() {
    let bed = testbed::shared();
    let env = bed_env();
    let (on_pg, on_lzc) = (unique("ps-pg"), unique("ps-lzc"));
    env.run(
        "pg-docker",
        [
            "create",
            "--name",
            &on_pg,
            "--network",
            "none",
            "-l",
            "b=2",
            "-l",
            "a=1",
            "-v",
            "/data",
            IMAGE,
            "sh",
            "-c",
            "echo a command longer than twenty",
        ],
    )
    .ok();
    create(&env, "lzc-docker", &on_lzc);

    let rows = ps_json(&env, &["-a"]);
    for (name, engine, other) in [(&on_pg, &bed.pg, &on_lzc), (&on_lzc, &bed.lzc, &on_pg)] {
        let mine = rows_named(&rows, name);
        assert_eq!(mine.len(), 1, "{name}: {rows:?}");
        assert_eq!(mine[0]["engine"], engine.name, "{name}");
        // docker's own object, field for field (the age is read a moment apart).
        let mut ours = mine[0].clone();
        let mut theirs = docker_ps(engine, name);
        let obj = ours.as_object_mut().unwrap();
        obj.remove("engine");
        for v in [&mut ours, &mut theirs] {
            v.as_object_mut().unwrap().remove("RunningFor");
        }
        assert_eq!(ours, theirs, "{name}");
        assert!(
            rows_named(&rows, other)
                .iter()
                .all(|r| r["engine"] != engine.name)
        );
    }
    // Without -a, created containers are not shown.
    assert!(rows_named(&ps_json(&env, &[]), &on_pg).is_empty());

    let out = Out::of(&mut env.dockmux(["ps", "-a"]));
    let text = out.ok();
    let header: Vec<&str> = text
        .lines()
        .next()
        .unwrap()
        .split("   ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    assert_eq!(
        header,
        [
            "ENGINE",
            "CONTAINER ID",
            "IMAGE",
            "COMMAND",
            "CREATED",
            "STATUS",
            "PORTS",
            "NAMES"
        ]
    );
    let row = |name: &str| {
        text.lines()
            .find(|l| l.ends_with(&format!(" {name}")))
            .unwrap_or_else(|| panic!("no row for {name}: {out}"))
            .to_string()
    };
    assert!(row(&on_pg).starts_with("pg "), "{out}");
    assert!(row(&on_pg).contains("\"sh -c 'echo a comma…\""), "{out}");
    assert!(row(&on_lzc).starts_with("lzc "), "{out}");
    // Grouped by engine in name order: every lzc row before every pg row.
    let engines: Vec<&str> = text
        .lines()
        .skip(1)
        .map(|l| l.split(' ').next().unwrap())
        .collect();
    let mut sorted = engines.clone();
    sorted.sort();
    assert_eq!(engines, sorted, "{out}");
    assert!(out.stderr.is_empty(), "{out}");
}

#[test]
fn ps_selects_engines_by_name_glob_and_exclusion() {
    let env = bed_env();
    create(&env, "pg-docker", &unique("sel-pg"));
    create(&env, "lzc-docker", &unique("sel-lzc"));
    let engines_of = |args: &[&str]| {
        let mut e: Vec<String> = ps_json(&env, &[&["-a"], args].concat())
            .iter()
            .map(|r| r["engine"].as_str().unwrap().to_string())
            .collect();
        e.dedup();
        e
    };
    assert_eq!(engines_of(&["pg"]), ["pg"]);
    assert_eq!(engines_of(&["p*"]), ["pg"]);
    assert_eq!(engines_of(&["^pg"]), ["lzc"]);
    assert_eq!(engines_of(&["*", "^l?c"]), ["pg"]);
    // An unknown name is refused before any engine is asked.
    let err = Out::of(&mut env.dockmux(["ps", "pg", "pgg"]))
        .fails(125)
        .to_string();
    assert!(
        err.contains("no engine named 'pgg'") && err.contains("did you mean 'pg'?"),
        "{err}"
    );
    let err = Out::of(&mut env.dockmux(["ps", "^lzcc"]))
        .fails(125)
        .to_string();
    assert!(err.contains("did you mean 'lzc'?"), "{err}");
    let err = Out::of(&mut env.dockmux(["ps", "nas*"]))
        .fails(125)
        .to_string();
    assert!(err.contains("no engine matches 'nas*'"), "{err}");
    let err = Out::of(&mut env.dockmux(["ps", "^*"]))
        .fails(125)
        .to_string();
    assert!(err.contains("no engine left"), "{err}");
}

#[test]
fn ps_with_a_stopped_and_a_hung_engine_answers_within_the_deadline_and_exits_1() {
    let bed = testbed::shared();
    let stopped = testbed::private("psgone");
    stopped.stop();
    let dir = tempfile::tempdir().unwrap();
    let (_hung, hanging) = hanging_engines(dir.path(), 2);
    let env = bed_env();
    env.user_config(&format!(
        "[engines.pg]\nhost = \"{}\"\n[engines.gone]\nhost = \"{}\"\nhint = \"start gone\"\n{hanging}",
        bed.pg.host, stopped.host
    ));
    let on_pg = unique("dl-pg");
    create(&env, "pg-docker", &on_pg);
    for json in [false, true] {
        let start = Instant::now();
        let mut cmd = env.dockmux(["ps", "-a", "--timeout", "1s"]);
        if json {
            cmd.arg("--json");
        }
        let out = Out::of(&mut cmd);
        let took = start.elapsed();
        assert!(took < Duration::from_millis(1800), "took {took:?}");
        assert_eq!(out.code, Some(1), "{out}");
        assert!(out.stdout.contains(&on_pg), "{out}");
        let lines: Vec<&str> = out.stderr.lines().collect();
        assert_eq!(lines.len(), 3, "{out}");
        assert!(
            lines[0].starts_with("gone: ") && lines[0].ends_with("; fix: start gone"),
            "{out}"
        );
        for (line, name) in lines[1..].iter().zip(["hang0", "hang1"]) {
            assert!(
                line.starts_with(&format!("{name}: no answer within 1s; fix: ")),
                "{out}"
            );
        }
        if json {
            let v: Value = serde_json::from_str(&out.stdout).unwrap();
            assert!(v.as_array().unwrap().iter().all(|r| r["engine"] == "pg"));
        }
    }
}

/// `dockmux each PATTERNS… -- ARGS…`.
fn each(env: &Env, patterns: &[&str], args: &[&str]) -> Out {
    Out::of(env.dockmux(["each"]).args(patterns).arg("--").args(args))
}

fn volume(env: &Env, cmd: &str, name: &str) {
    env.run(cmd, ["volume", "create", name]).ok();
}

fn has_volume(engine: &testbed::Engine, name: &str) -> bool {
    Out::of(engine.docker().args(["volume", "inspect", name])).code == Some(0)
}

#[test]
fn each_prefixes_every_line_with_its_engine_and_groups_on_request() {
    let env = bed_env();
    let (on_pg, on_lzc) = (unique("each-pg"), unique("each-lzc"));
    volume(&env, "pg-docker", &on_pg);
    volume(&env, "lzc-docker", &on_lzc);
    for group in [false, true] {
        let args: &[&str] = if group { &["--group"] } else { &[] };
        let out = each(&env, args, &["volume", "ls", "-q"]);
        let text = out.ok();
        assert!(out.stderr.is_empty(), "{out}");
        assert!(
            text.lines()
                .all(|l| l.starts_with("pg  | ") || l.starts_with("lzc | ")),
            "{out}"
        );
        assert!(text.lines().any(|l| l == format!("pg  | {on_pg}")), "{out}");
        assert!(
            text.lines().any(|l| l == format!("lzc | {on_lzc}")),
            "{out}"
        );
        assert!(
            !text.lines().any(|l| l == format!("lzc | {on_pg}")),
            "{out}"
        );
        // Without --group lines come as each engine writes them, in any
        // order; with it, one block per engine, in name order.
        if group {
            let engines: Vec<&str> = text.lines().map(|l| l.split(' ').next().unwrap()).collect();
            let mut sorted = engines.clone();
            sorted.sort();
            assert_eq!(engines, sorted, "{out}");
        }
    }
    // Exclusion and globs pick the engines.
    let out = each(&env, &["^lzc"], &["volume", "ls", "-q"]);
    assert!(out.ok().lines().all(|l| l.starts_with("pg | ")), "{out}");
    let out = each(&env, &["l*"], &["volume", "ls", "-q"]);
    assert!(out.ok().lines().all(|l| l.starts_with("lzc | ")), "{out}");
    let err = each(&env, &["pgx"], &["volume", "ls"])
        .fails(125)
        .to_string();
    assert!(err.contains("did you mean 'pg'?"), "{err}");
}

#[test]
fn each_exits_1_naming_the_engines_that_failed_and_their_codes() {
    let env = bed_env();
    let on_pg = unique("fail-pg");
    volume(&env, "pg-docker", &on_pg);
    let out = each(
        &env,
        &[],
        &["volume", "inspect", "--format", "{{.Name}}", &on_pg],
    );
    assert_eq!(out.code, Some(1), "{out}");
    // (docker writes an empty line for the volume it did not find)
    let stdout: Vec<&str> = out.stdout.lines().collect();
    assert!(stdout.contains(&format!("pg  | {on_pg}").as_str()), "{out}");
    assert!(
        stdout
            .iter()
            .all(|l| l.starts_with("pg  | ") || l.starts_with("lzc | ")),
        "{out}"
    );
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert!(
        lines[..lines.len() - 1]
            .iter()
            .all(|l| l.starts_with("lzc | ")),
        "{out}"
    );
    assert_eq!(
        lines.last(),
        Some(&"dockmux each: failed on lzc (exit 1)"),
        "{out}"
    );
}

#[test]
fn each_refuses_a_terminal_and_runs_nothing() {
    let env = bed_env();
    let bed = testbed::shared();
    for flag in ["-it", "-t", "--interactive", "-i=true"] {
        let name = unique("tty");
        let err = each(
            &env,
            &[],
            &[
                "run",
                "--name",
                &name,
                flag,
                "--network",
                "none",
                IMAGE,
                "true",
            ],
        )
        .fails(125)
        .to_string();
        assert!(
            err.contains("refusing '-") && err.contains("no terminal"),
            "{flag}: {err}"
        );
        for e in [&bed.pg, &bed.lzc] {
            let ps = Out::of(
                e.docker()
                    .args(["ps", "-aq", "--filter", &format!("name={name}")]),
            );
            assert_eq!(ps.ok(), "", "{flag} ran on {}", e.name);
        }
    }
    // -t after the image is the container's: it runs.
    let out = each(
        &env,
        &["pg"],
        &["run", "--rm", "--network", "none", IMAGE, "echo", "-t"],
    );
    assert_eq!(out.ok(), "pg | -t\n", "{out}");
}

#[test]
fn each_on_a_protected_engine_without_a_terminal_runs_nowhere() {
    let bed = testbed::shared();
    let env = bed_env();
    let name = unique("guarded");
    volume(&env, "pg-docker", &name);
    volume(&env, "lzc-docker", &name);
    env.user_config(&format!(
        "[engines.pg]\nhost = \"{}\"\nprotect = true\n\n[engines.lzc]\nhost = \"{}\"\n",
        bed.pg.host, bed.lzc.host
    ));
    let err = each(&env, &[], &["volume", "rm", &name])
        .fails(125)
        .to_string();
    assert!(err.contains("'pg'") && err.contains("nothing ran"), "{err}");
    assert!(
        err.contains(&format!(
            "DOCKMUX_CONFIRM=pg dockmux each -- volume rm {name}"
        )),
        "{err}"
    );
    assert!(has_volume(&bed.pg, &name) && has_volume(&bed.lzc, &name));
    // Another engine's name confirms nothing.
    let mut wrong = env.dockmux(["each", "--", "volume", "rm", &name]);
    wrong.env("DOCKMUX_CONFIRM", "lzc");
    Out::of(&mut wrong).fails(125);
    assert!(has_volume(&bed.pg, &name) && has_volume(&bed.lzc, &name));
    // A reading command runs as ever.
    each(&env, &[], &["volume", "ls", "-q"]).ok();
    // A read-only engine refuses before anything runs anywhere.
    env.user_config(&format!(
        "[engines.pg]\nhost = \"{}\"\n\n[engines.lzc]\nhost = \"{}\"\nreadonly = true\n",
        bed.pg.host, bed.lzc.host
    ));
    let err = each(&env, &[], &["volume", "rm", &name])
        .fails(125)
        .to_string();
    assert!(err.contains("'lzc' is read-only"), "{err}");
    assert!(has_volume(&bed.pg, &name) && has_volume(&bed.lzc, &name));
    // Confirmed: it runs on both.
    env.user_config(&format!(
        "[engines.pg]\nhost = \"{}\"\nprotect = true\n\n[engines.lzc]\nhost = \"{}\"\n",
        bed.pg.host, bed.lzc.host
    ));
    let mut yes = env.dockmux(["each", "--", "volume", "rm", &name]);
    yes.env("DOCKMUX_CONFIRM", "pg");
    Out::of(&mut yes).ok();
    assert!(!has_volume(&bed.pg, &name) && !has_volume(&bed.lzc, &name));
}

#[test]
fn each_gives_every_engine_exactly_the_environment_of_name_docker() {
    let env = bed_env();
    let rec = env.root().join("envs");
    std::fs::create_dir(&rec).unwrap();
    let client = env.root().join("client");
    crate::harness::exe::write_executable(
        &client,
        format!(
            "#!/bin/sh\n/usr/bin/env -0 | /usr/bin/sort -z > {}/\"$DOCKMUX_ENGINE.$1\"\n",
            rec.display()
        ),
    );
    let bed = testbed::shared();
    env.user_config(&format!(
        "docker = \"{}\"\n[engines.pg]\nhost = \"{}\"\n[engines.lzc]\nhost = \"{}\"\n",
        client.display(),
        bed.pg.host,
        bed.lzc.host
    ));
    each(&env, &[], &["each"]).ok();
    for name in ["pg", "lzc"] {
        env.run(&format!("{name}-docker"), ["direct"]).ok();
        let read = |how: &str| std::fs::read(rec.join(format!("{name}.{how}"))).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&read("each")),
            String::from_utf8_lossy(&read("direct")),
            "{name}"
        );
    }
}

#[test]
fn find_names_the_engine_of_each_kind_by_name_and_id_prefix() {
    let bed = testbed::shared();
    let env = bed_env();
    let (c, v, n) = (unique("findc"), unique("findv"), unique("findn"));
    create(&env, "lzc-docker", &c);
    volume(&env, "pg-docker", &v);
    env.run("pg-docker", ["network", "create", "--config-only", &n])
        .ok();
    let id_of =
        |e: &testbed::Engine, what: &[&str]| Out::of(e.docker().args(what)).ok().trim().to_string();
    let cid = id_of(&bed.lzc, &["inspect", "--format", "{{.Id}}", &c]);
    let nid = id_of(&bed.pg, &["network", "inspect", "--format", "{{.Id}}", &n]);
    let rows = |args: &[&str]| {
        let out = Out::of(env.dockmux(["find"]).args(args));
        (
            out.code,
            out.stdout
                .lines()
                .skip(1)
                .map(|l| l.split_whitespace().map(String::from).collect::<Vec<_>>())
                .collect::<Vec<_>>(),
            out,
        )
    };
    let (code, found, out) = rows(&[&c]);
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(
        found,
        [vec![
            "lzc".to_string(),
            "container".into(),
            c.clone(),
            cid[..12].to_string()
        ]],
        "{out}"
    );
    let (_, found, out) = rows(&[&cid[..8]]);
    assert!(
        found
            .iter()
            .any(|r| r[..3] == ["lzc", "container", c.as_str()]),
        "{out}"
    );
    let (_, found, out) = rows(&[&v]);
    assert_eq!(
        found,
        [vec![
            "pg".to_string(),
            "volume".into(),
            v.clone(),
            "-".into()
        ]],
        "{out}"
    );
    let (_, found, out) = rows(&[&n]);
    assert_eq!(
        found,
        [vec![
            "pg".to_string(),
            "network".into(),
            n.clone(),
            nid[..12].to_string()
        ]],
        "{out}"
    );
    // The test image is on both engines.
    let (_, found, out) = rows(&[IMAGE]);
    let engines: Vec<&str> = found
        .iter()
        .filter(|r| r[1] == "image")
        .map(|r| r[0].as_str())
        .collect();
    assert_eq!(engines, ["lzc", "pg"], "{out}");
    let (_, found, _) = rows(&[IMAGE, "^lzc"]);
    assert_eq!(found.len(), 1);
    // JSON: the full ID.
    let out = Out::of(&mut env.dockmux(["find", "--json", &c]));
    let v: Value = serde_json::from_str(out.ok()).unwrap();
    assert_eq!(
        v,
        serde_json::json!([{"engine": "lzc", "kind": "container", "name": c, "id": cid}])
    );
    // Nothing: exit 1 and a line that says so.
    let out = Out::of(&mut env.dockmux(["find", &unique("nothing")]));
    assert!(
        out.fails(1)
            .contains("no container, image, volume or network"),
        "{out}"
    );
}

/// No exact match: find names the nearest name it saw, and where it is.
#[test]
fn find_without_a_match_suggests_the_nearest_name() {
    let env = bed_env();
    let web = unique("webnear");
    let c = format!("{web}-1");
    create(&env, "lzc-docker", &c);
    let out = Out::of(&mut env.dockmux(["find", &web]));
    assert!(
        out.fails(1)
            .contains(&format!("did you mean '{c}' (a container on lzc)?")),
        "{out}"
    );
    // Nothing near: no suggestion.
    let out = Out::of(&mut env.dockmux(["find", "zzzzzzzzqqqq"]));
    assert!(!out.fails(1).contains("did you mean"), "{out}");
    env.run("lzc-docker", ["rm", &c]).ok();
}

#[test]
fn find_with_a_hung_engine_answers_within_the_deadline() {
    let bed = testbed::shared();
    let dir = tempfile::tempdir().unwrap();
    let (_hung, hanging) = hanging_engines(dir.path(), 2);
    let env = bed_env();
    env.user_config(&format!(
        "[engines.pg]\nhost = \"{}\"\n{hanging}",
        bed.pg.host
    ));
    let start = Instant::now();
    let out = Out::of(&mut env.dockmux(["find", "--timeout", "1s", IMAGE]));
    assert!(
        start.elapsed() < Duration::from_millis(1800),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(out.code, Some(1), "{out}");
    assert!(
        out.stdout
            .lines()
            .any(|l| l.starts_with("pg ") && l.contains(" image ")),
        "{out}"
    );
    assert!(
        out.stderr.contains("hang0: no answer within 1s")
            && out.stderr.contains("hang1: no answer within 1s"),
        "{out}"
    );
}

/// An engine whose table holds a mistake is in `list --json` with its
/// error, and `ps`, `find` and `each` say they skipped it and why (exit 1,
/// as list's), while the other engines answer.
#[test]
fn a_broken_engine_is_listed_with_its_error_and_skipped_out_loud() {
    let bed = testbed::shared();
    let env = bed_env();
    let config = env.user_config(&format!(
        "[engines.pg]\nhost = \"{}\"\n\n[engines.nas]\nhots = \"unix:///nas.sock\"\n",
        bed.pg.host
    ));
    let name = unique("broken-bed");
    create(&env, "pg-docker", &name);
    let said = format!(
        "dockmux: skipped engine 'nas': {}:5:1: unknown key 'hots' in engine 'nas'; did you mean 'host'?",
        config.display()
    );

    let out = Out::of(&mut env.dockmux(["list", "--json"]));
    assert!(out.fails(1).starts_with(&said), "{out}");
    let listed: Value = serde_json::from_str(&out.stdout).unwrap();
    let nas = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "nas")
        .unwrap_or_else(|| panic!("{out}"));
    assert_eq!(nas["status"]["state"], "config_error", "{out}");
    assert_eq!(nas["source"], config.display().to_string(), "{out}");
    assert_eq!(
        nas["status"]["fix"],
        format!("edit {}:5:1", config.display()),
        "{out}"
    );

    let out = Out::of(&mut env.dockmux(["ps", "-a"]));
    assert!(out.fails(1).starts_with(&said), "{out}");
    assert!(out.stdout.contains(&name), "{out}");
    let out = Out::of(&mut env.dockmux(["find", &name]));
    assert!(out.fails(1).starts_with(&said), "{out}");
    assert!(out.stdout.contains(&name), "{out}");
    let out = each(&env, &[], &["ps", "-a", "--format", "{{.Names}}"]);
    assert!(out.fails(1).starts_with(&said), "{out}");
    assert!(out.stdout.contains(&format!("pg | {name}")), "{out}");
    // Left out by the words, it is not mentioned.
    Out::of(&mut env.dockmux(["ps", "-a", "^nas"])).ok();
    Out::of(&mut env.dockmux(["ps", "-a", "pg"])).ok();
    env.run("pg-docker", ["rm", &name]).ok();
}

/// `each --merge`: output that several engines share is printed once,
/// under the list of their names, as `dshbak -c` prints pdsh's.
#[test]
fn each_merge_prints_shared_output_once_under_the_engines_names() {
    let bed = testbed::shared();
    let env = bed_env();
    let token = unique("merge");
    let (both, only_pg) = (format!("{token}-both"), format!("{token}-pg"));
    volume(&env, "pg-docker", &both);
    volume(&env, "lzc-docker", &both);
    let filter = format!("name={token}");
    let ls = ["volume", "ls", "-q", "--filter", &filter];
    let out = each(&env, &["--merge"], &ls);
    assert_eq!(
        out.ok(),
        format!("----------------\nlzc,pg\n----------------\n{both}\n"),
        "{out}"
    );
    volume(&env, "pg-docker", &only_pg);
    let out = each(&env, &["--merge"], &ls);
    let mut on_pg = [both.as_str(), only_pg.as_str()];
    on_pg.sort();
    assert_eq!(
        out.ok(),
        format!(
            "----------------\nlzc\n----------------\n{both}\n\
             ----------------\npg\n----------------\n{}\n{}\n",
            on_pg[0], on_pg[1]
        ),
        "{out}"
    );
    // stderr too: the same error from both engines, once.
    let out = each(
        &env,
        &["--merge"],
        &["volume", "inspect", &only_pg, "--format", "x"],
    );
    assert!(
        out.stderr
            .contains("----------------\nlzc\n----------------\n"),
        "{out}"
    );
    assert!(!out.stderr.contains("----------------\nlzc,pg\n"), "{out}");
    for e in [&bed.pg, &bed.lzc] {
        let _ = e.docker().args(["volume", "rm", &both, &only_pg]).output();
    }
}

/// Engines at `dir/e0.sock`… that answer `[]` only once `n` connections are
/// open at the same time (or after 10 s): what an engine behind a slow link
/// looks like to a fan-out that waits for one before asking the next.
fn engines_that_answer_together(dir: &std::path::Path, n: usize) -> String {
    use std::io::{Read, Write};
    use std::sync::{Arc, Condvar, Mutex};
    let open = Arc::new((Mutex::new(0usize), Condvar::new()));
    let mut toml = String::new();
    for i in 0..n {
        let sock = dir.join(format!("e{i}.sock"));
        let listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
        toml.push_str(&format!(
            "[engines.e{i}]\nhost = \"unix://{}\"\n",
            sock.display()
        ));
        let open = Arc::clone(&open);
        std::thread::spawn(move || {
            for mut conn in listener.incoming().flatten() {
                let open = Arc::clone(&open);
                std::thread::spawn(move || {
                    let (count, all_in) = &*open;
                    let mut c = count.lock().unwrap();
                    *c += 1;
                    all_in.notify_all();
                    let until = Instant::now() + Duration::from_secs(10);
                    while *c < n && Instant::now() < until {
                        c = all_in.wait_timeout(c, Duration::from_millis(50)).unwrap().0;
                    }
                    drop(c);
                    let mut request = Vec::new();
                    let mut byte = [0u8; 1];
                    while !request.ends_with(b"\r\n\r\n") && conn.read(&mut byte).unwrap_or(0) == 1
                    {
                        request.push(byte[0]);
                    }
                    let _ = conn.write_all(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n[]",
                    );
                });
            }
        });
    }
    toml
}

/// Engines asked on their sockets are asked all at once: 40 engines that
/// each answer only when all 40 are asked (a fan-out of 16 at a time waits
/// for the deadline and fails every engine).
#[test]
fn ps_asks_socket_engines_all_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let env = Env::new();
    env.user_config(&engines_that_answer_together(dir.path(), 40));
    let out = Out::of(&mut env.dockmux(["ps", "--timeout", "8s"]));
    assert_eq!(out.code, Some(0), "{out}");
    assert_eq!(out.stdout.lines().count(), 1, "the header only: {out}");
}

/// docker clients (tcp engines here) are still run at most 16 at a time,
/// whatever the number of engines: each is a process of tens of MB.
#[test]
fn ps_runs_at_most_sixteen_docker_clients_at_once() {
    let env = Env::new();
    let dir = env.root().join("running");
    std::fs::create_dir(&dir).unwrap();
    let client = env.root().join("slow-docker");
    // Each run notes how many runs are in flight, stays 300 ms, and answers
    // no containers.
    crate::harness::exe::write_executable(
        &client,
        format!(
            "#!/bin/sh\n/usr/bin/touch {d}/$$\n/usr/bin/ls {d} | /usr/bin/wc -l >> {d}.log\n\
             /usr/bin/sleep 0.3\n/usr/bin/rm -f {d}/$$\n",
            d = dir.display()
        ),
    );
    let mut toml = format!("docker = \"{}\"\n", client.display());
    for i in 0..40 {
        toml.push_str(&format!(
            "[engines.t{i}]\nhost = \"tcp://127.0.0.1:{}\"\n",
            1 + i
        ));
    }
    env.user_config(&toml);
    let out = Out::of(&mut env.dockmux(["ps", "--timeout", "20s"]));
    assert_eq!(out.code, Some(0), "{out}");
    let log = std::fs::read_to_string(format!("{}.log", dir.display())).unwrap();
    let counts: Vec<usize> = log.lines().map(|l| l.trim().parse().unwrap()).collect();
    assert_eq!(counts.len(), 40, "one run per engine: {log}");
    let most = counts.iter().max().unwrap();
    assert!(*most <= 16, "{most} clients at once: {log}");
    assert!(*most >= 4, "they do run in parallel: {log}");
}
