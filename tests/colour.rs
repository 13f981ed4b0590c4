//! Colour: on a real terminal (tmux) the management CLI paints headers,
//! status words and the labels of notes; a pipe, `NO_COLOR` and
//! `--color=never` get plain text, and `--color=always` paints a pipe too.
//! The protected prompt (the engine path) paints the name to type, unless
//! `NO_COLOR` is set.

use crate::engines::bed_env;
use crate::harness::tmux::Tmux;
use crate::harness::{Env, Out, TWO_ENGINES};

const ESC: char = '\x1b';

/// Runs `line` in a tmux pane (TERM=xterm, the Env's PATH, HOME and config;
/// `vars` added) and returns the pane with its escapes once it is done.
fn on_a_terminal(env: &Env, vars: &str, line: &str) -> String {
    if !env.bin.join("dockmux").exists() {
        env.link("dockmux");
    }
    let script = format!(
        "env -i PATH={path} HOME={home} DOCKMUX_SYSTEM_CONFIG={sys} XDG_RUNTIME_DIR={run} \
         TERM=xterm {vars} sh -c '{line}; echo; echo finished-$((1+1))'; sleep 60",
        path = env.path.to_string_lossy(),
        home = env.home.display(),
        sys = env.system_config_path.display(),
        run = env.runtime_dir().display(),
    );
    let tmux = Tmux::start("colour", (200, 40), &script);
    tmux.wait_for("finished-2");
    tmux.styled_screen()
}

/// The pane's text without tmux's escapes, to find what was painted.
fn plain(screen: &str) -> String {
    let mut out = String::new();
    let mut chars = screen.chars();
    while let Some(c) = chars.next() {
        if c == ESC {
            // CSI … final byte.
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Whether `word` shows in `screen` right after an escape sequence: painted.
fn painted(screen: &str, word: &str) -> bool {
    screen.match_indices(word).any(|(at, _)| {
        let before = &screen[..at];
        before.rfind(ESC).is_some_and(|e| {
            let sgr = &before[e + 1..];
            sgr.starts_with('[')
                && sgr.ends_with('m')
                && sgr[1..sgr.len() - 1]
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == ';')
        })
    })
}

#[test]
fn a_terminal_gets_colour_and_a_pipe_none() {
    let env = bed_env();
    // pg is a real engine (up); gone's socket is missing (down).
    let cfg = std::fs::read_to_string(env.user_config_path()).unwrap();
    env.user_config(&format!(
        "{cfg}\n[engines.gone]\nhost = \"unix:///nonexistent/gone.sock\"\n"
    ));
    let screen = on_a_terminal(&env, "", "dockmux list; dockmux nosuch");
    assert!(plain(&screen).contains("no socket"), "{screen:?}");
    for word in ["NAME", "STATUS", "no socket", "up ", "dockmux"] {
        assert!(painted(&screen, word), "{word:?} not painted: {screen:?}");
    }
    // What is not a label stays plain.
    assert!(!painted(&screen, "pg-docker"), "{screen:?}");
    // The same into a pipe: not one escape.
    let out = Out::of(&mut env.dockmux(["list"]));
    assert!(
        out.stdout.contains("no socket") && !out.stdout.contains(ESC),
        "{out}"
    );
    let out = Out::of(&mut env.dockmux(["nosuch"]));
    assert!(!out.fails(125).contains(ESC), "{out}");
}

#[test]
fn no_color_and_color_never_keep_a_terminal_plain() {
    let env = Env::new();
    env.user_config(TWO_ENGINES);
    env.fake_docker();
    for (vars, line) in [
        (
            "NO_COLOR=1",
            "dockmux list; dockmux doctor --timeout 1s; dockmux nosuch",
        ),
        (
            "",
            "dockmux list --color=never; dockmux doctor --color never --timeout 1s; dockmux --color=never nosuch",
        ),
    ] {
        let screen = on_a_terminal(&env, vars, line);
        assert!(
            plain(&screen).contains("NAME") && plain(&screen).contains("PROBLEM"),
            "{vars} {line}: {screen:?}"
        );
        assert!(!screen.contains(ESC), "{vars} {line}: {screen:?}");
    }
    // Without them the same lines are painted (the check above can fail).
    let screen = on_a_terminal(&env, "", "dockmux doctor --timeout 1s");
    assert!(painted(&screen, "PROBLEM"), "{screen:?}");
}

#[test]
fn color_always_paints_a_pipe_and_help_follows_the_choice() {
    let env = Env::new();
    env.user_config(TWO_ENGINES);
    env.fake_docker();
    let out = Out::of(&mut env.dockmux(["list", "--color=always"]));
    assert!(out.ok().contains("\x1b[1m\x1b[4mNAME\x1b[0m"), "{out}");
    let out = Out::of(&mut env.dockmux(["--color", "always", "nosuch"]));
    assert!(
        out.fails(125)
            .starts_with("\x1b[1m\x1b[31mdockmux\x1b[0m: 'nosuch'"),
        "{out}"
    );
    let help = |args: &[&str]| Out::of(&mut env.dockmux(args)).ok().to_string();
    assert!(help(&["--help", "--color=always"]).contains(ESC));
    assert!(!help(&["--help"]).contains(ESC));
    // A bad value is refused by name.
    let out = Out::of(&mut env.dockmux(["list", "--color=sometimes"]));
    assert!(
        out.fails(125)
            .contains("invalid value 'sometimes' for '--color <WHEN>'"),
        "{out}"
    );
}

#[test]
fn the_protected_prompt_paints_the_name_unless_no_color() {
    let env = Env::new();
    env.user_config("[engines.pg]\nhost = \"unix:///nonexistent/pg.sock\"\nprotect = true\n");
    env.fake_docker();
    env.link("pg-docker");
    for (vars, coloured) in [("", true), ("NO_COLOR=1", false)] {
        let script = format!(
            "env -i PATH={path} HOME={home} TERM=xterm {vars} pg-docker rm x; echo finished-$((1+1)); sleep 60",
            path = env.path.to_string_lossy(),
            home = env.home.display(),
        );
        let tmux = Tmux::start("prompt", (200, 20), &script);
        tmux.wait_for("to run it:");
        let screen = tmux.styled_screen();
        tmux.type_line("no");
        tmux.wait_for("finished-2");
        assert!(
            plain(&screen).contains("Type 'pg' to run it:"),
            "{screen:?}"
        );
        assert_eq!(painted(&screen, "pg"), coloured, "{vars}: {screen:?}");
        assert_eq!(screen.contains(ESC), coloured, "{vars}: {screen:?}");
    }
    assert!(!env.fake_ran());
}
