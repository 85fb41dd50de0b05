//! The shape ARCHITECTURE.md promises, checked on the source tree: no cycle
//! among the modules of `src/`, no source file over its size budget, no
//! function over its length budget.
//!
//! The module graph is read from the code itself: every path that starts
//! with `crate::`, `super::` or `self::` (in `use` trees and in expressions)
//! is an edge from the file that names it to the deepest module file the
//! path reaches. A module may use its own children by their bare names;
//! that is not an edge, since a parent owns its children. Everything else,
//! a child's use of its parent included, is. Test code (`#[cfg(test)]`
//! modules and files) is left out: tests may reach anywhere.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Lines of non-test code a source file may hold.
const FILE_BUDGET: usize = 700;

/// Lines a function may span, braces and comments inside it included.
const FN_BUDGET: usize = 120;

/// Functions allowed past `FN_BUDGET`: each is one `match` whose arms each
/// call one named function (the issue's exception), named as `file::fn`.
const LONG_DISPATCHERS: &[&str] = &[];

/// A module path: `["net", "tls"]` for `src/net/tls.rs`; `[]` is the crate.
type ModPath = Vec<String>;

/// One source file, reduced to what the checks read.
struct Source {
    /// The module it defines.
    module: ModPath,
    /// Where it is, relative to the crate root, for messages.
    path: String,
    /// The code with comments, string and character literals blanked out
    /// (newlines kept) and test modules removed.
    code: String,
}

#[test]
fn module_graph_has_no_cycle() {
    let sources = read_tree();
    assert!(
        sources.len() > 20,
        "found only {} files under src/",
        sources.len()
    );
    let graph = module_graph(&sources);
    let edges: usize = graph.values().map(BTreeSet::len).sum();
    assert!(edges > 20, "found only {edges} edges: the scan is broken");
    let cycles = cycles(&graph);
    assert!(
        cycles.is_empty(),
        "module cycles (see ARCHITECTURE.md, 'Layers'):\n{}",
        cycles
            .iter()
            .map(|c| format!("  {}", c.join(" -> ")))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn the_cycle_check_sees_a_cycle() {
    // Two leaves and a cycle through a parent: a -> b::c -> a.
    let files = [
        (vec![], "pub mod a; pub mod b;"),
        (
            vec!["a"],
            "use crate::b::c::Thing; fn f() { crate::b::c::g(); }",
        ),
        (vec!["b"], "pub mod c;"),
        (
            vec!["b", "c"],
            "use super::super::a::{self, X}; // crate::b\n",
        ),
    ];
    let sources: Vec<Source> = files
        .iter()
        .map(|(m, text)| Source {
            module: m.iter().map(|s| s.to_string()).collect(),
            path: m.join("/"),
            code: blank_out(text),
        })
        .collect();
    let graph = module_graph(&sources);
    let found = cycles(&graph);
    assert_eq!(found, vec![vec!["a", "b::c", "a"]]);
    // A parent naming its child by its bare name is not an edge.
    assert!(!graph.get("b").is_some_and(|e| e.contains("b::c")));
}

#[test]
fn no_source_file_is_over_budget() {
    let mut over = Vec::new();
    for s in read_tree() {
        let lines = s.code.lines().count();
        if lines > FILE_BUDGET {
            over.push(format!("  {}: {lines} lines of non-test code", s.path));
        }
    }
    assert!(
        over.is_empty(),
        "files over {FILE_BUDGET} lines (split them by concern):\n{}",
        over.join("\n")
    );
}

#[test]
fn no_function_is_over_budget() {
    let mut over = Vec::new();
    for s in read_tree() {
        for (name, lines) in functions(&s.code) {
            let id = format!("{}::{name}", s.path.trim_end_matches(".rs"));
            if lines > FN_BUDGET && !LONG_DISPATCHERS.contains(&id.as_str()) {
                over.push(format!("  {id}: {lines} lines"));
            }
        }
    }
    assert!(
        over.is_empty(),
        "functions over {FN_BUDGET} lines (name the long parts):\n{}",
        over.join("\n")
    );
}

#[test]
fn the_length_checks_measure() {
    let code = blank_out(
        "fn a() {\n let s = \"}\";\n}\n\npub(crate) fn b<T>(x: T)\nwhere T: Copy\n{\n x;\n}\n",
    );
    assert_eq!(
        functions(&code),
        vec![("a".to_string(), 3), ("b".to_string(), 5)]
    );
    let stripped = blank_out("fn a() {}\n#[cfg(test)]\nmod tests {\n fn t() {}\n}\n");
    assert_eq!(stripped.lines().count(), 1);
}

/// Every non-test `.rs` file under `src/`.
fn read_tree() -> Vec<Source> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    walk(&root, &mut files);
    let mut sources = Vec::new();
    let mut test_only = BTreeSet::new();
    for path in &files {
        let text = std::fs::read_to_string(path).expect("readable source");
        let rel = path.strip_prefix(&root).expect("under src");
        let module = module_of(rel);
        for child in test_only_children(&text) {
            let mut m = module.clone();
            m.push(child);
            test_only.insert(m);
        }
        sources.push(Source {
            module,
            path: format!("src/{}", rel.display()),
            code: blank_out(&text),
        });
    }
    sources.retain(|s| !test_only.contains(&s.module) && s.path != "src/main.rs");
    sources
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("readable directory")
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// `net/tls.rs` → `["net", "tls"]`; `net/mod.rs` → `["net"]`; `lib.rs` → `[]`.
fn module_of(rel: &Path) -> ModPath {
    let mut parts: Vec<String> = rel
        .with_extension("")
        .iter()
        .map(|s| s.to_string_lossy().into_owned())
        .collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts
}

/// Children declared `#[cfg(test)] mod name;` in this file.
fn test_only_children(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut lines = text.lines().map(str::trim);
    while let Some(line) = lines.next() {
        if line == "#[cfg(test)]"
            && let Some(next) = lines.next()
        {
            let decl = next
                .trim_start_matches("pub ")
                .trim_start_matches("pub(crate) ");
            if let Some(name) = decl.strip_prefix("mod ").and_then(|r| r.strip_suffix(';')) {
                out.push(name.trim().to_string());
            }
        }
    }
    out
}

/// The code with comments, strings and chars replaced by spaces (newlines
/// kept, so line counts stay true) and `#[cfg(test)] mod name { ... }`
/// blocks removed.
fn blank_out(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let rest = &b[i..];
        if rest.starts_with(b"//") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if rest.starts_with(b"/*") {
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
                    blank(&mut out, b[i]);
                    i += 1;
                }
            }
        } else if let Some(hashes) = raw_string_start(b, i) {
            // r"..", r#".."#, br#".."#: skip to the quote and the same hashes.
            while b[i] != b'"' {
                i += 1;
            }
            i += 1;
            let close: Vec<u8> = std::iter::once(b'"')
                .chain(std::iter::repeat_n(b'#', hashes))
                .collect();
            while i < b.len() && !b[i..].starts_with(&close) {
                blank(&mut out, b[i]);
                i += 1;
            }
            i += close.len();
            out.extend_from_slice(b"\"\"");
        } else if b[i] == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' {
                    i += 1;
                }
                if i < b.len() {
                    blank(&mut out, b[i]);
                }
                i += 1;
            }
            i += 1;
            out.extend_from_slice(b"\"\"");
        } else if b[i] == b'\'' && is_char_literal(b, i) {
            i += 1;
            while i < b.len() && b[i] != b'\'' {
                if b[i] == b'\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.extend_from_slice(b"' '");
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    remove_test_modules(&String::from_utf8_lossy(&out))
}

fn blank(out: &mut Vec<u8>, c: u8) {
    out.push(if c == b'\n' { b'\n' } else { b' ' });
}

/// At `i`, the start of a raw string literal: the number of its hashes.
fn raw_string_start(b: &[u8], i: usize) -> Option<usize> {
    if i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_') {
        return None;
    }
    let mut j = i;
    if b.get(j) == Some(&b'b') {
        j += 1;
    }
    if b.get(j) != Some(&b'r') {
        return None;
    }
    j += 1;
    let mut hashes = 0;
    while b.get(j) == Some(&b'#') {
        hashes += 1;
        j += 1;
    }
    (b.get(j) == Some(&b'"')).then_some(hashes)
}

/// A quote at `i` opens a character literal, not a lifetime.
fn is_char_literal(b: &[u8], i: usize) -> bool {
    match (b.get(i + 1), b.get(i + 2)) {
        (Some(b'\\'), _) => true,
        (Some(_), Some(b'\'')) => true,
        // A multi-byte UTF-8 character: its lead byte, then continuation bytes.
        (Some(c), _) if *c >= 0xC0 => {
            let mut j = i + 2;
            while b.get(j).is_some_and(|c| (0x80..0xC0).contains(c)) {
                j += 1;
            }
            b.get(j) == Some(&b'\'')
        }
        _ => false,
    }
}

fn remove_test_modules(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    let lines: Vec<&str> = code.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let next = lines.get(i + 1).map(|l| l.trim()).unwrap_or("");
        if lines[i].trim() == "#[cfg(test)]" && next.starts_with("mod ") && next.ends_with('{') {
            let mut depth = 0i64;
            i += 1;
            while i < lines.len() {
                depth += lines[i].matches('{').count() as i64;
                depth -= lines[i].matches('}').count() as i64;
                i += 1;
                if depth <= 0 {
                    break;
                }
            }
            continue;
        }
        out.push_str(lines[i]);
        out.push('\n');
        i += 1;
    }
    out
}

/// Tokens that matter for paths: identifiers, `::`, braces, commas, `*`,
/// and `;` (which ends a `use`).
fn tokens(code: &str) -> Vec<&str> {
    let b = code.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            out.push(&code[start..i]);
        } else if code[i..].starts_with("::") {
            out.push("::");
            i += 2;
        } else {
            if matches!(c, b'{' | b'}' | b',' | b'*' | b';') {
                out.push(&code[i..i + 1]);
            } else if !c.is_ascii_whitespace() {
                out.push("#");
            }
            i += 1;
        }
    }
    out
}

/// Every path a file names through `crate::`, `super::` or `self::`,
/// absolute, with `use` trees expanded.
fn named_paths(module: &ModPath, code: &str) -> Vec<ModPath> {
    let toks = tokens(code);
    let mut out = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let prev = i.checked_sub(1).map(|p| toks[p]);
        let starts =
            matches!(toks[i], "crate" | "super" | "self") && toks.get(i + 1) == Some(&"::");
        if starts && prev != Some("::") {
            i = path_tree(&toks, i, Vec::new(), module, &mut out);
        } else {
            i += 1;
        }
    }
    out
}

/// Parse a path tree at `toks[i]` under `prefix`; push each leaf path.
/// Returns the index after the tree.
fn path_tree(
    toks: &[&str],
    mut i: usize,
    mut prefix: Vec<String>,
    here: &ModPath,
    out: &mut Vec<ModPath>,
) -> usize {
    loop {
        match toks.get(i) {
            Some(&"{") => {
                i += 1;
                while i < toks.len() && toks[i] != "}" {
                    i = path_tree(toks, i, prefix.clone(), here, out);
                    if toks.get(i) == Some(&",") {
                        i += 1;
                    }
                }
                return i + 1;
            }
            Some(&"crate") if prefix.is_empty() => prefix = vec!["crate".into()],
            Some(&"self") if prefix.is_empty() => {
                prefix = std::iter::once("crate".to_string())
                    .chain(here.iter().cloned())
                    .collect();
            }
            Some(&"self") => {}
            Some(&"super") => {
                if prefix.is_empty() {
                    prefix = std::iter::once("crate".to_string())
                        .chain(here.iter().cloned())
                        .collect();
                }
                prefix.pop();
            }
            Some(&"*") => {}
            Some(t)
                if t.chars()
                    .next()
                    .is_some_and(|c| c.is_alphabetic() || c == '_') =>
            {
                if prefix.is_empty() {
                    // A bare name inside a `use` tree that did not start at
                    // crate/super/self cannot happen here.
                    return i + 1;
                }
                prefix.push(t.to_string());
            }
            _ => {
                if prefix.first().map(String::as_str) == Some("crate") {
                    out.push(prefix[1..].to_vec());
                }
                return i;
            }
        }
        i += 1;
        if toks.get(i) == Some(&"::") {
            i += 1;
        } else {
            if prefix.first().map(String::as_str) == Some("crate") {
                out.push(prefix[1..].to_vec());
            }
            return i;
        }
    }
}

/// `file -> files it uses`, by module name (`net::tls`; `crate` for lib.rs).
fn module_graph(sources: &[Source]) -> BTreeMap<String, BTreeSet<String>> {
    let known: BTreeSet<&ModPath> = sources.iter().map(|s| &s.module).collect();
    let mut graph = BTreeMap::new();
    for s in sources {
        let edges: &mut BTreeSet<String> = graph.entry(name(&s.module)).or_default();
        for path in named_paths(&s.module, &s.code) {
            let mut target = path;
            while !target.is_empty() && !known.contains(&target) {
                target.pop();
            }
            let own_child = target.len() > s.module.len() && target.starts_with(&s.module);
            if target != s.module && !own_child && !target.is_empty() {
                edges.insert(name(&target));
            }
        }
    }
    graph
}

fn name(m: &ModPath) -> String {
    if m.is_empty() {
        "crate".into()
    } else {
        m.join("::")
    }
}

/// One cycle per strongly connected component, as a path that returns to
/// its start; empty when the graph is acyclic.
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    let mut done = BTreeSet::new();
    for start in graph.keys() {
        if done.contains(start) {
            continue;
        }
        if let Some(cycle) = cycle_from(graph, start) {
            done.extend(cycle.iter().cloned());
            found.push(cycle);
        }
        done.insert(start.clone());
    }
    found
}

/// A shortest cycle through `start`, if there is one (breadth-first).
fn cycle_from(graph: &BTreeMap<String, BTreeSet<String>>, start: &str) -> Option<Vec<String>> {
    let mut came_from: BTreeMap<&str, &str> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(node) = queue.pop_front() {
        for next in graph.get(node).into_iter().flatten() {
            if next == start {
                // Walk back from `node` to `start`, then turn it around.
                let mut back = Vec::new();
                let mut at = node;
                while at != start {
                    back.push(at.to_string());
                    at = came_from[at];
                }
                back.reverse();
                let mut path = vec![start.to_string()];
                path.extend(back);
                path.push(start.to_string());
                return Some(path);
            }
            if !came_from.contains_key(next.as_str()) && next != start {
                came_from.insert(next, node);
                queue.push_back(next);
            }
        }
    }
    None
}

/// Each function in the code: its name and how many lines it spans, from
/// its `fn` line to its closing brace.
fn functions(code: &str) -> Vec<(String, usize)> {
    let lines: Vec<&str> = code.lines().collect();
    let mut out = Vec::new();
    for (at, line) in lines.iter().enumerate() {
        let Some(name) = fn_name(line) else { continue };
        // Find the body's opening brace (a `;` first means no body).
        let mut depth = 0i64;
        let mut opened = false;
        let mut end = None;
        'scan: for (k, l) in lines.iter().enumerate().skip(at) {
            let from = if k == at {
                l.find("fn ").unwrap_or(0)
            } else {
                0
            };
            for c in l[from..].chars() {
                match c {
                    ';' if !opened => break 'scan,
                    '{' => {
                        opened = true;
                        depth += 1;
                    }
                    '}' => {
                        depth -= 1;
                        if opened && depth == 0 {
                            end = Some(k);
                            break 'scan;
                        }
                    }
                    _ => {}
                }
            }
        }
        if let Some(end) = end {
            out.push((name, end - at + 1));
        }
    }
    out
}

/// The name of the function a line starts, if it starts one.
fn fn_name(line: &str) -> Option<String> {
    let mut rest = line.trim_start();
    for q in [
        "pub(crate) ",
        "pub(super) ",
        "pub ",
        "const ",
        "async ",
        "unsafe ",
        "extern \"\" ",
    ] {
        rest = rest.strip_prefix(q).unwrap_or(rest);
    }
    let rest = rest.strip_prefix("fn ")?;
    let name: String = rest
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    (!name.is_empty()).then_some(name)
}
