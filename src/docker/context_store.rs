//! docker's context store, read and written directly
//! (`$DOCKER_CONFIG/contexts/meta/*/meta.json`, TLS files beside them in
//! `contexts/tls/*/docker/`): what `contexts import` and `discover` read, the
//! mark `contexts export` leaves on the contexts it writes, and the names it
//! gives them. Shared by the commands that touch contexts.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use crate::config::{self, Settings, TLS_FILES, Tls};
use crate::error::{Error, Result};
use crate::files::atomic;
use crate::view::report::{Done, Kind, Outcome};
use crate::{config::host, files::paths, files::safe_read, text::escape};

/// The context docker keeps built in; it cannot be created or imported.
pub const DEFAULT_CONTEXT: &str = "default";

/// docker's meta.json files are a few hundred bytes.
const META_CAP: usize = 1 << 20;
/// The key in a context's metadata that says dockmux wrote it, for which
/// engine. docker keeps metadata keys it does not know through `context
/// update` (checked with the 20.10 and 28.2 clients).
const MARK: &str = "dockmux";
/// Appended to an engine name docker does not accept as a context name.
/// dockmux engine names cannot hold '+', so no engine's own name is one.
const SUFFIX: &str = "+dockmux";

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
    /// The engine `contexts export` wrote this context for, if it did.
    pub exported_from: Option<String>,
    /// meta.json's owner: a context another user wrote is not to be trusted.
    pub owner: u32,
}

impl Context {
    /// The engine this context stands for, named `name`.
    pub fn engine(&self, name: String) -> Settings {
        let tcp = host::check(&self.host).is_ok_and(config::rules::tls_fits);
        let tls = (tcp && (self.skip_tls_verify || self.tls_dir.is_some())).then(|| Tls {
            verify: !self.skip_tls_verify,
            cert_path: self.tls_dir.as_ref().map(|d| d.display().to_string()),
        });
        Settings {
            name,
            host: self.host.clone(),
            description: match self.description.as_deref() {
                // The placeholder `export` writes for an engine without a description.
                Some(d) if d == placeholder(self.engine_name()) => None,
                Some(d) if !d.is_empty() => Some(d.to_string()),
                _ => Some(format!("from docker context '{}'", self.name)),
            },
            tls,
            ..Settings::default()
        }
    }

    /// The engine name this context stands for: the one dockmux exported it
    /// from, else its own name with dockmux's suffix taken off.
    pub fn engine_name(&self) -> &str {
        match &self.exported_from {
            Some(e) => e,
            None => self
                .name
                .strip_suffix(SUFFIX)
                .filter(|n| config::rules::check_name(n).is_ok())
                .unwrap_or(&self.name),
        }
    }
}

/// The description `contexts export` gives an engine without one.
pub fn placeholder(engine: &str) -> String {
    format!("dockmux engine {engine}")
}

/// The context name `contexts export` uses for engine `engine`: the engine's
/// own name where docker accepts it (`^[a-zA-Z0-9][a-zA-Z0-9_.+-]+$`, and not
/// `default`), else the name with `+dockmux` appended.
pub fn context_name(engine: &str) -> String {
    if engine.len() >= 2 && engine != DEFAULT_CONTEXT {
        engine.to_string()
    } else {
        format!("{engine}{SUFFIX}")
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Meta {
    name: String,
    #[serde(default)]
    metadata: Option<MetaData>,
    #[serde(default)]
    endpoints: HashMap<String, Endpoint>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct MetaData {
    #[serde(default)]
    description: Option<String>,
    #[serde(default, rename = "dockmux")]
    mark: Option<Mark>,
}

#[derive(Deserialize)]
struct Mark {
    engine: String,
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

/// [`docker_config_dir`], or the error that says why there is none.
pub fn store_dir() -> Result<PathBuf> {
    docker_config_dir().ok_or_else(|| {
        Error::Usage(
            "cannot tell where docker keeps its contexts: neither DOCKER_CONFIG nor HOME is set"
                .to_string(),
        )
    })
}

/// Every context in the store under `config_dir` that has a docker endpoint,
/// sorted by name, and a note for each meta.json that could not be read.
/// meta.json is read as a file someone else may have planted (safe_read.rs);
/// the name and description, which are shown, are escaped.
pub fn read_store(config_dir: &Path) -> (Vec<Context>, Vec<String>) {
    let meta_root = config_dir.join("contexts/meta");
    let mut found = Vec::new();
    let mut problems = Vec::new();
    let Ok(entries) = std::fs::read_dir(&meta_root) else {
        return (found, problems);
    };
    for entry in entries.flatten() {
        let meta = entry.path().join("meta.json");
        let parsed = safe_read::read(&meta, META_CAP)
            .map_err(|e| e.to_string())
            .and_then(|c| {
                let m = serde_json::from_slice::<Meta>(&c.bytes).map_err(|e| e.to_string())?;
                Ok((m, c.uid))
            });
        let (m, owner) = match parsed {
            Ok(m) => m,
            Err(e) => {
                problems.push(escape::owned(&format!("skipped {}: {e}", meta.display())));
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
        let (description, mark) = match m.metadata {
            Some(d) => (d.description, d.mark),
            None => (None, None),
        };
        found.push(Context {
            name: escape::owned(&m.name),
            host,
            description: description.map(|d| escape::owned(&d)),
            skip_tls_verify: ep.skip_tls_verify,
            tls_dir: has_tls.then_some(tls_dir),
            meta,
            // A mark naming no valid engine is someone else's doing.
            exported_from: mark
                .map(|m| m.engine)
                .filter(|e| config::rules::check_name(e).is_ok()),
            owner,
        });
    }
    found.sort_by(|a, b| a.name.cmp(&b.name));
    (found, problems)
}

/// Marks the context whose meta.json is `meta` as exported by dockmux for `engine`.
pub fn mark(meta: &Path, engine: &str) -> Result<()> {
    let fail = |why: String| {
        Error::Failed(format!(
            "cannot mark {} as written by dockmux: {why}",
            meta.display()
        ))
    };
    let bytes = std::fs::read(meta).map_err(|e| fail(e.to_string()))?;
    let mut v: Value = serde_json::from_slice(&bytes).map_err(|e| fail(e.to_string()))?;
    let Some(root) = v.as_object_mut() else {
        return Err(fail("it is not a JSON object".into()));
    };
    let metadata = root
        .entry("Metadata")
        .or_insert_with(|| Value::Object(Default::default()));
    if !metadata.is_object() {
        *metadata = Value::Object(Default::default());
    }
    metadata[MARK] = serde_json::json!({ "engine": engine });
    let text = serde_json::to_vec(&v).map_err(|e| fail(e.to_string()))?;
    atomic::write(meta, &text, atomic::PRIVATE)
}

/// The context docker's config.json names as current (`docker context use`).
pub fn current(config_dir: &Path) -> Option<String> {
    let bytes = std::fs::read(config_dir.join("config.json")).ok()?;
    let v: Value = serde_json::from_slice(&bytes).ok()?;
    v.get("currentContext")?
        .as_str()
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// Takes away the context `contexts export` wrote for engine `engine`, as
/// `docker context rm` does (its meta and TLS directories), unless it is the
/// current context. Returns its outcome, if there was one: what was done,
/// or what was left and the command that finishes it.
pub fn remove_exported(engine: &str) -> Option<Outcome> {
    let dir = docker_config_dir()?;
    let (contexts, _) = read_store(&dir);
    let ctx = contexts
        .iter()
        .find(|c| c.exported_from.as_deref() == Some(engine))?;
    let in_env = std::env::var("DOCKER_CONTEXT").ok();
    if current(&dir).as_deref() == Some(&ctx.name) || in_env.as_deref() == Some(&ctx.name) {
        return Some(docker_context(
            Done::Kept,
            &ctx.name,
            format!(
                ": it is the current context; to remove it: \
                 docker context use default && docker context rm {}",
                crate::text::quote::sh_word(&ctx.name)
            ),
        ));
    }
    let id = ctx.meta.parent().and_then(Path::file_name)?;
    for sub in ["contexts/tls", "contexts/meta"] {
        let path = dir.join(sub).join(id);
        match std::fs::remove_dir_all(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Some(docker_context(
                    Done::Kept,
                    &ctx.name,
                    format!(
                        ": cannot remove {}: {e}; remove it with docker context rm {}",
                        path.display(),
                        crate::text::quote::sh_word(&ctx.name)
                    ),
                ));
            }
        }
    }
    Some(docker_context(Done::Removed, &ctx.name, String::new()))
}

fn docker_context(done: Done, name: &str, rest: String) -> Outcome {
    Outcome::new(
        done,
        Kind::Context,
        name,
        format!("docker context '{name}'{rest}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_docker_refuses_get_the_suffix_and_map_back() {
        assert_eq!(context_name("pg"), "pg");
        assert_eq!(context_name("a"), "a+dockmux");
        assert_eq!(context_name("7"), "7+dockmux");
        assert_eq!(context_name("default"), "default+dockmux");
        let ctx = |name: &str| Context {
            name: name.into(),
            host: "unix:///x".into(),
            description: None,
            skip_tls_verify: false,
            tls_dir: None,
            meta: PathBuf::new(),
            exported_from: None,
            owner: 0,
        };
        assert_eq!(ctx("a+dockmux").engine_name(), "a");
        assert_eq!(ctx("default+dockmux").engine_name(), "default");
        assert_eq!(ctx("ab").engine_name(), "ab");
        assert_eq!(ctx("A+dockmux").engine_name(), "A+dockmux");
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
        assert_eq!(found[0].exported_from, None);
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

        mark(&meta.join("meta.json"), "a1").unwrap();
        let (found, _) = read_store(t.path());
        assert_eq!(found[0].exported_from.as_deref(), Some("a1"));
        assert_eq!(found[0].description.as_deref(), Some("hello"));
    }
}
