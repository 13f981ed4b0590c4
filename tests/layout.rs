//! The layout's rules, checked in the source rather than stated in comments
//! (ARCHITECTURE.md): the engine path reaches no clap, no serde_json and no
//! management command, a command never imports another command, and no two
//! modules (a folder counts as one) reach each other.
//!
//! "Reaches" is followed through the source: from the modules main.rs takes
//! for engine mode, every `crate::…`, `super::…` and child-module path in
//! code (comments, strings and `#[cfg(test)]` modules aside), transitively,
//! each module's parents included.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::{Path, PathBuf};

/// A crate's modules: module path (`["engine", "flags"]`) → its code,
/// cleaned of comments, string contents and test modules.
struct Tree {
    modules: BTreeMap<Vec<String>, String>,
    /// main.rs, the binary, cleaned alike.
    main: String,
    /// The crate's own name, as the binary refers to the library.
    name: &'static str,
}

impl Tree {
    fn read(src: &Path, name: &'static str) -> Tree {
        Tree::read_all(&[src], name)
    }

    /// One crate whose modules live in several source dirs (lib.rs takes
    /// the engine path's from crates/dockmux-engine/src by `#[path]`).
    fn read_all(srcs: &[&Path], name: &'static str) -> Tree {
        let mut modules = BTreeMap::new();
        let mut main = String::new();
        for src in srcs {
            let mut dirs = vec![src.to_path_buf()];
            while let Some(dir) = dirs.pop() {
                for entry in std::fs::read_dir(&dir).unwrap() {
                    let path = entry.unwrap().path();
                    if path.is_dir() {
                        dirs.push(path);
                    } else if path.extension().is_some_and(|e| e == "rs") {
                        let text = clean(&std::fs::read_to_string(&path).unwrap());
                        if path == src.join("main.rs") {
                            main = text;
                        } else {
                            modules.insert(module_path(src, &path), text);
                        }
                    }
                }
            }
        }
        Tree {
            modules,
            main,
            name,
        }
    }

    /// The module `path` names: its longest prefix that is a module.
    fn module_of(&self, path: &[String]) -> Option<Vec<String>> {
        (0..=path.len())
            .rev()
            .map(|n| path[..n].to_vec())
            .find(|m| self.modules.contains_key(m))
    }

    /// The modules `module`'s code refers to.
    fn refs(&self, module: &[String]) -> BTreeSet<Vec<String>> {
        let mut out = BTreeSet::new();
        for path in paths(&self.modules[module]) {
            let words: Vec<&str> = path.split("::").collect();
            let (mut at, mut i) = (module.to_vec(), 1);
            match words[0] {
                "crate" => at.clear(),
                w if w == self.name => at.clear(),
                "self" => {}
                "super" => {
                    i = 0;
                    while words.get(i) == Some(&"super") {
                        at.pop();
                        i += 1;
                    }
                }
                // A child module, named from its parent; else not this crate's.
                child => {
                    at.push(child.to_string());
                    if !self.modules.contains_key(&at) {
                        continue;
                    }
                    at.pop();
                    i = 0;
                }
            }
            at.extend(words[i..].iter().map(|w| w.to_string()));
            if let Some(m) = self.module_of(&at) {
                out.insert(m);
            }
        }
        out
    }

    /// Every module reachable from `roots`, each with a shortest chain that reaches it.
    fn reach(&self, roots: &[Vec<String>]) -> BTreeMap<Vec<String>, Vec<Vec<String>>> {
        let mut seen: BTreeMap<Vec<String>, Vec<Vec<String>>> = BTreeMap::new();
        let mut todo: VecDeque<(Vec<String>, Vec<Vec<String>>)> =
            roots.iter().map(|r| (r.clone(), vec![r.clone()])).collect();
        while let Some((m, chain)) = todo.pop_front() {
            if seen.contains_key(&m) {
                continue;
            }
            // A module's parents are compiled with it.
            let parents = (0..m.len())
                .map(|n| m[..n].to_vec())
                .filter(|p| self.modules.contains_key(p));
            let next: Vec<Vec<String>> = self.refs(&m).into_iter().chain(parents).collect();
            for n in next {
                let mut c = chain.clone();
                c.push(n.clone());
                todo.push_back((n, c));
            }
            seen.insert(m, chain);
        }
        seen
    }
}

/// `src/engine/mod.rs` → `["engine"]`; lib.rs → `[]`.
fn module_path(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut words: Vec<String> = rel
        .iter()
        .map(|w| w.to_string_lossy().into_owned())
        .collect();
    if matches!(words.last().map(String::as_str), Some("mod" | "lib")) {
        words.pop();
    }
    words
}

/// The code without comments, without what string and char literals hold,
/// and without `#[cfg(test)]` modules.
fn clean(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let mut depth = 0;
                while i < b.len() {
                    if b[i..].starts_with(b"/*") {
                        depth += 1;
                        i += 2;
                    } else if b[i..].starts_with(b"*/") {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
            }
            b'r' if (b.get(i + 1) == Some(&b'"') || b.get(i + 1) == Some(&b'#'))
                && (i == 0 || !is_word(b[i - 1])) =>
            {
                let hashes = b[i + 1..].iter().take_while(|&&c| c == b'#').count();
                if b.get(i + 1 + hashes) != Some(&b'"') {
                    out.push('r');
                    i += 1;
                    continue;
                }
                let end: Vec<u8> = std::iter::once(b'"')
                    .chain(std::iter::repeat_n(b'#', hashes))
                    .collect();
                i += 2 + hashes;
                while i < b.len() && !b[i..].starts_with(&end) {
                    i += 1;
                }
                i += end.len();
                out.push_str("\"\"");
            }
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
                out.push_str("\"\"");
            }
            // A char literal ('x', '\n', '\''); a lifetime ('a) is code.
            b'\'' if b.get(i + 1) == Some(&b'\\') => {
                i += 3;
                while i < b.len() && b[i] != b'\'' {
                    i += 1;
                }
                i += 1;
            }
            b'\'' if text[i + 1..].chars().nth(1) == Some('\'') => {
                i += 1 + text[i + 1..].chars().next().unwrap().len_utf8() + 1;
            }
            c => {
                let ch = text[i..].chars().next().unwrap();
                out.push(ch);
                i += if c.is_ascii() { 1 } else { ch.len_utf8() };
            }
        }
    }
    without_test_modules(&out)
}

fn is_word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

fn without_test_modules(code: &str) -> String {
    let mut out = code.to_string();
    while let Some(at) = out.find("#[cfg(test)]") {
        let Some(open) = out[at..].find('{').map(|o| at + o) else {
            break;
        };
        let mut depth = 0;
        let mut end = open;
        for (j, c) in out[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + j + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        out.replace_range(at..end, "");
    }
    out
}

/// Every path in the code (`crate::a::b`, `super::x`, `flags::Scan`), with
/// `use` groups spelt out (`use crate::{a, b::{c, d}}` → `crate::a`, `crate::b::c`, …).
fn paths(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let b = code.as_bytes();
    let mut from = 0;
    while let Some(at) = code[from..].find("use ").map(|a| from + a) {
        from = at + 4;
        if at > 0 && is_word(b[at - 1]) {
            continue;
        }
        let end = code[at..].find(';').map_or(code.len(), |e| at + e);
        let tree: String = without_renames(&code[at + 4..end])
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        expand("", &tree, &mut out);
    }
    let mut i = 0;
    while i < b.len() {
        if is_word(b[i]) && (i == 0 || !is_word(b[i - 1]) && b[i - 1] != b':') {
            let start = i;
            while i < b.len()
                && (is_word(b[i])
                    || b[i..].starts_with(b"::") && b.get(i + 2).is_some_and(|&c| is_word(c)))
            {
                i += if b[i] == b':' { 2 } else { 1 };
            }
            if code[start..i].contains("::") {
                out.push(code[start..i].to_string());
            }
        } else {
            i += 1;
        }
    }
    out
}

/// A `use` tree without its renames (`a as b` → `a`).
fn without_renames(tree: &str) -> String {
    let mut out = String::new();
    let words = tree.split_inclusive(|c: char| !is_word(c as u8) || !c.is_ascii());
    let mut skip = false;
    for w in words {
        let word = w.trim_end_matches(|c: char| !is_word(c as u8) || !c.is_ascii());
        if skip {
            skip = false;
            out.push_str(&w[word.len()..]);
        } else if word == "as" {
            skip = true;
        } else {
            out.push_str(w);
        }
    }
    out
}

fn expand(prefix: &str, tree: &str, out: &mut Vec<String>) {
    let join = |p: &str| {
        if prefix.is_empty() {
            p.to_string()
        } else {
            format!("{prefix}::{p}")
        }
    };
    match tree.find('{') {
        None => out.push(join(tree.trim_end_matches("::self"))),
        Some(open) => {
            let head = join(tree[..open].trim_end_matches("::"));
            let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
            let mut depth = 0;
            let mut from = 0;
            for (j, c) in inner.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        expand_item(&head, &inner[from..j], out);
                        from = j + 1;
                    }
                    _ => {}
                }
            }
            expand_item(&head, &inner[from..], out);
        }
    }
}

fn expand_item(head: &str, item: &str, out: &mut Vec<String>) {
    match item {
        "" => {}
        "self" => out.push(head.to_string()),
        _ => expand(head, item, out),
    }
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn engine_src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/dockmux-engine/src")
}

fn show(chain: &[Vec<String>]) -> String {
    chain
        .iter()
        .map(|m| {
            if m.is_empty() {
                "lib".to_string()
            } else {
                m.join("::")
            }
        })
        .collect::<Vec<_>>()
        .join(" → ")
}

/// What the engine path reaches that it must not: clap, serde_json, the
/// management CLI or a command, each with the chain of modules that reaches it.
fn engine_path_faults(tree: &Tree) -> Vec<String> {
    // main.rs's modules for engine mode: all it takes from the library but the CLI.
    let roots: Vec<Vec<String>> = paths(&tree.main)
        .iter()
        .filter_map(|p| p.strip_prefix(&format!("{}::", tree.name)))
        .map(|p| p.split("::").map(str::to_string).collect::<Vec<_>>())
        .filter_map(|p| tree.module_of(&p))
        .filter(|m| !m.is_empty() && m[0] != "cli")
        .collect();
    assert!(!roots.is_empty(), "main.rs names no engine-path module");
    let mut faults = Vec::new();
    for (module, chain) in tree.reach(&roots) {
        if module
            .first()
            .is_some_and(|m| m == "commands" || m == "cli")
        {
            faults.push(format!("reaches {}: {}", module.join("::"), show(&chain)));
        }
        let code = &tree.modules[&module];
        for word in ["clap", "serde_json"] {
            if code
                .split(|c: char| !c.is_alphanumeric() && c != '_')
                .any(|w| w == word)
            {
                faults.push(format!("{word} in {}: {}", module.join("::"), show(&chain)));
            }
        }
    }
    faults
}

#[test]
fn the_engine_path_reaches_no_clap_no_serde_json_and_no_command() {
    let tree = Tree::read_all(&[&src(), &engine_src()], "dockmux");
    let faults = engine_path_faults(&tree);
    assert!(
        faults.is_empty(),
        "the engine path reaches:\n{}",
        faults.join("\n")
    );
}

#[test]
fn a_command_never_imports_another_command() {
    let tree = Tree::read_all(&[&src(), &engine_src()], "dockmux");
    let mut faults = Vec::new();
    // A command's own folder (cli/commands/doctor/) is the command.
    let command = |m: &[String]| m.len() >= 3 && m[..2] == ["cli", "commands"];
    let modules: Vec<_> = tree.modules.keys().filter(|m| command(m)).collect();
    assert!(modules.len() > 10, "commands: {modules:?}");
    for module in modules {
        for r in tree.refs(module) {
            if command(&r) && r[..3] != module[..3] {
                faults.push(format!("{} imports {}", module.join("::"), r.join("::")));
            }
        }
    }
    assert!(faults.is_empty(), "{}", faults.join("\n"));
}

/// The checks themselves: a tree whose engine path takes clap (through a
/// `use` group, a `super::` path or a child module) fails, naming the chain;
/// so does a tree whose modules reach each other.
#[test]
fn the_checks_find_what_they_look_for() {
    let tree = |files: &[(&str, &str)]| {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        Tree::read(dir.path(), "dockmux")
    };
    let main = "use dockmux::engine::{self, dispatch};\nuse dockmux::cli;\n";
    let clean = tree(&[
        ("main.rs", main),
        (
            "engine/mod.rs",
            "pub mod dispatch;\nuse crate::{config, error::Error};\n",
        ),
        (
            "engine/dispatch.rs",
            "// clap is not used here\nfn f() { \"serde_json\"; }\n",
        ),
        (
            "config.rs",
            "use super::error;\n#[cfg(test)]\nmod tests { use clap::Parser; }\n",
        ),
        ("error.rs", ""),
        ("cli.rs", "use clap::Parser;\nuse crate::commands;\n"),
        ("commands/mod.rs", "use serde_json::Value;\n"),
    ]);
    assert_eq!(engine_path_faults(&clean), Vec::<String>::new());

    let by_group = tree(&[
        ("main.rs", main),
        (
            "engine/mod.rs",
            "pub mod dispatch;\nuse crate::{config, error::{Error, self}};\n",
        ),
        ("engine/dispatch.rs", ""),
        ("config.rs", ""),
        ("error.rs", "pub fn f() { crate::out::json(); }\n"),
        ("out.rs", "pub fn json() { serde_json::to_string(&1); }\n"),
        ("cli.rs", ""),
    ]);
    let faults = engine_path_faults(&by_group);
    assert_eq!(faults.len(), 1, "{faults:?}");
    assert!(faults[0].starts_with("serde_json in out: "), "{faults:?}");
    assert!(faults[0].contains("engine → error → out"), "{faults:?}");

    let by_child_and_super = tree(&[
        ("main.rs", main),
        (
            "engine/mod.rs",
            "pub mod dispatch;\npub mod flags;\nfn f() { flags::g(); }\n",
        ),
        ("engine/dispatch.rs", ""),
        (
            "engine/flags.rs",
            "pub fn g() { super::super::commands::list::run(); }\n",
        ),
        ("commands/mod.rs", "pub mod list;\n"),
        ("commands/list.rs", "use clap::Args;\n"),
        ("cli.rs", ""),
    ]);
    let faults = engine_path_faults(&by_child_and_super);
    assert!(
        faults
            .iter()
            .any(|f| f.starts_with("reaches commands::list: ")),
        "{faults:?}"
    );
    assert!(
        faults
            .iter()
            .any(|f| f.starts_with("clap in commands::list: ")),
        "{faults:?}"
    );
    // cli → commands::man_pages → man → cli, as once with man.rs.
    let cycle = tree(&[
        ("cli.rs", "use crate::commands;\n"),
        ("commands/mod.rs", "pub mod man_pages;\n"),
        ("commands/man_pages.rs", "fn f() { crate::man::pages(); }\n"),
        ("man.rs", "pub fn pages() { crate::cli::Cli::command(); }\n"),
        ("engine/mod.rs", "use crate::man;\n"),
    ]);
    assert_eq!(
        cycles(&cycle),
        [
            "cli → commands / commands → man → cli",
            "cli → commands → man / man → cli",
            "commands → man / man → cli → commands"
        ]
    );
}

/// Modules that reach each other, at the top level of src/ (a folder counts
/// as one): each pair once, with the chains both ways.
fn cycles(tree: &Tree) -> Vec<String> {
    let top = |m: &[String]| m.first().cloned();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for m in tree.modules.keys() {
        for r in tree.refs(m) {
            if let (Some(a), Some(b)) = (top(m), top(&r))
                && a != b
            {
                edges.entry(a).or_default().insert(b);
            }
        }
    }
    let path = |from: &String, to: &String| -> Option<Vec<String>> {
        let mut seen = BTreeSet::new();
        let mut todo = VecDeque::from([vec![from.clone()]]);
        while let Some(chain) = todo.pop_front() {
            let last = chain.last().unwrap();
            for next in edges.get(last).into_iter().flatten() {
                if next == to {
                    let mut c = chain.clone();
                    c.push(next.clone());
                    return Some(c);
                }
                if seen.insert(next.clone()) {
                    let mut c = chain.clone();
                    c.push(next.clone());
                    todo.push_back(c);
                }
            }
        }
        None
    };
    let mut found = Vec::new();
    for a in edges.keys() {
        for b in edges.keys().filter(|b| a < *b) {
            if let (Some(there), Some(back)) = (path(a, b), path(b, a)) {
                found.push(format!("{} / {}", there.join(" → "), back.join(" → ")));
            }
        }
    }
    found
}

#[test]
fn no_module_cycles() {
    let found = cycles(&Tree::read_all(&[&src(), &engine_src()], "dockmux"));
    assert!(
        found.is_empty(),
        "modules that reach each other:\n{}",
        found.join("\n")
    );
}
