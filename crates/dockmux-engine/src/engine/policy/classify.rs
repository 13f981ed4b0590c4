//! What each docker command does to an engine, by its path in docker's tree
//! (engine/line finds the path in every spelling docker accepts).
//!
//! Three kinds: commands that only read (the read-only allow-list),
//! destructive ones (held on a protected engine), and the rest.

use super::touch;
use crate::config::Engine;
use crate::engine::line::Command;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// Only reads the engine (or nothing at all): runs on read-only engines.
    Reads,
    /// Changes something, but removes and overwrites nothing.
    Writes,
    /// Removes, kills, stops, prunes or overwrites; the reason, for the prompt.
    Destroys(String),
}

/// Commands that read, and the flags that would make each one act (read-only
/// engines refuse those forms). An allow-list: a command docker adds later
/// is not here until someone checks what it does.
const READS: &[(&str, &[&str])] = &[
    ("container ls", &[]),
    ("container inspect", &[]),
    ("container logs", &[]),
    ("container top", &[]),
    ("container stats", &[]),
    ("container port", &[]),
    ("container diff", &[]),
    ("container wait", &[]),
    ("container export", &[]),
    ("image ls", &[]),
    ("image inspect", &[]),
    ("image history", &[]),
    ("image save", &[]),
    ("inspect", &[]),
    ("system df", &[]),
    ("system info", &[]),
    ("system events", &[]),
    ("version", &[]),
    ("volume ls", &[]),
    ("volume inspect", &[]),
    ("network ls", &[]),
    ("network inspect", &[]),
    ("node ls", &[]),
    ("node inspect", &[]),
    ("node ps", &[]),
    ("service ls", &[]),
    ("service inspect", &[]),
    ("service logs", &[]),
    ("service ps", &[]),
    ("stack ls", &[]),
    ("stack ps", &[]),
    ("stack services", &[]),
    ("stack config", &[]),
    ("secret ls", &[]),
    ("secret inspect", &[]),
    ("config ls", &[]),
    ("config inspect", &[]),
    ("plugin ls", &[]),
    ("plugin inspect", &[]),
    ("checkpoint ls", &[]),
    ("context ls", &[]),
    ("context inspect", &[]),
    ("context show", &[]),
    ("search", &[]),
    ("manifest inspect", &[]),
    ("trust inspect", &[]),
    ("compose ps", &[]),
    ("compose ls", &[]),
    ("compose logs", &[]),
    ("compose config", &[]),
    ("compose images", &[]),
    ("compose top", &[]),
    ("compose events", &[]),
    ("compose port", &[]),
    ("compose version", &[]),
    ("compose stats", &[]),
    ("compose volumes", &[]),
    ("buildx ls", &[]),
    // --bootstrap starts the builder: a container on the engine.
    ("buildx inspect", &["bootstrap"]),
    ("buildx du", &[]),
    ("buildx version", &[]),
    ("buildx history ls", &[]),
    ("buildx history inspect", &[]),
    ("buildx history logs", &[]),
    ("buildx history trace", &[]),
    ("buildx imagetools inspect", &[]),
];

/// When a rule holds a command.
#[derive(Clone, Copy)]
pub enum When {
    Always,
    /// Any of these flags is given and not turned off (long names).
    Flag(&'static [&'static str]),
    /// The flag is given with a value other than these.
    ValueNot(&'static str, &'static [&'static str]),
    /// Its arguments say so (the condition, for the table).
    Args(fn(&Command) -> bool, &'static str),
    /// Judged by what it would touch (touch.rs); when, for the table.
    Touches(fn(&Command, &Engine) -> Option<String>, &'static str),
}

/// A command a protected engine holds, and when, and what it does.
pub struct Rule {
    /// The command's path in docker's tree (`container rm`).
    pub path: &'static str,
    pub when: When,
    pub why: &'static str,
}

const TOUCH: &str = "when it would reach past the sandbox (see above)";

const fn rule(path: &'static str, why: &'static str) -> Rule {
    Rule {
        path,
        when: When::Always,
        why,
    }
}

/// What a protected engine holds: the one source of the classifier and of
/// the table in docs/protected-engines.md (tests/policy.rs checks it).
pub const HELD: &[Rule] = &[
    rule("container rm", "removes containers"),
    rule("container kill", "kills containers"),
    rule("container stop", "stops containers"),
    rule("container restart", "restarts containers"),
    rule("container pause", "pauses containers"),
    rule("container rename", "renames a container"),
    rule("container prune", "removes stopped containers"),
    rule(
        "container update",
        "changes a container's limits or restart policy (a lower limit can kill it)",
    ),
    Rule {
        path: "container run",
        when: When::Touches(touch::run, TOUCH),
        why: "reaches past the container's sandbox",
    },
    Rule {
        path: "container create",
        when: When::Touches(touch::run, TOUCH),
        why: "reaches past the container's sandbox",
    },
    Rule {
        path: "container exec",
        when: When::Flag(&["privileged"]),
        why: "runs a privileged process in a container",
    },
    Rule {
        path: "container cp",
        when: When::Args(cp_into_container, "into a container"),
        why: "may overwrite files in a container",
    },
    rule("checkpoint rm", "removes a checkpoint"),
    rule("image rm", "removes images"),
    rule("image prune", "removes images"),
    rule("image tag", "may overwrite an image name"),
    rule("image load", "may overwrite image names"),
    Rule {
        path: "image import",
        when: When::Args(import_names, "with a name"),
        why: "may overwrite an image name",
    },
    Rule {
        path: "volume create",
        when: When::Touches(volume_create, "with driver options (`-o`)"),
        why: "creates a volume with driver options, which can name a device or a host path",
    },
    rule("volume rm", "removes volumes"),
    rule("volume prune", "removes volumes"),
    rule("network rm", "removes networks"),
    rule("network prune", "removes networks"),
    rule(
        "network disconnect",
        "disconnects a container from a network",
    ),
    rule("builder prune", "removes build cache"),
    Rule {
        path: "image build",
        when: When::Flag(&["allow"]),
        why: "grants a build privileged steps or the host's network",
    },
    Rule {
        path: "buildx build",
        when: When::Flag(&["allow"]),
        why: "grants a build privileged steps or the host's network",
    },
    Rule {
        path: "buildx bake",
        when: When::Flag(&["allow"]),
        why: "grants a build privileged steps or the host's network",
    },
    rule(
        "system prune",
        "removes containers, networks, images and build cache",
    ),
    rule("swarm leave", "leaves the swarm"),
    Rule {
        path: "swarm init",
        when: When::Flag(&["force-new-cluster"]),
        why: "replaces the swarm with a new one-node cluster",
    },
    rule(
        "service create",
        "starts a service, which can mount any node's files (dockmux does not judge its flags)",
    ),
    rule("service rm", "removes services"),
    rule("service scale", "may remove service tasks"),
    rule("service update", "replaces a service's tasks"),
    rule("service rollback", "replaces a service's tasks"),
    rule(
        "stack deploy",
        "replaces a stack's services as its compose file says (dockmux does not read it)",
    ),
    rule("stack rm", "removes stacks"),
    rule("secret rm", "removes secrets"),
    rule("config rm", "removes configs"),
    rule("node rm", "removes swarm nodes"),
    Rule {
        path: "node update",
        when: When::ValueNot("availability", &["active"]),
        why: "drains or pauses a node (its tasks stop)",
    },
    rule("node demote", "may cost the swarm its quorum"),
    rule("plugin rm", "removes plugins"),
    rule("plugin disable", "stops a plugin"),
    rule(
        "plugin install",
        "installs a plugin, which can be granted any privilege on the host",
    ),
    rule(
        "plugin upgrade",
        "replaces a plugin, which can be granted any privilege on the host",
    ),
    rule(
        "plugin set",
        "changes a plugin's mounts, devices or settings",
    ),
    rule("context rm", "removes docker contexts"),
    rule(
        "compose up",
        "starts the project's containers as its compose file says (dockmux does not read compose files)",
    ),
    rule(
        "compose create",
        "creates the project's containers as its compose file says (dockmux does not read compose files)",
    ),
    rule(
        "compose run",
        "runs a container as the project's compose file says (dockmux does not read compose files)",
    ),
    rule(
        "compose watch",
        "starts the project's containers as its compose file says (dockmux does not read compose files)",
    ),
    rule(
        "compose down",
        "stops and removes the project's containers and networks",
    ),
    rule("compose rm", "removes the project's containers"),
    rule("compose kill", "kills the project's containers"),
    rule("compose stop", "stops the project's containers"),
    rule("compose restart", "restarts the project's containers"),
    rule("compose pause", "pauses the project's containers"),
    rule("compose scale", "may remove the project's containers"),
    rule("buildx prune", "removes build cache"),
    rule("buildx rm", "removes builders"),
    rule("buildx stop", "stops a builder"),
    rule("buildx history rm", "removes build records"),
];

/// What runs unconfirmed on a protected engine although it changes
/// something, and why (forms as docs/protected-engines.md shows them): the rest of its table.
pub const UNCONFIRMED: &[(&str, &str)] = &[
    (
        "`exec`",
        "operating a protected engine needs it; it works inside a container that is already there (held with --privileged)",
    ),
    (
        "`start`, `unpause`",
        "they bring back what was there; nothing is removed",
    ),
    (
        "`run`, `create` with named volumes, tmpfs, `safe_binds`",
        "a fresh named volume with no driver options, tmpfs and an anonymous volume hold only the container's own data",
    ),
    (
        "`pull`, `build`, `commit`",
        "how images get updated: they move a name, the old image stays until removed",
    ),
    (
        "`volume create`, `network create`, `network connect`",
        "they add; a volume with driver options is held",
    ),
    (
        "`compose start`, `compose exec`, `compose up --dry-run`",
        "they start what is there, work inside it, or change nothing",
    ),
    (
        "`node update --availability active`, `node promote`, `swarm init`, `swarm join`",
        "they add capacity; draining, demoting and a forced new cluster are held",
    ),
    (
        "commands dockmux does not know (other plugins, typos)",
        "dockmux cannot say what they do; a read-only engine refuses them",
    ),
];

/// What `line` does to `engine`.
pub fn kind(line: &Command, engine: &Engine) -> Kind {
    let Some(node) = line.node else {
        // No command (docker prints its help) is a read; an unknown word is
        // a plugin or a typo: not known to read.
        return if line.has_command {
            Kind::Writes
        } else {
            Kind::Reads
        };
    };
    let path = node.same_as;
    if path.starts_with("compose") && line.on("dry-run", None) {
        // compose --dry-run changes nothing; still not a read for read-only.
        return Kind::Writes;
    }
    for rule in HELD.iter().filter(|r| r.path == path) {
        let held = match rule.when {
            When::Always => Some(rule.why.to_string()),
            When::Flag(flags) => flags
                .iter()
                .any(|f| line.on(f, None))
                .then(|| rule.why.to_string()),
            When::ValueNot(flag, fine) => line
                .values(flag, None)
                .last()
                .is_some_and(|v| !fine.iter().any(|f| f.as_bytes() == *v))
                .then(|| rule.why.to_string()),
            When::Args(test, _) => test(line).then(|| rule.why.to_string()),
            When::Touches(judge, _) => judge(line, engine),
        };
        if let Some(why) = held {
            return Kind::Destroys(why);
        }
    }
    match READS.iter().find(|(p, _)| *p == path) {
        Some((_, acting)) if acting.iter().any(|f| line.on(f, None)) => Kind::Writes,
        Some(_) => Kind::Reads,
        // A management command alone prints its help.
        None if line.args.is_empty() && node.is_group() => Kind::Reads,
        None if path == "container cp" => Kind::Reads,
        None => Kind::Writes,
    }
}

/// `cp SRC CONTAINER:DEST`.
fn cp_into_container(line: &Command) -> bool {
    line.args.last().is_some_and(|d| is_container_path(d))
}

/// `import FILE NAME` may overwrite NAME; without a name the image is untagged.
fn import_names(line: &Command) -> bool {
    line.args.len() > 1
}

fn volume_create(line: &Command, _: &Engine) -> Option<String> {
    touch::volume_create(line)
}

/// The table (docs/protected-engines.md) of what a protected engine holds and what runs
/// unconfirmed, from [`HELD`] and [`UNCONFIRMED`].
pub fn table() -> String {
    let mut out = String::from("| command | on a protected engine | why |\n|---|---|---|\n");
    let mut rows: Vec<(String, String, String)> = Vec::new();
    for r in HELD {
        let (cmd, when) = match r.when {
            When::Always => (r.path.to_string(), "held".to_string()),
            When::Flag(flags) => (
                r.path.to_string(),
                format!(
                    "held with {}",
                    flags
                        .iter()
                        .map(|f| format!("`--{f}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
            When::ValueNot(flag, fine) => (
                r.path.to_string(),
                format!("held with `--{flag}` other than {}", fine.join(", ")),
            ),
            When::Args(_, what) => (r.path.to_string(), format!("held {what}")),
            When::Touches(_, what) => (r.path.to_string(), format!("held {what}")),
        };
        rows.push((format!("`{cmd}`"), when, r.why.to_string()));
    }
    for (form, why) in UNCONFIRMED {
        rows.push((form.to_string(), "runs".to_string(), why.to_string()));
    }
    for (c, w, y) in rows {
        out.push_str(&format!("| {c} | {w} | {y} |\n"));
    }
    out
}

/// docker cp's splitCpArg: `CONTAINER:PATH`, unless the word is an absolute
/// path or a relative one that starts with `.`.
fn is_container_path(arg: &[u8]) -> bool {
    if arg.starts_with(b"/") {
        return false;
    }
    match arg.iter().position(|&b| b == b':') {
        Some(colon) => !arg[..colon].starts_with(b"."),
        None => false,
    }
}
