//! The layout's rules that the compiler cannot check (ARCHITECTURE.md): the
//! layers, in the order ARCHITECTURE.md lists them, where a module imports
//! nothing from a layer above its own; a command never imports another
//! command; and the engine crate (crates/dockmux-engine) depends on no clap,
//! serde_json or toml_edit. That the engine path reaches none of them is
//! the compiler's to check: the engine crate cannot name what it does not
//! depend on, nor the dockmux crate.
//!
//! "Imports" is followed through the source: every `crate::…`, `super::…`
//! and child-module path in code (comments, strings and `#[cfg(test)]`
//! modules aside). Both crates are read as one tree, as the dockmux crate
//! names the engine crate's modules as its own (lib.rs re-exports them).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Modules by path (`["engine", "flags"]`) → their code, cleaned of
/// comments, string contents and test modules. main.rs, the top of
/// everything, is not one.
struct Tree {
    modules: BTreeMap<Vec<String>, String>,
    /// What the code calls the crate root: `crate` and the crates' names.
    names: &'static [&'static str],
}

impl Tree {
    fn read(srcs: &[&Path]) -> Tree {
        let mut modules = BTreeMap::new();
        for src in srcs {
            let mut dirs = vec![src.to_path_buf()];
            while let Some(dir) = dirs.pop() {
                for entry in std::fs::read_dir(&dir).unwrap() {
                    let path = entry.unwrap().path();
                    if path.is_dir() {
                        dirs.push(path);
                    } else if path.extension().is_some_and(|e| e == "rs")
                        && path != src.join("main.rs")
                    {
                        let text = clean(&std::fs::read_to_string(&path).unwrap());
                        modules.insert(module_path(src, &path), text);
                    }
                }
            }
        }
        Tree {
            modules,
            names: &["dockmux", "dockmux_engine"],
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
                w if self.names.contains(&w) => at.clear(),
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
}

/// `crates/dockmux-engine/src/engine/mod.rs` → `["engine"]`; lib.rs → `[]`.
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

/// The two crates' sources, as one tree.
fn sources() -> Tree {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    Tree::read(&[&root.join("src"), &root.join("crates/dockmux-engine/src")])
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The layers, lowest first, as ARCHITECTURE.md's "Layers" list gives them:
/// each item's backquoted names before its colon (`text/`, `error.rs`).
fn layers(architecture: &str) -> Vec<Vec<String>> {
    let list = architecture
        .split("\n## ")
        .find(|s| s.starts_with("Layers"))
        .expect("ARCHITECTURE.md has a Layers section");
    list.lines()
        .filter_map(|l| l.split_once(". ").filter(|(n, _)| n.parse::<u32>().is_ok()))
        .map(|(_, item)| {
            let head = item.split(':').next().unwrap();
            head.split('`')
                .skip(1)
                .step_by(2)
                .map(|w| w.trim_end_matches('/').trim_end_matches(".rs").to_string())
                .collect()
        })
        .collect()
}

/// Each import from a higher layer, and each top-level module with no layer.
fn layer_faults(tree: &Tree, layers: &[Vec<String>]) -> Vec<String> {
    let rank: BTreeMap<&str, usize> = layers
        .iter()
        .enumerate()
        .flat_map(|(i, names)| names.iter().map(move |n| (n.as_str(), i)))
        .collect();
    let mut faults = Vec::new();
    for module in tree.modules.keys().filter(|m| !m.is_empty()) {
        let Some(&own) = rank.get(module[0].as_str()) else {
            faults.push(format!(
                "{} is in no layer: add it to ARCHITECTURE.md's list",
                module[0]
            ));
            continue;
        };
        for r in tree.refs(module) {
            let Some(top) = r.first() else { continue };
            if rank.get(top.as_str()).is_some_and(|&theirs| theirs > own) {
                faults.push(format!(
                    "{} imports {}: {} is below {}",
                    module.join("::"),
                    r.join("::"),
                    module[0],
                    top
                ));
            }
        }
    }
    faults.dedup();
    faults
}

#[test]
fn a_lower_layer_never_imports_a_higher_one() {
    let architecture = std::fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();
    let layers = layers(&architecture);
    assert!(layers.len() >= 5, "ARCHITECTURE.md's layers: {layers:?}");
    let faults = layer_faults(&sources(), &layers);
    assert!(faults.is_empty(), "{}", faults.join("\n"));
}

/// A command's imports of another command (`cli/commands/doctor/` is one command).
fn command_faults(tree: &Tree) -> Vec<String> {
    let command =
        |m: &[String]| (m.len() >= 3 && m[0] == "cli" && m[1] == "commands").then(|| m[2].clone());
    let mut faults = Vec::new();
    for module in tree.modules.keys() {
        let Some(own) = command(module) else { continue };
        for r in tree.refs(module) {
            if command(&r).is_some_and(|theirs| theirs != own) {
                faults.push(format!("{} imports {}", module.join("::"), r.join("::")));
            }
        }
    }
    faults
}

#[test]
fn a_command_never_imports_another_command() {
    let tree = sources();
    let commands = tree
        .modules
        .keys()
        .filter(|m| m.len() == 3 && m[..2] == ["cli", "commands"])
        .count();
    assert!(
        commands > 10,
        "{commands} commands found in src/cli/commands"
    );
    let faults = command_faults(&tree);
    assert!(faults.is_empty(), "{}", faults.join("\n"));
}

/// The checks on trees with faults planted: an import from a higher layer
/// (by a `use` group, a `super::` path or a child module), a module in no
/// layer, a command importing another; and the real tree, clean, then with
/// one import planted in it.
#[test]
fn the_checks_find_what_they_look_for() {
    let tree = |files: &[(&str, &str)]| {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        Tree::read(&[dir.path()])
    };
    let toy = layers(
        "# A\n\n## Layers\n\n1. `text/`: words.\n2. `error.rs`, `output.rs`: errors.\n\
         3. `config/`: the config.\n4. `cli/`: the CLI.\n\n## Next\n\n1. `x`: not a layer\n",
    );
    assert_eq!(
        toy,
        [
            vec!["text"],
            vec!["error", "output"],
            vec!["config"],
            vec!["cli"]
        ]
    );
    let clean = [
        ("main.rs", "use dockmux::cli;\n"),
        ("text/mod.rs", "pub mod quote;\n"),
        (
            "text/quote.rs",
            "// crate::cli is above\nfn f() { \"crate::cli\"; }\n",
        ),
        ("error.rs", "use crate::{output, text::quote};\n"),
        ("output.rs", "use crate::error::Error;\n"),
        (
            "config/mod.rs",
            "use super::error;\n#[cfg(test)]\nmod tests { use crate::cli::Cli; }\n",
        ),
        ("cli/mod.rs", "mod commands;\nuse crate::config;\n"),
        ("cli/commands/mod.rs", "pub mod list;\npub mod ps;\n"),
        ("cli/commands/list.rs", "use crate::cli::commands::list;\n"),
        ("cli/commands/ps.rs", "use super::ps::Args;\n"),
    ];
    assert_eq!(layer_faults(&tree(&clean), &toy), Vec::<String>::new());
    assert_eq!(command_faults(&tree(&clean)), Vec::<String>::new());

    let planted = |file: &str, text: &str| {
        let mut files = clean.to_vec();
        files.retain(|(f, _)| *f != file);
        files.push((file, text));
        tree(&files)
    };
    let by_group = planted(
        "text/quote.rs",
        "use crate::{error, config::{self, Engine}};\n",
    );
    assert_eq!(
        layer_faults(&by_group, &toy),
        [
            "text::quote imports config: text is below config",
            "text::quote imports error: text is below error"
        ]
    );
    let by_super = planted("error.rs", "fn f() { super::cli::run(); }\n");
    assert_eq!(
        layer_faults(&by_super, &toy),
        ["error imports cli: error is below cli"]
    );
    let by_child = planted("config/mod.rs", "mod cli;\nuse dockmux::cli::Cli;\n");
    assert_eq!(
        layer_faults(&by_child, &toy),
        ["config imports cli: config is below cli"]
    );
    let unlisted = planted("misc.rs", "");
    assert_eq!(
        layer_faults(&unlisted, &toy),
        ["misc is in no layer: add it to ARCHITECTURE.md's list"]
    );
    let command = planted("cli/commands/ps.rs", "use super::list::helper;\n");
    assert_eq!(
        command_faults(&command),
        ["cli::commands::ps imports cli::commands::list"]
    );

    // The real tree: clean, and failing with one import planted in it.
    let architecture = std::fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();
    let layers = layers(&architecture);
    let mut real = sources();
    assert_eq!(layer_faults(&real, &layers), Vec::<String>::new());
    let atomic = vec!["files".to_string(), "atomic".to_string()];
    real.modules
        .get_mut(&atomic)
        .expect("files::atomic is a module")
        .push_str("\nuse crate::install::links;\n");
    assert_eq!(
        layer_faults(&real, &layers),
        ["files::atomic imports install::links: files is below install"]
    );
}

/// The packages `cargo tree` lists for the engine crate, every kind of
/// dependency included (build and dev too).
fn engine_dependencies() -> BTreeSet<String> {
    let out = Command::new(env!("CARGO"))
        .args(["tree", "--locked", "--offline", "-p", "dockmux-engine"])
        .args(["--edges", "all", "--prefix", "none", "--format", "{p}"])
        .current_dir(root())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cargo tree: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

/// What the engine crate must not depend on, found in `cargo tree`'s list.
fn forbidden(dependencies: &BTreeSet<String>) -> Vec<&String> {
    dependencies
        .iter()
        .filter(|d| d.starts_with("clap") || *d == "serde_json" || *d == "toml_edit")
        .collect()
}

#[test]
fn the_engine_crate_depends_on_no_clap_serde_json_or_toml_edit() {
    let dependencies = engine_dependencies();
    // The list is the real one: the crate and what it does depend on.
    for known in ["dockmux-engine", "toml", "libc"] {
        assert!(
            dependencies.contains(known),
            "{known} not in {dependencies:?}"
        );
    }
    assert_eq!(forbidden(&dependencies), Vec::<&String>::new());
    // And the check finds them when they are there.
    let mut planted = dependencies.clone();
    planted.extend(["clap_builder", "serde_json", "toml_edit"].map(String::from));
    assert_eq!(
        forbidden(&planted),
        ["clap_builder", "serde_json", "toml_edit"]
    );
}

/// The source paths (`…src/….rs`) named in `text`.
fn source_paths(text: &str) -> Vec<&str> {
    let is_path = |c: char| c.is_ascii_alphanumeric() || "_-/.".contains(c);
    let mut out = Vec::new();
    for (at, _) in text.match_indices("src/") {
        if text[..at].ends_with(is_path) && !text[..at].ends_with("dockmux-engine/") {
            continue;
        }
        let start = text[..at]
            .strip_suffix("crates/dockmux-engine/")
            .map_or(at, str::len);
        let end = text[at..]
            .find(|c| !is_path(c))
            .map_or(text.len(), |e| at + e);
        let path = text[start..end].trim_end_matches('.');
        if path.ends_with(".rs") {
            out.push(path);
        }
    }
    out
}

/// Every source path a doc, comment or script names is there: moves leave
/// none pointing at an old place.
#[test]
fn every_source_path_named_in_docs_comments_and_scripts_exists() {
    let files = Command::new("git")
        .args(["ls-files", "*.rs", "*.md", "bench/*", "scripts/*"])
        .current_dir(root())
        .output()
        .expect("git ls-files");
    let files = String::from_utf8(files.stdout).unwrap();
    let mut stale = Vec::new();
    let mut named = 0;
    // This file's own examples below are not there, on purpose.
    let skip = |f: &&str| f.starts_with("tests/snapshots/") || *f == "tests/layout.rs";
    for file in files.lines().filter(|f| !skip(f)) {
        let Ok(text) = std::fs::read_to_string(root().join(file)) else {
            continue;
        };
        for path in source_paths(&text) {
            named += 1;
            if !root().join(path).exists() {
                stale.push(format!("{file}: {path}"));
            }
        }
    }
    assert!(
        named > 50,
        "only {named} source paths found: is the scan broken?"
    );
    assert!(
        stale.is_empty(),
        "paths that are not there:\n{}",
        stale.join("\n")
    );
    assert_eq!(
        source_paths("see src/a.rs, crates/dockmux-engine/src/b/c.rs. and xsrc/d.rs"),
        ["src/a.rs", "crates/dockmux-engine/src/b/c.rs"]
    );
}
