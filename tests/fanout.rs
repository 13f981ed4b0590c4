//! One command, every engine: `dockmux ps`, `dockmux each`, `dockmux find`
//! on the real test bed (two engines up, one stopped, sockets that never
//! answer), checked against what the real docker client says.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::engines::{bed_env, unique};
use crate::harness::testbed::{self, IMAGE};
use crate::harness::{Env, Out};
use crate::status::hanging_engines;

fn create(env: &Env, cmd: &str, name: &str) {
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
