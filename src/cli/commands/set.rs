//! `dockmux set ENGINE… [--host H] [--protect|--no-protect] …`: changes
//! existing engines in place through the edit session (src/edit/mod.rs), only
//! the keys that change; every engine is checked before one write.

use clap::Args;

use crate::cli::selection;
use crate::config::{self, Key, Settings, Sources, Tls};
use crate::edit::Session;
use crate::edit::pin;
use crate::engine;
use crate::error::{Error, Result};
use crate::exit_codes::ExitCode;
use crate::view::report::{Done, Kind, Outcome, Report};

#[derive(Args, Debug)]
pub struct SetArgs {
    /// The engines to change: names, globs ('nas*'), @TAG; ^ before one leaves it out
    #[arg(value_name = "ENGINE", required = true)]
    pub engines: Vec<String>,
    /// unix:///path/to/docker.sock, tcp://HOST:PORT or ssh://[USER@]HOST[:PORT][/socket]
    #[arg(long)]
    pub host: Option<String>,
    /// A line saying what the engine is
    #[arg(long, conflicts_with = "no_description")]
    pub description: Option<String>,
    /// Take the description out
    #[arg(long)]
    pub no_description: bool,
    /// Shown when the engine's socket is missing
    #[arg(long, conflicts_with = "no_hint")]
    pub hint: Option<String>,
    /// Take the hint out
    #[arg(long)]
    pub no_hint: bool,
    /// The engine's other command names, replacing the ones it has (repeatable)
    #[arg(long = "alias", value_name = "NAME", conflicts_with = "no_aliases")]
    pub aliases: Vec<String>,
    /// Take every alias out
    #[arg(long)]
    pub no_aliases: bool,
    /// The engine's tags, replacing the ones it has (repeatable)
    #[arg(long = "tag", value_name = "TAG", conflicts_with = "no_tags")]
    pub tags: Vec<String>,
    /// Take every tag out
    #[arg(long)]
    pub no_tags: bool,
    /// The docker client the engine runs (an absolute path), instead of the one on PATH
    #[arg(long, value_name = "PATH", conflicts_with = "no_client")]
    pub client: Option<String>,
    /// Take the client out (the config's `docker`, or the one on PATH, runs)
    #[arg(long)]
    pub no_client: bool,
    /// Destructive commands on the engine need its name typed back
    #[arg(long, conflicts_with = "no_protect")]
    pub protect: bool,
    /// Destructive commands on the engine run without asking
    #[arg(long)]
    pub no_protect: bool,
    /// Only commands that read run on the engine
    #[arg(long, conflicts_with = "no_readonly")]
    pub readonly: bool,
    /// Every command runs on the engine (as protect allows)
    #[arg(long)]
    pub no_readonly: bool,
    /// With protect: host directories containers may bind-mount without the second yes,
    /// replacing the ones it has (repeatable)
    #[arg(
        long = "safe-bind",
        value_name = "DIR",
        conflicts_with = "no_safe_binds"
    )]
    pub safe_binds: Vec<String>,
    /// Take every safe bind out
    #[arg(long)]
    pub no_safe_binds: bool,
    /// The engine's data root on its host, when it is not to be asked
    #[arg(long, value_name = "DIR", conflicts_with = "no_data_root")]
    pub data_root: Option<String>,
    /// Take the data root out (it is asked again)
    #[arg(long)]
    pub no_data_root: bool,
    /// Pin the engine to the one that answers now (or to IDENTITY, as `list --json` shows a pin):
    /// destructive commands on another engine there are refused
    #[arg(long, value_name = "IDENTITY", num_args = 0..=1, conflicts_with = "no_pin")]
    pub pin: Option<Option<String>>,
    /// Take the pin out
    #[arg(long)]
    pub no_pin: bool,
    /// ssh hosts: how long the shared connection stays after its last use ("10m", "90s", "0": off)
    #[arg(long, value_name = "TIME", conflicts_with = "no_persist")]
    pub persist: Option<String>,
    /// Take the engine's own persist out (the config's top-level one, or the default, holds)
    #[arg(long)]
    pub no_persist: bool,
    /// TLS, verifying the server (tcp only)
    #[arg(long, conflicts_with_all = ["tls", "no_tls"])]
    pub tlsverify: bool,
    /// TLS without verifying the server (tcp only)
    #[arg(long, conflicts_with = "no_tls")]
    pub tls: bool,
    /// Directory with ca.pem, cert.pem, key.pem (implies TLS)
    #[arg(long, value_name = "DIR", conflicts_with = "no_tls")]
    pub cert_path: Option<String>,
    /// Take TLS out
    #[arg(long)]
    pub no_tls: bool,
    /// Edit the system config (/etc/dockmux/engines.toml) instead of yours
    #[arg(long)]
    pub system: bool,
    /// Say what was done as JSON
    #[arg(long)]
    pub json: bool,
}

impl SetArgs {
    /// `s` as these options change it.
    fn apply(&self, s: &Settings) -> Settings {
        let mut s = s.clone();
        let text = |v: &Option<String>, none: bool, old: Option<String>| {
            if none { None } else { v.clone().or(old) }
        };
        if let Some(h) = &self.host {
            s.host = h.clone();
        }
        s.description = text(&self.description, self.no_description, s.description);
        s.hint = text(&self.hint, self.no_hint, s.hint);
        s.client = text(&self.client, self.no_client, s.client);
        s.data_root = text(&self.data_root, self.no_data_root, s.data_root);
        s.persist = text(&self.persist, self.no_persist, s.persist);
        s.pin = text(&self.pin.clone().flatten(), self.no_pin, s.pin);
        let names = |v: &[String], none: bool, old: Vec<String>| {
            if none {
                Vec::new()
            } else if v.is_empty() {
                old
            } else {
                v.to_vec()
            }
        };
        s.aliases = names(&self.aliases, self.no_aliases, s.aliases);
        s.tags = names(&self.tags, self.no_tags, s.tags);
        s.safe_binds = names(&self.safe_binds, self.no_safe_binds, s.safe_binds);
        if self.no_tls {
            s.tls = None;
        } else if self.tls || self.tlsverify || self.cert_path.is_some() {
            let old = s.tls.take();
            s.tls = Some(Tls {
                verify: !self.tls && (self.tlsverify || old.as_ref().is_none_or(|t| t.verify)),
                cert_path: self.cert_path.clone().or(old.and_then(|t| t.cert_path)),
            });
        }
        let switch = |on: bool, off: bool, old: bool| (old || on) && !off;
        s.protect = switch(self.protect, self.no_protect, s.protect);
        s.readonly = switch(self.readonly, self.no_readonly, s.readonly);
        // The pin belongs to protection: it goes with it.
        if !s.protect {
            s.pin = None;
        }
        s
    }

    fn changes_nothing(&self) -> bool {
        let s = Settings::default();
        let all = Settings {
            description: Some(String::new()),
            hint: Some(String::new()),
            client: Some(String::new()),
            aliases: vec![String::new()],
            tls: Some(Tls {
                verify: false,
                cert_path: None,
            }),
            protect: true,
            readonly: true,
            safe_binds: vec![String::new()],
            data_root: Some(String::new()),
            pin: Some(String::new()),
            persist: Some(String::new()),
            tags: vec![String::new()],
            ..Settings::default()
        };
        self.pin.is_none() && self.apply(&s) == s && self.apply(&all) == all
    }

    /// `--pin` without a value: pin to what answers now.
    fn pins_now(&self) -> bool {
        matches!(self.pin, Some(None))
    }
}

pub fn run(args: &SetArgs, sources: &Sources) -> Result<ExitCode> {
    if args.changes_nothing() {
        return Err(Error::Usage(
            "nothing to change: give what to set, e.g. --protect, --host URL or --tag TAG \
             (dockmux set --help lists them)"
                .into(),
        ));
    }
    let mut session = Session::open(sources, args.system)?;
    let names: Vec<String> = selection::select(&session.cfg, &args.engines)?
        .iter()
        .map(|e| e.name.clone())
        .collect();
    if names.len() > 1 && !args.aliases.is_empty() {
        return Err(Error::Usage(format!(
            "--alias names commands, and a command reaches one engine, but {} engines are named ({}); \
             set aliases one engine at a time",
            names.len(),
            names.join(", ")
        )));
    }
    let mut report = Report::default();
    for name in &names {
        let old = session.cfg.require(name)?.settings.clone();
        let mut new = args.apply(&old);
        if args.pin.is_some() && !new.protect {
            return Err(Error::Usage(format!(
                "engine '{name}' is not protected, and a pin holds only a protected engine; \
                 add --protect"
            )));
        }
        if args.pins_now() {
            new.pin = Some(engine::policy::identity(&new).map_err(|why| {
                Error::Failed(format!(
                    "cannot pin engine '{name}': {why}; nothing was changed. Start it (or fix its \
                     host), or give what it answers as: --pin 'id=ID name=NAME root=/DATA-ROOT'"
                ))
            })?);
        }
        // Protected now: pinned to what answers (a note when it cannot be asked).
        let note = match !old.protect && !args.no_pin {
            true => pin::record(&mut new),
            false => None,
        };
        let changed = session.set(&new)?;
        report.push(outcome(&session, &new, &changed));
        if let Some(n) = note {
            report.note(n);
        }
        if changed.contains(&Key::Client)
            && let Some(n) = crate::edit::client::note(&new, &session.path)
        {
            report.note(n);
        }
    }
    session.commit()?;
    session.others_lose(&mut report)?;
    report.print(args.json)?;
    Ok(ExitCode::Success)
}

/// What changed of one engine.
fn outcome(session: &Session, e: &Settings, changed: &[Key]) -> Outcome {
    if changed.is_empty() {
        return Outcome::new(
            Done::Unchanged,
            Kind::Engine,
            &e.name,
            format!("engine '{}': it is so already", e.name),
        );
    }
    let what: Vec<String> = changed
        .iter()
        .map(|k| match e.get(*k) {
            Some(v) => format!("{} = {}", k.toml(), config::keys::toml_value(v)),
            None => format!("{} taken out", k.toml()),
        })
        .collect();
    let mut out = Outcome::new(
        Done::Changed,
        Kind::Engine,
        &e.name,
        format!(
            "engine '{}' in {}: {}",
            e.name,
            session.path.display(),
            what.join(", ")
        ),
    );
    if changed.contains(&Key::Aliases) && !e.aliases.is_empty() {
        out.notes.push(format!(
            "note: links for new aliases are made by: dockmux link {}",
            e.name
        ));
    }
    out
}
