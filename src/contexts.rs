//! Docker contexts, both ways. `contexts export` makes one docker context per
//! engine through the stock client (`docker context create|update`), so GUI
//! tools and IDE plugins that speak contexts see the engines; `contexts
//! import` adds engines from the context store, read directly
//! (`$DOCKER_CONFIG/contexts/meta/*/meta.json`, TLS files beside them in
//! `contexts/tls/*/docker/`), which needs no client and is what `discover`
//! reads too.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use clap::{Args, Subcommand};
use serde::Deserialize;

use crate::client;
use crate::config::{self, Engine, Sources, Tls};
use crate::edit::{self, NewEngine, Session};
use crate::engine;
use crate::error::{Error, Result};
use crate::host;
use crate::{output, paths};

#[derive(Subcommand, Debug)]
pub enum ContextsCmd {
    /// Create or update a docker context per engine (named like the engine)
    Export(ExportArgs),
    /// Add engines to your config from existing docker contexts
    Import(ImportArgs),
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// Engines to export [default: all]
    #[arg(value_name = "ENGINE")]
    pub engines: Vec<String>,
}

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// Contexts to import [default: all but those already configured]
    #[arg(value_name = "CONTEXT")]
    pub contexts: Vec<String>,
}

/// The context docker keeps built in; it cannot be created or imported.
const DEFAULT_CONTEXT: &str = "default";
const TLS_FILES: [&str; 3] = ["ca.pem", "cert.pem", "key.pem"];

/// A docker context with a docker endpoint, as the store holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Context {
    pub name: String,
    pub host: String,
    pub description: Option<String>,
    pub skip_tls_verify: bool,
    /// The directory holding the context's ca.pem/cert.pem/key.pem, if any.
    pub tls_dir: Option<PathBuf>,
    pub meta: PathBuf,
}

impl Context {
    /// The engine this context stands for, named `name`.
    pub fn engine(&self, name: String) -> NewEngine {
        let tcp = host::check(&self.host) == Ok(host::Kind::Tcp);
        let tls = (tcp && (self.skip_tls_verify || self.tls_dir.is_some())).then(|| Tls {
            verify: !self.skip_tls_verify,
            cert_path: self.tls_dir.as_ref().map(|d| d.display().to_string()),
        });
        NewEngine {
            name,
            host: self.host.clone(),
            description: match self.description.as_deref() {
                // The placeholder `export` writes for an engine without a description.
                Some(d) if d == placeholder(&self.name) => None,
                Some(d) if !d.is_empty() => Some(d.to_string()),
                _ => Some(format!("from docker context '{}'", self.name)),
            },
            tls,
            ..NewEngine::default()
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Meta {
    name: String,
    #[serde(default)]
    metadata: Option<MetaData>,
    #[serde(default)]
    endpoints: std::collections::HashMap<String, Endpoint>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct MetaData {
    #[serde(default)]
    description: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Endpoint {
    #[serde(default)]
    host: Option<String>,
    #[serde(default, rename = "SkipTLSVerify")]
    skip_tls_verify: bool,
}

/// The docker client's config directory: `$DOCKER_CONFIG`, else `~/.docker`.
pub fn docker_config_dir() -> Option<PathBuf> {
    paths::env("DOCKER_CONFIG").or_else(|| paths::env("HOME").map(|h| h.join(".docker")))
}

/// Every context in the store under `config_dir` that has a docker endpoint,
/// sorted by name, and a note for each meta.json that could not be read.
pub fn read_store(config_dir: &Path) -> (Vec<Context>, Vec<String>) {
    let meta_root = config_dir.join("contexts/meta");
    let mut found = Vec::new();
    let mut problems = Vec::new();
    let Ok(entries) = std::fs::read_dir(&meta_root) else {
        return (found, problems);
    };
    for entry in entries.flatten() {
        let meta = entry.path().join("meta.json");
        let parsed = std::fs::read(&meta)
            .map_err(|e| e.to_string())
            .and_then(|b| serde_json::from_slice::<Meta>(&b).map_err(|e| e.to_string()));
        let m = match parsed {
            Ok(m) => m,
            Err(e) => {
                problems.push(format!("skipped {}: {e}", meta.display()));
                continue;
            }
        };
        let Some(ep) = m.endpoints.get("docker") else {
            continue;
        };
        let Some(host) = ep.host.clone().filter(|h| !h.is_empty()) else {
            continue;
        };
        let tls_dir = config_dir
            .join("contexts/tls")
            .join(entry.file_name())
            .join("docker");
        let has_tls = TLS_FILES.iter().any(|f| tls_dir.join(f).exists());
        found.push(Context {
            name: m.name,
            host,
            description: m.metadata.and_then(|d| d.description),
            skip_tls_verify: ep.skip_tls_verify,
            tls_dir: has_tls.then_some(tls_dir),
            meta,
        });
    }
    found.sort_by(|a, b| a.name.cmp(&b.name));
    (found, problems)
}

pub fn run(cmd: &ContextsCmd, sources: &Sources) -> Result<i32> {
    match cmd {
        ContextsCmd::Export(args) => export(args, sources),
        ContextsCmd::Import(args) => import(args, sources),
    }
}

fn store_dir() -> Result<PathBuf> {
    docker_config_dir().ok_or_else(|| {
        Error::Usage(
            "cannot tell where docker keeps its contexts: neither DOCKER_CONFIG nor HOME is set"
                .to_string(),
        )
    })
}

fn export(args: &ExportArgs, sources: &Sources) -> Result<i32> {
    let cfg = config::load(sources)?;
    let engines = cfg.select(&args.engines)?;
    if let Some(e) = engines.iter().find(|e| e.name == DEFAULT_CONTEXT) {
        return Err(Error::Usage(format!(
            "engine '{}' cannot be exported: docker reserves the context name 'default'; \
             rename the engine (dockmux rename default NEW) or export the others by name",
            e.name
        )));
    }
    let docker = client::find(cfg.docker.as_ref())?;
    let store = store_dir()?;
    let (existing, _) = read_store(&store);
    let existing: HashSet<&str> = existing.iter().map(|c| c.name.as_str()).collect();
    let mut report = String::new();
    let mut failed = Vec::new();
    for e in engines {
        let verb = if existing.contains(e.name.as_str()) {
            "update"
        } else {
            "create"
        };
        let description = e
            .description
            .clone()
            .unwrap_or_else(|| placeholder(&e.name));
        let mut cmd = Command::new(&docker);
        cmd.args(["context", verb, &e.name, "--description", &description])
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
        if out.status.success() {
            let done = if verb == "create" {
                "created"
            } else {
                "updated"
            };
            report.push_str(&format!("{done:<8} context '{}' ({})\n", e.name, e.host));
        } else {
            let why = String::from_utf8_lossy(&out.stderr).trim().to_string();
            failed.push(format!("'{}': {why}", e.name));
        }
    }
    output::print(&report)?;
    if !failed.is_empty() {
        return Err(Error::Failed(format!(
            "docker context create/update failed for {}; fix what docker says, then rerun \
             dockmux contexts export with those engines",
            failed.join("; ")
        )));
    }
    if !report.is_empty() {
        eprintln!("dockmux: use them with `docker --context NAME …` or `docker context use NAME`");
    }
    Ok(0)
}

fn placeholder(name: &str) -> String {
    format!("dockmux engine {name}")
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

fn import(args: &ImportArgs, sources: &Sources) -> Result<i32> {
    let store = store_dir()?;
    let (contexts, problems) = read_store(&store);
    for p in &problems {
        eprintln!("dockmux: note: {p}");
    }
    let chosen: Vec<&Context> = if args.contexts.is_empty() {
        contexts.iter().collect()
    } else {
        let names: Vec<&str> = contexts.iter().map(|c| c.name.as_str()).collect();
        args.contexts
            .iter()
            .map(|n| {
                contexts.iter().find(|c| c.name == *n).ok_or_else(|| {
                    let dym = crate::suggest::did_you_mean(n, names.iter().copied());
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
    let mut report = String::new();
    let mut taken = HashSet::new();
    let mut added = 0;
    for ctx in chosen {
        if let Some(e) = session
            .cfg
            .engines
            .iter()
            .find(|e| host::same_endpoint(&e.host, &ctx.host))
        {
            report.push_str(&format!(
                "skipped  context '{}': its host {} is engine '{}' already\n",
                ctx.name, ctx.host, e.name
            ));
            continue;
        }
        if host::check(&ctx.host).is_err() {
            report.push_str(&format!(
                "skipped  context '{}': host {} is not one dockmux can use\n",
                ctx.name, ctx.host
            ));
            continue;
        }
        let name = edit::free_name(&session.cfg, &edit::name_from(&ctx.name), &taken);
        let engine = ctx.engine(name.clone());
        session.add(&engine)?;
        taken.insert(name.clone());
        added += 1;
        let renamed = if name == ctx.name {
            String::new()
        } else {
            format!(" as engine '{name}'")
        };
        report.push_str(&format!(
            "imported context '{}'{renamed} ({})\n",
            ctx.name, ctx.host
        ));
    }
    if added > 0 {
        session.commit()?;
        report.push_str(&format!(
            "wrote {added} engine(s) to {}; `dockmux link` makes their commands\n",
            session.path.display()
        ));
    } else if report.is_empty() {
        report = format!(
            "no docker contexts with a docker endpoint in {}\n",
            store.join("contexts").display()
        );
    }
    output::print(&report)?;
    Ok(0)
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

    #[test]
    fn reads_the_store_layout_docker_writes() {
        let t = tempfile::tempdir().unwrap();
        let id = "f55ff16f66f43360266b95db6f8fec01d76031054306ae4a4b380598f6cfd114";
        let meta = t.path().join("contexts/meta").join(id);
        std::fs::create_dir_all(&meta).unwrap();
        // As written by docker 28.2.2's `docker context create a1 --description hello --docker host=…,ca=…`.
        std::fs::write(
            meta.join("meta.json"),
            r#"{"Name":"a1","Metadata":{"Description":"hello"},"Endpoints":{"docker":{"Host":"tcp://10.0.0.5:2376","SkipTLSVerify":false}}}"#,
        )
        .unwrap();
        let tls = t.path().join("contexts/tls").join(id).join("docker");
        std::fs::create_dir_all(&tls).unwrap();
        std::fs::write(tls.join("ca.pem"), "x").unwrap();
        let (found, problems) = read_store(t.path());
        assert!(problems.is_empty());
        assert_eq!(found.len(), 1);
        let e = found[0].engine("a1".into());
        assert_eq!(e.host, "tcp://10.0.0.5:2376");
        assert_eq!(e.description.as_deref(), Some("hello"));
        assert_eq!(
            e.tls,
            Some(Tls {
                verify: true,
                cert_path: Some(tls.display().to_string())
            })
        );
    }
}
