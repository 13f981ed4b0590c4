//! `dockmux contexts export|import`, with the real docker client: exported
//! contexts reach the same engines as the links, and import round-trips.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::engines::{bed_env, unique};
use crate::harness::testbed::{self, IMAGE};
use crate::harness::{Env, Out};

fn tls_fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tls")
}

/// An Env with the real docker client as `docker` on its PATH.
fn env_with_docker() -> Env {
    let env = Env::new();
    std::os::unix::fs::symlink(testbed::real_docker(), env.bin.join("docker")).unwrap();
    env
}

fn names(out: &Out) -> Vec<String> {
    let mut v: Vec<String> = out.ok().lines().map(str::to_string).collect();
    v.sort();
    v
}

#[test]
fn exported_contexts_reach_the_same_engine_as_the_links() {
    let env = bed_env();
    let label = format!("dockmux-test={}", unique("ctx"));
    let mut mine = Vec::new();
    for cmd in ["pg-docker", "lzc-docker"] {
        let name = unique(&format!("ctx-{cmd}"));
        let create = [
            "create",
            "--name",
            &name,
            "--label",
            &label,
            "--network",
            "none",
            IMAGE,
            "true",
        ];
        env.run(cmd, create).ok();
        mine.push(name);
    }
    // An inherited DOCKER_HOST must not get in the way of the context commands.
    let out = Out::of(
        env.dockmux(["contexts", "export"])
            .env("DOCKER_HOST", "unix:///nonexistent.sock"),
    );
    let report = out.ok();
    assert!(report.contains("created  context 'pg'"), "{out}");
    assert!(report.contains("created  context 'lzc'"), "{out}");

    let filter = format!("label={label}");
    let ps = ["ps", "-a", "--filter", &filter, "--format", "{{.Names}}"];
    for (engine, cmd, own, other) in [
        ("pg", "pg-docker", &mine[0], &mine[1]),
        ("lzc", "lzc-docker", &mine[1], &mine[0]),
    ] {
        let via_link = names(&env.run(cmd, ps));
        let via_context = names(&env.run("docker", [&["--context", engine][..], &ps[..]].concat()));
        assert_eq!(via_context, via_link, "docker --context {engine} vs {cmd}");
        assert_eq!(
            via_context,
            std::slice::from_ref(own),
            "{engine} should hold {own} only, not {other}"
        );
    }

    // A second export updates the same contexts.
    let out = Out::of(&mut env.dockmux(["contexts", "export", "pg"]));
    assert!(out.ok().contains("updated  context 'pg'"), "{out}");
    // --json: the same outcome as data.
    let out = Out::of(&mut env.dockmux(["contexts", "export", "lzc", "--json"]));
    let v: serde_json::Value = serde_json::from_str(out.ok()).unwrap();
    let o = &v["outcomes"][0];
    assert_eq!(
        (&o["done"], &o["kind"], &o["subject"]),
        (&"updated".into(), &"context".into(), &"lzc".into()),
        "{out}"
    );
}

const ENGINES: &str = r#"
[engines.box]
host = "ssh://me@box:2222/run/docker.sock"
description = "the box"

[engines.local]
host = "unix:///run/local/docker.sock"

[engines.lab]
host = "tcp://10.0.0.6:2376"
tls = { verify = false }
"#;

fn list(env: &Env, config: &Path) -> Vec<Value> {
    let out = Out::of(
        env.dockmux(["list", "--json"])
            .env("DOCKMUX_CONFIG", config),
    );
    serde_json::from_str::<Value>(out.ok())
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn import_round_trips_exported_engines() {
    let env = env_with_docker();
    let tls = tls_fixture();
    let a = env.user_config(&format!(
        "{ENGINES}\n[engines.remote]\nhost = \"tcp://10.0.0.5:2376\"\ntls = {{ verify = true, cert_path = \"{}\" }}\n",
        tls.display()
    ));
    Out::of(&mut env.dockmux(["contexts", "export"])).ok();

    let b = env.root().join("b.toml");
    std::fs::write(&b, "# imported\n").unwrap();
    let out = Out::of(
        env.dockmux(["contexts", "import"])
            .env("DOCKMUX_CONFIG", &b),
    );
    assert!(out.ok().contains("wrote    4 engine(s)"), "{out}");

    let (before, after) = (list(&env, &a), list(&env, &b));
    let key = |e: &Value| {
        (
            e["name"].clone(),
            e["host"].clone(),
            e["description"].clone(),
            e["tls"]["verify"].clone(),
        )
    };
    assert_eq!(
        after.iter().map(key).collect::<Vec<_>>(),
        before.iter().map(key).collect::<Vec<_>>()
    );
    // TLS files now come from docker's context store, with the same bytes.
    let remote = after.iter().find(|e| e["name"] == "remote").unwrap();
    let dir = PathBuf::from(remote["tls"]["cert_path"].as_str().unwrap());
    assert!(
        dir.starts_with(env.home.join(".docker/contexts/tls")),
        "{dir:?}"
    );
    for f in ["ca.pem", "cert.pem", "key.pem"] {
        assert_eq!(
            std::fs::read(dir.join(f)).unwrap(),
            std::fs::read(tls.join(f)).unwrap(),
            "{f}"
        );
    }
    let lab = after.iter().find(|e| e["name"] == "lab").unwrap();
    assert_eq!(lab["tls"]["cert_path"], Value::Null);

    // Importing into the original config finds everything there already.
    let text = std::fs::read(&a).unwrap();
    let out = Out::of(&mut env.dockmux(["contexts", "import"]));
    assert_eq!(out.ok().matches("skipped  context").count(), 4, "{out}");
    assert_eq!(std::fs::read(&a).unwrap(), text);
}

#[test]
fn unknown_names_are_refused_before_anything_is_written() {
    let env = env_with_docker();
    let cfg = env.user_config(ENGINES);
    let out = Out::of(&mut env.dockmux(["contexts", "export", "box", "nope"]));
    assert!(out.fails(125).contains("no engine named 'nope'"), "{out}");
    assert!(
        !env.home.join(".docker/contexts").exists(),
        "a context was created"
    );

    Out::of(&mut env.dockmux(["contexts", "export", "box"])).ok();
    let text = std::fs::read(&cfg).unwrap();
    let out = Out::of(&mut env.dockmux(["contexts", "import", "boxx"]));
    let err = out.fails(125);
    assert!(
        err.contains("no docker context named 'boxx'") && err.contains("did you mean 'box'"),
        "{out}"
    );
    assert_eq!(std::fs::read(&cfg).unwrap(), text);
}

/// An Env with `docker` on its PATH being `client`.
fn env_with_client(client: &Path) -> Env {
    let env = Env::new();
    std::os::unix::fs::symlink(client, env.bin.join("docker")).unwrap();
    env
}

/// `docker context ls` names, through the Env's client.
fn context_names(env: &Env) -> Vec<String> {
    names(&env.run("docker", ["context", "ls", "--format", "{{.Name}}"]))
}

fn current_context(env: &Env) -> String {
    // `context show` is newer than the 20.10 client; inspect with no name is the current one.
    env.run("docker", ["context", "inspect", "--format", "{{.Name}}"])
        .ok()
        .trim()
        .to_string()
}

/// The endpoint a context points at, as docker reports it.
fn context_host(env: &Env, name: &str) -> String {
    env.run(
        "docker",
        [
            "context",
            "inspect",
            name,
            "--format",
            "{{.Endpoints.docker.Host}}",
        ],
    )
    .ok()
    .trim()
    .to_string()
}

#[test]
fn export_leaves_contexts_it_did_not_write_and_remove_takes_its_own_away() {
    for client in testbed::all_dockers() {
        let env = env_with_client(&client);
        let who = client.display();
        env.user_config(
            "[engines.pg]\nhost = \"unix:///run/pg/docker.sock\"\n\
             [engines.lzc]\nhost = \"unix:///run/lzc/docker.sock\"\n",
        );
        // The user's own context `pg`, for production, is the current one.
        env.run(
            "docker",
            [
                "context",
                "create",
                "pg",
                "--description",
                "production",
                "--docker",
                "host=tcp://10.9.9.9:2376",
            ],
        )
        .ok();
        env.run("docker", ["context", "use", "pg"]).ok();

        let out = Out::of(&mut env.dockmux(["contexts", "export"]));
        let report = out.ok();
        assert!(
            report.contains("skipped  context 'pg': dockmux did not write it"),
            "{who}: {out}"
        );
        assert!(report.contains("created  context 'lzc'"), "{who}: {out}");
        assert!(out.stderr.contains("--force pg"), "{who}: {out}");
        assert_eq!(context_host(&env, "pg"), "tcp://10.9.9.9:2376", "{who}");
        assert_eq!(current_context(&env), "pg", "{who}");

        // A second export updates what dockmux wrote, and still skips the rest.
        let out = Out::of(&mut env.dockmux(["contexts", "export"]));
        assert!(out.ok().contains("updated  context 'lzc'"), "{who}: {out}");
        assert!(out.stdout.contains("skipped  context 'pg'"), "{who}: {out}");

        // --force replaces it, says it is the current one, and leaves it current.
        let out = Out::of(&mut env.dockmux(["contexts", "export", "--force", "pg"]));
        assert!(out.ok().contains("updated  context 'pg'"), "{who}: {out}");
        assert!(out.stdout.contains("is the current one"), "{who}: {out}");
        assert_eq!(context_host(&env, "pg"), "unix:///run/pg/docker.sock");
        assert_eq!(current_context(&env), "pg", "{who}");

        // `remove` takes away the context exported for that engine…
        let out = Out::of(&mut env.dockmux(["remove", "lzc"]));
        assert!(
            out.ok().contains("removed  docker context 'lzc'"),
            "{who}: {out}"
        );
        assert!(!context_names(&env).contains(&"lzc".to_string()), "{who}");
        // …but not the current context.
        let out = Out::of(&mut env.dockmux(["remove", "pg"]));
        assert!(
            out.ok().contains("kept     docker context 'pg'"),
            "{who}: {out}"
        );
        assert_eq!(current_context(&env), "pg", "{who}");
        // Nothing dockmux did not write goes with an engine of the same name.
        env.run(
            "docker",
            [
                "context",
                "create",
                "mine",
                "--docker",
                "host=unix:///m.sock",
            ],
        )
        .ok();
        Out::of(&mut env.dockmux(["add", "mine", "unix:///run/mine.sock"])).ok();
        let out = Out::of(&mut env.dockmux(["remove", "mine"]));
        assert!(!out.ok().contains("context"), "{who}: {out}");
        assert!(context_names(&env).contains(&"mine".to_string()), "{who}");
    }
}

#[test]
fn every_engine_exports_even_names_docker_refuses_and_import_maps_them_back() {
    let bed = testbed::shared();
    for client in testbed::all_dockers() {
        let env = env_with_client(&client);
        let who = client.display();
        let a = env.user_config(&format!(
            "[engines.a]\nhost = \"{}\"\n[engines.default]\nhost = \"{}\"\n\
             [engines.7]\nhost = \"unix:///run/seven.sock\"\ndescription = \"seven\"\n",
            bed.pg.host, bed.lzc.host
        ));
        let out = Out::of(&mut env.dockmux(["contexts", "export"]));
        let report = out.ok();
        for (engine, context) in [
            ("a", "a+dockmux"),
            ("default", "default+dockmux"),
            ("7", "7+dockmux"),
        ] {
            assert!(
                report.contains(&format!(
                    "created  context '{context}' for engine '{engine}'"
                )),
                "{who}: {out}"
            );
        }
        // The contexts reach the engines.
        for (context, engine) in [("a+dockmux", &bed.pg), ("default+dockmux", &bed.lzc)] {
            let out = env.run(
                "docker",
                [
                    "--context",
                    context,
                    "info",
                    "--format",
                    "{{.DockerRootDir}}",
                ],
            );
            assert!(
                out.ok().trim().starts_with(engine.root.to_str().unwrap()),
                "{who}: {context}: {out}"
            );
        }

        // Import gives the engines their names back.
        let b = env.root().join("b.toml");
        std::fs::write(&b, "").unwrap();
        let out = Out::of(
            env.dockmux(["contexts", "import"])
                .env("DOCKMUX_CONFIG", &b),
        );
        assert!(out.ok().contains("wrote    3 engine(s)"), "{who}: {out}");
        let key = |e: &Value| {
            (
                e["name"].clone(),
                e["host"].clone(),
                e["description"].clone(),
            )
        };
        let (before, after) = (list(&env, &a), list(&env, &b));
        let mut before: Vec<_> = before.iter().map(key).collect();
        let mut after: Vec<_> = after.iter().map(key).collect();
        before.sort_by_key(|k| k.0.to_string());
        after.sort_by_key(|k| k.0.to_string());
        assert_eq!(after, before, "{who}");
    }
}
