//! The release artifacts of `scripts/dist`, built once per test run (a
//! release build, at low priority beside the other tests): what the tarball
//! and the .deb hold, their checksums, the tarball's binary on a bare
//! environment and in an empty root, and the .deb installed for real — in a
//! private mount namespace whose /usr, /etc and /var are overlays, so no
//! other test (and nothing on this machine) sees what it installs.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use clap::CommandFactory;
use dockmux::cli::Cli;
use dockmux::install::man::{self, Page};

use crate::harness::testbed::{self, IMAGE};
use crate::harness::users;
use crate::harness::{Env, Out};

fn pages() -> Vec<Page> {
    man::pages(Cli::command())
}

/// The pages of docs/, which the tarball and the .deb carry beside the README.
fn docs() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".md"))
        .collect();
    names.sort();
    assert!(
        !names.is_empty(),
        "docs/ holds the README's reference pages"
    );
    names
}

const VERSION: &str = env!("CARGO_PKG_VERSION");
const TARGET: &str = "x86_64-unknown-linux-gnu";

struct Artifacts {
    dir: PathBuf,
    tarball: PathBuf,
    deb: PathBuf,
}

/// Runs `scripts/dist` once; every test gets its artifacts (or its failure).
fn artifacts() -> &'static Artifacts {
    static BUILT: OnceLock<Result<Artifacts, String>> = OnceLock::new();
    let built = BUILT.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("dist");
        let _ = std::fs::remove_dir_all(&dir);
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/dist");
        let out = Out::of(
            Command::new("/usr/bin/nice")
                .args(["-n", "19"])
                .arg(&script)
                .env("DIST_DIR", &dir),
        );
        if out.code != Some(0) {
            return Err(format!("scripts/dist failed: {out}"));
        }
        let printed: Vec<PathBuf> = out.stdout.lines().map(PathBuf::from).collect();
        let want = [
            dir.join(format!("dockmux-{VERSION}-{TARGET}.tar.gz")),
            dir.join(format!("dockmux_{VERSION}_amd64.deb")),
            dir.join("SHA256SUMS"),
        ];
        if printed != want {
            return Err(format!("scripts/dist printed {printed:?}, not {want:?}"));
        }
        let [tarball, deb, _] = want;
        Ok(Artifacts { dir, tarball, deb })
    });
    built.as_ref().unwrap_or_else(|e| panic!("{e}"))
}

/// The commands of the built-in engines (`pg-docker`, …), from the binary under test.
fn built_in_commands() -> Vec<String> {
    let env = Env::new();
    let out = Out::of(&mut env.dockmux(["list", "--json", "--no-probe"]));
    let engines: serde_json::Value = serde_json::from_str(out.ok()).unwrap();
    let mut commands: Vec<String> = engines
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| e["commands"].as_array().unwrap().clone())
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    commands.sort();
    assert!(commands.contains(&"pg-docker".to_string()), "{commands:?}");
    commands
}

/// `completions/bash/pg-docker`, … for dockmux and every built-in command.
fn completion_files() -> Vec<(String, String)> {
    let mut names = vec!["dockmux".to_string()];
    names.extend(built_in_commands());
    let mut files = Vec::new();
    for name in &names {
        files.push(("bash".into(), name.clone()));
        files.push(("zsh".into(), format!("_{name}")));
        files.push(("fish".into(), format!("{name}.fish")));
    }
    files
}

fn lines(out: &Out) -> BTreeSet<String> {
    out.ok().lines().map(str::to_string).collect()
}

/// The binary is static and carries no NSS loader: it runs where the build
/// machine's glibc is not.
fn assert_static(bin: &Path) {
    let file = Out::of(Command::new("/usr/bin/file").arg("-b").arg(bin));
    let file = file.ok();
    assert!(file.contains("statically linked"), "{file}");
    assert!(!file.contains("interpreter"), "{file}");
    let bytes = std::fs::read(bin).unwrap();
    assert!(
        !bytes.windows(7).any(|w| w == b"libnss_"),
        "{} holds glibc's NSS loader: something calls getpw*/getgr*/getaddrinfo",
        bin.display()
    );
}

#[test]
fn dist_tarball_holds_one_folder_with_the_static_binary_pages_completions_licenses() {
    let a = artifacts();
    let top = format!("dockmux-{VERSION}-{TARGET}");
    let listed = lines(&Out::of(
        Command::new("/bin/tar").arg("-tzf").arg(&a.tarball),
    ));
    let files: BTreeSet<String> = listed
        .iter()
        .filter(|p| !p.ends_with('/'))
        .cloned()
        .collect();
    let mut want: BTreeSet<String> = ["dockmux", "README.md", "LICENSE-MIT", "LICENSE-APACHE"]
        .iter()
        .map(|f| format!("{top}/{f}"))
        .collect();
    for doc in docs() {
        want.insert(format!("{top}/docs/{doc}"));
    }
    for page in pages() {
        want.insert(format!("{top}/man/{}/{}", page.dir(), page.file_name()));
    }
    for (shell, file) in completion_files() {
        want.insert(format!("{top}/completions/{shell}/{file}"));
    }
    assert_eq!(files, want);
    assert!(listed.iter().all(|p| p.starts_with(&format!("{top}/"))));

    let env = Env::new();
    Out::of(
        Command::new("/bin/tar")
            .arg("-xzf")
            .arg(&a.tarball)
            .arg("-C")
            .arg(env.root()),
    )
    .ok();
    let dir = env.root().join(&top);
    for page in pages() {
        let shipped = std::fs::read(dir.join("man").join(page.dir()).join(page.file_name()));
        assert_eq!(shipped.unwrap(), page.roff, "{}", page.file_name());
    }
    let bin = dir.join("dockmux");
    assert_static(&bin);

    // A bare environment: no HOME, no config, a minimal PATH.
    let bare = Out::of(
        Command::new("/usr/bin/env")
            .args(["-i", "PATH=/usr/bin:/bin"])
            .arg(&bin)
            .arg("--version"),
    );
    assert_eq!(bare.ok(), format!("dockmux {VERSION}\n"));
    let completion = Out::of(
        Command::new("/usr/bin/env")
            .args(["-i", "PATH=/usr/bin:/bin"])
            .arg(&bin)
            .args(["completions", "bash", "dockmux"]),
    );
    let shipped = std::fs::read_to_string(dir.join("completions/bash/dockmux")).unwrap();
    assert_eq!(completion.ok(), shipped);

    // The shipped file installs itself; its engine commands reach real
    // engines from a bare environment, and its man pages are there.
    let tb = testbed::shared();
    let name = format!("dist-tar-{}", std::process::id());
    create(&tb.pg, &name);
    env.user_config(&format!(
        "[engines.pg]\nhost = \"{}\"\n[engines.lzc]\nhost = \"{}\"\n",
        tb.pg.host, tb.lzc.host
    ));
    let prefix = env.root().join("prefix");
    std::fs::create_dir_all(prefix.join("bin")).unwrap();
    let install = Out::of(
        env.program(&bin)
            .arg("install")
            .arg("--dir")
            .arg(prefix.join("bin")),
    );
    install.ok();
    let bare = |program: &Path, args: &[&str]| {
        Out::of(
            Command::new("/usr/bin/env")
                .args(["-i", "PATH=/usr/bin:/bin", "LC_ALL=C.UTF-8", "MANPAGER=cat"])
                .arg(format!("HOME={}", env.home.display()))
                .arg(program)
                .args(args),
        )
    };
    let ps = |command: &str| {
        let out = bare(
            &prefix.join("bin").join(command),
            &["ps", "-a", "--format", "{{.Names}}"],
        );
        out.ok().lines().any(|l| l == name)
    };
    assert!(ps("pg-docker"), "{install}");
    assert!(!ps("lzc-docker"));
    let man_dir = prefix.join("share/man").display().to_string();
    let page = bare(Path::new("/usr/bin/man"), &["-M", &man_dir, "dockmux-list"]);
    assert!(page.ok().starts_with("DOCKMUX-LIST(1)"), "{page}");
    Out::of(
        env.program(prefix.join("bin/dockmux"))
            .arg("uninstall")
            .arg("--dir")
            .arg(prefix.join("bin")),
    )
    .ok();
    assert!(!prefix.join("bin/pg-docker").exists());
}

/// In a root that holds nothing but the binary (no loader, no libraries, no
/// /etc): it starts, and the commands that read users and groups run.
#[test]
fn dist_binary_runs_in_an_empty_root() {
    let a = artifacts();
    let env = Env::new();
    let root = env.root().join("empty");
    std::fs::create_dir(&root).unwrap();
    Out::of(
        Command::new("/bin/tar")
            .arg("-xzf")
            .arg(&a.tarball)
            .arg("-C")
            .arg(&root)
            .arg("--strip-components=1")
            .arg(format!("dockmux-{VERSION}-{TARGET}/dockmux")),
    )
    .ok();
    let chroot = |args: &[&str]| {
        Out::of(
            Command::new("/usr/sbin/chroot")
                .arg(&root)
                .arg("/dockmux")
                .args(args)
                .env_clear()
                .env("PATH", "/bin")
                .env("HOME", "/"),
        )
    };
    assert_eq!(chroot(&["--version"]).ok(), format!("dockmux {VERSION}\n"));
    let list = chroot(&["list", "--no-probe"]);
    assert!(list.ok().contains("pg-docker"), "{list}");
    // doctor finds no client and no engines there (exit 1), and says so: no crash.
    let doctor = chroot(&["doctor", "--timeout", "100ms"]);
    assert_eq!(doctor.code, Some(1), "{doctor}");
    assert!(doctor.stdout.contains("client"), "{doctor}");
}

#[test]
fn dist_sha256sums_cover_both_artifacts() {
    let a = artifacts();
    let sums = std::fs::read_to_string(a.dir.join("SHA256SUMS")).unwrap();
    let named: Vec<&str> = sums
        .lines()
        .map(|l| l.split_whitespace().nth(1).unwrap())
        .collect();
    let tarball = a.tarball.file_name().unwrap().to_str().unwrap();
    let deb = a.deb.file_name().unwrap().to_str().unwrap();
    assert_eq!(named, [tarball, deb]);
    let check = Out::of(
        Command::new("/usr/bin/sha256sum")
            .args(["-c", "--strict", "SHA256SUMS"])
            .current_dir(&a.dir),
    );
    assert_eq!(check.ok(), format!("{tarball}: OK\n{deb}: OK\n"));
}

/// `dpkg-deb -c`: each path (without the leading `.`) with its link target.
fn deb_listing(deb: &Path) -> BTreeSet<(String, Option<String>)> {
    let out = Out::of(Command::new("/usr/bin/dpkg-deb").arg("-c").arg(deb));
    out.ok()
        .lines()
        .filter(|l| !l.starts_with('d'))
        .map(|l| {
            let owner = l.split_whitespace().nth(1).unwrap();
            assert_eq!(owner, "root/root", "{l}");
            let path = l.split_whitespace().skip(5).collect::<Vec<_>>().join(" ");
            let path = path.strip_prefix('.').unwrap().to_string();
            match path.split_once(" -> ") {
                Some((p, to)) => (p.to_string(), Some(to.to_string())),
                None => (path, None),
            }
        })
        .collect()
}

#[test]
fn dist_deb_holds_the_binary_links_pages_and_completions_where_debian_looks() {
    let a = artifacts();
    let listed = deb_listing(&a.deb);
    let commands = built_in_commands();
    let mut want: BTreeSet<(String, Option<String>)> = BTreeSet::new();
    let mut add = |p: String, to: Option<&str>| want.insert((p, to.map(str::to_string)));
    add("/usr/bin/dockmux".into(), None);
    for c in &commands {
        add(format!("/usr/bin/{c}"), Some("dockmux"));
        add(
            format!("/usr/share/man/man1/{c}.1.gz"),
            Some("dockmux.1.gz"),
        );
    }
    for page in pages() {
        add(
            format!("/usr/share/man/{}/{}.gz", page.dir(), page.file_name()),
            None,
        );
    }
    for (shell, file) in completion_files() {
        let dir = match shell.as_str() {
            "bash" => "/usr/share/bash-completion/completions",
            "zsh" => "/usr/share/zsh/vendor-completions",
            _ => "/usr/share/fish/vendor_completions.d",
        };
        add(format!("{dir}/{file}"), None);
    }
    for doc in ["copyright", "changelog.gz", "README.md.gz"] {
        add(format!("/usr/share/doc/dockmux/{doc}"), None);
    }
    for doc in docs() {
        add(format!("/usr/share/doc/dockmux/docs/{doc}.gz"), None);
    }
    add("/usr/share/lintian/overrides/dockmux".into(), None);
    assert_eq!(listed, want);

    let field = |name: &str| {
        let out = Out::of(
            Command::new("/usr/bin/dpkg-deb")
                .arg("-f")
                .arg(&a.deb)
                .arg(name),
        );
        out.ok().trim().to_string()
    };
    assert_eq!(field("Package"), "dockmux");
    assert_eq!(field("Version"), VERSION);
    assert_eq!(field("Architecture"), "amd64");
    // Nothing apt installs by default may start a daemon (docker.io does).
    assert_eq!(field("Recommends"), "");
    assert_eq!(
        field("Suggests"),
        "docker-ce-cli | docker.io, bash-completion"
    );
    assert_eq!(field("Depends"), "", "a static binary depends on nothing");
    assert!(field("Maintainer").contains('@'), "{}", field("Maintainer"));

    // The pages are man/'s, gzipped; the binary is the tarball's.
    let env = Env::new();
    let x = env.root().join("x");
    Out::of(
        Command::new("/usr/bin/dpkg-deb")
            .arg("-x")
            .arg(&a.deb)
            .arg(&x),
    )
    .ok();
    for page in pages() {
        let gz = x.join(format!(
            "usr/share/man/{}/{}.gz",
            page.dir(),
            page.file_name()
        ));
        let text = Out::of(Command::new("/bin/gzip").arg("-dc").arg(&gz));
        assert_eq!(text.raw.stdout, page.roff, "{}", page.file_name());
    }
    let tar_bin = tarball_binary(a, env.root());
    assert_eq!(
        std::fs::read(x.join("usr/bin/dockmux")).unwrap(),
        std::fs::read(&tar_bin).unwrap()
    );
}

/// The tarball's binary, extracted under `dir`; its path.
fn tarball_binary(a: &Artifacts, dir: &Path) -> PathBuf {
    let top = format!("dockmux-{VERSION}-{TARGET}");
    Out::of(
        Command::new("/bin/tar")
            .arg("-xzf")
            .arg(&a.tarball)
            .arg("-C")
            .arg(dir)
            .arg(format!("{top}/dockmux")),
    )
    .ok();
    dir.join(top).join("dockmux")
}

fn create(engine: &testbed::Engine, name: &str) {
    let out = Out::of(engine.docker().args([
        "create",
        "--name",
        name,
        "--network",
        "none",
        IMAGE,
        "true",
    ]));
    out.ok();
}

/// What runs inside the private namespace: overlays over /usr, /etc and
/// /var (the writes land in a tmpfs that goes with the namespace), then
/// dpkg -i, the commands, dpkg -r. Each step's output goes to `$out/STEP`;
/// what was written is judged from the overlays' upper layers (`layer`),
/// so nothing else changing the machine meanwhile can disturb it.
const INSTALL_SCRIPT: &str = r#"
set -u
mount -t tmpfs dist-test "$ovl" || exit 90
for d in usr etc var; do
  mkdir -p "$ovl/upper/$d" "$ovl/work/$d" "$ovl/lower/$d"
  mount --bind "/$d" "$ovl/lower/$d" || exit 91
  mount -t overlay overlay -o "lowerdir=/$d,upperdir=$ovl/upper/$d,workdir=$ovl/work/$d" "/$d" || exit 91
done
# The machine may hold dockmux already (scripts/install, `dockmux install`):
# this is the package on a machine without it, so the overlay sets aside
# whatever sits at the package's own paths, and any system config.
dpkg-deb --fsys-tarfile "$deb" | tar -t | sed -e 's|^\./|/|' -e 's|/$||' >"$out/paths" || exit 92
while read -r p; do
  if [ -f "$p" ] || [ -L "$p" ]; then rm -f "$p" || exit 92; fi
done <"$out/paths"
rm -rf /etc/dockmux
# Each entry the upper layers hold: its type (f, l, whiteout; newdir for a
# directory the machine does not have) and path.
layer() {
  (cd "$ovl/upper" && find usr etc var -mindepth 1 -printf '%y /%p\n') | LC_ALL=C sort |
    while read -r t p; do
      case $t in
      d) if [ -d "$ovl/lower$p" ]; then continue; fi; t=newdir ;;
      c) t=whiteout ;;
      esac
      echo "$t $p"
    done
}
step() { # NAME COMMAND...
  local name=$1
  shift
  "$@" >"$out/$name" 2>&1
  echo $? >"$out/$name.code"
}
as_root() { env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$home" LC_ALL=C.UTF-8 "$@"; }
step install dpkg -i "$deb"
step where env -i PATH=/usr/bin:/bin sh -c 'for c in dockmux pg-docker lzc-docker; do command -v "$c"; done'
mkdir -p /etc/dockmux
printf '[engines.pg]\nhost = "%s"\n[engines.lzc]\nhost = "%s"\n' "$pg" "$lzc" >/etc/dockmux/engines.toml
step pg env -i PATH=/usr/bin:/bin HOME=/nonexistent pg-docker ps -a --format '{{.Names}}'
step lzc env -i PATH=/usr/bin:/bin HOME=/nonexistent lzc-docker ps -a --format '{{.Names}}'
step man env -i PATH=/usr/bin:/bin LC_ALL=C.UTF-8 MANPAGER=cat MANWIDTH=80 MAN_DISABLE_SECCOMP=1 man dockmux
step man5 env -i PATH=/usr/bin:/bin LC_ALL=C.UTF-8 MANPAGER=cat MANWIDTH=80 MAN_DISABLE_SECCOMP=1 man 5 engines.toml
step manpg env -i PATH=/usr/bin:/bin LC_ALL=C.UTF-8 MANPAGER=cat MANWIDTH=80 MAN_DISABLE_SECCOMP=1 man pg-docker
# A user who is not root: `add --link` links into a dir of the user's own.
mount -t tmpfs dist-home /home || exit 93
mkdir /home/u && chown "$uid:$gid" /home/u && chmod 700 /home/u
step user_add setpriv --reuid="$uid" --regid="$gid" --clear-groups \
  env -i PATH=/usr/bin:/bin HOME=/home/u LC_ALL=C.UTF-8 dockmux add nas unix:///run/dist-nas.sock --link
step user_links ls /home/u/.local/bin
# Root runs every command that writes links or completion files, with the
# package's own directory named too: the package's files stay its own.
step link as_root dockmux link
step link_files sh -c 'ls /usr/local/bin /usr/local/share/bash-completion/completions /usr/local/share/zsh/site-functions /etc/fish/completions'
step add as_root dockmux add --system nas unix:///run/dist-nas.sock --link
step link_usr as_root dockmux link --dir /usr/bin
step prune as_root dockmux link --prune --dir /usr/bin
step rename as_root dockmux rename --system nas nas2 --dir /usr/bin
step remove_unlink as_root dockmux remove --system nas2 --unlink --dir /usr/bin
step unlink_usr as_root dockmux unlink --dir /usr/bin
step unlink as_root dockmux unlink
step tar_install as_root "$tar" install
step tar_install_usr as_root "$tar" install --dir /usr/bin
step uninstall_usr as_root /usr/local/bin/dockmux uninstall --dir /usr/bin
step uninstall as_root /usr/local/bin/dockmux uninstall
step verify dpkg -V dockmux
layer >"$out/used"
step remove dpkg -r dockmux
step status dpkg-query -W -f '${db:Status-Status}' dockmux
step config cat /etc/dockmux/engines.toml
rm -r /etc/dockmux
layer >"$out/left"
"#;

#[test]
fn dist_deb_installs_reaches_an_engine_shows_man_and_removes_cleanly() {
    let a = artifacts();
    let tb = testbed::shared();
    let name = format!("dist-deb-{}", std::process::id());
    create(&tb.pg, &name);
    let user = users::user("dmx-deb");
    let env = Env::new();
    let ovl = env.root().join("ovl");
    let out = env.root().join("out");
    std::fs::create_dir_all(&ovl).unwrap();
    std::fs::create_dir_all(&out).unwrap();
    // The tarball's binary, for `install` from a download beside the package.
    let tar_bin = tarball_binary(a, env.root());
    let run = Out::of(
        Command::new("/usr/bin/unshare")
            .args(["--mount", "--propagation", "private", "/bin/bash", "-c"])
            .arg(INSTALL_SCRIPT)
            .env_clear()
            .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
            .env("LC_ALL", "C.UTF-8")
            .env("ovl", &ovl)
            .env("out", &out)
            .env("home", &env.home)
            .env("uid", user.uid.to_string())
            .env("gid", user.gid.to_string())
            .env("tar", &tar_bin)
            .env("deb", &a.deb)
            .env("pg", &tb.pg.host)
            .env("lzc", &tb.lzc.host),
    );
    run.ok();
    let result = |name: &str| {
        let text = std::fs::read_to_string(out.join(name)).unwrap();
        let code = std::fs::read_to_string(out.join(format!("{name}.code"))).unwrap();
        (code.trim().to_string(), text)
    };
    let step = |name: &str| {
        let (code, text) = result(name);
        assert_eq!(code, "0", "{name}: {text}");
        text
    };
    step("install");
    let mut where_ = vec!["/usr/bin/dockmux".to_string()];
    where_.extend(["pg-docker", "lzc-docker"].map(|c| format!("/usr/bin/{c}")));
    assert_eq!(step("where").lines().collect::<Vec<_>>(), where_);
    assert!(step("pg").lines().any(|l| l == name), "{}", step("pg"));
    assert!(!step("lzc").lines().any(|l| l == name), "{}", step("lzc"));
    assert!(step("man").starts_with("DOCKMUX(1)"), "{}", step("man"));
    assert!(step("man").contains("   dockmux list\n"), "{}", step("man"));
    assert!(
        step("man5").starts_with("ENGINES.TOML(5)"),
        "{}",
        step("man5")
    );
    assert!(step("manpg").starts_with("DOCKMUX(1)"), "{}", step("manpg"));

    // A user who is not root gets the links in a dir of their own, made
    // for them, and no suggestion they cannot follow.
    let added = step("user_add");
    assert!(
        added.contains("linked   /home/u/.local/bin/nas-docker -> /usr/bin/dockmux"),
        "{added}"
    );
    assert!(
        !added.contains("--system") && !added.contains("root"),
        "{added}"
    );
    assert_eq!(step("user_links"), "nas-docker\n");

    // Root's links on a packaged install go to /usr/local/bin, their
    // completion files where the shells read them for it (checked by
    // running each shell: bash-completion and zsh read /usr/local/share,
    // Debian 12's fish reads it only when XDG_DATA_DIRS says so, and
    // /etc/fish always).
    let link = step("link");
    assert!(
        link.contains("linked   /usr/local/bin/pg-docker -> /usr/bin/dockmux"),
        "{link}"
    );
    let files = step("link_files");
    for f in ["pg-docker", "lzc-docker", "_pg-docker", "pg-docker.fish"] {
        assert!(files.lines().any(|l| l == f), "{f}: {files}");
    }
    assert!(
        step("add").contains("/usr/local/bin/nas-docker"),
        "{}",
        step("add")
    );
    let linked = step("link_usr");
    assert!(
        linked.contains("ok       /usr/bin/pg-docker (the package dockmux's link)"),
        "{linked}"
    );
    for s in ["prune", "rename", "remove_unlink", "unlink_usr", "unlink"] {
        let text = step(s);
        let touched = text
            .lines()
            .filter(|l| l.contains("/usr/bin/pg-docker") || l.contains("/usr/bin/lzc-docker"));
        for line in touched {
            assert!(line.starts_with("ok "), "{s}: {text}");
        }
    }
    step("tar_install");
    let (code, text) = result("tar_install_usr");
    assert_eq!(code, "125", "{text}");
    assert!(
        text.contains("/usr/bin/dockmux belongs to the package dockmux"),
        "{text}"
    );
    let kept = step("uninstall_usr");
    assert!(
        kept.contains("kept     /usr/bin/dockmux (the package dockmux's"),
        "{kept}"
    );
    step("uninstall");
    assert_eq!(step("verify"), "", "dpkg -V dockmux");

    // What the commands wrote, judged from the overlays' upper layers.
    let package: BTreeSet<String> = std::fs::read_to_string(out.join("paths"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    assert!(package.contains("/usr/bin/pg-docker"), "{package:?}");
    let set_aside = |p: &str| package.contains(p) || p == "/etc/dockmux";
    let admins = |p: &str| p.starts_with("/usr/local/") || p.starts_with("/etc/dockmux/");
    // dpkg's own records, logs and the man-db trigger's cache.
    let dpkgs = |p: &str| {
        ["/var/lib/dpkg/", "/var/log/", "/var/cache/man/"]
            .iter()
            .any(|d| p.starts_with(d))
    };
    let entries = |file: &str| -> Vec<(String, String)> {
        std::fs::read_to_string(out.join(file))
            .unwrap()
            .lines()
            .map(|l| {
                let (t, p) = l.split_once(' ').unwrap();
                (t.to_string(), p.to_string())
            })
            .collect()
    };
    let used = entries("used");
    assert!(
        used.iter().any(|(_, p)| p == "/usr/bin/dockmux"),
        "{used:?}"
    );
    let stray: Vec<_> = used
        .iter()
        .filter(|(t, p)| match t.as_str() {
            "whiteout" => !set_aside(p),
            _ => !(package.contains(p) || admins(p) || dpkgs(p) || p == "/etc/dockmux"),
        })
        .collect();
    assert!(
        stray.is_empty(),
        "written outside the package, /usr/local and /etc/dockmux: {stray:?}"
    );

    step("remove");
    // Without conffiles, dpkg forgets the package whole.
    let (code, status) = result("status");
    assert_eq!(code, "1", "{status}");
    assert!(status.contains("no packages found"), "{status}");
    assert!(
        step("config").contains(&tb.pg.host),
        "the config is the user's: it stays"
    );
    let left: Vec<_> = entries("left")
        .into_iter()
        .filter(|(t, p)| match t.as_str() {
            "whiteout" => !set_aside(p),
            _ => !(admins(p) || dpkgs(p) && !p.contains("/info/dockmux.")),
        })
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}
