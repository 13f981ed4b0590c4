//! Colour for the management CLI, through clap's own styling stack
//! (anstyle for the styles, anstream for when): on a terminal it is on; for
//! a pipe, with `NO_COLOR` set, on a dumb terminal or with `--color=never`
//! it is off; `--color=always` turns it on anywhere. What a style means
//! (a good state, a warning, a header) is said here, once.
//!
//! The engine path never calls [`init`], so everything it prints is plain:
//! output.rs paints stderr's lines only through the painter set here.

use std::sync::atomic::{AtomicBool, Ordering};

use anstream::{AutoStream, ColorChoice};
use anstyle::{AnsiColor, Style};

/// `--color`'s values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum When {
    /// On when the output is a terminal and NO_COLOR is not set
    #[default]
    Auto,
    /// Always, even into a pipe or a file
    Always,
    /// Never
    Never,
}

/// What a piece of text is, so its colour is chosen in one place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    /// A table's header, a section's title.
    Header,
    /// Up, ok, done.
    Good,
    /// Timed out, a warning: worth a look.
    Warn,
    /// Down, refused, a problem, an error.
    Bad,
    /// A note.
    Note,
    /// Unknown, not asked: nothing to say.
    Quiet,
}

impl Tone {
    pub const fn style(self) -> Style {
        match self {
            Tone::Header => Style::new().bold().underline(),
            Tone::Good => AnsiColor::Green.on_default(),
            Tone::Warn => AnsiColor::Yellow.on_default().bold(),
            Tone::Bad => AnsiColor::Red.on_default().bold(),
            Tone::Note => AnsiColor::Cyan.on_default().bold(),
            Tone::Quiet => Style::new().dimmed(),
        }
    }
}

/// clap's help and usage errors in the same palette.
pub const HELP: clap::builder::Styles = clap::builder::Styles::styled()
    .header(Tone::Header.style())
    .usage(Tone::Header.style())
    .literal(Style::new().bold())
    .placeholder(AnsiColor::Cyan.on_default())
    .error(Tone::Bad.style())
    .valid(Tone::Good.style())
    .invalid(Tone::Warn.style());

/// Which stream a text goes to: each is a terminal or not on its own.
#[derive(Clone, Copy, Debug)]
pub enum Stream {
    Stdout,
    Stderr,
}

static STDOUT: AtomicBool = AtomicBool::new(false);
static STDERR: AtomicBool = AtomicBool::new(false);

/// Decides colour for both streams (anstream's rules: the choice, then
/// `NO_COLOR`, `CLICOLOR_FORCE`, `TERM` and whether each is a terminal) and
/// hands output.rs the painter for stderr's lines. Also sets the choice
/// clap's help and errors follow.
pub fn init(when: When) {
    let choice = match when {
        When::Auto => ColorChoice::Auto,
        When::Always => ColorChoice::Always,
        When::Never => ColorChoice::Never,
    };
    choice.write_global();
    #[expect(
        clippy::disallowed_methods,
        reason = "only asks whether the streams are terminals; output.rs writes to them"
    )]
    let (out, err) = (
        AutoStream::choice(&std::io::stdout()),
        AutoStream::choice(&std::io::stderr()),
    );
    STDOUT.store(out != ColorChoice::Never, Ordering::Relaxed);
    STDERR.store(err != ColorChoice::Never, Ordering::Relaxed);
    crate::output::set_painter(line);
}

/// `--color`'s value before clap has parsed the line (for clap's own help
/// and usage errors): the last `--color WHEN` or `--color=WHEN` before `--`.
pub fn when_in(argv: &[std::ffi::OsString]) -> When {
    let mut when = When::Auto;
    let mut args = argv.iter().skip(1).map(|a| a.to_str().unwrap_or(""));
    while let Some(arg) = args.next() {
        let value = match arg {
            "--" => break,
            "--color" => args.next().unwrap_or(""),
            _ => match arg.strip_prefix("--color=") {
                Some(v) => v,
                None => continue,
            },
        };
        when = match value {
            "always" => When::Always,
            "never" => When::Never,
            _ => When::Auto,
        };
    }
    when
}

fn on(stream: Stream) -> bool {
    match stream {
        Stream::Stdout => STDOUT.load(Ordering::Relaxed),
        Stream::Stderr => STDERR.load(Ordering::Relaxed),
    }
}

/// `text` in `tone` when `stream` takes colour; else `text` as it is.
pub fn paint(stream: Stream, tone: Tone, text: &str) -> String {
    if on(stream) {
        let style = tone.style();
        format!("{style}{text}{style:#}")
    } else {
        text.to_string()
    }
}

/// A line for stderr (output.rs calls it): the label of `NAME: note: …`,
/// `NAME: warning: …` painted; an error (`error`) gets its `NAME:` prefix
/// painted.
fn line(text: &str, error: bool) -> String {
    if !on(Stream::Stderr) {
        return text.to_string();
    }
    let Some((name, rest)) = text.split_once(": ") else {
        return text.to_string();
    };
    if error && !name.contains(char::is_whitespace) {
        return format!("{}: {rest}", paint(Stream::Stderr, Tone::Bad, name));
    }
    for (label, tone) in [("note:", Tone::Note), ("warning:", Tone::Warn)] {
        if let Some(after) = rest.strip_prefix(label) {
            return format!("{name}: {}{after}", paint(Stream::Stderr, tone, label));
        }
    }
    text.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn color_is_read_from_the_line_up_to_the_end_of_options() {
        let when = |args: &[&str]| {
            let argv: Vec<std::ffi::OsString> = std::iter::once("dockmux")
                .chain(args.iter().copied())
                .map(Into::into)
                .collect();
            when_in(&argv)
        };
        assert_eq!(when(&["list"]), When::Auto);
        assert_eq!(when(&["--color=never", "list"]), When::Never);
        assert_eq!(when(&["list", "--color", "always"]), When::Always);
        assert_eq!(
            when(&["exec", "pg", "--", "ls", "--color=always"]),
            When::Auto
        );
    }
}
