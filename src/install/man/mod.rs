//! Manual pages: dockmux(1), a page per subcommand (dockmux-list(1), …,
//! dockmux-config-path(1)) and engines.toml(5). Commands and options come
//! from the clap definitions `--help` uses (clap_mangen), so the pages
//! cannot drift from the binary; the prose (what NAME-docker does, the
//! environment, exit codes, the config format) is written by hand in
//! src/man/. `man/` holds the rendered pages (a test keeps them equal), and
//! `dockmux install` can write them from the binary itself. Management mode
//! only: nothing on the engine path calls this.

pub(crate) mod files;

use clap::{ArgAction, Command};
use clap_mangen::Man;

/// One manual page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// The page's name: `dockmux`, `dockmux-list`, `engines.toml`.
    pub name: String,
    /// The manual section: 1 (commands) or 5 (file formats).
    pub section: u8,
    /// The page, as roff source (UTF-8).
    pub roff: Vec<u8>,
}

impl Page {
    /// `dockmux-list.1`: the file name `man` looks for (before any `.gz`).
    pub fn file_name(&self) -> String {
        format!("{}.{}", self.name, self.section)
    }

    /// `man1`: the directory under a man root (`/usr/share/man`) it belongs in.
    pub fn dir(&self) -> String {
        format!("man{}", self.section)
    }
}

const DOCKMUX: &str = include_str!("dockmux.1");
const ENGINES_TOML: &str = include_str!("engines.toml.5");

/// Every page, dockmux(1) first. `cli`: dockmux's command line (the
/// caller's, so this module needs no CLI of its own).
pub fn pages(cli: Command) -> Vec<Page> {
    // `help` is clap's, not a command of ours worth a page.
    let mut root = cli.disable_help_subcommand(true);
    root.build();
    let mut commands = Vec::new();
    subcommands(&root, &mut commands);
    let mut pages = vec![page("dockmux", 1, &dockmux_page(&root, &commands))];
    for cmd in &commands {
        pages.push(page(&page_name(cmd), 1, &command_page(cmd)));
    }
    pages.push(page("engines.toml", 5, ENGINES_TOML));
    pages
}

/// Every visible subcommand, depth first (`config`, `config path`, …).
fn subcommands<'a>(cmd: &'a Command, out: &mut Vec<&'a Command>) {
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        out.push(sub);
        subcommands(sub, out);
    }
}

/// `dockmux-config-path`: clap's display name of a built subcommand.
fn page_name(cmd: &Command) -> String {
    cmd.get_display_name().unwrap_or(cmd.get_name()).to_string()
}

/// `dockmux config path`: how the command is typed.
fn typed(cmd: &Command) -> String {
    page_name(cmd).replace('-', " ")
}

fn page(name: &str, section: u8, body: &str) -> Page {
    // clap_mangen's own title line drops an empty date, which shifts the
    // source into its place; this one keeps every field where man expects it.
    let title = format!(
        ".TH {} {section} \"\" \"dockmux {}\" \"dockmux manual\"\n",
        name.to_uppercase().replace('-', "\\-"),
        env!("CARGO_PKG_VERSION")
    );
    let mut roff = String::from(APOSTROPHE);
    roff.push_str(&title);
    roff.push_str(body);
    Page {
        name: name.to_string(),
        section,
        roff: roff.into_bytes(),
    }
}

/// What `\*(Aq` (the apostrophe clap_mangen writes) means: a straight quote
/// in groff, a plain one elsewhere. roff prints it before every piece.
const APOSTROPHE: &str = ".ie \\n(.g .ds Aq \\(aq\n.el .ds Aq '\n";

/// A section clap_mangen renders, without the apostrophe preamble and, with
/// `heading` false, without its `.SH` line.
fn clap_section(
    man: &Man,
    render: fn(&Man, &mut dyn std::io::Write) -> std::io::Result<()>,
    heading: bool,
) -> String {
    let mut out = Vec::new();
    render(man, &mut out).expect("writing to a Vec cannot fail");
    let text = String::from_utf8(out).expect("clap_mangen writes UTF-8");
    let text = text.strip_prefix(APOSTROPHE).unwrap_or(&text);
    match heading {
        true => text.to_string(),
        false => text
            .split_once('\n')
            .filter(|(first, _)| first.starts_with(".SH "))
            .map_or(text, |(_, rest)| rest)
            .to_string(),
    }
}

/// The synopsis line: every option with its value (`--timeout DURATION`,
/// which clap_mangen's drops), `...` after what may be given more than
/// once (`[ENGINE]...`), brackets around what may be left out.
fn synopsis(cmd: &Command) -> String {
    let roff = |s: &str| s.replace('-', "\\-");
    // Not hyphenated: an option broken over two lines cannot be copied.
    let mut line = format!(".nh\n\\fB{}\\fR", roff(&typed(cmd)));
    let many = |a: &clap::Arg| {
        matches!(a.get_action(), ArgAction::Append | ArgAction::Count)
            || a.get_num_args().is_some_and(|n| n.max_values() > 1)
    };
    let value = |a: &clap::Arg| {
        let names: Vec<String> = match a.get_value_names() {
            Some(v) => v.iter().map(|n| n.to_string()).collect(),
            None => vec![a.get_id().as_str().to_uppercase()],
        };
        names
            .iter()
            .map(|n| format!("\\fI{}\\fR", roff(n)))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let visible: Vec<&clap::Arg> = cmd.get_arguments().filter(|a| !a.is_hide_set()).collect();
    for a in visible.iter().filter(|a| !a.is_positional()) {
        let mut names = Vec::new();
        if let Some(s) = a.get_short() {
            names.push(format!("\\fB\\-{s}\\fR"));
        }
        if let Some(l) = a.get_long() {
            names.push(format!("\\fB\\-\\-{}\\fR", roff(l)));
        }
        let mut item = names.join("|");
        if a.get_action().takes_values() {
            // `--pin [IDENTITY]`: a value that may be left out.
            let optional = a.get_num_args().is_some_and(|n| n.min_values() == 0);
            item.push(' ');
            item.push_str(&match optional {
                true => format!("[{}]", value(a)),
                false => value(a),
            });
        }
        line.push(' ');
        line.push_str(&match a.is_required_set() {
            true => item,
            false => format!("[{item}]"),
        });
        if many(a) {
            line.push_str("...");
        }
    }
    for a in visible.iter().filter(|a| a.is_positional()) {
        line.push(' ');
        line.push_str(&match a.is_required_set() {
            true => format!("<{}>", value(a)),
            false => format!("[{}]", value(a)),
        });
        if many(a) {
            line.push_str("...");
        }
    }
    if cmd.has_subcommands() {
        line.push_str(" <\\fICOMMAND\\fR>");
    }
    line.push_str("\n.hy\n");
    line
}

/// dockmux(1): the hand-written page with the root's options, every
/// command with its options, and the list of pages filled in.
fn dockmux_page(root: &Command, commands: &[&Command]) -> String {
    let man = Man::new(root.clone());
    let mut all = String::new();
    for cmd in commands {
        all.push_str(&format!(".SS \"{}\"\n", typed(cmd)));
        let man = Man::new((*cmd).clone());
        all.push_str(&synopsis(cmd));
        all.push_str(".PP\n");
        all.push_str(&clap_section(&man, Man::render_description_section, false));
        if cmd.get_arguments().any(|a| !a.is_hide_set()) {
            all.push_str(&clap_section(&man, Man::render_options_section, false));
        }
    }
    DOCKMUX
        .replace(
            ".\\\" @OPTIONS@\n",
            &clap_section(&man, Man::render_options_section, true),
        )
        .replace(".\\\" @COMMANDS@\n", &all)
        .replace(".\\\" @SEE_ALSO@\n", &see_also(commands, None))
}

/// A subcommand's page: clap's sections, then where to read more.
fn command_page(cmd: &Command) -> String {
    let man = Man::new(cmd.clone());
    let mut text = String::new();
    text.push_str(&clap_section(&man, Man::render_name_section, true));
    text.push_str(".SH SYNOPSIS\n");
    text.push_str(&synopsis(cmd));
    text.push_str(&clap_section(&man, Man::render_description_section, true));
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        text.push_str(&clap_section(&man, Man::render_options_section, true));
    }
    if cmd.has_subcommands() {
        text.push_str(&clap_section(&man, Man::render_subcommands_section, true));
    }
    text.push_str(".SH \"SEE ALSO\"\n");
    text.push_str(&see_also(&[], Some(cmd)));
    text
}

/// `.BR dockmux (1),` lines: dockmux(1) and engines.toml(5) for a command's
/// page, every command's page for dockmux(1).
fn see_also(commands: &[&Command], of: Option<&Command>) -> String {
    let mut refs: Vec<(String, u8)> = Vec::new();
    if of.is_some() {
        refs.push(("dockmux".into(), 1));
    }
    refs.extend(commands.iter().map(|c| (page_name(c), 1)));
    refs.push(("engines.toml".into(), 5));
    refs.push(("docker".into(), 1));
    let last = refs.len() - 1;
    refs.iter()
        .enumerate()
        .map(|(i, (name, section))| {
            let comma = if i == last { "" } else { "," };
            format!(".BR {} ({section}){comma}\n", name.replace('-', "\\-"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn a_page_per_visible_command_and_the_config_format() {
        let pages = pages(crate::cli::Cli::command());
        let names: Vec<String> = pages.iter().map(Page::file_name).collect();
        assert_eq!(names.first().map(String::as_str), Some("dockmux.1"));
        assert!(names.contains(&"engines.toml.5".to_string()));
        let mut root = crate::cli::Cli::command();
        root.build();
        for sub in root.get_subcommands().filter(|s| s.get_name() != "help") {
            let file = format!("dockmux-{}.1", sub.get_name());
            assert!(names.contains(&file), "{file} missing from {names:?}");
        }
        assert!(!names.iter().any(|n| n == "dockmux-help.1"), "{names:?}");
    }

    /// Every option of every command is in dockmux(1) and in its command's page.
    #[test]
    fn every_option_is_in_dockmux_1_and_its_command_page() {
        let pages = pages(crate::cli::Cli::command());
        let text = |name: &str| {
            let p = pages.iter().find(|p| p.name == name).unwrap();
            String::from_utf8(p.roff.clone()).unwrap()
        };
        let main = text("dockmux");
        let mut root = crate::cli::Cli::command().disable_help_subcommand(true);
        root.build();
        let mut commands = Vec::new();
        subcommands(&root, &mut commands);
        for cmd in commands {
            let own = text(&page_name(cmd));
            assert!(
                main.contains(&format!(".SS \"{}\"", typed(cmd))),
                "{}",
                typed(cmd)
            );
            for arg in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
                let Some(long) = arg.get_long() else { continue };
                let roff = format!("\\fB\\-\\-{}\\fR", long.replace('-', "\\-"));
                assert!(own.contains(&roff), "{roff} not in {}", page_name(cmd));
                assert!(main.contains(&roff), "{roff} not in dockmux(1)");
            }
        }
    }

    /// engines.toml(5) names every key the config reader takes.
    #[test]
    fn the_config_page_names_every_key() {
        let page = String::from_utf8(
            pages(crate::cli::Cli::command())
                .last()
                .unwrap()
                .roff
                .clone(),
        )
        .unwrap();
        let keys = [
            crate::config::TOP_KEYS,
            &crate::config::Key::names().collect::<Vec<_>>(),
            crate::config::TLS_KEYS,
        ];
        for key in keys.concat() {
            let described = [
                format!(".B {key}\n"),
                format!("\\fB{key}"),
                format!("[{key}."),
            ];
            assert!(
                described.iter().any(|d| page.contains(d)),
                "engines.toml(5) does not describe `{key}`"
            );
        }
    }
}
