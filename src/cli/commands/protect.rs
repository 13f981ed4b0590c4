//! `dockmux protect lift ENGINE DURATION` / `dockmux protect resume ENGINE`:
//! a protected engine's second yes set aside for a while, for this user
//! only (engine::policy::lift has the file and its trust rule).

use std::time::{Duration, SystemTime};

use clap::{Args, Subcommand};

use crate::config::{self, Engine, Sources, rules};
use crate::engine::policy::lift;
use crate::error::{Error, Result};
use crate::exit_codes::ExitCode;
use crate::files::atomic;
use crate::output;
use crate::view::lifted;

#[derive(Subcommand, Debug)]
pub enum ProtectCmd {
    /// Your own destructive commands on a protected engine run without the second yes, for a while
    Lift(LiftArgs),
    /// End a lift early: the engine asks again
    Resume(ResumeArgs),
}

#[derive(Args, Debug)]
pub struct LiftArgs {
    /// A protected engine
    #[arg(value_name = "ENGINE")]
    pub engine: String,
    /// How long: "10m", "90s", "1h"
    #[arg(value_name = "DURATION")]
    pub duration: String,
}

#[derive(Args, Debug)]
pub struct ResumeArgs {
    /// An engine whose protection you lifted
    #[arg(value_name = "ENGINE")]
    pub engine: String,
}

pub fn run(cmd: &ProtectCmd, sources: &Sources) -> Result<ExitCode> {
    let cfg = config::load(sources)?;
    match cmd {
        ProtectCmd::Lift(args) => lift(cfg.require(&args.engine)?, &args.duration),
        ProtectCmd::Resume(args) => resume(cfg.require(&args.engine)?),
    }
}

fn lift(engine: &Engine, duration: &str) -> Result<ExitCode> {
    let secs = rules::persist_secs(duration)
        .ok()
        .filter(|s| *s > 0)
        .ok_or_else(|| {
            Error::Usage(format!(
                "'{duration}' is not a duration; give one like 10m, 90s or 1h"
            ))
        })?;
    if engine.readonly {
        // Read-only is what the engine is for (an audit name, a second name
        // for an engine to look at), not a question to answer faster.
        return Err(Error::Usage(format!(
            "engine '{}' is read-only, and a lift does not lift that: only reading commands run \
             there. Use a name of the engine that is not read-only, or take readonly out: \
             dockmux set {} --no-readonly",
            engine.name, engine.name
        )));
    }
    if !engine.protect {
        return Err(Error::Usage(format!(
            "engine '{}' is not protected: its commands already run without a second yes",
            engine.name
        )));
    }
    let until = SystemTime::now() + Duration::from_secs(secs);
    let dir = checked_dir()?;
    atomic::write(
        &dir.join(&engine.name),
        lift::text(engine, until).as_bytes(),
        atomic::PRIVATE,
    )?;
    output::print(&format!(
        "lifted   protection of engine '{}' for you until {} ({duration}): your commands there \
         run without the second yes; end it early: dockmux protect resume {}\n",
        engine.name,
        lifted::clock(until),
        engine.name
    ))?;
    Ok(ExitCode::Success)
}

fn resume(engine: &Engine) -> Result<ExitCode> {
    let file = lift::dir().join(&engine.name);
    let was = lift::until(engine).is_some();
    match std::fs::remove_file(&file) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(Error::io(format!("cannot remove {}", file.display()), e)),
    }
    output::print(&if was {
        format!(
            "resumed  protection of engine '{}': destructive commands ask again\n",
            engine.name
        )
    } else {
        format!(
            "unchanged engine '{}': its protection was not lifted\n",
            engine.name
        )
    })?;
    Ok(ExitCode::Success)
}

/// The lifts' directory, made 0700 if missing; refused when it is not
/// this user's alone (in /tmp someone else may have made it first).
fn checked_dir() -> Result<std::path::PathBuf> {
    let dir = lift::dir();
    if let Err(e) = std::fs::DirBuilder::new()
        .mode(0o700)
        .create(&dir)
        .or_else(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => Ok(()),
            _ => Err(e),
        })
    {
        return Err(Error::io(format!("cannot make {}", dir.display()), e));
    }
    match std::fs::symlink_metadata(&dir) {
        Ok(m) if m.is_dir() && lift::own(&m) => Ok(dir),
        Ok(m) => Err(Error::Usage(format!(
            "{} is not yours alone (owner uid {}, mode {:o}), so a lift written there could be \
             changed by another user; remove it (or set XDG_RUNTIME_DIR to your own runtime \
             directory) and lift again",
            dir.display(),
            std::os::unix::fs::MetadataExt::uid(&m),
            std::os::unix::fs::MetadataExt::mode(&m) & 0o7777
        ))),
        Err(e) => Err(Error::io(format!("cannot check {}", dir.display()), e)),
    }
}

use std::os::unix::fs::DirBuilderExt;
