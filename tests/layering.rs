//! The layering of `src/` holds: dependencies point one way (`main → app → ui → engine`,
//! `app → engine`), no module cycle, no source file over 600 lines. The same rules as the shared
//! `layering.py`, here so that `cargo test` fails the moment a forbidden import appears.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

const MAX_LINES: usize = 600;

/// What the engine must not use: the layers above it, and I/O or terminal crates.
const ENGINE_FORBIDS: [&str; 7] = [
    "crate::app",
    "crate::ui",
    "tokio",
    "clap",
    "ratatui",
    "crossterm",
    "tracing",
];

/// The text of every `.rs` file under `src`, by path relative to it (`app/cli/mod.rs`).
fn sources(src: &Path) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    let mut dirs = vec![src.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let name = path
                    .strip_prefix(src)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                files.insert(name, std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    files
}

/// The code outside `#[cfg(test)]` (everything before the first one at the start of a line).
fn production(text: &str) -> &str {
    text.find("\n#[cfg(test)]").map_or(text, |at| &text[..at])
}

/// Whether `word` occurs in `code` as a whole path (not inside a longer identifier).
fn mentions(code: &str, word: &str) -> bool {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    code.match_indices(word).any(|(at, _)| {
        let before = code[..at].chars().next_back();
        let after = code[at + word.len()..].chars().next();
        !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
    })
}

/// The deepest file a `crate::a::b::c` path names.
fn resolve(files: &BTreeMap<String, String>, parts: &[&str]) -> Option<String> {
    let mut best = None;
    for i in 1..=parts.len() {
        let base = parts[..i].join("/");
        for candidate in [format!("{base}.rs"), format!("{base}/mod.rs")] {
            if files.contains_key(&candidate) {
                best = Some(candidate);
            }
        }
    }
    best
}

/// The files each file's `crate::` paths (also inside `use crate::a::{b, c::d}`) name.
fn edges(files: &BTreeMap<String, String>) -> BTreeMap<String, BTreeSet<String>> {
    let mut edges = BTreeMap::new();
    for (name, text) in files {
        let code = production(text);
        let mut refs = BTreeSet::new();
        for (at, _) in code.match_indices("crate::") {
            let rest = &code[at + "crate::".len()..];
            let path: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            let parts: Vec<&str> = path.split("::").filter(|p| !p.is_empty()).collect();
            let base = parts.clone();
            refs.extend(resolve(files, &parts));
            // A group: `crate::a::{b, c::d}`.
            if let Some(group) = rest[path.len()..].strip_prefix('{') {
                let group = &group[..group.find('}').unwrap_or(group.len())];
                for item in group.split(',') {
                    let item = item.split(" as ").next().unwrap_or("").trim();
                    if item.is_empty() || item == "self" {
                        continue;
                    }
                    let mut parts = base.clone();
                    parts.extend(item.split("::"));
                    refs.extend(resolve(files, &parts));
                }
            }
        }
        refs.remove(name);
        edges.insert(name.clone(), refs);
    }
    edges
}

/// Whether `a` is a folder's `mod.rs` (or the crate root) and `b` lies in that folder.
fn parent_of(a: &str, b: &str) -> bool {
    if a == "lib.rs" || a == "main.rs" {
        return true;
    }
    a.strip_suffix("mod.rs")
        .is_some_and(|dir| !dir.is_empty() && b.starts_with(dir))
}

/// Groups of files that reach each other (Tarjan's strongly connected components), minus a
/// folder's `mod.rs` re-exporting its own children.
fn cycles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct Walk<'a> {
        edges: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        found: Vec<Vec<String>>,
    }
    impl<'a> Walk<'a> {
        fn visit(&mut self, v: &'a str) {
            let n = self.index.len();
            self.index.insert(v, n);
            self.low.insert(v, n);
            self.stack.push(v);
            for w in self.edges.get(v).into_iter().flatten() {
                let w = w.as_str();
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let low = self.low[v].min(self.low[w]);
                    self.low.insert(v, low);
                } else if self.stack.contains(&w) {
                    let low = self.low[v].min(self.index[w]);
                    self.low.insert(v, low);
                }
            }
            if self.low[v] == self.index[v] {
                let mut group = Vec::new();
                while let Some(w) = self.stack.pop() {
                    group.push(w.to_string());
                    if w == v {
                        break;
                    }
                }
                if group.len() > 1 {
                    self.found.push(group);
                }
            }
        }
    }
    let mut walk = Walk {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        found: Vec::new(),
    };
    for v in edges.keys() {
        if !walk.index.contains_key(v.as_str()) {
            walk.visit(v);
        }
    }
    walk.found
        .into_iter()
        .map(|group| {
            let real: Vec<String> = group
                .iter()
                .filter(|c| !group.iter().any(|o| o != *c && parent_of(c, o)))
                .cloned()
                .collect();
            real
        })
        .filter(|real| real.len() > 1)
        .collect()
}

/// Every layering problem of the tree under `src`, one line each.
fn problems(src: &Path) -> Vec<String> {
    let files = sources(src);
    let mut problems = Vec::new();
    for (name, text) in &files {
        let code = production(text);
        let layer = name.split('/').next().unwrap_or("");
        if layer == "engine" {
            for bad in ENGINE_FORBIDS {
                if mentions(code, bad) {
                    problems.push(format!("{name}: the engine uses {bad}"));
                }
            }
        }
        if layer == "ui" && mentions(code, "crate::app") {
            problems.push(format!("{name}: ui uses crate::app"));
        }
        let is_tests = name.ends_with("tests.rs") || name.contains("/tests/");
        let lines = text.matches('\n').count();
        if !is_tests && lines > MAX_LINES {
            problems.push(format!("{name}: {lines} lines (over {MAX_LINES})"));
        }
    }
    for group in cycles(&edges(&files)) {
        problems.push(format!("cycle: {}", group.join(" <-> ")));
    }
    problems
}

#[test]
fn the_source_tree_is_layered() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let problems = problems(&src);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// A small tree with the given files, for the checker's own tests.
fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

#[test]
fn a_forbidden_import_a_cycle_or_a_long_file_is_found() {
    let clean = tree(&[
        ("lib.rs", "pub mod app;\npub mod engine;\npub mod ui;\n"),
        ("engine/mod.rs", "pub fn f() {}\n"),
        ("ui/mod.rs", "use crate::engine::f;\n"),
        ("app/mod.rs", "use crate::ui;\nuse crate::engine;\n"),
    ]);
    assert_eq!(problems(clean.path()), Vec::<String>::new());

    let upward = tree(&[
        ("engine/mod.rs", "use crate::ui::draw;\nuse tokio::sync;\n"),
        (
            "ui/mod.rs",
            "use crate::app::cli;\n#[cfg(test)]\nmod t { use crate::app::x; }\n",
        ),
        ("app/mod.rs", ""),
    ]);
    assert_eq!(
        problems(upward.path()),
        [
            "engine/mod.rs: the engine uses crate::ui",
            "engine/mod.rs: the engine uses tokio",
            "ui/mod.rs: ui uses crate::app",
        ]
    );

    let tangled = tree(&[
        ("app/a.rs", "use crate::app::{b::X};\n"),
        ("app/b.rs", "use crate::app::a;\n"),
        ("app/mod.rs", "pub mod a;\npub mod b;\n"),
        ("app/long.rs", &"//\n".repeat(MAX_LINES + 1)),
    ]);
    let found = problems(tangled.path());
    assert!(
        found.contains(&"app/long.rs: 601 lines (over 600)".to_string()),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|p| p.starts_with("cycle:") && p.contains("app/a.rs") && p.contains("app/b.rs")),
        "{found:?}"
    );
    // A tokio mention inside a longer name is not tokio.
    assert!(!mentions("use my_tokio_shim;", "tokio"));
}
