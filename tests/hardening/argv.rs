//! Argument fidelity: random argument vectors of arbitrary bytes through
//! `pg-docker` to the fast recording fake. Whatever docker would run reaches
//! it byte for byte; the host/context refusal fires exactly when the model of
//! the clients' flag parsing (pflag.rs) says one of them would take a word as
//! `-H`/`--host` or `-c`/`--context` and use another engine.

use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::process::Stdio;
use std::time::Instant;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

use super::env_with_fast_fake;
use super::pflag::{self, Outcome};

/// Words docker's flag parsing treats specially, in many spellings.
const FLAG_WORDS: &[&str] = &[
    "-H",
    "--host",
    "-c",
    "--context",
    "--config",
    "-l",
    "--log-level",
    "-D",
    "--debug",
    "--tls",
    "--tlsverify",
    "--tlscacert",
    "--tlscert",
    "--tlskey",
    "-v",
    "--version",
    "-h",
    "--help",
    "--",
    "-",
    "",
    "-DH",
    "-Dc",
    "-lH",
    "-Hx",
    "-H=x",
    "-H=",
    "--host=",
    "--host=x",
    "--context=x",
    "-c=",
    "-cx",
    "-test.H",
    "-Dtest.c",
    "-D=true",
    "-D=H",
    "---host",
    "--hostx",
    "--Host",
    "-x",
    "-cH",
    "-vH",
    "-hc",
    "--tlsverify=false",
    "--tls=maybe",
    "-l=H",
    "-=",
    "--=",
    "ps",
    "run",
    "__complete",
    "version",
    "-lD",
    "--debug=0",
    "--help=false",
    "-h=0",
    "default",
    "foo",
    "compose",
    "remove",
    "__completeNoDesc",
];

fn word() -> impl Strategy<Value = Vec<u8>> {
    let no_nul = |b: u8| if b == 0 { 1 } else { b };
    prop_oneof![
        6 => prop::sample::select(FLAG_WORDS).prop_map(|w| w.as_bytes().to_vec()),
        // A dash and a few shorthand-ish bytes: bundles docker may or may not know.
        3 => prop::collection::vec(prop::sample::select(b"HcDlvhx=.tes-".to_vec()), 1..5)
            .prop_map(|v| [b"-".as_slice(), &v].concat()),
        3 => prop::collection::vec(any::<u8>().prop_map(no_nul), 0..12),
        1 => "[ -~\n\t]{0,20}".prop_map(String::into_bytes),
        // Very long: up to 100 KiB.
        1 => (1usize..100_000, any::<u8>()).prop_map(move |(n, b)| vec![no_nul(b); n]),
    ]
}

fn argv() -> impl Strategy<Value = Vec<Vec<u8>>> {
    prop::collection::vec(word(), 0..8)
}

#[derive(Default, Debug)]
struct Tally {
    passed: usize,
    refused: usize,
}

#[test]
fn random_arguments_reach_docker_byte_for_byte_and_engine_flags_are_refused_exactly() {
    let env = env_with_fast_fake();
    let cases = 10_000;
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let tally = std::cell::RefCell::new(Tally::default());
    let start = Instant::now();
    let result = runner.run(&argv(), |words| {
        let args: Vec<OsString> = words.iter().cloned().map(OsString::from_vec).collect();
        let out = env
            .cmd("pg-docker")
            .args(&args)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| TestCaseError::fail(format!("spawn: {e}")))?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        let reached: Option<Vec<Vec<u8>>> = (out.status.code() == Some(0)).then(|| {
            let mut v: Vec<Vec<u8>> = out.stdout.split(|&b| b == 0).map(<[u8]>::to_vec).collect();
            v.pop();
            v
        });
        // A refused completion request answers "nothing, no files" (`:4`).
        let refused_word = (out.status.code() == Some(125)
            && matches!(&out.stdout[..], b"" | b":4\n"))
        .then(|| {
            stderr
                .strip_prefix("pg-docker: refusing '")
                .map(str::to_string)
        })
        .flatten();
        let mut t = tally.borrow_mut();
        match pflag::parse(&words) {
            Outcome::Passes => {
                prop_assert_eq!(reached.as_ref(), Some(&words), "stderr: {}", stderr);
                t.passed += 1;
            }
            Outcome::Engine(w) => {
                let want = format!("{}': ", String::from_utf8_lossy(&w));
                prop_assert!(
                    refused_word
                        .as_deref()
                        .is_some_and(|r| r.starts_with(&want)),
                    "expected refusal of {:?}; exit {:?}, stderr: {}",
                    String::from_utf8_lossy(&w),
                    out.status.code(),
                    stderr
                );
                t.refused += 1;
            }
        }
        Ok(())
    });
    let t = tally.into_inner();
    eprintln!(
        "argument fidelity: {cases} random argument vectors in {:.1?}: {} passed byte for byte, \
         {} refused as a client would read an engine flag; failures: {}",
        start.elapsed(),
        t.passed,
        t.refused,
        usize::from(result.is_err()),
    );
    if let Err(e) = result {
        panic!("{e}");
    }
    // Each kind of case must have come up often, or the property says little.
    assert!(t.passed > 1000 && t.refused > 1000, "{t:?}");
}

#[test]
fn argument_bytes_survive_every_byte_value() {
    // Every byte but NUL (which no argument can hold), alone and in a run.
    let env = env_with_fast_fake();
    let all: Vec<u8> = (1..=255).collect();
    let mut args: Vec<OsString> = vec![OsString::from("run")];
    args.extend((1..=255u8).map(|b| OsString::from_vec(vec![b])));
    args.push(OsString::from_vec(all));
    let out = env.cmd("pg-docker").args(&args).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let got: Vec<&[u8]> = out.stdout.split(|&b| b == 0).collect();
    let want: Vec<&[u8]> = args
        .iter()
        .map(|a| a.as_bytes())
        .chain([&b""[..]])
        .collect();
    assert_eq!(got, want);
}
