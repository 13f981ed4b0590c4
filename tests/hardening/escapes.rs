//! What engines and docker say reaches the terminal escaped (issue 9, item
//! 8): an engine answering with terminal commands (retitle, clear screen,
//! 8-bit CSI, a carriage return that overwrites a row, bidi overrides) shows
//! them as text in `list` and `doctor`, tables, notes and `--json` alike.

use std::io::{Read, Write};
use std::os::unix::net::UnixListener;
use std::path::Path;

use serde_json::Value;

use crate::harness::{Env, Out};

/// A fake engine at `sock`: `answer(path)` is the whole HTTP response to `GET path`.
fn fake_engine(sock: &Path, answer: fn(&str) -> String) -> UnixListener {
    let listener = UnixListener::bind(sock).unwrap();
    let accepting = listener.try_clone().unwrap();
    std::thread::spawn(move || {
        for mut conn in accepting.incoming().flatten() {
            let mut request = Vec::new();
            let mut byte = [0u8; 1];
            while !request.ends_with(b"\r\n\r\n") && conn.read(&mut byte).unwrap_or(0) == 1 {
                request.push(byte[0]);
            }
            let request = String::from_utf8_lossy(&request).into_owned();
            let path = request.split(' ').nth(1).unwrap_or("").to_string();
            let _ = conn.write_all(answer(&path).as_bytes());
        }
    });
    listener
}

/// Terminal commands an engine put in its answers.
const OSC_TITLE: &str = "\x1b]0;OWNED\x07";

fn retitling_engine(_: &str) -> String {
    format!(
        "HTTP/1.1 200 OK\r\nServer: Docker/{OSC_TITLE}\r\nApi-Version: 1.41\x1b[2J\r\nContent-Length: 2\r\n\r\nOK"
    )
}

fn screen_clearing_engine(path: &str) -> String {
    let body = if path == "/version" {
        // JSON escapes, decoded to CR, ESC, C1 CSI and RIGHT-TO-LEFT OVERRIDE.
        r#"{"Version":"\r\u001b[2Jpg   pg-docker   up 99","ApiVersion":"1.41\u009b31m\u202e"}"#
    } else {
        "OK"
    };
    format!(
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

fn failing_engine(_: &str) -> String {
    format!("HTTP/1.1 500 {OSC_TITLE}\r\nContent-Length: 0\r\n\r\n")
}

/// Characters a terminal acts on, by the standards' own ranges (not
/// dockmux's list): C0 but newline, DEL, C1, bidi overrides and isolates.
fn terminal_commands(text: &str) -> Vec<char> {
    text.chars()
        .filter(|&c| {
            (c < ' ' && c != '\n')
                || ('\x7f'..='\u{9f}').contains(&c)
                || ('\u{202a}'..='\u{202e}').contains(&c)
                || ('\u{2066}'..='\u{2069}').contains(&c)
        })
        .collect()
}

#[track_caller]
fn assert_inert(what: &str, out: &Out) {
    let raw = String::from_utf8_lossy(&out.raw.stdout);
    let err = String::from_utf8_lossy(&out.raw.stderr);
    let found: Vec<char> = terminal_commands(&raw)
        .into_iter()
        .chain(terminal_commands(&err))
        .collect();
    assert!(found.is_empty(), "{what} printed {found:?} raw:\n{out}");
}

#[test]
fn engine_and_docker_answers_reach_the_terminal_escaped() {
    let env = Env::new();
    let dir = env.root();
    let _engines = [
        fake_engine(&dir.join("title.sock"), retitling_engine),
        fake_engine(&dir.join("clear.sock"), screen_clearing_engine),
        fake_engine(&dir.join("fail.sock"), failing_engine),
    ];
    // A client whose version line and error text carry terminal commands too.
    let client = env.bin.join("docker");
    crate::harness::exe::write_executable(
        &client,
        "#!/bin/sh\n\
         if [ \"$1\" = --version ]; then printf 'Docker version 28.2.2\\033]0;OWNED\\007, build x\\n'; exit 0; fi\n\
         printf 'Cannot connect\\033[2J\\r\\nforged   up 28.2.2\\n' >&2\nexit 1\n",
    );
    env.user_config(&format!(
        "[engines.title]\nhost = \"unix://{0}/title.sock\"\n\n\
         [engines.clear]\nhost = \"unix://{0}/clear.sock\"\n\n\
         [engines.fail]\nhost = \"unix://{0}/fail.sock\"\n\n\
         [engines.cli]\nhost = \"tcp://127.0.0.1:9\"\n",
        dir.display()
    ));

    let list = Out::of(&mut env.dockmux(["list", "--timeout", "5s"]));
    assert_inert("list", &list);
    let table = list.ok();
    for shown in [
        r"up \x1b]0;OWNED\x07 (API 1.41\x1b[2J)",
        r"up \r\x1b[2Jpg   pg-docker   up 99 (API 1.41\u{9b}31m\u{202e})",
        r"fail.sock: answered 'HTTP/1.1 500 \x1b]0;OWNED\x07'",
        // docker's lines, joined into one.
        r"cli: Cannot connect\x1b[2J forged   up 28.2.2",
    ] {
        assert!(table.contains(shown), "{shown} not in:\n{list}");
    }
    // Each engine is one row and at most one note: nothing forged a line.
    assert_eq!(
        table.lines().filter(|l| l.contains("up 28.2.2")).count(),
        1,
        "{list}"
    );

    let json = Out::of(&mut env.dockmux(["list", "--json", "--timeout", "5s"]));
    assert_inert("list --json", &json);
    let v: Value = serde_json::from_str(json.ok()).unwrap();
    let status = |name: &str| {
        v.as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == name)
            .unwrap()["status"]
            .clone()
    };
    assert_eq!(status("title")["server_version"], r"\x1b]0;OWNED\x07");
    assert_eq!(status("clear")["api_version"], r"1.41\u{9b}31m\u{202e}");

    let client_seen = r"(docker 28.2.2\x1b]0;OWNED\x07)";
    let doctor = Out::of(&mut env.dockmux(["doctor", "--timeout", "5s"]));
    assert_eq!(doctor.code, Some(1), "{doctor}");
    assert_inert("doctor", &doctor);
    assert!(doctor.stdout.contains(client_seen), "{doctor}");
    assert!(
        doctor.stdout.contains(r"title: up \x1b]0;OWNED\x07"),
        "{doctor}"
    );

    let doctor = Out::of(&mut env.dockmux(["doctor", "--json", "--timeout", "5s"]));
    assert_inert("doctor --json", &doctor);
    let v: Value = serde_json::from_str(&doctor.stdout).unwrap();
    let messages: Vec<&str> = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["message"].as_str().unwrap())
        .collect();
    assert!(messages.iter().any(|m| m.contains(client_seen)), "{doctor}");
}

#[test]
fn dockers_error_text_from_contexts_export_is_escaped() {
    let env = Env::new();
    // A client whose `context create` fails with terminal commands in its error.
    let client = env.bin.join("docker");
    crate::harness::exe::write_executable(
        &client,
        "#!/bin/sh\nprintf 'context failed\\033]0;OWNED\\007\\r\\nforged line\\n' >&2\nexit 1\n",
    );
    env.user_config("[engines.pg]\nhost = \"unix:///nonexistent/pg.sock\"\n");
    let out = Out::of(&mut env.dockmux(["contexts", "export"]));
    assert_eq!(out.code, Some(1), "{out}");
    assert_inert("contexts export", &out);
    assert!(
        out.stderr
            .contains(r"'pg': context failed\x1b]0;OWNED\x07 forged line"),
        "{out}"
    );
}
