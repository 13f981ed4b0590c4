//! Issue 22 item 2: a protected engine is pinned to the engine that
//! answered when it was protected. Its socket repointed to another dockerd,
//! a destructive command is refused (not asked) with the fix; `set --pin`
//! accepts the new one; a restart of the same engine keeps the pin valid.

use std::path::Path;

use crate::engines::unique;
use crate::harness::testbed::{self, Engine};
use crate::harness::{Env, Out};

/// What the real client says the engine is, in the pin's words.
fn identity(engine: &Engine) -> String {
    let out = Out::of(engine.docker().args([
        "info",
        "--format",
        "id={{.ID}} name={{.Name}} root={{.DockerRootDir}}",
    ]));
    out.ok().trim().to_string()
}

fn repoint(link: &Path, to: &Engine) {
    let tmp = link.with_extension("new");
    let _ = std::fs::remove_file(&tmp);
    std::os::unix::fs::symlink(&to.sock, &tmp).unwrap();
    std::fs::rename(&tmp, link).unwrap();
}

#[test]
fn a_repointed_socket_is_refused_until_pinned_again() {
    let bed = testbed::shared();
    let mine = testbed::private("pinned");
    let dir = std::env::temp_dir().join(unique("dmx-pin"));
    std::fs::create_dir_all(&dir).unwrap();
    let link = dir.join("docker.sock");
    repoint(&link, &mine);
    let env = Env::new();
    env.user_config("# engines\n");
    std::os::unix::fs::symlink(testbed::real_docker(), env.bin.join("docker")).unwrap();
    env.link("box-docker");
    let host = format!("unix://{}", link.display());
    let out = Out::of(&mut env.dockmux(["add", "box", &host, "--protect"]));
    let pin = identity(&mine);
    assert!(out.ok().contains(&format!("pinned to {pin}")), "{out}");
    let text = std::fs::read_to_string(env.user_config_path()).unwrap();
    assert!(text.contains(&format!("pin = \"{pin}\"\n")), "{text}");
    let vol = unique("pinvol");
    let create = ["volume", "create", vol.as_str()];
    let rm = ["volume", "rm", vol.as_str()];
    Out::of(mine.docker().args(create)).ok();
    Out::of(bed.pg.docker().args(create)).ok();

    // The same engine: held as ever, confirmed it runs.
    let out = env.run("box-docker", rm);
    assert!(out.fails(125).contains("DOCKMUX_CONFIRM=box"), "{out}");
    let mut cmd = env.cmd("box-docker");
    cmd.args(rm).env("DOCKMUX_CONFIRM", "box");
    assert_eq!(Out::of(&mut cmd).ok().trim(), vol);
    Out::of(mine.docker().args(create)).ok();

    // Repointed to another dockerd (the same ID: both read one key file):
    // refused, even confirmed, with the fix; nothing removed there.
    repoint(&link, &bed.pg);
    let mut cmd = env.cmd("box-docker");
    cmd.args(rm).env("DOCKMUX_CONFIRM", "box");
    let out = Out::of(&mut cmd);
    let err = out.fails(125);
    assert!(
        err.contains("answers as another engine than the one protected")
            && err.contains(&identity(&bed.pg))
            && err.contains("dockmux set box --pin"),
        "{out}"
    );
    Out::of(bed.pg.docker().args(["volume", "inspect", &vol])).ok();
    // Reading commands still run (only what is held is checked).
    env.run("box-docker", ["volume", "ls", "-q"]).ok();

    // Accepted: set --pin records the new one, and confirmed it runs there.
    let out = Out::of(&mut env.dockmux(["set", "box", "--pin"]));
    assert!(out.ok().contains(&identity(&bed.pg)), "{out}");
    let mut cmd = env.cmd("box-docker");
    cmd.args(rm).env("DOCKMUX_CONFIRM", "box");
    Out::of(&mut cmd).ok();
    assert!(
        !Out::of(bed.pg.docker().args(["volume", "inspect", &vol]))
            .raw
            .status
            .success()
    );

    // Back on `mine`, pinned to pg now: refused; pinned to `mine` again,
    // a restart (a new socket, so /info is asked again) keeps it valid.
    repoint(&link, &mine);
    let mut cmd = env.cmd("box-docker");
    cmd.args(rm).env("DOCKMUX_CONFIRM", "box");
    let out = Out::of(&mut cmd);
    assert!(out.fails(125).contains("dockmux set box --pin"), "{out}");
    Out::of(&mut env.dockmux(["set", "box", "--pin"])).ok();
    mine.stop();
    mine.start();
    let out = env.run("box-docker", rm);
    assert!(out.fails(125).contains("DOCKMUX_CONFIRM=box"), "{out}");
    let mut cmd = env.cmd("box-docker");
    cmd.args(rm).env("DOCKMUX_CONFIRM", "box");
    assert_eq!(Out::of(&mut cmd).ok().trim(), vol);

    // An engine that cannot be asked is held as ever (not refused).
    mine.stop();
    let out = env.run("box-docker", rm);
    assert!(out.fails(125).contains("DOCKMUX_CONFIRM=box"), "{out}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn pin_needs_protect_and_no_protect_takes_it_out() {
    let env = Env::new();
    env.user_config("[engines.pg]\nhost = \"unix:///nonexistent/pg.sock\"\n");
    let out = Out::of(&mut env.dockmux(["set", "pg", "--pin"]));
    assert!(out.fails(125).contains("add --protect"), "{out}");
    // Protected while down: not pinned, and the note says how to later.
    let out = Out::of(&mut env.dockmux(["set", "pg", "--protect"]));
    assert!(
        out.ok().contains("not pinned") && out.stdout.contains("dockmux set pg --pin"),
        "{out}"
    );
    let out = Out::of(&mut env.dockmux(["set", "pg", "--pin"]));
    assert!(out.fails(1).contains("cannot pin engine 'pg'"), "{out}");
    let pin = "id=A:B name=box root=/var/lib/docker";
    Out::of(&mut env.dockmux(["set", "pg", "--pin", pin])).ok();
    let text = std::fs::read_to_string(env.user_config_path()).unwrap();
    assert!(
        text.ends_with(&format!("protect = true\npin = \"{pin}\"\n")),
        "{text}"
    );
    let out = Out::of(&mut env.dockmux(["set", "pg", "--pin", "box"]));
    assert!(
        out.fails(125).contains("is not an engine's identity"),
        "{out}"
    );
    Out::of(&mut env.dockmux(["set", "pg", "--no-protect"])).ok();
    let text = std::fs::read_to_string(env.user_config_path()).unwrap();
    assert_eq!(
        text,
        "[engines.pg]\nhost = \"unix:///nonexistent/pg.sock\"\n"
    );
}
