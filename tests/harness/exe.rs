//! Executables the tests write and then run.
//!
//! A file is refused with ETXTBSY ("Text file busy") while any process holds
//! it open for writing. Test threads fork all the time, and a child forked
//! while this process has the file open keeps a copy of that descriptor until
//! it execs (O_CLOEXEC only closes it then). Renaming does not help: the
//! count is per inode. So the test process never opens an executable for
//! writing at all: a short-lived `install` does, and has closed it when it
//! exits, before anything runs the file.
use std::path::Path;
use std::process::Command;

/// Writes `contents` to `path` as a mode-0755 executable.
pub fn write_executable(path: &Path, contents: impl AsRef<[u8]>) {
    // The text goes to a file nothing runs; `install` makes the one that runs.
    let dir = path.parent().unwrap();
    let text = tempfile::NamedTempFile::new_in(dir).unwrap();
    std::fs::write(text.path(), contents).unwrap();
    copy_executable(text.path(), path);
}

/// Copies the file `from` to `path` as a mode-0755 executable (replacing `path`).
pub fn copy_executable(from: &Path, path: &Path) {
    let out = Command::new("/usr/bin/install")
        .arg("-m0755")
        .arg(from)
        .arg(path)
        .output()
        .unwrap_or_else(|e| panic!("cannot run /usr/bin/install: {e}"));
    assert!(
        out.status.success(),
        "install {} {}: {}",
        from.display(),
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn executables_written_while_other_threads_fork_run() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let dir = tempfile::tempdir().unwrap();
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        // A busy neighbour: a test thread forking, its children slow to exec,
        // as on a loaded machine.
        for _ in 0..4 {
            s.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    let mut c = Command::new("/bin/true");
                    unsafe {
                        std::os::unix::process::CommandExt::pre_exec(&mut c, || {
                            std::thread::sleep(std::time::Duration::from_millis(2));
                            Ok(())
                        });
                    }
                    c.status().unwrap();
                }
            });
        }
        const RUNS: usize = 300;
        let mut failures = Vec::new();
        for i in 0..RUNS {
            let p = dir.path().join(format!("x{i}"));
            write_executable(&p, "#!/bin/sh\nexit 0\n");
            if let Err(e) = Command::new(&p).status() {
                failures.push(e.to_string());
            }
        }
        stop.store(true, Ordering::Relaxed);
        assert!(
            failures.is_empty(),
            "{} of {RUNS} runs failed: {:?}",
            failures.len(),
            failures.first()
        );
    });
}

/// Every test file writes its executables through this module: a guard, as
/// new tests keep adding `fs::write` + chmod +x (or `fs::copy` of a binary).
#[test]
fn no_test_writes_an_executable_itself() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let mut files = vec![root];
    let mut found = Vec::new();
    while let Some(p) = files.pop() {
        if p.is_dir() {
            files.extend(std::fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        if p.extension().is_none_or(|e| e != "rs") || p.ends_with("harness/exe.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&p).unwrap();
        // Statements, roughly: `fs::write(X, …)`, `fs::copy(…, X)`, `set_permissions(X, …0oNNN…)`.
        let compact: String = text.split_whitespace().collect();
        let written: Vec<&str> = statements(&compact, "fs::write(")
            .map(first_arg)
            .chain(statements(&compact, "fs::copy(").map(second_arg))
            .collect();
        for args in statements(&compact, "set_permissions(") {
            let target = first_arg(args);
            let mode = args
                .split("from_mode(0o")
                .nth(1)
                .and_then(|m| u32::from_str_radix(&m[..m.find(')').unwrap_or(0)], 8).ok());
            if mode.is_some_and(|m| m & 0o111 != 0) && written.contains(&target) {
                found.push(format!("{}: {target} made executable", p.display()));
            }
        }
        for args in statements(&compact, "fs::copy(") {
            if first_arg(args).contains("dockmux_bin()") {
                found.push(format!("{}: fs::copy of dockmux_bin()", p.display()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "write executables with harness::exe (write_executable, copy_executable, or copy_dockmux):\n{}",
        found.join("\n")
    );
}

/// The argument text of each call to `call` (whitespace removed).
fn statements<'a>(text: &'a str, call: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    text.split(call).skip(1).map(|rest| {
        let mut depth = 0;
        let end = rest
            .char_indices()
            .find(|&(_, c)| {
                match c {
                    '(' => depth += 1,
                    ')' if depth == 0 => return true,
                    ')' => depth -= 1,
                    _ => {}
                }
                false
            })
            .map_or(rest.len(), |(i, _)| i);
        &rest[..end]
    })
}

fn first_arg(args: &str) -> &str {
    split_args(args)
        .next()
        .unwrap_or("")
        .trim_start_matches('&')
}

fn second_arg(args: &str) -> &str {
    split_args(args)
        .nth(1)
        .unwrap_or("")
        .trim_start_matches('&')
}

/// Top-level comma-separated arguments.
fn split_args(args: &str) -> impl Iterator<Item = &str> {
    let mut depth = 0;
    let mut start = 0;
    let mut out = Vec::new();
    for (i, c) in args.char_indices() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&args[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&args[start..]);
    out.into_iter()
}
