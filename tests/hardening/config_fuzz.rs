//! Config fuzzing: arbitrary bytes and mutated valid configs through the
//! loader. Never a panic; only a config or an error naming the place. And
//! the engine path's quick load (`load_engine`) answers exactly as the full
//! `load` does — the same engine, or the same error word for word.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Instant;

use dockmux::config::{self, Sources};
use dockmux::error::Error;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

/// Valid configs of every shape the docs show, to mutate.
const CORPUS: &[&str] = &[
    "[engines.pg]\nhost = \"unix:///data/playground/docker.sock\"\ndescription = \"Playground\"\naliases = [\"playground\"]\nhint = \"Install Dockge, then reboot\"\n",
    "docker = \"/usr/bin/docker\"\n\n[engines.remote]\nhost = \"tcp://10.0.0.5:2376\"\ntls = { verify = true, cert_path = \"/etc/dockmux/certs/remote\" }\n\n[engines.nas]\nhost = \"ssh://me@nas.local:2222/run/docker.sock\"\n",
    "# comment\r\n[engines]\r\npg = { host = 'unix:///s', aliases = ['p', 'q'] }\r\n[engines.\"db.prod\"]\r\nhost = \"tcp://[::1]:2375\" # v6\r\n",
    "[engines.a]\nhost = \"unix:///a\"\n[engines.b]\nhost = \"unix:///b\"\naliases = [\n  \"x\",\n  \"y\",\n]\n[engines.c]\nhost = \"tcp://c:2376\"\n[engines.c.tls]\nverify = false\n",
    // Clashes: `x` twice, and `a-docker` as an alias; the other commands run.
    "[engines.db]\nhost = \"unix:///db\"\naliases = [\"x\"]\n[engines.mine]\nhost = \"unix:///m\"\naliases = [\"x\", \"a-docker\", \"playground\"]\n[engines.a]\nhost = \"unix:///a\"\n",
    "docker = \"docker\"\n[engines.lab]\nhost = \"tcp://lab:2376\"\ntls.verify = false\ndescription = \"\"\"\nmulti-line form, one line (no value holds a newline)\"\"\"\n",
    "[engines.lzc]\nhost = \"unix:///lzc.sock\"\nprotect = true\n[engines.a]\nhost = \"unix:///a\"\nreadonly = true # audit\nprotect = false\n",
];

const COMMANDS: &[&str] = &[
    "pg-docker",
    "playground",
    "remote-docker",
    "db.prod-docker",
    "x",
    "a-docker",
    "lab-docker",
    "lzc-docker",
    "zz-docker",
];

struct Case {
    _dir: tempfile::TempDir,
    path: PathBuf,
    sources: Sources,
}

fn case(dir: tempfile::TempDir, bytes: &[u8]) -> Case {
    let path = dir.path().join("engines.toml");
    std::fs::write(&path, bytes).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    let sources = Sources {
        explicit: Some(path.clone()),
        system: PathBuf::from("/nonexistent/engines.toml"),
        user: None,
    };
    Case {
        _dir: dir,
        path,
        sources,
    }
}

/// The error must be about this file, at a line and column inside it.
fn names_the_place(err: &Error, path: &Path, bytes: &[u8]) -> Result<(), TestCaseError> {
    let Error::ConfigAt { place, message } = err else {
        return Err(TestCaseError::fail(format!("not a config error: {err}")));
    };
    let lines = bytes.iter().filter(|&&b| b == b'\n').count() + 1;
    prop_assert_eq!(place.file.as_deref(), Some(path));
    prop_assert!(
        place.line >= 1 && place.line <= lines,
        "line {} of {}: {}",
        place.line,
        lines,
        err
    );
    prop_assert!(place.col >= 1 && !message.is_empty(), "{}", err);
    Ok(())
}

/// Loads the file both ways and checks them against each other.
fn check(bytes: &[u8], tally: &mut [usize; 2]) -> Result<(), TestCaseError> {
    let c = case(tempfile::tempdir().unwrap(), bytes);
    let full = config::load(&c.sources);
    match &full {
        Ok(_) => tally[0] += 1,
        Err(e) => {
            names_the_place(e, &c.path, bytes)?;
            tally[1] += 1;
        }
    }
    for cmd in COMMANDS {
        let quick = config::load_engine(&c.sources, cmd);
        match (&full, quick) {
            (Ok(cfg), Ok((engine, client))) => {
                let want = cfg.engine_for_command(cmd);
                prop_assert_eq!(format!("{:?}", Some(&engine)), format!("{want:?}"));
                prop_assert_eq!(format!("{client:?}"), format!("{:?}", cfg.docker));
            }
            (Ok(cfg), Err(e)) => {
                // Not claimed, or claimed more than once: the same error either way.
                prop_assert!(cfg.engine_for_command(cmd).is_none(), "{cmd}: {e}");
                if cfg.clash(cmd).is_some() {
                    names_the_place(&e, &c.path, bytes)?;
                }
                let want = cfg.resolve(cmd).map(|e| e.name.clone());
                prop_assert_eq!(e.to_string(), want.unwrap_err().to_string());
            }
            (Err(want), Err(got)) => prop_assert_eq!(got.to_string(), want.to_string()),
            (Err(want), Ok(_)) => {
                return Err(TestCaseError::fail(format!(
                    "{cmd}: quick load accepted what load refuses: {want}"
                )));
            }
        }
    }
    Ok(())
}

fn mutated() -> impl Strategy<Value = Vec<u8>> {
    let edit = prop_oneof![
        (any::<prop::sample::Index>(), any::<u8>()).prop_map(|(i, b)| Edit::Insert(i, b)),
        (
            any::<prop::sample::Index>(),
            prop::sample::select(b"[]\"'=#,{}.\n\r \\\t-u0".to_vec())
        )
            .prop_map(|(i, b)| Edit::Insert(i, b)),
        any::<prop::sample::Index>().prop_map(Edit::Delete),
        (any::<prop::sample::Index>(), any::<u8>()).prop_map(|(i, b)| Edit::Replace(i, b)),
        (any::<prop::sample::Index>(), any::<prop::sample::Index>())
            .prop_map(|(a, b)| Edit::CopyLine(a, b)),
        any::<prop::sample::Index>().prop_map(Edit::Truncate),
    ];
    (
        prop::sample::select(CORPUS),
        prop::collection::vec(edit, 1..4),
    )
        .prop_map(|(text, edits)| {
            let mut b = text.as_bytes().to_vec();
            for e in edits {
                e.apply(&mut b);
            }
            b
        })
}

#[derive(Clone, Debug)]
enum Edit {
    Insert(prop::sample::Index, u8),
    Delete(prop::sample::Index),
    Replace(prop::sample::Index, u8),
    /// A copy of one line inserted before another (repeated keys, sections).
    CopyLine(prop::sample::Index, prop::sample::Index),
    Truncate(prop::sample::Index),
}

impl Edit {
    fn apply(self, b: &mut Vec<u8>) {
        let at = |i: prop::sample::Index, len: usize| if len == 0 { 0 } else { i.index(len) };
        match self {
            Edit::Insert(i, x) => {
                let p = at(i, b.len() + 1);
                b.insert(p, x);
            }
            Edit::Delete(i) if !b.is_empty() => {
                let p = at(i, b.len());
                b.remove(p);
            }
            Edit::Replace(i, x) if !b.is_empty() => {
                let p = at(i, b.len());
                b[p] = x;
            }
            Edit::CopyLine(from, to) => {
                let lines: Vec<Vec<u8>> = b
                    .split_inclusive(|&c| c == b'\n')
                    .map(<[u8]>::to_vec)
                    .collect();
                if lines.is_empty() {
                    return;
                }
                let line = lines[at(from, lines.len())].clone();
                let mut out = lines;
                let p = at(to, out.len() + 1);
                out.insert(p, line);
                *b = out.concat();
            }
            Edit::Truncate(i) => {
                let p = at(i, b.len() + 1);
                b.truncate(p);
            }
            _ => {}
        }
    }
}

fn run(name: &str, strategy: impl Strategy<Value = Vec<u8>>, cases: u32) {
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let tally = std::cell::RefCell::new([0usize; 2]);
    let start = Instant::now();
    let result = runner.run(&strategy, |bytes| check(&bytes, &mut tally.borrow_mut()));
    let [ok, refused] = tally.into_inner();
    eprintln!(
        "config fuzzing, {name}: {cases} cases in {:.1?}: {ok} loaded, {refused} refused with a place, \
         each loaded the quick way for {} commands too; failures: {}",
        start.elapsed(),
        COMMANDS.len(),
        usize::from(result.is_err())
    );
    if let Err(e) = result {
        panic!("{e}");
    }
}

#[test]
fn arbitrary_bytes_load_or_fail_at_a_place_and_never_panic() {
    let bytes = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..400),
        // Mostly printable, so that TOML errors come from deeper in the parser.
        "[\\[\\]a-z.=\"' \n#{},0-9:/\\\\-]{0,300}".prop_map(String::into_bytes),
    ];
    run("arbitrary bytes", bytes, 5_000);
}

#[test]
fn mutated_valid_configs_load_or_fail_at_a_place_and_never_panic() {
    run("mutated valid configs", mutated(), 5_000);
}

#[test]
fn the_corpus_is_valid() {
    for text in CORPUS {
        let mut t = [0; 2];
        check(text.as_bytes(), &mut t).unwrap();
        assert_eq!(t, [1, 0], "{text}");
    }
}
