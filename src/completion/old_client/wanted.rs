//! Which names a completion request asks for. The words are read as docker
//! reads them (engine/line: docker's command tree, every
//! alias, the flags that take a value), and each command takes the names
//! docker 23 and later complete for it (docker/cli v28.2.2: the commands'
//! ValidArgsFunction and cli/command/completion/functions.go), with the
//! same filters: `start` offers stopped containers, `stop` running ones.

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;

use crate::engine::line;

/// Which containers, as docker 28 picks them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Containers {
    /// Every container.
    All,
    /// The daemon's list without `all`: running, paused, restarting.
    Running,
    /// Of those, the ones not paused (attach, exec, pause).
    Unpaused,
    /// Paused ones (unpause).
    Paused,
    /// Created or exited (start, and rm without --force).
    Stopped,
    /// Attached to this network (network disconnect).
    On(String),
    /// Of every container, those not attached to it (network connect).
    NotOn(String),
}

/// What one argument position offers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Wanted {
    Containers(Containers),
    /// Tagged images, `repo:tag`.
    Images,
    Volumes,
    Networks,
    /// docker inspect without --type: containers, then images.
    ContainersAndImages,
    /// docker cp: `CONTAINER:` with no space after it; local files when no
    /// name fits. Nothing inside a container (`NAME:/pa`).
    CopyEnd {
        in_container: bool,
    },
}

/// The names a command's arguments take: the first, the second, and
/// whether every later one takes the second's too.
struct Takes {
    /// The command's path in docker's tree (`container rm` for `rm`, `docker
    /// container remove`, …).
    path: &'static str,
    first: Kind,
    then: Option<Kind>,
    repeat: bool,
}

#[derive(Clone, Copy)]
enum Kind {
    Containers(Which),
    Images,
    Volumes,
    Networks,
    /// `inspect`: by `--type`, else containers and images.
    Objects,
    CopyEnd,
}

/// `Containers` without the network, which the line gives.
#[derive(Clone, Copy)]
enum Which {
    All,
    Running,
    Unpaused,
    Paused,
    Stopped,
    /// rm: stopped ones, every one with --force.
    Removable,
    On,
    NotOn,
}

const fn takes(path: &'static str, first: Kind, then: Option<Kind>, repeat: bool) -> Takes {
    Takes {
        path,
        first,
        then,
        repeat,
    }
}

use Kind::{Containers as C, CopyEnd, Images, Networks, Objects, Volumes};

/// Commands whose arguments are named objects. One argument: `then` is
/// `None`; what follows it (a command to run, a port, a new name) is left
/// to the client, as before.
const TABLE: &[Takes] = &[
    takes("container attach", C(Which::Unpaused), None, false),
    takes("container commit", C(Which::Running), None, false),
    takes("container cp", CopyEnd, Some(CopyEnd), false),
    takes("container create", Images, None, false),
    takes("container diff", C(Which::Running), None, false),
    takes("container exec", C(Which::Unpaused), None, false),
    takes("container export", C(Which::All), None, false),
    takes(
        "container inspect",
        C(Which::All),
        Some(C(Which::All)),
        true,
    ),
    takes(
        "container kill",
        C(Which::Running),
        Some(C(Which::Running)),
        true,
    ),
    takes("container logs", C(Which::All), None, false),
    takes(
        "container pause",
        C(Which::Unpaused),
        Some(C(Which::Unpaused)),
        true,
    ),
    takes("container port", C(Which::Running), None, false),
    takes("container rename", C(Which::All), None, false),
    takes(
        "container restart",
        C(Which::All),
        Some(C(Which::All)),
        true,
    ),
    takes(
        "container rm",
        C(Which::Removable),
        Some(C(Which::Removable)),
        true,
    ),
    takes("container run", Images, None, false),
    takes(
        "container start",
        C(Which::Stopped),
        Some(C(Which::Stopped)),
        true,
    ),
    takes(
        "container stats",
        C(Which::Running),
        Some(C(Which::Running)),
        true,
    ),
    takes(
        "container stop",
        C(Which::Running),
        Some(C(Which::Running)),
        true,
    ),
    takes("container top", C(Which::Running), None, false),
    takes(
        "container unpause",
        C(Which::Paused),
        Some(C(Which::Paused)),
        true,
    ),
    takes("container update", C(Which::All), Some(C(Which::All)), true),
    takes(
        "container wait",
        C(Which::Running),
        Some(C(Which::Running)),
        true,
    ),
    takes("image history", Images, None, false),
    takes("image inspect", Images, Some(Images), true),
    takes("image push", Images, None, false),
    takes("image rm", Images, Some(Images), true),
    takes("image save", Images, Some(Images), true),
    // SOURCE and TARGET: an existing tag is a start for the new one.
    takes("image tag", Images, Some(Images), false),
    takes("inspect", Objects, Some(Objects), true),
    takes("network connect", Networks, Some(C(Which::NotOn)), false),
    takes("network disconnect", Networks, Some(C(Which::On)), false),
    takes("network inspect", Networks, Some(Networks), true),
    takes("network rm", Networks, Some(Networks), true),
    takes("volume inspect", Volumes, Some(Volumes), true),
    takes("volume rm", Volumes, Some(Volumes), true),
];

/// What the last of `words` (the request's words, after `__complete`)
/// should be completed with; `None` where it is no named object's place:
/// a command or subcommand, a flag, a flag's value, a command's later
/// arguments.
pub fn read(words: &[OsString]) -> Option<Wanted> {
    let (cur, done) = words.split_last()?;
    // cur is an argument of its own only if reading it adds one (it is not a
    // flag, nor a flag's value, nor past the command).
    let before = line::read(done).ok()?.command().args.len();
    let read = line::read(words).ok()?;
    let line = read.command();
    if line.help || line.args.len() != before + 1 {
        return None;
    }
    let path = line.node?.same_as;
    let takes = TABLE.iter().find(|t| t.path == path)?;
    let kind = match before {
        0 => takes.first,
        1 => takes.then?,
        _ if takes.repeat => takes.then?,
        _ => return None,
    };
    let first_arg = || String::from_utf8_lossy(line.args[0]).into_owned();
    let cur = cur.as_bytes();
    Some(match kind {
        C(which) => Wanted::Containers(match which {
            Which::All => Containers::All,
            Which::Running => Containers::Running,
            Which::Unpaused => Containers::Unpaused,
            Which::Paused => Containers::Paused,
            Which::Stopped => Containers::Stopped,
            // `rm -f`: every container goes, running ones too.
            Which::Removable if line.on("force", Some(b'f')) => Containers::All,
            Which::Removable => Containers::Stopped,
            Which::On => Containers::On(first_arg()),
            Which::NotOn => Containers::NotOn(first_arg()),
        }),
        Images => Wanted::Images,
        Volumes => Wanted::Volumes,
        Networks => Wanted::Networks,
        Objects => match line.values("type", None).last().copied() {
            None | Some(b"") => Wanted::ContainersAndImages,
            Some(b"container") => Wanted::Containers(Containers::All),
            Some(b"image") => Wanted::Images,
            Some(b"volume") => Wanted::Volumes,
            Some(b"network") => Wanted::Networks,
            // Swarm objects, plugins, a typo: the client's answer.
            Some(_) => return None,
        },
        // A local path (or `-`, standard input) is the client's: files.
        CopyEnd if cur.starts_with(b"/") || cur.starts_with(b".") || cur.starts_with(b"~") => {
            return None;
        }
        CopyEnd if cur == b"-" => return None,
        CopyEnd => Wanted::CopyEnd {
            in_container: cur.contains(&b':'),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::line::tree::NODES;

    fn wanted(words: &[&str]) -> Option<Wanted> {
        let words: Vec<OsString> = words.iter().map(OsString::from).collect();
        read(&words)
    }

    #[test]
    fn every_path_in_the_table_is_a_command_of_docker_20() {
        for t in TABLE {
            assert!(
                NODES
                    .iter()
                    .any(|n| n.path == t.path && n.clients & crate::engine::line::tree::V20 != 0),
                "{}",
                t.path
            );
        }
    }

    #[test]
    fn arguments_get_names_and_everything_else_is_left_to_the_client() {
        use Containers as K;
        let c = |k: K| Some(Wanted::Containers(k));
        for (words, want) in [
            (&["rm", ""][..], c(K::Stopped)),
            (&["rm", "-f", ""], c(K::All)),
            (&["rm", "-vf", "x", ""], c(K::All)),
            (&["rm", "--force=false", ""], c(K::Stopped)),
            (&["container", "remove", "a", "b", ""], c(K::Stopped)),
            (&["-D", "--log-level", "info", "stop", ""], c(K::Running)),
            (&["stop", "-t", "5", "al"], c(K::Running)),
            (&["start", "-a", ""], c(K::Stopped)),
            (&["exec", "-it", "-u", "root", ""], c(K::Unpaused)),
            (&["unpause", ""], c(K::Paused)),
            (&["rmi", ""], Some(Wanted::Images)),
            (&["image", "remove", "x", ""], Some(Wanted::Images)),
            (
                &["run", "--rm", "-e", "A=1", "--name", "x", ""],
                Some(Wanted::Images),
            ),
            (&["tag", "a:1", ""], Some(Wanted::Images)),
            (&["volume", "rm", "-f", ""], Some(Wanted::Volumes)),
            (&["network", "remove", ""], Some(Wanted::Networks)),
            (
                &["network", "connect", "--alias", "a", ""],
                Some(Wanted::Networks),
            ),
            (
                &["network", "connect", "net1", ""],
                c(K::NotOn("net1".into())),
            ),
            (
                &["network", "disconnect", "-f", "net1", ""],
                c(K::On("net1".into())),
            ),
            (&["inspect", ""], Some(Wanted::ContainersAndImages)),
            (&["inspect", "--type", "volume", ""], Some(Wanted::Volumes)),
            (
                &["inspect", "--type=network", "x", ""],
                Some(Wanted::Networks),
            ),
            (
                &["cp", ""],
                Some(Wanted::CopyEnd {
                    in_container: false,
                }),
            ),
            (
                &["cp", "./f", "we"],
                Some(Wanted::CopyEnd {
                    in_container: false,
                }),
            ),
            (
                &["cp", "web:/e"],
                Some(Wanted::CopyEnd { in_container: true }),
            ),
            (&["--", "rm", ""], c(K::Stopped)),
            (&["rm", "--", ""], c(K::Stopped)),
        ] {
            assert_eq!(wanted(words), want, "{words:?}");
        }
        for words in [
            &[""][..],
            &["r"],
            &["volume", ""],
            &["rm", "--"],
            &["stop", "-t", ""],
            &["run", "--name", ""],
            &["run", "img", ""],
            &["exec", "box", ""],
            &["logs", "box", ""],
            &["tag", "a", "b", ""],
            &["ps", ""],
            &["inspect", "--type", "service", ""],
            &["cp", "/tmp/x"],
            &["cp", "-"],
            &["rm", "--help", ""],
            &["nosuchcommand", ""],
        ] {
            assert_eq!(wanted(words), None, "{words:?}");
        }
    }
}
