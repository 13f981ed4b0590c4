//! The manual pages: `man/` holds what src/install/man/mod.rs renders (so `scripts/dist`
//! and packagers ship the binary's own pages), man(1) renders each without a
//! warning, and engines.toml(5)'s example is a config dockmux takes.
//!
//! After changing a command, an option or src/man/, regenerate with
//! `DOCKMUX_WRITE_MAN=1 cargo test --locked --features privileged-tests man::pages_are_current`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use clap::CommandFactory;
use dockmux::cli::Cli;
use dockmux::install::man::{self, Page};

use crate::harness::{Env, Out};

fn man_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("man")
}

fn checked_in(page: &Page) -> PathBuf {
    man_dir().join(page.dir()).join(page.file_name())
}

#[test]
fn pages_are_current() {
    let pages = man::pages(Cli::command());
    if std::env::var_os("DOCKMUX_WRITE_MAN").is_some() {
        let _ = std::fs::remove_dir_all(man_dir());
        for page in &pages {
            std::fs::create_dir_all(checked_in(page).parent().unwrap()).unwrap();
            std::fs::write(checked_in(page), &page.roff).unwrap();
        }
    }
    let regenerate = "regenerate: DOCKMUX_WRITE_MAN=1 cargo test --locked --features privileged-tests man::pages_are_current";
    for page in &pages {
        let file = checked_in(page);
        let on_disk = std::fs::read(&file)
            .unwrap_or_else(|e| panic!("{}: {e}; {regenerate}", file.display()));
        assert!(
            on_disk == page.roff,
            "{} is not what dockmux renders; {regenerate}",
            file.display()
        );
    }
    // And nothing else: a page of a removed command must not ship.
    let want: BTreeSet<PathBuf> = pages.iter().map(checked_in).collect();
    let mut have = BTreeSet::new();
    for dir in std::fs::read_dir(man_dir()).unwrap() {
        for file in std::fs::read_dir(dir.unwrap().path()).unwrap() {
            have.insert(file.unwrap().path());
        }
    }
    assert_eq!(have, want, "{regenerate}");
}

/// groff's warnings (`man --warnings`: all of them) for a page file.
fn render(file: &Path) -> Out {
    Out::of(
        Command::new("/usr/bin/man")
            .args(["--warnings", "-E", "UTF-8", "-l"])
            .arg(file)
            .env_clear()
            .env("PATH", crate::harness::SYSTEM_PATH)
            .env("LC_ALL", "C.UTF-8")
            .env("MANWIDTH", "80")
            // Not through a pager, and never from a cache.
            .env("MANPAGER", "cat")
            .env("MAN_DISABLE_SECCOMP", "1"),
    )
}

#[test]
fn man_renders_every_page_without_a_warning() {
    let env = Env::new();
    for page in man::pages(Cli::command()) {
        let file = env.root().join(page.file_name());
        std::fs::write(&file, &page.roff).unwrap();
        let out = render(&file);
        let text = out.ok();
        assert_eq!(out.stderr, "", "{}: {out}", page.file_name());
        let title = format!("{}({})", page.name.to_uppercase(), page.section);
        assert!(text.starts_with(&title), "{}: {text}", page.file_name());
        for heading in ["NAME", "SYNOPSIS", "DESCRIPTION", "SEE ALSO"] {
            assert!(
                text.lines().any(|l| l == heading),
                "{}: no {heading}:\n{text}",
                page.file_name()
            );
        }
    }
    // The check sees a broken page: an unknown macro is a warning.
    let broken = env.root().join("broken.1");
    std::fs::write(&broken, ".TH BROKEN 1\n.SH NAME\nbroken \\- x\n.XX y\n").unwrap();
    assert_ne!(
        render(&broken).stderr,
        "",
        "man --warnings reported nothing"
    );
}

/// dockmux(1) as man shows it: every command, and each command's options.
#[test]
fn dockmux_1_shows_every_command_with_its_options() {
    let env = Env::new();
    let page = &man::pages(Cli::command())[0];
    let file = env.root().join(page.file_name());
    std::fs::write(&file, &page.roff).unwrap();
    let text = render(&file).ok().to_string();
    let help = Out::of(&mut env.dockmux(["--help"])).ok().to_string();
    // The commands `dockmux --help` lists (its own words, not ours).
    let commands: Vec<&str> = help
        .split("Commands:\n")
        .nth(1)
        .unwrap()
        .lines()
        .take_while(|l| l.starts_with("  "))
        // Not the wrapped lines of a description.
        .filter(|l| !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .collect();
    assert!(commands.len() > 10, "{help}");
    for command in commands {
        let heading = format!("   dockmux {command}\n");
        assert!(text.contains(&heading), "no {heading:?} in dockmux(1)");
        let help = Out::of(&mut env.dockmux([command, "--help"]))
            .ok()
            .to_string();
        for long in help.split_whitespace().filter(|w| w.starts_with("--")) {
            let long = long.trim_end_matches([',', '.', ')', '`']);
            assert!(text.contains(long), "dockmux(1) lacks {command} {long}");
        }
    }
}

/// The example in engines.toml(5) is a config dockmux reads as written.
#[test]
fn the_config_pages_example_is_a_valid_config() {
    let page = man::pages(Cli::command()).pop().unwrap();
    assert_eq!(page.file_name(), "engines.toml.5");
    let roff = String::from_utf8(page.roff).unwrap();
    let example = roff
        .split(".EX\n")
        .nth(1)
        .and_then(|rest| rest.split(".EE\n").next())
        .expect("an .EX block");
    let env = Env::new();
    let config = env.user_config(&example.replace("\\-", "-"));
    let shown = Out::of(
        env.dockmux(["config", "show"])
            .env("DOCKMUX_CONFIG", &config),
    )
    .ok()
    .to_string();
    for want in [
        "[engines.pg]",
        "[engines.remote]",
        "playground",
        "cert_path",
    ] {
        assert!(shown.contains(want), "{want} not in:\n{shown}");
    }
}

/// Each page's synopsis, as man shows it, has every option with its value
/// as `--help` gives it (`--timeout DURATION`, not `[--timeout]`) and
/// clap's usage's `...` for what is taken more than once (`[ENGINE]...`).
#[test]
fn synopses_show_values_and_repetition() {
    let env = Env::new();
    let pages = man::pages(Cli::command());
    for command in ["list", "ps", "each", "add", "remove", "set"] {
        let page = pages
            .iter()
            .find(|p| p.name == format!("dockmux-{command}"))
            .unwrap();
        let file = env.root().join(page.file_name());
        std::fs::write(&file, &page.roff).unwrap();
        let text = render(&file).ok().to_string();
        let synopsis: String = text
            .split("SYNOPSIS\n")
            .nth(1)
            .and_then(|t| t.split("\nDESCRIPTION").next())
            .unwrap()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let help = Out::of(&mut env.dockmux([command, "--help"]))
            .ok()
            .to_string();
        // `  -j, --jobs <N>` and `      --timeout <DURATION>`.
        for line in help
            .lines()
            .map(str::trim_start)
            // Not the `- auto: …` lines of possible values.
            .filter(|l| l.starts_with('-') && !l.starts_with("- "))
        {
            let flag = line.split("  ").next().unwrap();
            let long = flag.split(", ").last().unwrap();
            let want = long.replace(['<', '>'], "");
            assert!(
                synopsis.contains(&want),
                "{command}: no {want:?} in {synopsis:?}"
            );
        }
        let usage = help.lines().find(|l| l.starts_with("Usage:")).unwrap();
        for word in usage.split_whitespace().filter(|w| w.ends_with("...")) {
            let want = word.to_string();
            assert!(
                synopsis.contains(&want),
                "{command}: no {want:?} in {synopsis:?}"
            );
        }
    }
}
