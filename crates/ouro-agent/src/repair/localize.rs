//! Finding the files a task is about, Agentless-style, without asking the model: the task's
//! inputs, files named in a failing test's output (tracebacks, compiler errors), files named
//! in the task's text, and files where the names the task mentions are defined or used.
//!
//! The result is a prompt-sized selection: source files the model may edit (whole, or the
//! windows of a large file around the lines that matter) and test files shown for reference
//! only (a bug fix does not edit the test that reveals it).

use std::collections::{BTreeMap, BTreeSet};
use std::os::fd::AsFd;
use std::path::Path;

use regex::Regex;

use super::edits::EditableFile;

/// What to look for.
#[derive(Debug, Clone)]
pub struct LocateRequest<'a> {
    /// The workspace root.
    pub root: &'a Path,
    /// The task's title and description.
    pub task: &'a str,
    /// Files the user named, relative to the root.
    pub inputs: &'a [String],
    /// A failing test's output, if any.
    pub failure: Option<&'a str>,
    /// Files the task's test commands run: shown for reference, never editable (whatever
    /// their names), since a fix that rewrites its test proves nothing.
    pub test_files: &'a [String],
    /// Characters of editable file text to show, at most.
    pub budget_chars: usize,
    /// Characters of reference (test) file text to show, at most.
    pub context_chars: usize,
    /// Only the inputs are editable when any is given: other source files the task ties
    /// to are shown for reference (users name the file a fix belongs in; small models
    /// otherwise patch the file where an error surfaces instead of its cause).
    pub focus_inputs: bool,
}

/// The selection.
#[derive(Debug, Clone, Default)]
pub struct Located {
    /// Files the model may edit, most relevant first.
    pub editable: Vec<EditableFile>,
    /// Test files shown for reference: path and the text shown.
    pub context: Vec<(String, String)>,
    /// Why each file was chosen (path: reasons), for the transcript.
    pub reasons: Vec<String>,
}

/// Extensions of files treated as source code.
const SOURCE_EXTENSIONS: &[&str] = &[
    "py", "js", "mjs", "cjs", "ts", "jsx", "tsx", "rs", "sh", "bash", "go", "c", "h", "cc", "cpp",
    "hpp", "java", "rb", "php", "lua", "pl", "swift", "kt",
];
/// Files that can break a build although they are not source code.
const BUILD_FILES: &[&str] = &[
    "Cargo.toml",
    "package.json",
    "pyproject.toml",
    "setup.py",
    "Makefile",
];
/// Files larger than this are never read whole.
const MAX_FILE_BYTES: u64 = 1 << 20;
/// Lines shown around a line that matters in a large file.
const WINDOW: usize = 25;

/// Most lines of one definition shown (header and body).
const MAX_DEFINITION_LINES: usize = 90;

/// Lines shown above a definition's header (decorators, a comment).
const DEFINITION_LEAD: usize = 3;

/// Words of a task text that name nothing in code.
const STOPWORDS: &[&str] = &[
    "the",
    "and",
    "for",
    "not",
    "but",
    "with",
    "that",
    "this",
    "from",
    "when",
    "should",
    "returns",
    "return",
    "instead",
    "into",
    "must",
    "does",
    "doesn",
    "are",
    "was",
    "its",
    "has",
    "have",
    "can",
    "cannot",
    "fix",
    "bug",
    "error",
    "wrong",
    "file",
    "function",
    "value",
    "true",
    "false",
    "none",
    "null",
    "undefined",
    "test",
    "tests",
    "all",
    "any",
    "one",
    "two",
    "list",
    "string",
    "number",
    "give",
    "gives",
    "like",
    "only",
    "also",
    "than",
    "then",
    "there",
    "which",
    "what",
    "where",
    "while",
    "after",
    "before",
    "empty",
    "new",
    "get",
    "set",
    "use",
    "used",
    "using",
    "make",
    "makes",
    "input",
    "output",
];

/// Whether `path` looks like a test file.
pub fn is_test_file(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    let name = lower.rsplit('/').next().unwrap_or(&lower);
    lower
        .split('/')
        .any(|c| c == "tests" || c == "test" || c == "__tests__" || c == "spec")
        || name.starts_with("test_")
        || name.starts_with("test.")
        || name.starts_with("tests.")
        || name.contains("_test.")
        || name.contains(".test.")
        || name.contains(".spec.")
        || name == "conftest.py"
}

fn is_candidate(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let ext = name.rsplit_once('.').map(|(_, e)| e);
    ext.is_some_and(|e| SOURCE_EXTENSIONS.contains(&e)) || BUILD_FILES.contains(&name)
}

/// The workspace's files (respecting `.gitignore`; hidden folders such as `.git` and
/// `.ouro` skipped), relative, `/`-separated, sorted; the walk stops after
/// [`crate::walk::MAX_WALK_ENTRIES`] entries.
pub fn list_files(root: &Path) -> Vec<String> {
    let mut walk = ignore::WalkBuilder::new(root);
    walk.hidden(true)
        .git_ignore(true)
        .require_git(false)
        // Ignore files above the workspace do not apply: a loop worktree sits inside its
        // repository's ignored `.ouro/`, which would hide every file.
        .parents(false);
    let mut files: Vec<String> = crate::walk::Bounded::new(&walk, crate::walk::MAX_WALK_ENTRIES)
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_some_and(|t| t.is_file()))
        .filter(|e| e.metadata().is_ok_and(|m| m.len() <= MAX_FILE_BYTES))
        .filter_map(|e| {
            e.path()
                .strip_prefix(root)
                .ok()
                .map(|p| p.to_string_lossy().replace('\\', "/"))
        })
        .collect();
    files.sort();
    files
}

/// Whether `path` is a Python module that `import` never reaches: `pkg.py` beside a package
/// `pkg/__init__.py` of the same name (a stale copy left in a source tree). Editing it fixes
/// nothing.
fn is_shadowed(path: &str, files: &[String]) -> bool {
    path.strip_suffix(".py")
        .is_some_and(|stem| files.binary_search(&format!("{stem}/__init__.py")).is_ok())
}

/// Paths mentioned in `text` with the lines named beside them (`file.py", line 3`,
/// `file.rs:12:5`, `at f (file.js:4:2)`, `file.sh: line 7:`), matched to `files` by suffix.
fn mentions(text: &str, files: &[String]) -> BTreeMap<String, BTreeSet<usize>> {
    let mut found: BTreeMap<String, BTreeSet<usize>> = BTreeMap::new();
    let Ok(re) = Regex::new(
        r#"([A-Za-z0-9_./\\-]*[A-Za-z0-9_-]\.[A-Za-z]{1,6})(?:"?,? line (\d+)|:(\d+))?"#,
    ) else {
        return found;
    };
    for caps in re.captures_iter(text) {
        let mentioned = caps[1].replace('\\', "/");
        let line = caps
            .get(2)
            .or_else(|| caps.get(3))
            .and_then(|m| m.as_str().parse::<usize>().ok());
        let matched = files.iter().find(|f| {
            mentioned == **f
                || mentioned.ends_with(&format!("/{f}"))
                || (!mentioned.contains('/') && f.rsplit('/').next() == Some(mentioned.as_str()))
                || f.ends_with(&format!("/{}", mentioned.trim_start_matches("./")))
        });
        if let Some(file) = matched {
            let lines = found.entry(file.clone()).or_default();
            if let Some(line) = line {
                lines.insert(line);
            }
        }
    }
    found
}

/// Names in the task text worth searching for: identifiers that look like code (with `_`,
/// inner capitals or digits, in backticks, or followed by `(`), else plain words.
fn identifiers(task: &str) -> Vec<String> {
    let Ok(re) = Regex::new(r"[A-Za-z_][A-Za-z0-9_]{2,}") else {
        return Vec::new();
    };
    let mut strong = BTreeSet::new();
    let mut weak = BTreeSet::new();
    for m in re.find_iter(task) {
        let word = m.as_str();
        let lower = word.to_ascii_lowercase();
        if STOPWORDS.contains(&lower.as_str()) {
            continue;
        }
        let after = task[m.end()..].chars().next();
        let before = task[..m.start()].chars().last();
        let codey = word.contains('_')
            || word.chars().skip(1).any(|c| c.is_ascii_uppercase())
            || after == Some('(')
            || before == Some('`')
            || before == Some('.');
        if codey {
            strong.insert(word.to_string());
        } else if word.len() >= 4 {
            weak.insert(word.to_string());
        }
    }
    if strong.is_empty() {
        weak.into_iter().collect()
    } else {
        strong.into_iter().collect()
    }
}

/// How strongly a file is tied to the task, and the lines that matter in it.
#[derive(Debug, Default, Clone)]
struct Score {
    points: u32,
    lines: BTreeSet<usize>,
    /// The lines among `lines` that define a name from the task (`def`, `fn`, `class`,
    /// `function`, an assignment): shown first when a large file's windows do not all fit.
    defs: BTreeSet<usize>,
    why: Vec<&'static str>,
}

/// Selects the files for `request`.
pub fn locate(request: &LocateRequest<'_>) -> Located {
    let mut files = list_files(request.root);
    let shadowed: BTreeSet<String> = files
        .iter()
        .filter(|f| is_shadowed(f, &files))
        .filter(|f| {
            !request
                .inputs
                .iter()
                .any(|i| i.trim_start_matches("./") == f.as_str())
        })
        .cloned()
        .collect();
    files.retain(|f| !shadowed.contains(f));
    let mut scores: BTreeMap<String, Score> = BTreeMap::new();
    let mut add = |path: &str, points: u32, why: &'static str, lines: &BTreeSet<usize>| {
        let s = scores.entry(path.to_string()).or_default();
        s.points += points;
        s.lines.extend(lines.iter().copied());
        if !s.why.contains(&why) {
            s.why.push(why);
        }
    };
    let mut definitions: BTreeMap<String, BTreeSet<usize>> = BTreeMap::new();
    let mut add_defs = |path: &str, lines: &BTreeSet<usize>| {
        definitions
            .entry(path.to_string())
            .or_default()
            .extend(lines.iter().copied());
    };
    let none = BTreeSet::new();
    for input in request.inputs {
        let input = input.trim_start_matches("./");
        if files.iter().any(|f| f == input) {
            add(input, 1000, "named as an input", &none);
        }
    }
    if let Some(failure) = request.failure {
        for (file, lines) in mentions(failure, &files) {
            add(&file, 300, "in the failing output", &lines);
        }
    }
    for (file, lines) in mentions(request.task, &files) {
        add(&file, 200, "named in the task", &lines);
    }
    let names = identifiers(request.task);
    let texts: BTreeMap<&String, String> = files
        .iter()
        .filter(|f| is_candidate(f))
        .filter_map(|f| Some((f, read_source(request.root, f)?)))
        .collect();
    for (file, text) in &texts {
        let mut points = 0;
        let mut lines = BTreeSet::new();
        let mut defs = BTreeSet::new();
        let mut defined = BTreeSet::new();
        for (n, line) in text.lines().enumerate() {
            for name in &names {
                if let Some(at) = find_word(line, name) {
                    let defines = line[..at].trim_end().ends_with("def")
                        || line[..at].trim_end().ends_with("fn")
                        || line[..at].trim_end().ends_with("function")
                        || line[..at].trim_end().ends_with("class")
                        || line[at + name.len()..].trim_start().starts_with('=');
                    points += if defines { 20 } else { 2 };
                    lines.insert(n + 1);
                    if defines {
                        defs.insert(n + 1);
                        defined.insert(name);
                    }
                }
            }
        }
        if points > 0 {
            // Uses are capped (a large module mentions everything); each different name
            // the task uses that the file defines counts beyond the cap (`Version.match`:
            // the module defining both `Version` and `match`, over one defining `match`).
            let points = points.min(150) + 30 * defined.len() as u32;
            add(file, points, "uses names from the task", &lines);
            add_defs(file, &defs);
        }
    }
    // A small repository is shown whole: every source file is a candidate.
    let total: usize = texts
        .iter()
        .filter(|(f, _)| !is_test_file(f))
        .map(|(_, t)| t.len())
        .sum();
    if total <= request.budget_chars {
        for file in texts.keys() {
            if !is_test_file(file) && !BUILD_FILES.iter().any(|b| file.ends_with(b)) {
                add(file, 1, "part of a small repository", &none);
            }
        }
    }
    for (file, lines) in definitions {
        if let Some(score) = scores.get_mut(&file) {
            score.defs = lines;
        }
    }
    let mut ranked: Vec<(String, Score)> = scores.into_iter().collect();
    ranked.sort_by(|a, b| b.1.points.cmp(&a.1.points).then(a.0.cmp(&b.0)));
    select(request, &ranked, &texts)
}

/// The text of the file `path` under `root`, or `None` for binary, oversized or unreadable
/// files. Read beneath a handle on the root without following links: a file swapped for a
/// link (to `.env`, or out of the workspace) after the walk is skipped, not read.
fn read_source(root: &Path, path: &str) -> Option<String> {
    let dir = crate::beneath::open_root(root).ok()?;
    let bytes = crate::beneath::read(dir.as_fd(), Path::new(path), MAX_FILE_BYTES).ok()?;
    (!bytes.contains(&0)).then(|| String::from_utf8_lossy(&bytes).into_owned())
}

/// Fills the budgets from the ranked files: editable sources (whole, or windows around the
/// lines that matter) and reference tests.
fn select(
    request: &LocateRequest<'_>,
    ranked: &[(String, Score)],
    texts: &BTreeMap<&String, String>,
) -> Located {
    let mut located = Located::default();
    let (mut used, mut context_used) = (0usize, 0usize);
    let focused = request.focus_inputs
        && request.inputs.iter().any(|i| {
            let i = i.trim_start_matches("./");
            ranked.iter().any(|(path, _)| path == i)
        });
    for (path, score) in ranked {
        let Some(text) = texts
            .get(path)
            .cloned()
            .or_else(|| read_source(request.root, path))
        else {
            continue;
        };
        let named = request
            .inputs
            .iter()
            .any(|i| i.trim_start_matches("./") == path);
        if focused && !named && !is_test_file(path) && !request.test_files.contains(path) {
            // A source file beside the inputs: for reference, from the editable budget.
            if used + text.len() <= request.budget_chars {
                used += text.len();
                located.context.push((path.clone(), text));
                located
                    .reasons
                    .push(format!("{path} (reference): {}", score.why.join(", ")));
            }
            continue;
        }
        if (is_test_file(path) || request.test_files.contains(path)) && !named {
            if context_used + text.len() <= request.context_chars {
                context_used += text.len();
                located.context.push((path.clone(), text));
                located
                    .reasons
                    .push(format!("{path} (reference): {}", score.why.join(", ")));
            }
            continue;
        }
        let left = request.budget_chars.saturating_sub(used);
        if text.len() <= left {
            used += text.len();
            located.editable.push(EditableFile {
                path: path.clone(),
                text,
                shown: None,
            });
        } else {
            let runs = fitting_windows(&text, score, left);
            if runs.is_empty() {
                continue;
            }
            used += shown_chars(&text, &runs);
            located.editable.push(EditableFile {
                path: path.clone(),
                text,
                shown: Some(runs),
            });
        }
        located
            .reasons
            .push(format!("{path}: {}", score.why.join(", ")));
    }
    located
}

/// The windows of a large file that fit in `budget` characters: around every line that
/// matters if they fit, else around the definitions of the task's names, else as many of
/// those (definitions first, then the other lines, each in file order) as fit.
fn fitting_windows(text: &str, score: &Score, budget: usize) -> Vec<(usize, usize)> {
    let defs = definition_windows(text, &score.defs);
    let callees = definition_windows(text, &callee_definitions(text, &defs));
    let all = merged(
        windows(text, &score.lines)
            .into_iter()
            .chain(defs.iter().copied())
            .chain(callees.iter().copied()),
    );
    if shown_chars(text, &all) <= budget {
        return all;
    }
    let with_callees = merged(defs.iter().copied().chain(callees));
    if !defs.is_empty() && shown_chars(text, &with_callees) <= budget {
        return with_callees;
    }
    if !defs.is_empty() && shown_chars(text, &defs) <= budget {
        return defs;
    }
    let others: BTreeSet<usize> = score.lines.difference(&score.defs).copied().collect();
    let mut kept: Vec<(usize, usize)> = Vec::new();
    let mut used = 0;
    for run in defs.into_iter().chain(windows(text, &others)) {
        let chars = shown_chars(text, &[run]);
        let overlaps = kept.iter().any(|&(a, b)| run.0 < b && a < run.1);
        if !overlaps && used + chars <= budget {
            used += chars;
            kept.push(run);
        }
    }
    kept.sort_unstable();
    kept
}

/// Where `name` occurs in `line` as a whole identifier (not inside a longer one).
fn find_word(line: &str, name: &str) -> Option<usize> {
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    line.match_indices(name).map(|(at, _)| at).find(|&at| {
        !line[..at].chars().next_back().is_some_and(ident)
            && !line[at + name.len()..].chars().next().is_some_and(ident)
    })
}

/// Runs of lines (0-based, end exclusive) around the 1-based `lines`, merged.
fn windows(text: &str, lines: &BTreeSet<usize>) -> Vec<(usize, usize)> {
    let count = text.lines().count();
    merged(lines.iter().map(|&line| {
        let at = line.saturating_sub(1);
        (at.saturating_sub(WINDOW), (at + WINDOW).min(count))
    }))
}

/// Runs of lines showing each definition at the 1-based `lines` whole: a few lines before
/// its header down to the end of its body (the lines indented deeper, and a closing `}`
/// level with the header), at most [`MAX_DEFINITION_LINES`]; merged. A fault deep in a
/// long function is shown, not cut off [`WINDOW`] lines below its header.
fn definition_windows(text: &str, lines: &BTreeSet<usize>) -> Vec<(usize, usize)> {
    let all: Vec<&str> = text.lines().collect();
    let indent = |l: &str| l.len() - l.trim_start().len();
    merged(lines.iter().map(|&line| {
        let at = line.saturating_sub(1).min(all.len());
        let header = all.get(at).map_or(0, |l| indent(l));
        let mut end = at + 1;
        while end < all.len() && end - at < MAX_DEFINITION_LINES {
            let l = all[end];
            if l.trim().is_empty() || indent(l) > header {
                end += 1;
            } else {
                if indent(l) == header && l.trim_start().starts_with(['}', ')', ']']) {
                    end += 1;
                }
                break;
            }
        }
        (
            at.saturating_sub(DEFINITION_LEAD),
            end.max(at + 1).min(all.len()),
        )
    }))
}

/// The 1-based header lines of the functions of `text` called within `runs` (one level:
/// `ordinalize` calls `ordinal`, whose body holds the fault).
fn callee_definitions(text: &str, runs: &[(usize, usize)]) -> BTreeSet<usize> {
    let lines: Vec<&str> = text.lines().collect();
    let mut called = BTreeSet::new();
    for &(from, to) in runs {
        for line in &lines[from.min(lines.len())..to.min(lines.len())] {
            let bytes = line.as_bytes();
            for (at, _) in line.match_indices('(') {
                let start = line[..at]
                    .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .map_or(0, |i| i + 1);
                if at > start && !bytes[start].is_ascii_digit() {
                    called.insert(&line[start..at]);
                }
            }
        }
    }
    let mut headers = BTreeSet::new();
    for (n, line) in lines.iter().enumerate() {
        let t = line.trim_start();
        let name = super::sweep::FUNCTION_HEADERS
            .iter()
            .find_map(|p| t.strip_prefix(p))
            .and_then(|rest| rest.split(['(', '<', ' ']).next());
        let inside = runs.iter().any(|&(a, b)| a <= n && n < b);
        if name.is_some_and(|name| called.contains(name)) && !inside {
            headers.insert(n + 1);
        }
    }
    headers
}

/// `runs` sorted and merged where they overlap or touch.
fn merged(runs: impl Iterator<Item = (usize, usize)>) -> Vec<(usize, usize)> {
    let mut runs: Vec<(usize, usize)> = runs.collect();
    runs.sort_unstable();
    let mut out: Vec<(usize, usize)> = Vec::new();
    for (from, to) in runs {
        match out.last_mut() {
            Some(last) if from <= last.1 => last.1 = last.1.max(to),
            _ => out.push((from, to)),
        }
    }
    out
}

fn shown_chars(text: &str, runs: &[(usize, usize)]) -> usize {
    let lines: Vec<&str> = text.lines().collect();
    runs.iter()
        .map(|&(a, b)| {
            lines[a.min(lines.len())..b.min(lines.len())]
                .iter()
                .map(|l| l.len() + 1)
                .sum::<usize>()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        for (path, text) in files {
            let p = dir.path().join(path);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(p, text).expect("write");
        }
        dir
    }

    fn request<'a>(root: &'a Path, task: &'a str, failure: Option<&'a str>) -> LocateRequest<'a> {
        LocateRequest {
            root,
            task,
            inputs: &[],
            failure,
            test_files: &[],
            budget_chars: 200,
            context_chars: 200,
            focus_inputs: false,
        }
    }

    #[test]
    fn a_workspace_inside_an_ignored_folder_still_lists_its_files() {
        let outer = repo(&[(".gitignore", ".ouro/\n"), (".ouro/wt/calc.py", "x = 1\n")]);
        let root = outer.path().join(".ouro/wt");
        assert_eq!(list_files(&root), ["calc.py"]);
    }

    #[test]
    fn the_failing_traceback_names_the_file_and_tests_are_reference_only() {
        let long = "x = 1\n".repeat(60);
        let dir = repo(&[
            (
                "pkg/stats.py",
                "def median(xs):\n    return xs[len(xs) // 2]\n",
            ),
            ("pkg/other.py", long.as_str()),
            ("tests/test_stats.py", "from pkg.stats import median\n"),
        ]);
        let failure = "Traceback:\n  File \"/tmp/w/pkg/stats.py\", line 2, in median\n  File \"tests/test_stats.py\", line 1";
        let located = locate(&request(
            dir.path(),
            "the middle value is wrong",
            Some(failure),
        ));
        let editable: Vec<&str> = located.editable.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(editable, ["pkg/stats.py"]);
        assert_eq!(located.context[0].0, "tests/test_stats.py");
    }

    #[test]
    fn names_in_the_task_find_the_definition_in_a_large_file() {
        let mut big = "# filler\n".repeat(200);
        big.push_str("def parse_header(line):\n    return line.split(':')\n");
        big.push_str(&"# more\n".repeat(200));
        let dir = repo(&[("src/big.py", big.as_str()), ("src/small.py", "y = 2\n")]);
        let mut req = request(dir.path(), "`parse_header` drops the value", None);
        req.budget_chars = 3000;
        let located = locate(&req);
        let first = &located.editable[0];
        assert_eq!(first.path, "src/big.py");
        let runs = first.shown.clone().expect("windows");
        assert!(runs.iter().any(|&(a, b)| a <= 200 && 200 < b), "{runs:?}");
    }

    #[test]
    fn a_module_shadowed_by_its_package_is_never_located() {
        let code = "def ordinal(n):\n    return 'th'\n\ndef ordinalize(n):\n    return f'{n}{ordinal(n)}'\n";
        let dir = repo(&[
            ("inflection.py", code),
            ("inflection/__init__.py", code),
            (
                "repro.py",
                "import inflection\nassert inflection.ordinalize(11) == '11th'\n",
            ),
        ]);
        let located = locate(&request(dir.path(), "ordinalize(11) gives '11st'", None));
        let paths: Vec<&str> = located.editable.iter().map(|f| f.path.as_str()).collect();
        assert!(paths.contains(&"inflection/__init__.py"), "{paths:?}");
        assert!(!paths.contains(&"inflection.py"), "{paths:?}");
    }

    #[test]
    fn the_module_defining_more_of_the_task_names_comes_first() {
        let uses = "Version.parse(x).match(y)\n".repeat(80);
        let dir = repo(&[
            (
                "pkg/a_deprecated.py",
                &format!("def match(v, e):\n    return 1\n\ndef parse(v):\n    return 2\n{uses}"),
            ),
            (
                "pkg/version.py",
                &format!(
                    "class Version:\n    def match(self, e):\n        return 3\n\n    def parse(v):\n        return 4\n{uses}"
                ),
            ),
        ]);
        let mut req = request(
            dir.path(),
            "`Version.parse('1.2.0').match('<=1.3.0')` is False",
            None,
        );
        req.budget_chars = 3000;
        let located = locate(&req);
        assert_eq!(
            located.editable[0].path, "pkg/version.py",
            "{:?}",
            located.reasons
        );
    }

    #[test]
    fn a_long_definition_is_shown_to_its_end_with_the_functions_it_calls() {
        let filler: String = (0..60)
            .map(|i| format!("def other{i}():\n    return {i}\n\n"))
            .collect();
        let body: String = (0..40).map(|i| format!("    x{i} = {i}\n")).collect();
        let text = format!(
            "def ordinal(n):\n    if n % 10 in (11, 12):\n        return 'th'\n    return 'st'\n\n{filler}def ordinalize(n):\n{body}    if maxsplit == 0:\n        return n\n    return f'{{n}}{{ordinal(n)}}'\n\n{filler}"
        );
        let dir = repo(&[("infl.py", &text)]);
        let mut req = request(dir.path(), "ordinalize(11) gives 11st", None);
        req.budget_chars = 2500;
        let located = locate(&req);
        let file = &located.editable[0];
        let runs = file.shown.clone().expect("windows");
        let lines: Vec<&str> = file.text.lines().collect();
        let shown = |needle: &str| {
            let at = lines.iter().position(|l| l.contains(needle)).expect("line");
            runs.iter().any(|&(a, b)| a <= at && at < b)
        };
        assert!(shown("if maxsplit == 0"), "the body's end: {runs:?}");
        assert!(shown("if n % 10 in"), "the callee's body: {runs:?}");
        assert!(!shown("def other30"), "{runs:?}");
    }

    #[test]
    fn recognises_test_files() {
        for path in [
            "tests/a.rs",
            "test_x.py",
            "x_test.go",
            "a.test.js",
            "src/__tests__/b.js",
        ] {
            assert!(is_test_file(path), "{path}");
        }
        for path in ["src/lib.rs", "latest.py", "contest/x.js"] {
            assert!(!is_test_file(path), "{path}");
        }
    }

    #[test]
    fn a_large_module_shows_the_definition_the_task_names() {
        let dir = tempfile::tempdir().unwrap();
        // Many functions whose names contain the task's `split`, and `split_at` among them:
        // every window does not fit, the one around the definition does.
        let mut module = String::from("import itertools\n\n");
        for i in 0..120 {
            module.push_str(&format!(
                "def split_v{i}(iterable, pred):\n    \"\"\"Split variant {i}.\"\"\"\n    for x in iterable:\n        yield x.split()\n\n"
            ));
            if i == 60 {
                module.push_str("def split_at(iterable, pred, maxsplit=-1):\n    buf = []\n    for item in iterable:\n        if pred(item) and maxsplit != 0:\n            yield buf\n            maxsplit -= 1\n        buf.append(item)\n    yield buf\n\n");
            }
        }
        std::fs::create_dir(dir.path().join("pkg")).unwrap();
        std::fs::write(dir.path().join("pkg/more.py"), &module).unwrap();
        let task =
            "`pkg.split_at(range(10), pred, maxsplit=2)` splits once too often, unlike str.split";
        let located = locate(&LocateRequest {
            budget_chars: 3000,
            ..request(dir.path(), task, None)
        });
        let file = located.editable.first().expect("the module is editable");
        assert_eq!(file.path, "pkg/more.py");
        let runs = file.shown.as_ref().expect("shown in windows");
        let lines: Vec<&str> = module.lines().collect();
        let shown: Vec<&str> = runs
            .iter()
            .flat_map(|&(a, b)| lines[a..b].iter().copied())
            .collect();
        assert!(
            shown.iter().any(|l| l.starts_with("def split_at(")),
            "{runs:?}"
        );
        // `split` is not found inside `split_v3`: only whole identifiers count.
        assert_eq!(find_word("def split_v3(x):", "split"), None);
        assert_eq!(find_word("    yield x.split()", "split"), Some(12));
    }

    #[test]
    fn focused_on_inputs_other_sources_are_reference_only() {
        let dir = repo(&[
            (
                "csvline.py",
                "def parse_line(line):\n    return line.split(',')\n",
            ),
            ("records.py", "from csvline import parse_line\n"),
        ]);
        let inputs = ["csvline.py".to_string()];
        let located = locate(&LocateRequest {
            inputs: &inputs,
            focus_inputs: true,
            ..request(dir.path(), "parse_line drops an empty last field", None)
        });
        let editable: Vec<&str> = located.editable.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(editable, ["csvline.py"]);
        assert_eq!(located.context[0].0, "records.py");
        // Unfocused, both are editable.
        let located = locate(&LocateRequest {
            inputs: &inputs,
            ..request(dir.path(), "parse_line drops an empty last field", None)
        });
        assert_eq!(located.editable.len(), 2);
    }
}
