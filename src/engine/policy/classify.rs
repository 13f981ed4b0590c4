//! What each docker command does to an engine, by its path in docker's tree
//! (commands.rs finds the path in every spelling docker accepts).
//!
//! Three kinds: commands that only read (the read-only allow-list),
//! destructive ones (held on a protected engine), and the rest.

use super::commands::Line;
use super::run_flags;
use crate::config::Engine;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// Only reads the engine (or nothing at all): runs on read-only engines.
    Reads,
    /// Changes something, but removes and overwrites nothing.
    Writes,
    /// Removes, kills, stops, prunes or overwrites; the reason, for the prompt.
    Destroys(String),
}

/// Commands that read. An allow-list: a command docker adds later is not here
/// until someone checks what it does.
const READS: &[&str] = &[
    "container ls",
    "container inspect",
    "container logs",
    "container top",
    "container stats",
    "container port",
    "container diff",
    "container wait",
    "container export",
    "image ls",
    "image inspect",
    "image history",
    "image save",
    "inspect",
    "system df",
    "system info",
    "system events",
    "version",
    "volume ls",
    "volume inspect",
    "network ls",
    "network inspect",
    "node ls",
    "node inspect",
    "node ps",
    "service ls",
    "service inspect",
    "service logs",
    "service ps",
    "stack ls",
    "stack ps",
    "stack services",
    "stack config",
    "secret ls",
    "secret inspect",
    "config ls",
    "config inspect",
    "plugin ls",
    "plugin inspect",
    "checkpoint ls",
    "context ls",
    "context inspect",
    "context show",
    "search",
    "manifest inspect",
    "trust inspect",
    "compose ps",
    "compose ls",
    "compose logs",
    "compose config",
    "compose images",
    "compose top",
    "compose events",
    "compose port",
    "compose version",
    "compose stats",
    "compose volumes",
    "buildx ls",
    "buildx inspect",
    "buildx du",
    "buildx version",
    "buildx history ls",
    "buildx history inspect",
    "buildx history logs",
    "buildx history trace",
    "buildx imagetools inspect",
];

/// Commands that remove, kill, stop, prune or overwrite, and what they do.
const DESTROYS: &[(&str, &str)] = &[
    ("container rm", "removes containers"),
    ("container kill", "kills containers"),
    ("container stop", "stops containers"),
    ("container restart", "restarts containers"),
    ("container pause", "pauses containers"),
    ("container rename", "renames a container"),
    ("container prune", "removes stopped containers"),
    ("checkpoint rm", "removes a checkpoint"),
    ("image rm", "removes images"),
    ("image prune", "removes images"),
    ("image tag", "may overwrite an image name"),
    ("image load", "may overwrite image names"),
    ("volume rm", "removes volumes"),
    ("volume prune", "removes volumes"),
    ("network rm", "removes networks"),
    ("network prune", "removes networks"),
    (
        "network disconnect",
        "disconnects a container from a network",
    ),
    ("builder prune", "removes build cache"),
    (
        "system prune",
        "removes containers, networks, images and build cache",
    ),
    ("swarm leave", "leaves the swarm"),
    ("service rm", "removes services"),
    ("stack rm", "removes stacks"),
    ("secret rm", "removes secrets"),
    ("config rm", "removes configs"),
    ("node rm", "removes swarm nodes"),
    ("plugin rm", "removes plugins"),
    ("plugin disable", "stops a plugin"),
    (
        "compose down",
        "stops and removes the project's containers and networks",
    ),
    ("compose rm", "removes the project's containers"),
    ("compose kill", "kills the project's containers"),
    ("compose stop", "stops the project's containers"),
    ("compose restart", "restarts the project's containers"),
    ("compose pause", "pauses the project's containers"),
    ("compose scale", "may remove the project's containers"),
    ("buildx prune", "removes build cache"),
    ("buildx rm", "removes builders"),
    ("buildx stop", "stops a builder"),
    ("buildx history rm", "removes build records"),
];

/// What `line` does to `engine`.
pub fn kind(line: &Line, engine: &Engine) -> Kind {
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
    if path.starts_with("compose") && line.bool_flag("dry-run") {
        // compose --dry-run changes nothing; still not a read for read-only.
        return Kind::Writes;
    }
    if let Some((_, why)) = DESTROYS.iter().find(|(p, _)| *p == path) {
        return Kind::Destroys((*why).to_string());
    }
    match path {
        "container run" | "container create" => match run_flags::danger(line, engine) {
            Some(why) => Kind::Destroys(why),
            None => Kind::Writes,
        },
        // `import FILE NAME` may overwrite NAME; without a name the image is untagged.
        "image import" if line.args.len() > 1 => {
            Kind::Destroys("may overwrite an image name".to_string())
        }
        "container cp" => match line.args.last() {
            Some(dest) if is_container_path(dest) => {
                Kind::Destroys("may overwrite files in a container".to_string())
            }
            _ => Kind::Reads,
        },
        _ if READS.contains(&path) => Kind::Reads,
        // A management command alone prints its help.
        _ if line.args.is_empty() && is_group(path) => Kind::Reads,
        _ => Kind::Writes,
    }
}

fn is_group(path: &str) -> bool {
    super::tree::NODES.iter().any(|n| {
        n.path
            .strip_prefix(path)
            .is_some_and(|r| r.starts_with(' '))
    })
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
