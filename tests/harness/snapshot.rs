//! Messages compared whole, as insta snapshots (tests/snapshots/), instead
//! of by the pieces a `contains` would check: a word changed anywhere in a
//! message fails its test, and the diff shows it. The test's temp root is
//! `[ROOT]` in them, so a snapshot holds on every run.
//!
//! A missing or changed snapshot fails the test (insta: with `CI` set it
//! never writes one; scripts/test sets `INSTA_UPDATE=no` unless told
//! otherwise). To take new ones, run the tests with `INSTA_UPDATE=always`
//! and review the diff in tests/snapshots/ before committing it; `cargo
//! insta` is not needed.

use super::{Env, Out};

/// What a user saw: each command line, its exit status, then what it
/// printed (stdout, then stderr after `--- stderr` when there is any).
pub fn transcript(steps: &[(&str, &Out)]) -> String {
    let mut t = String::new();
    for (line, out) in steps {
        t.push_str(&format!(
            "$ {line}\nexit {}\n",
            out.code.map_or("signal".to_string(), |c| c.to_string())
        ));
        t.push_str(&out.stdout);
        if !out.stderr.is_empty() {
            t.push_str("--- stderr\n");
            t.push_str(&out.stderr);
        }
    }
    t
}

/// insta's settings for `env`'s messages: its root is `[ROOT]`.
pub fn settings(env: &Env) -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_prepend_module_to_snapshot(false);
    s.set_snapshot_path(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/snapshots"));
    s.add_filter(&regex_escape(&env.root().display().to_string()), "[ROOT]");
    s
}

fn regex_escape(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '.' | '*' | '+' | '?' | '(' | ')' | '[' | ']' | '{' | '}' | '|' | '^' | '$' | '\\' => {
                format!("\\{c}")
            }
            c => c.to_string(),
        })
        .collect()
}

/// Asserts that `steps`' transcript is the snapshot `name` (in `env`'s settings).
#[macro_export]
macro_rules! assert_said {
    ($env:expr, $name:expr, $steps:expr) => {{
        let text = $crate::harness::snapshot::transcript($steps);
        $crate::harness::snapshot::settings($env).bind(|| {
            insta::assert_snapshot!($name, text);
        });
    }};
}
