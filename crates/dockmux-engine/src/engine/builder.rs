//! Builds stay on the engine. buildx picks its builder from `--builder`,
//! `BUILDX_BUILDER`, `BUILDKIT_HOST` and a builder chosen with `buildx use
//! [--global]` in the user's buildx state: any of them could send
//! `NAME-docker build` to another engine. The engine path names the
//! builder of DOCKER_HOST's own context (`default`) and drops
//! `BUILDKIT_HOST` ([`BUILDER`], [`REPLACED`]); a `--builder` on the line is
//! refused unless every node of that builder is on NAME's host, by the
//! builder's record in buildx's state.

use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use crate::config::Engine;
use crate::engine::line::Line;
use crate::engine::policy::json;
use crate::error::{Error, Result};

/// Set on every client the engine path runs: the builder of the default
/// context, which is DOCKER_HOST's engine, beats a global `buildx use`.
pub const BUILDER: &std::ffi::CStr = c"BUILDX_BUILDER=default";
/// Dropped from the caller's environment: `BUILDER`'s key, and
/// `BUILDKIT_HOST`, which would point a builder elsewhere.
pub const REPLACED: [&str; 2] = ["BUILDX_BUILDER", "BUILDKIT_HOST"];

/// [`BUILDER`] and [`REPLACED`] on a client that is spawned (`dockmux each`),
/// as the engine path's exec gives them.
pub fn set_env(cmd: &mut std::process::Command) {
    let (key, value) = BUILDER
        .to_str()
        .ok()
        .and_then(|kv| kv.split_once('='))
        .unwrap_or(("BUILDX_BUILDER", "default"));
    for k in REPLACED {
        cmd.env_remove(k);
    }
    cmd.env(key, value);
}

/// Refuses a `--builder` that is not on `engine`. Lines without the word
/// cost one pass over their bytes' first characters.
pub fn check(engine: &Engine, line: &Line) -> Result<()> {
    if !line
        .words()
        .iter()
        .any(|a| a.as_bytes().starts_with(b"--builder"))
    {
        return Ok(());
    }
    for name in line.command().values("builder", None) {
        let name = String::from_utf8_lossy(name);
        if name != "default" && !on_engine(&name, engine, line) {
            return Err(Error::RefusedFlag {
                flag: format!("--builder {}", crate::text::escape::owned(&name)),
                engine: engine.name.clone(),
            });
        }
    }
    Ok(())
}

/// Whether buildx's record of builder `name` puts every node on `engine`'s host.
fn on_engine(name: &str, engine: &Engine, line: &Line) -> bool {
    let plain = !name.is_empty()
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b));
    let Some(dir) = buildx_dir(line).filter(|_| plain) else {
        return false;
    };
    let mut text = Vec::new();
    let read = std::fs::File::open(dir.join("instances").join(name))
        .and_then(|f| f.take(1 << 20).read_to_end(&mut text));
    if read.is_err() {
        return false;
    }
    let Some(nodes) = json::field(&text, "Nodes").and_then(json::items) else {
        return false;
    };
    !nodes.is_empty()
        && nodes.iter().all(|n| {
            json::field(n, "Endpoint")
                .and_then(json::string)
                .is_some_and(|ep| crate::config::host::same_endpoint(&ep, &engine.host))
        })
}

/// buildx's state, where buildx reads it: `$BUILDX_CONFIG`, else `buildx`
/// beside the client's config file — in the line's `--config DIR`, else
/// `$DOCKER_CONFIG`, else `~/.docker`.
fn buildx_dir(line: &Line) -> Option<PathBuf> {
    let var = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    let given = line
        .global_value("config")
        .filter(|d| !d.is_empty())
        .map(|d| PathBuf::from(std::ffi::OsStr::from_bytes(d)));
    var("BUILDX_CONFIG").or_else(|| {
        given
            .or_else(|| var("DOCKER_CONFIG"))
            .or_else(|| var("HOME").map(|h| h.join(".docker")))
            .map(|d| d.join("buildx"))
    })
}
