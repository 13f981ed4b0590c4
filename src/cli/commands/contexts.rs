//! Docker contexts, both ways. `contexts export` makes one docker context per
//! engine through the client that engine runs (`docker context
//! create|update`; its own `client`, else the stock one), so GUI
//! tools and IDE plugins that speak contexts see the engines; `contexts
//! import` adds engines from the context store, read directly
//! (`$DOCKER_CONFIG/contexts/meta/*/meta.json`, TLS files beside them in
//! `contexts/tls/*/docker/`), which needs no client and is what `discover`
//! reads too (context_store.rs).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use clap::{Args, Subcommand};

use crate::config::host;
use crate::config::{self, Engine, Sources, TLS_FILES};
use crate::docker::context_store::{self, Context};
use crate::edit::{self, Session};
use crate::engine;
use crate::engine::client;
use crate::error::{Error, Result};
use crate::exit_codes::ExitCode;
use crate::output;
use crate::text::escape;
use crate::view::report::{Done, Kind, Outcome, Report};

#[derive(Subcommand, Debug)]
pub enum ContextsCmd {
    /// Create or update a docker context per engine (named like the engine; one-letter names get +dockmux)
    Export(ExportArgs),
    /// Add engines to your config from existing docker contexts
    Import(ImportArgs),
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// Replace contexts of the same name that dockmux did not write
    #[arg(long)]
    pub force: bool,
    #[arg(value_name = "ENGINE", help = crate::cli::selection::HELP)]
    pub engines: Vec<String>,
    /// Say what was done as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// Contexts to import [default: all but those already configured]
    #[arg(value_name = "CONTEXT")]
    pub contexts: Vec<String>,
    /// Say what was done as JSON
    #[arg(long)]
    pub json: bool,
}

pub fn run(cmd: &ContextsCmd, sources: &Sources) -> Result<ExitCode> {
    match cmd {
        ContextsCmd::Export(args) => export(args, sources),
        ContextsCmd::Import(args) => import(args, sources),
    }
}

fn export(args: &ExportArgs, sources: &Sources) -> Result<ExitCode> {
    let cfg = config::load(sources)?;
    let engines = crate::cli::selection::select_to_use(&cfg, &args.engines)?;
    // Each engine's context is written by the client its commands run (its
    // own `client`, else the config's or PATH's, searched once), and the
    // store copies its TLS files: all checked before any context is written.
    let mut per_engine = client::PerEngine::new(cfg.docker.as_ref());
    let mut clients = Vec::with_capacity(engines.len());
    for e in &engines {
        clients.push(per_engine.of(e)?);
        engine::check_tls(e)?;
    }
    let store = context_store::store_dir()?;
    let (existing, _) = context_store::read_store(&store);
    let mut report = Report::default();
    let mut failed = Vec::new();
    let mut skipped = Vec::new();
    for (e, docker) in engines.into_iter().zip(clients) {
        let name = context_store::context_name(&e.name);
        let found = existing.iter().find(|c| c.name == name);
        let ours = found.is_some_and(|c| c.exported_from.as_deref() == Some(e.name.as_str()));
        if found.is_some() && !ours && !args.force {
            report.push(Outcome::new(
                Done::Skipped,
                Kind::Context,
                &name,
                format!(
                    "context '{name}': dockmux did not write it (it points at {})",
                    found.map_or("", |c| c.host.as_str())
                ),
            ));
            skipped.push(e.name.as_str());
            continue;
        }
        let verb = if found.is_some() { "update" } else { "create" };
        let description = e
            .description
            .clone()
            .unwrap_or_else(|| context_store::placeholder(&e.name));
        let mut cmd = Command::new(&docker);
        cmd.args(["context", verb, &name, "--description", &description])
            .arg("--docker")
            .arg(endpoint(e, &store));
        // DOCKER_HOST (or a context) in the environment makes the context
        // commands warn or act on the wrong thing; TLS variables do not apply.
        for var in engine::ENV_KEYS {
            cmd.env_remove(var);
        }
        let out = cmd
            .output()
            .map_err(|err| Error::io(format!("cannot run {}", docker.display()), err))?;
        if !out.status.success() {
            // docker's words, shown on a terminal.
            let why = escape::one_line(&out.stderr);
            failed.push(format!("'{}': {why}", e.name));
            continue;
        }
        // Marked as ours, so a later export may update it and `remove` take it away.
        let (now, _) = context_store::read_store(&store);
        let marked = match now.iter().find(|c| c.name == name) {
            Some(c) => context_store::mark(&c.meta, &e.name).map_err(|err| err.to_string()),
            None => Err(format!(
                "docker reported success but context '{name}' is not in {}",
                store.join("contexts").display()
            )),
        };
        if let Err(why) = marked {
            failed.push(format!("'{}': {why}", e.name));
        }
        let done = if found.is_some() {
            Done::Updated
        } else {
            Done::Created
        };
        let renamed = if name == e.name {
            String::new()
        } else {
            format!(" for engine '{}' (docker needs another name)", e.name)
        };
        report.push(Outcome::new(
            done,
            Kind::Context,
            &name,
            format!("context '{name}'{renamed} ({})", e.host),
        ));
        if !ours && found.is_some() && context_store::current(&store).as_deref() == Some(&name) {
            report.note(format!(
                "context '{name}' is the current one: plain docker now reaches engine '{}'",
                e.name
            ));
        }
    }
    report.print(args.json)?;
    if !failed.is_empty() {
        return Err(Error::Failed(format!(
            "docker context create/update failed for {}; fix what docker says, then rerun \
             dockmux contexts export with those engines",
            failed.join("; ")
        )));
    }
    if !skipped.is_empty() {
        output::note(&format!(
            "dockmux: to replace contexts dockmux did not write: dockmux contexts export --force {}",
            skipped.join(" ")
        ));
    }
    if report.any(Done::Created) || report.any(Done::Updated) {
        output::note(
            "dockmux: use them with `docker --context NAME …` or `docker context use NAME`",
        );
    }
    Ok(ExitCode::Success)
}

/// The `--docker` value for an engine: its host, and its TLS as the context's
/// ca/cert/key (copied into the store by docker) and skip-tls-verify.
fn endpoint(e: &Engine, store: &Path) -> String {
    let mut fields = vec![format!("host={}", e.host)];
    if let Some(tls) = &e.tls {
        // Without cert_path the client reads its certificates from its own config dir.
        let dir = tls
            .cert_path
            .as_ref()
            .map_or_else(|| store.to_path_buf(), PathBuf::from);
        for (key, file) in ["ca", "cert", "key"].iter().zip(TLS_FILES) {
            let path = dir.join(file);
            if path.exists() {
                fields.push(format!("{key}={}", path.display()));
            }
        }
        fields.push(format!("skip-tls-verify={}", !tls.verify));
    }
    fields
        .iter()
        .map(|f| csv_field(f))
        .collect::<Vec<_>>()
        .join(",")
}

/// docker reads `--docker` as one CSV record: quote a field holding a comma or quote.
fn csv_field(f: &str) -> String {
    if f.contains([',', '"']) {
        format!("\"{}\"", f.replace('"', "\"\""))
    } else {
        f.to_string()
    }
}

fn import(args: &ImportArgs, sources: &Sources) -> Result<ExitCode> {
    let store = context_store::store_dir()?;
    let (contexts, problems) = context_store::read_store(&store);
    for p in &problems {
        output::note(&format!("dockmux: note: {p}"));
    }
    let chosen: Vec<&Context> = if args.contexts.is_empty() {
        contexts.iter().collect()
    } else {
        let names: Vec<&str> = contexts.iter().map(|c| c.name.as_str()).collect();
        args.contexts
            .iter()
            .map(|n| {
                contexts.iter().find(|c| c.name == *n).ok_or_else(|| {
                    let dym = crate::text::suggest::did_you_mean(n, names.iter().copied());
                    let known = if names.is_empty() {
                        "none".to_string()
                    } else {
                        names.join(", ")
                    };
                    Error::Usage(format!(
                        "no docker context named '{n}' with a docker endpoint in {}{dym}; contexts there: {known}",
                        store.join("contexts").display()
                    ))
                })
            })
            .collect::<Result<_>>()?
    };
    let mut session = Session::open(sources, false)?;
    let mut report = Report::default();
    let mut taken = HashSet::new();
    let mut added = 0;
    for ctx in chosen {
        if let Some(e) = session
            .cfg
            .engines
            .iter()
            .find(|e| host::same_endpoint(&e.host, &ctx.host))
        {
            report.push(Outcome::new(
                Done::Skipped,
                Kind::Context,
                &ctx.name,
                format!(
                    "context '{}': its host {} is engine '{}' already",
                    ctx.name, ctx.host, e.name
                ),
            ));
            continue;
        }
        // A control character is refused below by name, as `add` refuses it.
        if crate::text::plain::check("host", &ctx.host).is_ok() && host::check(&ctx.host).is_err() {
            report.push(Outcome::new(
                Done::Skipped,
                Kind::Context,
                &ctx.name,
                format!(
                    "context '{}': host {} is not one dockmux can use",
                    ctx.name, ctx.host
                ),
            ));
            continue;
        }
        let name = edit::free_name(&session.cfg, &edit::name_from(ctx.engine_name()), &taken);
        let engine = ctx.engine(name.clone());
        session.add(&engine)?;
        taken.insert(name.clone());
        added += 1;
        let renamed = if name == ctx.name {
            String::new()
        } else {
            format!(" as engine '{name}'")
        };
        report.push(Outcome::new(
            Done::Imported,
            Kind::Context,
            &ctx.name,
            format!("context '{}'{renamed} ({})", ctx.name, ctx.host),
        ));
    }
    if added > 0 {
        session.commit()?;
        report.push(Outcome::new(
            Done::Wrote,
            Kind::Config,
            session.path.display().to_string(),
            format!(
                "{added} engine(s) to {}; `dockmux link` makes their commands",
                session.path.display()
            ),
        ));
    } else if report.is_empty() {
        report.nothing = Some(format!(
            "no docker contexts with a docker endpoint in {}",
            store.join("contexts").display()
        ));
    }
    report.print(args.json)?;
    Ok(ExitCode::Success)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_fields_are_csv_quoted() {
        assert_eq!(csv_field("host=unix:///a"), "host=unix:///a");
        assert_eq!(csv_field("ca=/a,b/ca.pem"), "\"ca=/a,b/ca.pem\"");
        assert_eq!(csv_field("ca=/a\"b"), "\"ca=/a\"\"b\"");
    }
}
