//! `dockmux add`: one engine into engines.toml through the edit session
//! (src/edit/mod.rs), and with `--link` its links, all checked before anything
//! is written.

use std::path::{Path, PathBuf};

use clap::Args;

use crate::config::{Settings, Sources, Tls};
use crate::edit::pin;
use crate::edit::{self, Session, target_path};
use crate::error::{Error, Result};
use crate::exit_codes::ExitCode;
use crate::install::links::{self, Linker};
use crate::install::shared;
use crate::output;
use crate::view::report::{Done, Kind, Outcome, Report};

#[derive(Args, Debug)]
pub struct AddArgs {
    /// Engine name: `NAME-docker` will reach it
    pub name: String,
    /// unix:///path/to/docker.sock, tcp://HOST:PORT or ssh://[USER@]HOST[:PORT][/socket]
    pub host: String,
    /// A line saying what the engine is
    #[arg(long)]
    pub description: Option<String>,
    /// Another command name for the engine (repeatable)
    #[arg(long = "alias", value_name = "NAME")]
    pub aliases: Vec<String>,
    /// Shown when the engine's socket is missing
    #[arg(long)]
    pub hint: Option<String>,
    /// TLS, verifying the server (tcp only)
    #[arg(long, conflicts_with = "tls")]
    pub tlsverify: bool,
    /// TLS without verifying the server (tcp only)
    #[arg(long)]
    pub tls: bool,
    /// Directory with ca.pem, cert.pem, key.pem (implies --tlsverify unless --tls)
    #[arg(long, value_name = "DIR")]
    pub cert_path: Option<String>,
    /// The docker client this engine runs (an absolute path), instead of the one on PATH
    #[arg(long, value_name = "PATH")]
    pub client: Option<String>,
    /// Destructive commands on this engine need its name typed back
    #[arg(long)]
    pub protect: bool,
    /// Only commands that read run on this engine (with --protect too, this holds)
    #[arg(long)]
    pub readonly: bool,
    /// With --protect: a host directory containers may bind-mount without the second yes (repeatable)
    #[arg(long = "safe-bind", value_name = "DIR")]
    pub safe_binds: Vec<String>,
    /// The engine's data root on its host, when it is not to be asked
    #[arg(long, value_name = "DIR")]
    pub data_root: Option<String>,
    /// ssh hosts: how long the shared connection stays after its last use ("10m", "90s", "0": off)
    #[arg(long, value_name = "TIME")]
    pub persist: Option<String>,
    /// With --protect: the engine's identity (as `dockmux list --json` shows its pin);
    /// by default asked from the engine
    #[arg(long, value_name = "IDENTITY", requires = "protect")]
    pub pin: Option<String>,
    /// A tag to select the engine by (`@TAG`; repeatable)
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// Edit the system config (/etc/dockmux/engines.toml) instead of yours
    #[arg(long)]
    pub system: bool,
    /// Also make the engine's links (NAME-docker and one per alias)
    #[arg(long)]
    pub link: bool,
    /// Directory for the links [default: the directory holding dockmux]
    #[arg(long, value_name = "DIR", requires = "link")]
    pub dir: Option<PathBuf>,
    /// Say what was done as JSON
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &AddArgs, sources: &Sources) -> Result<ExitCode> {
    let tls = (args.tls || args.tlsverify || args.cert_path.is_some()).then(|| Tls {
        verify: !args.tls,
        cert_path: args.cert_path.clone(),
    });
    let engine = Settings {
        name: args.name.clone(),
        host: args.host.clone(),
        description: args.description.clone(),
        aliases: args.aliases.clone(),
        hint: args.hint.clone(),
        tls,
        client: args.client.clone(),
        protect: args.protect,
        readonly: args.readonly,
        safe_binds: args.safe_binds.clone(),
        data_root: args.data_root.clone(),
        pin: args.pin.clone(),
        persist: args.persist.clone(),
        tags: args.tags.clone(),
    };
    let mut engine = engine;
    // A protected engine is pinned to what answers now (policy::check_pin).
    let pin_note = match (pin::record(&mut engine), &engine.pin) {
        (Some(note), _) => Some(note),
        (None, Some(p)) if args.pin.is_none() => Some(format!("pinned to {p}")),
        _ => None,
    };
    // Everything is checked before anything is written: the engine, the link
    // directory, who it serves, and the files in the way.
    edit::check(&engine)?;
    links::refuse_shadowing(engine.commands())?;
    let linker = if args.link {
        let l = Linker::new(args.dir.as_deref(), false, false)?;
        if !args.system && shared::serves_others(&l.dir) {
            // Only what this user can do: --system is root's (or the system config's owner's).
            let system = if may_edit(&sources.system) {
                format!(
                    "add --system to put it in {} for all, or ",
                    sources.system.display()
                )
            } else {
                String::new()
            };
            return Err(Error::Usage(format!(
                "{} serves every user, but engine '{}' would be only in your own config ({}), \
                 so its commands there would fail for everyone else; {system}link into a \
                 directory of your own (--dir ~/.local/bin)",
                l.dir.display(),
                engine.name,
                target_path(sources, false)?.display(),
            )));
        }
        writable(&l.dir)?;
        l.refuse_packaged(engine.commands())?;
        let conflicts = l.conflicts(engine.commands());
        if !conflicts.is_empty() {
            return Err(Error::Usage(links::conflict_error(&conflicts).to_string()));
        }
        Some(l)
    } else {
        None
    };
    let mut session = Session::open(sources, args.system)?;
    session.add(&engine)?;
    session.commit()?;
    let mut report = Report::default();
    report.push(Outcome::new(
        Done::Added,
        Kind::Engine,
        &engine.name,
        format!(
            "engine '{}' ({}) to {}",
            engine.name,
            engine.host,
            session.path.display()
        ),
    ));
    if session.seeded {
        report.note(if args.system {
            "(the file was new: it also holds the built-in engines, which users without a config of their own had)"
        } else {
            "(the file was new: it also holds the built-in engines)"
        });
    }
    // Added all the same (the daemon may start later), but said at once.
    let socket_note = engine
        .unix_socket()
        .filter(|p| {
            std::fs::symlink_metadata(p).is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound)
        })
        .map(|p| {
            format!(
                "dockmux: note: no socket at {} yet: {}-docker fails until a docker daemon listens there",
                p.display(),
                engine.name
            )
        });
    if let Some(n) = pin_note {
        report.note(n);
    }
    if let Some(n) = edit::client::note(&engine, &session.path) {
        report.note(n);
    }
    let Some(l) = &linker else {
        report.print(args.json)?;
        if let Some(n) = &socket_note {
            output::note(n);
        }
        return Ok(ExitCode::Success);
    };
    // The engine is in the config now: a failure from here on says so, and how to finish.
    let finish = format!(
        "engine '{}' was added to {}, but",
        engine.name,
        session.path.display()
    );
    let rerun = format!(
        "dockmux link --dir {} {}",
        crate::text::quote::path(&l.dir),
        crate::text::quote::sh_word(&engine.name)
    );
    let linked = l.link(engine.commands(), &mut report);
    report.print(args.json)?;
    if let Some(n) = &socket_note {
        output::note(n);
    }
    if let Some(note) = l.path_note() {
        output::note(&note);
    }
    match linked {
        Ok(conflicts) if conflicts.is_empty() => Ok(ExitCode::Success),
        Ok(conflicts) => Err(Error::Failed(format!(
            "{finish} {}; to finish: move the file away, then {rerun}",
            links::conflict_error(&conflicts)
        ))),
        Err(h) => Err(Error::Failed(format!(
            "{finish} linking stopped: {}; {} ({}); to finish, once that is fixed: {rerun}",
            h.error,
            h.made_note(),
            l.dir.display()
        ))),
    }
}

/// The link directory takes new entries; checked before the config is touched.
fn writable(dir: &Path) -> Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(dir.as_os_str().as_bytes())
        .map_err(|_| Error::Usage(format!("{} holds a NUL byte", dir.display())))?;
    // SAFETY: access reads a NUL-terminated path and has no other effect.
    if unsafe { libc::access(c.as_ptr(), libc::W_OK | libc::X_OK) } == 0 {
        return Ok(());
    }
    let e = std::io::Error::last_os_error();
    Err(Error::Usage(format!(
        "cannot make links in {}: {e}{}; nothing was changed",
        dir.display(),
        crate::error::permission_fix(&e)
    )))
}

/// May the caller write `config` (or create it): root, or its directory's owner.
fn may_edit(config: &Path) -> bool {
    crate::files::secure::euid() == 0
        || crate::install::bin_dir::writable(config.parent().unwrap_or(Path::new("/")))
}
