//! `dockmux config path|show`: which files are read, and the effective config.

use clap::Subcommand;

use crate::config::{self, FileState, Sources};
use crate::error::Result;
use crate::exit_codes::ExitCode;
use crate::output;
use crate::view::render;

#[derive(Subcommand, Debug)]
pub enum ConfigCmd {
    /// Show which config files are read, in order, and which exist
    Path,
    /// Print the effective config, each engine with the file it came from
    Show,
}

pub fn run(cmd: &ConfigCmd, sources: &Sources) -> Result<ExitCode> {
    let text = match cmd {
        ConfigCmd::Path => path(sources)?,
        ConfigCmd::Show => show(sources)?,
    };
    output::print(&text)?;
    Ok(ExitCode::Success)
}

fn path(sources: &Sources) -> Result<String> {
    let mut rows = Vec::new();
    let why = |p: &std::path::Path| {
        if sources.explicit.as_deref() == Some(p) {
            "from DOCKMUX_CONFIG (the only file read)"
        } else if p == sources.system {
            "system"
        } else {
            "user (wins over system)"
        }
    };
    let mut any = false;
    for p in sources.candidates() {
        let state = if p.exists() {
            any = true;
            "exists"
        } else {
            "missing"
        };
        rows.push(vec![
            p.display().to_string(),
            state.to_string(),
            why(p).to_string(),
        ]);
    }
    let mut out = render::table(&rows);
    if !any && sources.explicit.is_none() {
        out.push_str("(no config file exists: the built-in engines are in use)\n");
    }
    Ok(out)
}

fn show(sources: &Sources) -> Result<String> {
    let cfg = config::load(sources)?;
    let q = |s: &str| toml::Value::String(s.to_string()).to_string();
    let mut out = format!("# effective dockmux config: {}\n", cfg.describe_sources());
    for (p, state) in &cfg.files {
        if *state == FileState::Missing {
            out.push_str(&format!("# (not found: {})\n", p.display()));
        }
    }
    if let Some(c) = &cfg.docker {
        out.push_str(&format!("\ndocker = {}  # from {}\n", q(&c.path), c.origin));
    }
    for e in &cfg.engines {
        out.push_str(&format!("\n[engines.{}]  # from {}\n", e.name, e.origin));
        out.push_str(&format!("host = {}\n", q(&e.host)));
        if let Some(d) = &e.description {
            out.push_str(&format!("description = {}\n", q(d)));
        }
        if !e.aliases.is_empty() {
            let a: Vec<String> = e.aliases.iter().map(|a| q(a)).collect();
            out.push_str(&format!("aliases = [{}]\n", a.join(", ")));
        }
        if let Some(h) = &e.hint {
            out.push_str(&format!("hint = {}\n", q(h)));
        }
        if let Some(t) = &e.tls {
            let cert = t
                .cert_path
                .as_deref()
                .map(|c| format!(", cert_path = {}", q(c)))
                .unwrap_or_default();
            out.push_str(&format!("tls = {{ verify = {}{cert} }}\n", t.verify));
        }
        if let Some(p) = e.policy() {
            out.push_str(&format!("{} = true\n", p.as_str()));
        }
    }
    Ok(out)
}
