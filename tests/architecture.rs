//! The architecture check: the crate's modules form layers, and imports only go down.
//!
//! This test reads the source files under `src/` as text (it does not build the
//! crate) and finds every reference one module makes to another: `use crate::…`,
//! `use super::…`, `use self::…` (nested and multi-line use trees included), and
//! paths written inline in code such as `crate::db::exists(…)`. Comments and
//! string literals are skipped; `#[cfg(test)] mod tests` blocks are checked too.
//! `src/a.rs` and `src/a/mod.rs` are module `a`, `src/a/b.rs` is `a::b`;
//! `src/lib.rs` is the crate root and `src/main.rs` the binary, which may import
//! anything.
//!
//! Three rules:
//!
//! * A: a module imports only modules of its own layer or of lower layers;
//! * B: no modules import each other in a circle, counted file by file (two files
//!   of one layer, or of one folder, may not import each other either);
//! * C: every top-level module under `src/` has a place in the layer table (and
//!   no `#[path = "…"]` attribute moves a module away from where its file lies).
//!
//! A reference counts in the file that writes it: a `pub use` re-export is an
//! import by the re-exporting file, and whoever uses the re-export depends on that
//! file; a macro's paths (`$crate::…` included) count where the macro is defined.
//! Paths hidden in strings (`#[serde(with = "…")]`) are not seen.
//!
//! [`LAYERS`] below is the single statement of the layers; docs/architecture.md
//! describes them in words. A new top-level module is placed by adding it here.
//!
//! Only the standard library is used, so the check also runs without cargo:
//! `rustc --edition 2021 --test tests/architecture.rs -o /tmp/arch &&
//! CARGO_MANIFEST_DIR=. /tmp/arch`.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};

/// The layers, lowest first: a layer's name and its top-level modules.
const LAYERS: &[Layer] = &[
    (
        "foundation",
        &[
            "error", "config", "db", "decimal", "clock", "logging", "metrics",
        ],
    ),
    ("model", &["model"]),
    ("hal", &["hal"]),
    ("query", &["query"]),
    ("store", &["store"]),
    ("state", &["state"]),
    ("http", &["http"]),
    ("rest", &["rest"]),
    ("shop", &["shop"]),
    ("schema", &["schema", "bookshop"]),
    ("html", &["html"]),
    ("api", &["api"]),
    ("app", &["app"]),
];

type Layer = (&'static str, &'static [&'static str]);

/// Source files by path relative to the crate ("src/hal/mod.rs"), with their text.
type Files = BTreeMap<String, String>;

// ---------------------------------------------------------------------------
// The checks on the real src/.

#[test]
fn lower_layers_never_import_higher_ones() {
    let analysis = Analysis::of(&load_src());
    let (violations, unchecked) = analysis.upward_imports(LAYERS);
    let summary = format!(
        "{} import(s) go up the layer table ({unchecked} import(s) involving modules \
         outside the table were not checked; see every_module_is_in_the_layer_table)",
        violations.len()
    );
    assert!(violations.is_empty(), "{}", failure(&violations, &summary));
}

#[test]
fn no_module_imports_in_a_circle() {
    let analysis = Analysis::of(&load_src());
    let (groups, cycles) = analysis.cycles();
    let summary = format!(
        "{} group(s) of files import each other in a circle ({cycles} cycle(s) shown); \
         break each cycle, e.g. by moving what both sides need into a lower module",
        groups.len()
    );
    assert!(groups.is_empty(), "{}", failure(&groups, &summary));
}

#[test]
fn every_module_is_in_the_layer_table() {
    let analysis = Analysis::of(&load_src());
    let problems = analysis.unplaced_modules(LAYERS);
    let summary = format!(
        "{} problem(s): every top-level module under src/ must be placed in LAYERS \
         in tests/architecture.rs",
        problems.len()
    );
    assert!(problems.is_empty(), "{}", failure(&problems, &summary));
}

/// The crate's folder: `CARGO_MANIFEST_DIR` at run time (cargo test sets it), else
/// at compile time, else the current folder.
fn crate_dir() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .or_else(|| option_env!("CARGO_MANIFEST_DIR").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("."))
}

fn load_src() -> Files {
    let root = crate_dir();
    let mut files = Files::new();
    read_rust_files(&root, &root.join("src"), &mut files);
    assert!(
        !files.is_empty(),
        "no .rs files under {}/src: run from the crate's folder or set CARGO_MANIFEST_DIR",
        root.display()
    );
    files
}

fn read_rust_files(root: &Path, dir: &Path, files: &mut Files) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|error| {
        panic!(
            "cannot read {} (set CARGO_MANIFEST_DIR to the crate's folder): {error}",
            dir.display()
        )
    });
    for entry in entries {
        let path = entry
            .unwrap_or_else(|error| panic!("cannot read {}: {error}", dir.display()))
            .path();
        if path.is_dir() {
            read_rust_files(root, &path, files);
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
            let relative = path.strip_prefix(root).unwrap_or(&path);
            let name: Vec<String> = relative
                .components()
                .map(|part| part.as_os_str().to_string_lossy().into_owned())
                .collect();
            files.insert(name.join("/"), text);
        }
    }
}

/// The violations one a line, a summary, and the layer table.
fn failure(violations: &[String], summary: &str) -> String {
    let table: Vec<String> = LAYERS
        .iter()
        .enumerate()
        .map(|(number, (name, modules))| format!("  {number:>2} {name:<12} {}", modules.join(", ")))
        .collect();
    format!(
        "\n{}\n\n{summary}\n\nThe layers (tests/architecture.rs, LAYERS), lowest first; \
         a module may import its own layer and those below:\n{}\n",
        violations.join("\n"),
        table.join("\n")
    )
}

// ---------------------------------------------------------------------------
// The analysis, on an in-memory map of files.

/// One reference from a file to another file-module.
#[derive(Debug)]
struct Reference {
    file: String,
    line: usize,
    text: String,
    from: String,
    to: String,
}

#[derive(Debug)]
struct Analysis {
    /// File-modules (`hal::forms`) and their files (`src/hal/forms.rs`).
    modules: BTreeMap<String, String>,
    references: Vec<Reference>,
    /// `#[path]` attributes, which this check cannot follow: file, line, text.
    path_attributes: Vec<(String, usize, String)>,
}

/// What a file under src/ is.
enum Role {
    Root,
    Binary,
    Module(String),
}

fn role(file: &str) -> Option<Role> {
    let relative = file.strip_prefix("src/")?.strip_suffix(".rs")?;
    if relative == "lib" {
        return Some(Role::Root);
    }
    if relative == "main" || relative.starts_with("bin/") {
        return Some(Role::Binary);
    }
    let mut parts: Vec<&str> = relative.split('/').collect();
    if parts.len() > 1 && parts.last() == Some(&"mod") {
        parts.pop();
    }
    Some(Role::Module(parts.join("::")))
}

/// The top-level module of a module path: `hal` of `hal::forms`.
fn top(module: &str) -> &str {
    module.split("::").next().unwrap_or(module)
}

fn layer_of(layers: &[Layer], module: &str) -> Option<usize> {
    let top = top(module);
    layers
        .iter()
        .position(|(_, members)| members.contains(&top))
}

/// Names brought into scope by `use`: (module scope, name) -> crate-absolute path.
type Aliases = HashMap<(Vec<String>, String), Vec<String>>;

struct Resolver<'a> {
    modules: &'a BTreeMap<String, String>,
    /// Names the crate root imports, so that `crate::Name` can be followed.
    root_aliases: HashMap<String, Vec<String>>,
}

impl Resolver<'_> {
    /// The crate-absolute path (without `crate`) that `segments` names when written
    /// in `scope`, the inline-module path inside a file whose own module has
    /// `module_len` segments; `None` for other crates.
    fn absolute(
        &self,
        segments: &[String],
        scope: &[String],
        module_len: usize,
        aliases: &Aliases,
    ) -> Option<Vec<String>> {
        let (first, rest) = segments.split_first()?;
        match first.as_str() {
            "crate" | "$crate" => walk(Vec::new(), rest),
            "self" | "super" => walk(scope.to_vec(), segments),
            name => {
                if let Some(target) = alias(aliases, scope, module_len, name) {
                    return walk(target.clone(), rest);
                }
                // Since edition 2018 `use page::X` may name a child module.
                (module_len..=scope.len()).rev().find_map(|length| {
                    let mut child = scope[..length].to_vec();
                    child.push(name.to_owned());
                    self.modules
                        .contains_key(&child.join("::"))
                        .then(|| walk(scope[..length].to_vec(), segments))
                        .flatten()
                })
            }
        }
    }

    /// The deepest file-module a crate-absolute path lies in; `None` for the root.
    fn module_of(&self, path: &[String]) -> Option<&str> {
        if let Some(module) = self.deepest(path) {
            return Some(module);
        }
        let (first, rest) = path.split_first()?;
        let target = self.root_aliases.get(first)?;
        self.deepest(&[target.as_slice(), rest].concat())
    }

    fn deepest(&self, path: &[String]) -> Option<&str> {
        (1..=path.len()).rev().find_map(|length| {
            self.modules
                .get_key_value(&path[..length].join("::"))
                .map(|(module, _)| module.as_str())
        })
    }
}

/// Follows `self` and `super` segments from `base`.
fn walk(mut base: Vec<String>, segments: &[String]) -> Option<Vec<String>> {
    for segment in segments {
        match segment.as_str() {
            "super" => {
                base.pop()?;
            }
            "self" => {}
            name => base.push(name.to_owned()),
        }
    }
    Some(base)
}

/// What `name` was imported as in `scope` or an enclosing inline module of the file
/// (inline `mod tests` usually sees them through `use super::*`).
fn alias<'a>(
    aliases: &'a Aliases,
    scope: &[String],
    module_len: usize,
    name: &str,
) -> Option<&'a Vec<String>> {
    (module_len..=scope.len())
        .rev()
        .find_map(|length| aliases.get(&(scope[..length].to_vec(), name.to_owned())))
}

fn is_bare(segments: &[String]) -> bool {
    !matches!(
        segments.first().map(String::as_str),
        Some("crate" | "$crate" | "self" | "super")
    )
}

fn aliases_of(resolver: &Resolver<'_>, scan: &Scan, module_len: usize) -> Aliases {
    let mut aliases = Aliases::new();
    // Twice, so that `use crate::hal; use hal::forms;` is followed too.
    for _ in 0..2 {
        for found in &scan.found {
            if let Kind::Use { alias: Some(name) } = &found.kind {
                let key = (found.scope.clone(), name.clone());
                if aliases.contains_key(&key) {
                    continue;
                }
                if let Some(path) =
                    resolver.absolute(&found.segments, &found.scope, module_len, &aliases)
                {
                    aliases.insert(key, path);
                }
            }
        }
    }
    aliases
}

impl Analysis {
    fn of(files: &Files) -> Self {
        let modules: BTreeMap<String, String> = files
            .keys()
            .filter_map(|file| match role(file)? {
                Role::Module(module) => Some((module, file.clone())),
                Role::Root | Role::Binary => None,
            })
            .collect();
        let mut resolver = Resolver {
            modules: &modules,
            root_aliases: HashMap::new(),
        };
        for (file, source) in files {
            if matches!(role(file), Some(Role::Root)) {
                let scan = scan(&tokenize(source), &[]);
                resolver.root_aliases = aliases_of(&resolver, &scan, 0)
                    .into_iter()
                    .filter(|((scope, _), _)| scope.is_empty())
                    .map(|((_, name), path)| (name, path))
                    .collect();
            }
        }

        let mut references = Vec::new();
        let mut path_attributes = Vec::new();
        for (file, source) in files {
            let Some(Role::Module(from)) = role(file) else {
                continue;
            };
            let module: Vec<String> = from.split("::").map(str::to_owned).collect();
            let lines: Vec<&str> = source.lines().collect();
            let text = |line: usize| {
                lines
                    .get(line - 1)
                    .map_or("", |text| text.trim())
                    .to_owned()
            };
            let scan = scan(&tokenize(source), &module);
            for &line in &scan.path_attributes {
                path_attributes.push((file.clone(), line, text(line)));
            }
            let aliases = aliases_of(&resolver, &scan, module.len());
            let mut seen = HashSet::new();
            for found in &scan.found {
                let Some(path) =
                    resolver.absolute(&found.segments, &found.scope, module.len(), &aliases)
                else {
                    continue;
                };
                let Some(to) = resolver.module_of(&path) else {
                    continue;
                };
                if to == from {
                    continue;
                }
                // `Item::new()` after `use crate::hal::Item;` adds nothing new;
                // `hal::forms::f()` after `use crate::hal;` does.
                if matches!(found.kind, Kind::Inline) && is_bare(&found.segments) {
                    let via = alias(&aliases, &found.scope, module.len(), &found.segments[0]);
                    if via.and_then(|via| resolver.module_of(via)) == Some(to) {
                        continue;
                    }
                }
                if seen.insert((found.line, to.to_owned())) {
                    references.push(Reference {
                        file: file.clone(),
                        line: found.line,
                        text: text(found.line),
                        from: from.clone(),
                        to: to.to_owned(),
                    });
                }
            }
        }
        Self {
            modules,
            references,
            path_attributes,
        }
    }

    /// Rule A: imports of a higher layer, and how many imports could not be
    /// checked because a side is not in the table.
    fn upward_imports(&self, layers: &[Layer]) -> (Vec<String>, usize) {
        let mut violations = Vec::new();
        let mut unchecked = 0;
        for reference in &self.references {
            match (
                layer_of(layers, &reference.from),
                layer_of(layers, &reference.to),
            ) {
                (Some(from), Some(to)) if to > from => violations.push(format!(
                    "{}:{}: {} (layer {from}) imports {} (layer {to}): {}",
                    reference.file, reference.line, reference.from, reference.to, reference.text
                )),
                (Some(_), Some(_)) => {}
                _ => unchecked += 1,
            }
        }
        (violations, unchecked)
    }

    /// Rule B: one entry per group of files that import each other in a circle
    /// (a strongly connected component): the group, then enough shortest cycles
    /// to cover it, each with the import behind every step. Also returns the
    /// number of cycles shown.
    fn cycles(&self) -> (Vec<String>, usize) {
        let mut graph: Graph<'_> = BTreeMap::new();
        for reference in &self.references {
            graph
                .entry(reference.from.as_str())
                .or_default()
                .entry(reference.to.as_str())
                .or_default()
                .push(reference);
        }
        let mut entries = Vec::new();
        let mut shown = 0;
        for group in strongly_connected(&graph) {
            let mut cycles = Vec::new();
            let mut covered = BTreeSet::new();
            for &start in &group {
                if !covered.contains(start) {
                    let cycle = shortest_cycle(&graph, &group, start);
                    covered.extend(cycle.iter().copied());
                    cycles.push(cycle);
                }
            }
            shown += cycles.len();
            let mut entry = if cycles.len() > 1 {
                let members: Vec<&str> = group.iter().copied().collect();
                format!(
                    "{} files import each other in a circle: {}; {} cycles through them:\n",
                    group.len(),
                    members.join(", "),
                    cycles.len()
                )
            } else {
                String::new()
            };
            let described: Vec<String> = cycles
                .iter()
                .map(|cycle| describe_cycle(&graph, cycle))
                .collect();
            entry.push_str(&described.join("\n"));
            entries.push(entry);
        }
        (entries, shown)
    }

    /// Rule C: top-level modules that are not in the table, with what they import
    /// and what imports them (so the right layer can be read off), and `#[path]`
    /// attributes, which would make this check map files to the wrong modules.
    fn unplaced_modules(&self, layers: &[Layer]) -> Vec<String> {
        let mut files_of: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (module, file) in &self.modules {
            files_of.entry(top(module)).or_default().push(file);
        }
        let describe = |module: &str| match layer_of(layers, module) {
            Some(layer) => format!("{module} ({layer})"),
            None => format!("{module} (?)"),
        };
        let mut problems = Vec::new();
        for (module, files) in &files_of {
            if layer_of(layers, module).is_some() {
                continue;
            }
            let mut imports = BTreeSet::new();
            let mut importers = BTreeSet::new();
            for reference in &self.references {
                let (from, to) = (top(&reference.from), top(&reference.to));
                if from == to {
                    continue;
                }
                if from == *module {
                    imports.insert(to);
                }
                if to == *module {
                    importers.insert(from);
                }
            }
            let lowest = imports
                .iter()
                .filter_map(|m| layer_of(layers, m))
                .max()
                .unwrap_or(0);
            let highest = importers
                .iter()
                .filter_map(|m| layer_of(layers, m))
                .min()
                .unwrap_or_else(|| layers.len().saturating_sub(1));
            let place = if files.len() == 1 {
                files[0].to_owned()
            } else {
                format!("src/{module}/ ({} files)", files.len())
            };
            let list = |set: &BTreeSet<&str>| {
                if set.is_empty() {
                    "nothing".to_owned()
                } else {
                    set.iter()
                        .map(|m| describe(m))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            };
            let fits = if lowest <= highest {
                format!("fits in layers {lowest}..={highest}")
            } else {
                "fits in no layer as the code stands".to_owned()
            };
            problems.push(format!(
                "{place}: {module} is not in the layer table; it imports {}; it is imported by {}; {fits}",
                list(&imports),
                list(&importers)
            ));
        }
        for (file, line, text) in &self.path_attributes {
            problems.push(format!(
                "{file}:{line}: #[path] is not supported (this check maps files to modules by where they lie): {text}"
            ));
        }
        problems
    }
}

/// One cycle, with the first import behind each step.
fn describe_cycle(graph: &Graph<'_>, cycle: &[&str]) -> String {
    let mut chain = cycle.to_vec();
    chain.push(cycle[0]);
    let steps: Vec<String> = chain
        .windows(2)
        .map(|step| {
            let imports = &graph[step[0]][step[1]];
            let first = &imports[0];
            let more = match imports.len() {
                1 => String::new(),
                count => format!("  (+{} more)", count - 1),
            };
            format!(
                "    {}:{}: {} -> {}: {}{more}",
                first.file, first.line, first.from, first.to, first.text
            )
        })
        .collect();
    format!(
        "cycle of {} files: {}\n{}",
        cycle.len(),
        chain.join(" -> "),
        steps.join("\n")
    )
}

/// Module -> imported module -> the imports behind that edge.
type Graph<'a> = BTreeMap<&'a str, BTreeMap<&'a str, Vec<&'a Reference>>>;

fn successors<'a>(graph: &Graph<'a>, module: &str) -> Vec<&'a str> {
    graph
        .get(module)
        .map(|edges| edges.keys().copied().collect())
        .unwrap_or_default()
}

/// Tarjan's algorithm; returns the components of more than one module.
fn strongly_connected<'a>(graph: &Graph<'a>) -> Vec<BTreeSet<&'a str>> {
    struct Tarjan<'g, 'a> {
        graph: &'g Graph<'a>,
        index: HashMap<&'a str, usize>,
        low: HashMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: HashSet<&'a str>,
        components: Vec<BTreeSet<&'a str>>,
    }
    impl<'a> Tarjan<'_, 'a> {
        fn visit(&mut self, module: &'a str) {
            let number = self.index.len();
            self.index.insert(module, number);
            self.low.insert(module, number);
            self.stack.push(module);
            self.on_stack.insert(module);
            for next in successors(self.graph, module) {
                let reached = if !self.index.contains_key(next) {
                    self.visit(next);
                    self.low[next]
                } else if self.on_stack.contains(next) {
                    self.index[next]
                } else {
                    continue;
                };
                let low = self
                    .low
                    .get_mut(module)
                    .expect("visited module has a low link");
                *low = (*low).min(reached);
            }
            if self.low[module] == self.index[module] {
                let mut component = BTreeSet::new();
                while let Some(member) = self.stack.pop() {
                    self.on_stack.remove(member);
                    component.insert(member);
                    if member == module {
                        break;
                    }
                }
                if component.len() > 1 {
                    self.components.push(component);
                }
            }
        }
    }
    let mut tarjan = Tarjan {
        graph,
        index: HashMap::new(),
        low: HashMap::new(),
        stack: Vec::new(),
        on_stack: HashSet::new(),
        components: Vec::new(),
    };
    for &module in graph.keys() {
        if !tarjan.index.contains_key(module) {
            tarjan.visit(module);
        }
    }
    tarjan.components.sort();
    tarjan.components
}

/// A shortest cycle through `start` inside `group`, as the modules in order.
fn shortest_cycle<'a>(
    graph: &Graph<'a>,
    group: &BTreeSet<&'a str>,
    start: &'a str,
) -> Vec<&'a str> {
    let mut parent: HashMap<&'a str, &'a str> = HashMap::new();
    let mut queue = VecDeque::from([start]);
    while let Some(module) = queue.pop_front() {
        for next in successors(graph, module) {
            if next == start {
                let mut cycle = vec![module];
                let mut at = module;
                while at != start {
                    at = parent[at];
                    cycle.push(at);
                }
                cycle.reverse();
                return cycle;
            }
            if group.contains(next) && !parent.contains_key(next) {
                parent.insert(next, module);
                queue.push_back(next);
            }
        }
    }
    vec![start]
}

// ---------------------------------------------------------------------------
// Reading Rust source: tokens without comments and literals, then paths.

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    /// `::`
    PathSep,
    Punct(char),
    /// A string, character or number literal (its text is not kept).
    Literal,
}

#[derive(Debug)]
struct Token {
    tok: Tok,
    line: usize,
}

fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

fn is_ident_continue(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn tokenize(source: &str) -> Vec<Token> {
    let chars: Vec<char> = source.chars().collect();
    let at = |index: usize| chars.get(index).copied();
    let mut tokens = Vec::new();
    let mut line = 1;
    let mut i = 0;
    while let Some(c) = at(i) {
        let start_line = line;
        let tok = match c {
            '\n' => {
                line += 1;
                i += 1;
                continue;
            }
            c if c.is_whitespace() => {
                i += 1;
                continue;
            }
            '/' if at(i + 1) == Some('/') => {
                while at(i).is_some_and(|c| c != '\n') {
                    i += 1;
                }
                continue;
            }
            '/' if at(i + 1) == Some('*') => {
                i = skip_block_comment(&chars, i, &mut line);
                continue;
            }
            '"' => {
                i = skip_quoted(&chars, i + 1, &mut line);
                Tok::Literal
            }
            '\'' => {
                let (end, literal) = skip_quote_mark(&chars, i);
                i = end;
                if literal {
                    Tok::Literal
                } else {
                    Tok::Punct('\'')
                }
            }
            ':' if at(i + 1) == Some(':') => {
                i += 2;
                Tok::PathSep
            }
            c if c.is_ascii_digit() => {
                while at(i).is_some_and(is_ident_continue) {
                    i += 1;
                }
                Tok::Literal
            }
            c if is_ident_start(c) => {
                if let Some(end) = skip_prefixed_literal(&chars, i, &mut line) {
                    i = end;
                    Tok::Literal
                } else {
                    // `r#type` is the identifier `type`.
                    if c == 'r' && at(i + 1) == Some('#') && at(i + 2).is_some_and(is_ident_start) {
                        i += 2;
                    }
                    let start = i;
                    while at(i).is_some_and(is_ident_continue) {
                        i += 1;
                    }
                    Tok::Ident(chars[start..i].iter().collect())
                }
            }
            c => {
                i += 1;
                Tok::Punct(c)
            }
        };
        tokens.push(Token {
            tok,
            line: start_line,
        });
    }
    tokens
}

/// Skips `/* … */` (which nests) starting at `start`; returns the index after it.
fn skip_block_comment(chars: &[char], start: usize, line: &mut usize) -> usize {
    let mut depth = 0;
    let mut i = start;
    while i < chars.len() {
        match (chars[i], chars.get(i + 1)) {
            ('/', Some('*')) => {
                depth += 1;
                i += 2;
            }
            ('*', Some('/')) => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return i;
                }
            }
            (c, _) => {
                if c == '\n' {
                    *line += 1;
                }
                i += 1;
            }
        }
    }
    i
}

/// Skips the rest of a `"…"` literal with escapes; returns the index after it.
fn skip_quoted(chars: &[char], start: usize, line: &mut usize) -> usize {
    let mut i = start;
    while let Some(&c) = chars.get(i) {
        match c {
            '\\' => {
                if chars.get(i + 1) == Some(&'\n') {
                    *line += 1;
                }
                i += 2;
            }
            '"' => return i + 1,
            c => {
                if c == '\n' {
                    *line += 1;
                }
                i += 1;
            }
        }
    }
    i
}

/// At a `'`: a character literal (`'x'`, `'\n'`, `'"'`) or a lifetime or label
/// (`'a`). Returns the index after it and whether it was a literal.
fn skip_quote_mark(chars: &[char], start: usize) -> (usize, bool) {
    let at = |index: usize| chars.get(index).copied();
    if at(start + 1) == Some('\\') {
        let mut i = start + 3;
        while at(i).is_some_and(|c| c != '\'' && c != '\n') {
            i += 1;
        }
        return (i + 1, true);
    }
    if at(start + 2) == Some('\'') {
        return (start + 3, true);
    }
    let mut i = start + 1;
    while at(i).is_some_and(is_ident_continue) {
        i += 1;
    }
    (i, false)
}

/// At an identifier start: skips `r"…"`, `r#"…"#`, `b"…"`, `br"…"`, `b'x'`,
/// `c"…"` and `cr"…"` literals; `None` if this is an identifier.
fn skip_prefixed_literal(chars: &[char], start: usize, line: &mut usize) -> Option<usize> {
    let at = |index: usize| chars.get(index).copied();
    let mut i = start;
    if matches!(at(i), Some('b' | 'c')) {
        i += 1;
    }
    let raw = at(i) == Some('r');
    if raw {
        i += 1;
    }
    if i == start {
        return None;
    }
    if !raw {
        return match at(i) {
            Some('"') => Some(skip_quoted(chars, i + 1, line)),
            Some('\'') if chars[start] == 'b' => Some(skip_quote_mark(chars, i).0),
            _ => None,
        };
    }
    let hashes_start = i;
    while at(i) == Some('#') {
        i += 1;
    }
    let hashes = i - hashes_start;
    if at(i) != Some('"') {
        return None;
    }
    i += 1;
    while let Some(c) = at(i) {
        if c == '"' && (1..=hashes).all(|k| at(i + k) == Some('#')) {
            return Some(i + 1 + hashes);
        }
        if c == '\n' {
            *line += 1;
        }
        i += 1;
    }
    Some(i)
}

#[derive(Debug)]
enum Kind {
    /// A leaf of a use tree, with the name it brings into scope (`None` for `_`).
    Use { alias: Option<String> },
    /// `use path::*;`
    Glob,
    /// A path written in code.
    Inline,
}

/// A path found in a file.
#[derive(Debug)]
struct Found {
    segments: Vec<String>,
    line: usize,
    /// The module path where it was written, inline modules included.
    scope: Vec<String>,
    kind: Kind,
}

#[derive(Debug, Default)]
struct Scan {
    found: Vec<Found>,
    path_attributes: Vec<usize>,
}

fn ident(tok: Option<&Tok>) -> Option<&str> {
    match tok {
        Some(Tok::Ident(name)) => Some(name),
        _ => None,
    }
}

/// Finds the use-tree leaves and the paths that start with `crate`, `self`,
/// `super` or another name, in a file whose module path is `module`.
fn scan(tokens: &[Token], module: &[String]) -> Scan {
    let tok_at = |index: usize| tokens.get(index).map(|token| &token.tok);
    let mut result = Scan::default();
    let mut scope = module.to_vec();
    // The brace depth just inside each inline `mod name { … }` we are in.
    let mut open_modules: Vec<usize> = Vec::new();
    let mut depth = 0;
    let mut i = 0;
    while let Some(token) = tokens.get(i) {
        match &token.tok {
            Tok::Punct('{') => depth += 1,
            Tok::Punct('}') => {
                if open_modules.last() == Some(&depth) {
                    open_modules.pop();
                    scope.pop();
                }
                depth = depth.saturating_sub(1);
            }
            Tok::Punct('#')
                if tok_at(i + 1) == Some(&Tok::Punct('['))
                    && ident(tok_at(i + 2)) == Some("path")
                    && tok_at(i + 3) == Some(&Tok::Punct('=')) =>
            {
                result.path_attributes.push(token.line);
            }
            Tok::Ident(word) if word == "mod" => {
                if let (Some(name), Some(Tok::Punct('{'))) = (ident(tok_at(i + 1)), tok_at(i + 2)) {
                    scope.push(name.to_owned());
                    depth += 1;
                    open_modules.push(depth);
                    i += 3;
                    continue;
                }
            }
            Tok::Ident(word) if word == "use" => {
                if let Some((leaves, next)) = parse_use(tokens, i + 1) {
                    for leaf in leaves {
                        result.found.push(Found {
                            segments: leaf.segments,
                            line: leaf.line,
                            scope: scope.clone(),
                            kind: if leaf.glob {
                                Kind::Glob
                            } else {
                                Kind::Use { alias: leaf.alias }
                            },
                        });
                    }
                    i = next;
                    continue;
                }
            }
            Tok::Ident(first) if tok_at(i + 1) == Some(&Tok::PathSep) && starts_path(tokens, i) => {
                let mut segments = vec![first.clone()];
                let mut line = token.line;
                let mut next = i + 1;
                while tok_at(next) == Some(&Tok::PathSep) {
                    let Some(segment) = tokens.get(next + 1) else {
                        break;
                    };
                    let Tok::Ident(name) = &segment.tok else {
                        break;
                    };
                    segments.push(name.clone());
                    line = segment.line;
                    next += 2;
                }
                if segments.len() > 1 {
                    result.found.push(Found {
                        segments,
                        line,
                        scope: scope.clone(),
                        kind: Kind::Inline,
                    });
                }
                i = next;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    result
}

/// Whether the identifier at `index` begins a path (rather than continuing one,
/// being a field or method, a macro variable, or `pub(in crate::x)`).
fn starts_path(tokens: &[Token], index: usize) -> bool {
    let Some(previous) = index.checked_sub(1).and_then(|before| tokens.get(before)) else {
        return true;
    };
    match &previous.tok {
        Tok::PathSep | Tok::Punct('.') => false,
        Tok::Punct('$') => ident(tokens.get(index).map(|token| &token.tok)) == Some("crate"),
        Tok::Ident(word) if word == "in" => {
            let before = index.checked_sub(2).and_then(|before| tokens.get(before));
            !matches!(before.map(|token| &token.tok), Some(Tok::Punct('(')))
        }
        _ => true,
    }
}

/// One leaf of a use tree: `use a::{b, c::d as e}` has `a::b` and `a::c::d`.
#[derive(Debug)]
struct Leaf {
    segments: Vec<String>,
    line: usize,
    alias: Option<String>,
    glob: bool,
}

/// Parses the use tree that starts at `start` (just after `use`); returns its
/// leaves and the index after the `;`, or `None` if this is not a use declaration
/// (`impl Trait + use<'a>`) or not one we understand.
fn parse_use(tokens: &[Token], start: usize) -> Option<(Vec<Leaf>, usize)> {
    let mut index = start;
    let mut leaves = Vec::new();
    use_tree(tokens, &mut index, &mut Vec::new(), &mut leaves)?;
    (tokens.get(index)?.tok == Tok::Punct(';')).then_some((leaves, index + 1))
}

fn use_tree(
    tokens: &[Token],
    index: &mut usize,
    prefix: &mut Vec<String>,
    leaves: &mut Vec<Leaf>,
) -> Option<()> {
    let outer = prefix.len();
    if tokens.get(*index)?.tok == Tok::PathSep {
        // `use ::name` names another crate.
        prefix.push("::".to_owned());
        *index += 1;
    }
    loop {
        let token = tokens.get(*index)?;
        match &token.tok {
            Tok::Ident(name) => {
                prefix.push(name.clone());
                *index += 1;
                if tokens.get(*index).map(|token| &token.tok) == Some(&Tok::PathSep) {
                    *index += 1;
                    continue;
                }
                let mut renamed = None;
                if ident(tokens.get(*index).map(|token| &token.tok)) == Some("as") {
                    renamed =
                        Some(ident(tokens.get(*index + 1).map(|token| &token.tok))?.to_owned());
                    *index += 2;
                }
                let mut segments = prefix.clone();
                if segments.len() > 1 && segments.last().is_some_and(|last| last == "self") {
                    segments.pop();
                }
                let alias = match renamed {
                    Some(name) => (name != "_").then_some(name),
                    None => segments.last().cloned(),
                };
                leaves.push(Leaf {
                    segments,
                    line: token.line,
                    alias,
                    glob: false,
                });
                break;
            }
            Tok::Punct('*') => {
                leaves.push(Leaf {
                    segments: prefix.clone(),
                    line: token.line,
                    alias: None,
                    glob: true,
                });
                *index += 1;
                break;
            }
            Tok::Punct('{') => {
                *index += 1;
                loop {
                    if tokens.get(*index)?.tok == Tok::Punct('}') {
                        *index += 1;
                        break;
                    }
                    use_tree(tokens, index, prefix, leaves)?;
                    match tokens.get(*index)?.tok {
                        Tok::Punct(',') => *index += 1,
                        Tok::Punct('}') => {}
                        _ => return None,
                    }
                }
                break;
            }
            _ => return None,
        }
    }
    prefix.truncate(outer);
    Some(())
}

// ---------------------------------------------------------------------------
// Self-tests of the checker on small in-memory crates, so that it can fail.

fn fixture(files: &[(&str, &str)]) -> Analysis {
    let files: Files = files
        .iter()
        .map(|(path, source)| ((*path).to_owned(), (*source).to_owned()))
        .collect();
    Analysis::of(&files)
}

/// The references found, as `from -> to @ file:line`.
fn references(analysis: &Analysis) -> Vec<String> {
    analysis
        .references
        .iter()
        .map(|r| format!("{} -> {} @ {}:{}", r.from, r.to, r.file, r.line))
        .collect()
}

#[test]
fn an_upward_import_is_reported_with_its_line() {
    let analysis = fixture(&[
        ("src/lib.rs", "pub mod app;\npub mod db;\npub mod hal;\n"),
        (
            "src/main.rs",
            "use halyard::app;\nfn main() { app::run() }\n",
        ),
        (
            "src/app.rs",
            "use crate::hal::Links;\npub struct AppState;\n",
        ),
        ("src/db.rs", "pub struct Pool;\n"),
        (
            "src/hal/mod.rs",
            "//! HAL.\n\nuse crate::app::AppState;\nuse crate::db::Pool;\npub struct Links;\n",
        ),
    ]);
    let (violations, unchecked) = analysis.upward_imports(LAYERS);
    assert_eq!(
        violations,
        ["src/hal/mod.rs:3: hal (layer 2) imports app (layer 12): use crate::app::AppState;"]
    );
    assert_eq!(unchecked, 0);
}

#[test]
fn a_super_import_resolves_to_the_parent_module() {
    let analysis = fixture(&[
        ("src/db.rs", "pub fn open() {}\n"),
        (
            "src/rest/mod.rs",
            "pub mod crud;\npub mod item;\npub struct Routes;\n",
        ),
        ("src/rest/item.rs", "pub struct Item;\n"),
        (
            "src/rest/crud.rs",
            "use super::item::Item;\n\
             use super::Routes;\n\
             fn f() { super::super::db::open() }\n\
             #[cfg(test)]\n\
             mod tests {\n\
             \x20   use super::*;\n\
             \x20   use super::super::item;\n\
             \x20   fn t() { super::f(); self::t() }\n\
             }\n\
             fn after_tests() { super::Routes; }\n",
        ),
    ]);
    assert_eq!(
        references(&analysis),
        [
            "rest::crud -> rest::item @ src/rest/crud.rs:1",
            "rest::crud -> rest @ src/rest/crud.rs:2",
            "rest::crud -> db @ src/rest/crud.rs:3",
            "rest::crud -> rest::item @ src/rest/crud.rs:7",
            "rest::crud -> rest @ src/rest/crud.rs:10",
        ]
    );
}

#[test]
fn a_nested_multi_line_use_tree_is_parsed() {
    let analysis = fixture(&[
        ("src/db/mod.rs", "pub mod sql;\n"),
        ("src/db/sql.rs", "pub struct Sql;\n"),
        ("src/hal/mod.rs", "pub mod forms;\npub struct Links;\n"),
        ("src/hal/forms.rs", "\n"),
        ("src/query/mod.rs", "\n"),
        (
            "src/rest/crud.rs",
            "use crate::{\n\
             \x20   db::{self, sql::{Sql, Value}},\n\
             \x20   hal::{\n\
             \x20       forms,\n\
             \x20       Links as HalLinks,\n\
             \x20   },\n\
             \x20   query::*,\n\
             };\n\
             use std::{collections::HashMap, fmt};\n",
        ),
    ]);
    assert_eq!(
        references(&analysis),
        [
            "rest::crud -> db @ src/rest/crud.rs:2",
            "rest::crud -> db::sql @ src/rest/crud.rs:2",
            "rest::crud -> hal::forms @ src/rest/crud.rs:4",
            "rest::crud -> hal @ src/rest/crud.rs:5",
            "rest::crud -> query @ src/rest/crud.rs:7",
        ]
    );
}

#[test]
fn a_path_in_a_comment_or_string_is_ignored() {
    let analysis = fixture(&[
        ("src/app.rs", "pub fn start() {}\n"),
        ("src/db.rs", "pub fn open() {}\n"),
        (
            "src/hal/mod.rs",
            "// use crate::app::AppState;\n\
             /* crate::app::start() /* nested */ crate::app::x */\n\
             /// See [`crate::app`].\n\
             const A: &str = \"crate::app::start()\";\n\
             const B: &str = r#\"use crate::app::AppState; \"quoted\" \"#;\n\
             const C: char = '\"';\n\
             fn f<'a>(x: &'a str) -> &'a str { let _ = \"\\\" crate::app::y\"; x }\n\
             const D: &[u8] = b\"crate::app\";\n\
             const E: &str = \"two\n\
             lines crate::app::z\";\n\
             pub(in crate::hal) fn g() { crate::db::open() }\n",
        ),
    ]);
    assert_eq!(references(&analysis), ["hal -> db @ src/hal/mod.rs:11"]);
}

#[test]
fn a_two_file_cycle_is_found() {
    let analysis = fixture(&[
        (
            "src/rest/mod.rs",
            "pub mod crud;\npub mod item;\npub mod page;\n",
        ),
        (
            "src/rest/crud.rs",
            "use super::item::Item;\npub fn create() {}\n",
        ),
        (
            "src/rest/item.rs",
            "\nuse super::crud::create;\npub struct Item;\n",
        ),
        ("src/rest/page.rs", "use super::item::Item;\n"),
    ]);
    let (groups, cycles) = analysis.cycles();
    assert_eq!(cycles, 1);
    assert_eq!(
        groups,
        [
            "cycle of 2 files: rest::crud -> rest::item -> rest::crud\n    \
          src/rest/crud.rs:1: rest::crud -> rest::item: use super::item::Item;\n    \
          src/rest/item.rs:2: rest::item -> rest::crud: use super::crud::create;"
        ]
    );

    let chain = fixture(&[
        ("src/rest/crud.rs", "use super::item::Item;\n"),
        ("src/rest/item.rs", "use crate::db::Pool;\n"),
        ("src/db.rs", "pub struct Pool;\n"),
    ]);
    assert_eq!(chain.cycles(), (Vec::new(), 0));
}

#[test]
fn an_inline_crate_path_counts() {
    let analysis = fixture(&[
        ("src/app.rs", "pub fn start() {}\n"),
        (
            "src/db.rs",
            "pub fn exists() -> bool { crate::app::start(); true }\n",
        ),
        ("src/shop/mod.rs", "pub mod cart;\npub mod orders;\n"),
        ("src/shop/cart.rs", "pub fn create_for() -> bool { true }\n"),
        (
            "src/shop/orders.rs",
            "pub fn f() -> bool {\n    crate::db::exists() && super::cart::create_for()\n}\n",
        ),
    ]);
    assert_eq!(
        references(&analysis),
        [
            "db -> app @ src/db.rs:1",
            "shop::orders -> db @ src/shop/orders.rs:2",
            "shop::orders -> shop::cart @ src/shop/orders.rs:2",
        ]
    );
    let (violations, _) = analysis.upward_imports(LAYERS);
    assert_eq!(
        violations,
        ["src/db.rs:1: db (layer 0) imports app (layer 12): \
          pub fn exists() -> bool { crate::app::start(); true }"]
    );
}

#[test]
fn child_modules_and_imported_modules_are_followed() {
    let analysis = fixture(&[
        (
            "src/lib.rs",
            "pub mod app;\npub mod hal;\npub use app::AppState;\n",
        ),
        ("src/app.rs", "pub struct AppState;\n"),
        ("src/hal/mod.rs", "pub mod forms;\npub struct Links;\n"),
        ("src/hal/forms.rs", "pub fn custom() {}\n"),
        (
            "src/html/mod.rs",
            "mod page;\n\
             pub use page::render;\n\
             use crate::hal::{self, Links};\n\
             fn f() { hal::forms::custom(); Links::new(); page::render(); }\n\
             fn g(state: crate::AppState) {}\n",
        ),
        ("src/html/page.rs", "pub fn render() {}\n"),
    ]);
    assert_eq!(
        references(&analysis),
        [
            "html -> html::page @ src/html/mod.rs:2",
            "html -> hal @ src/html/mod.rs:3",
            "html -> hal::forms @ src/html/mod.rs:4",
            "html -> html::page @ src/html/mod.rs:4",
            "html -> app @ src/html/mod.rs:5",
        ]
    );
}

#[test]
fn a_module_outside_the_table_is_reported() {
    let analysis = fixture(&[
        ("src/lib.rs", "pub mod app;\npub mod auth;\n"),
        ("src/main.rs", "fn main() {}\n"),
        ("src/app.rs", "use crate::auth::User;\n"),
        (
            "src/auth/mod.rs",
            "use crate::db::Pool;\npub struct User;\n",
        ),
        ("src/auth/token.rs", "\n"),
        ("src/db.rs", "#[path = \"elsewhere.rs\"]\nmod moved;\n"),
    ]);
    assert_eq!(
        analysis.unplaced_modules(LAYERS),
        [
            "src/auth/ (2 files): auth is not in the layer table; it imports db (0); \
             it is imported by app (12); fits in layers 0..=12",
            "src/db.rs:1: #[path] is not supported (this check maps files to modules \
             by where they lie): #[path = \"elsewhere.rs\"]",
        ]
    );
}
