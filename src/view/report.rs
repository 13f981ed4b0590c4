//! What a command that writes did, as data: one [`Outcome`] per thing it
//! added, linked, removed or left alone, and the notes that apply to all.
//! Rendered here, once: as aligned lines for people (`added    engine 'pg'
//! …`), or as JSON for `--json`. Commands decide what to do next from the
//! outcomes, never from the text.

use std::fmt::Write as _;

use serde::Serialize;

use crate::error::Result;
use crate::{output, view::render};

/// What was done.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Done {
    Added,
    Removed,
    Renamed,
    Changed,
    Unchanged,
    Linked,
    Relinked,
    Replaced,
    /// Already as it should be.
    Ok,
    Refused,
    Pruned,
    Kept,
    Skipped,
    Created,
    Updated,
    Imported,
    Wrote,
    Installed,
}

/// What it was done to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Engine,
    /// A link to dockmux (`pg-docker`).
    Link,
    /// The dockmux binary.
    Binary,
    /// Completion files (subject: their directory).
    Completion,
    /// Man pages (subject: the man root).
    ManPages,
    /// A docker context.
    Context,
    /// A config file.
    Config,
    /// A wrapper script.
    Wrapper,
}

#[derive(Debug, Serialize)]
pub struct Outcome {
    pub done: Done,
    pub kind: Kind,
    /// The thing itself: an engine's or a context's name, or a path.
    pub subject: String,
    /// The line for people, after the word for what was done.
    pub text: String,
    /// Lines said under it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl Outcome {
    pub fn new(
        done: Done,
        kind: Kind,
        subject: impl Into<String>,
        text: impl Into<String>,
    ) -> Self {
        Outcome {
            done,
            kind,
            subject: subject.into(),
            text: text.into(),
            notes: Vec::new(),
        }
    }

    /// The word that starts its line.
    fn label(&self) -> &'static str {
        match (self.done, self.kind) {
            (Done::Wrote, Kind::Completion) => "completion",
            (Done::Wrote, Kind::ManPages) => "man",
            (done, _) => match done {
                Done::Added => "added",
                Done::Removed => "removed",
                Done::Renamed => "renamed",
                Done::Changed => "changed",
                Done::Unchanged => "unchanged",
                Done::Linked => "linked",
                Done::Relinked => "relinked",
                Done::Replaced => "replaced",
                Done::Ok => "ok",
                Done::Refused => "refused",
                Done::Pruned => "pruned",
                Done::Kept => "kept",
                Done::Skipped => "skipped",
                Done::Created => "created",
                Done::Updated => "updated",
                Done::Imported => "imported",
                Done::Wrote => "wrote",
                Done::Installed => "installed",
            },
        }
    }
}

/// Everything one command did.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    /// A line before the outcomes: that there was nothing to do, and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nothing: Option<String>,
    pub outcomes: Vec<Outcome>,
    /// Notes on the whole (what other users lose by an edit of the system config).
    pub notes: Vec<String>,
}

impl Report {
    pub fn push(&mut self, outcome: Outcome) {
        self.outcomes.push(outcome);
    }

    /// Adds a line under the last outcome (or to the report's notes).
    pub fn note(&mut self, note: impl Into<String>) {
        match self.outcomes.last_mut() {
            Some(o) => o.notes.push(note.into()),
            None => self.notes.push(note.into()),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.outcomes.is_empty() && self.notes.is_empty()
    }

    /// Whether anything was `done`.
    pub fn any(&self, done: Done) -> bool {
        self.outcomes.iter().any(|o| o.done == done)
    }

    /// The lines: the word for what was done in a column of its own, the
    /// notes indented under it.
    pub fn text(&self) -> String {
        let mut out = String::new();
        if let Some(nothing) = &self.nothing {
            let _ = writeln!(out, "{nothing}");
        }
        for o in &self.outcomes {
            let _ = writeln!(out, "{:<8} {}", o.label(), o.text);
            for note in &o.notes {
                let _ = writeln!(out, "{:8} {note}", "");
            }
        }
        for note in &self.notes {
            let _ = writeln!(out, "{:8} {note}", "");
        }
        out
    }

    /// Prints it: as lines, or as JSON (`--json`).
    pub fn print(&self, json: bool) -> Result<()> {
        if json {
            output::print(&render::json(self))
        } else {
            output::print(&self.text())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_line_up_and_notes_go_under() {
        let mut r = Report::default();
        r.push(Outcome::new(Done::Added, Kind::Engine, "pg", "engine 'pg'"));
        r.note("(the file was new)");
        r.push(Outcome::new(
            Done::Wrote,
            Kind::Completion,
            "/c",
            "pg-docker in /c",
        ));
        r.push(Outcome::new(
            Done::Imported,
            Kind::Context,
            "x",
            "context 'x'",
        ));
        assert_eq!(
            r.text(),
            "added    engine 'pg'\n         (the file was new)\ncompletion pg-docker in /c\nimported context 'x'\n"
        );
        let json: serde_json::Value = serde_json::from_str(&render::json(&r)).unwrap();
        assert_eq!(json["outcomes"][0]["done"], "added");
        assert_eq!(json["outcomes"][1]["kind"], "completion");
        assert_eq!(json["outcomes"][0]["notes"][0], "(the file was new)");
    }
}
