//! The line sweep: when a whole-file reply did not fix the task, each suspect line of the
//! files shown is put to the model in turn ("line N is wrong: write it corrected"), all
//! those prompts sharing the files, the task and the failure (cached once) and decoded side
//! by side; every reply that changes its line is a candidate change, which the caller tests.
//!
//! Why: a small model that rewrites a whole file copies the faulty line back more often
//! than not (it does not see `>` for `<` or `||` for `??` among forty lines), yet told which
//! line is wrong it mostly writes the right one, as cloze-style repair found (after
//! AlphaRepair). Which line is wrong is unknown, so every plausible one is tried; the tests
//! tell the candidates apart, and the order (lines the failure or the task points at
//! first) decides between several that pass.

use std::collections::{BTreeMap, BTreeSet};

use super::edits::EditableFile;
use super::localize::Located;

/// Most lines tried in one sweep.
pub const MAX_SUSPECTS: usize = 40;

/// Most lines a corrected line may grow into.
pub const MAX_FIX_LINES: usize = 6;

/// One line put to the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suspect {
    /// Index of the file in [`Located::editable`].
    pub file: usize,
    /// The line's index (0-based).
    pub line: usize,
}

/// A candidate change from one suspect line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineFix {
    /// The file's path.
    pub path: String,
    /// The line replaced (0-based).
    pub line: usize,
    /// The lines written in its place.
    pub replacement: String,
    /// The file's new text.
    pub text: String,
}

impl LineFix {
    /// The change as the repairer writes it: path to new text.
    pub fn change(&self) -> BTreeMap<String, String> {
        BTreeMap::from([(self.path.clone(), self.text.clone())])
    }
}

/// Lines that carry no logic to fix: blank, comments, lone brackets and block keywords.
fn is_inert(line: &str) -> bool {
    let t = line.trim();
    const KEYWORDS: &[&str] = &[
        "else", "else:", "fi", "done", "esac", "then", "do", ";;", "end", "try:", "finally:",
        "} else {", "\"\"\"", "'''",
    ];
    t.is_empty()
        || t.starts_with('#') && !t.starts_with("#[")
        || t.starts_with("//")
        || t.starts_with("/*")
        || t.starts_with("* ")
        || t.starts_with("*/")
        || t.chars().all(|c| "{}()[];,".contains(c))
        || KEYWORDS.contains(&t)
        || (t.starts_with("\"\"\"") || t.starts_with("'''")) && t.len() > 3
}

/// The lines (0-based) that are documentation rather than code: inside a Python
/// triple-quoted string that opens a line (a docstring: prose and `>>>` examples), or
/// inside a `/* ... */` block. Changing them changes no behaviour the tests can see.
pub(crate) fn documentation_lines(text: &str) -> BTreeSet<usize> {
    let mut doc = BTreeSet::new();
    // The quote that closes the docstring or block we are in.
    let mut open: Option<&str> = None;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_start();
        let mut rest = match open {
            Some(_) => {
                doc.insert(i);
                t
            }
            None => {
                let Some(quote) = ["\"\"\"", "'''", "/*"]
                    .into_iter()
                    .find(|q| t.starts_with(q) || t.starts_with(&format!("r{q}")))
                else {
                    continue;
                };
                doc.insert(i);
                open = Some(quote);
                &t[t.find(quote).map_or(0, |at| at + quote.len())..]
            }
        };
        // Track closings (and reopenings) along the line.
        while let Some(quote) = open {
            let close = if quote == "/*" { "*/" } else { quote };
            let Some(at) = rest.find(close) else { break };
            rest = &rest[at + close.len()..];
            open = None;
            let t = rest.trim_start();
            if let Some(q) = ["\"\"\"", "'''", "/*"]
                .into_iter()
                .find(|q| t.starts_with(q))
            {
                open = Some(q);
                rest = &t[q.len()..];
            }
        }
    }
    doc
}

/// Whether `old` and `new` differ in documentation, comments or blank lines only: the
/// same code lines (trimmed), in the same order.
pub fn same_code(old: &str, new: &str) -> bool {
    fn code(text: &str) -> Vec<&str> {
        let documentation = documentation_lines(text);
        text.lines()
            .enumerate()
            .filter(|(i, line)| !documentation.contains(i) && !is_comment(line))
            .map(|(_, line)| line.trim())
            .filter(|line| !line.is_empty())
            .collect()
    }
    code(old) == code(new)
}

/// A line holding a comment only.
fn is_comment(line: &str) -> bool {
    let t = line.trim_start();
    t.starts_with('#') && !t.starts_with("#[") && !t.starts_with("#!") || t.starts_with("//")
}

/// How function headers start (Python, JavaScript, Rust).
pub(crate) const FUNCTION_HEADERS: &[&str] = &[
    "def ",
    "async def ",
    "function ",
    "async function ",
    "fn ",
    "pub fn ",
    "pub(crate) fn ",
];

/// A function's header (`def f(`, `function f(`, `fn f(`, `f() {`).
fn is_definition(line: &str) -> bool {
    let t = line.trim_start();
    FUNCTION_HEADERS.iter().any(|p| t.starts_with(p)) || t.ends_with("() {") && !t.contains(' ')
}

/// Identifier-like words of `text`, lower-cased (three characters or more).
fn words(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !c.is_alphanumeric() && c != '_')
        .filter(|w| w.len() >= 3 && !w.chars().all(|c| c.is_ascii_digit()))
        .map(str::to_lowercase)
        .collect()
}

/// Line numbers (1-based) the failure names in `path`: `path", line 12`, `path:12`,
/// `path: line 12`.
fn lines_named(failure: &str, path: &str) -> BTreeSet<usize> {
    let name = path.rsplit('/').next().unwrap_or(path);
    let mut found = BTreeSet::new();
    for line in failure.lines() {
        let Some(at) = line.find(name) else { continue };
        let rest = &line[at + name.len()..];
        let rest = rest
            .trim_start_matches(['"', '\''])
            .trim_start_matches([',', ':'])
            .trim_start();
        let rest = rest.strip_prefix("line").unwrap_or(rest).trim_start();
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        if let Ok(n) = digits.parse() {
            found.insert(n);
        }
    }
    found
}

/// The lines worth trying, most suspect first (at most [`MAX_SUSPECTS`]): lines the
/// failure names, then lines sharing the most words with the task and the failure, then
/// the rest in file order; inert lines and documentation never.
pub fn suspects(located: &Located, task: &str, failure: Option<&str>) -> Vec<Suspect> {
    let clues = words(&format!("{task}\n{}", failure.unwrap_or("")));
    let mut ranked: Vec<(usize, usize, Suspect)> = Vec::new();
    for (k, file) in located.editable.iter().enumerate() {
        let named = failure.map_or_else(BTreeSet::new, |f| lines_named(f, &file.path));
        let lines: Vec<&str> = file.text.lines().collect();
        let documentation = documentation_lines(&file.text);
        let runs = file.shown.clone().unwrap_or_else(|| vec![(0, lines.len())]);
        for (from, to) in runs {
            for (i, line) in lines.iter().enumerate().take(to).skip(from) {
                if is_inert(line) || line.starts_with("#!") || documentation.contains(&i) {
                    continue;
                }
                let hit = usize::from(named.contains(&(i + 1)));
                // A definition's header shares the task's names but is seldom the fault.
                let shared = if is_definition(line) {
                    0
                } else {
                    words(line).intersection(&clues).count()
                };
                ranked.push((hit, shared, Suspect { file: k, line: i }));
            }
        }
    }
    // Stable: equal ranks keep file order.
    ranked.sort_by_key(|r| std::cmp::Reverse((r.0, r.1)));
    ranked
        .into_iter()
        .map(|(_, _, s)| s)
        .take(MAX_SUSPECTS)
        .collect()
}

/// The request that ends the prompt for one suspect line: the same words for every line
/// up to the line itself, so that the prompts of a sweep differ only in their last tokens.
pub fn ask(file: &EditableFile, line: usize, language: &str) -> String {
    let text = file.text.lines().nth(line).unwrap_or("");
    format!(
        "One line is wrong. Reply with only that line corrected, in one code block \
         (several lines if the fix needs more than one). The wrong line is line {} of \
         {}:\n```{language}\n{text}\n```",
        line + 1,
        file.path
    )
}

/// The candidate a reply makes of `suspect` (its code block replaces the line, indented as
/// the line was); `None` when the reply is empty or leaves the line as it was.
pub fn fix_from_reply(file: &EditableFile, line: usize, reply: &str) -> Option<LineFix> {
    let body: Vec<&str> = reply
        .lines()
        .skip_while(|l| !l.trim_start().starts_with("```"))
        .skip(1)
        .take_while(|l| !l.trim_start().starts_with("```"))
        .collect();
    if body.is_empty() || body.len() > MAX_FIX_LINES {
        return None;
    }
    let lines: Vec<&str> = file.text.lines().collect();
    let original = *lines.get(line)?;
    let replacement = reindent(&body, indent_of(original));
    // A reply that goes on with the lines after the wrong one (the rest of a block whose
    // header was asked) rewrites that many lines; otherwise its extra lines are new ones.
    let continues = (1..body.len()).any(|k| {
        lines
            .get(line + k)
            .is_some_and(|l| l.trim() == body[k].trim())
    });
    let replaced = if continues {
        body.len().min(lines.len() - line)
    } else {
        1
    };
    let before = lines[line..line + replaced].join("\n");
    if replacement.trim_end() == before.trim_end() || replacement.trim().is_empty() {
        return None;
    }
    let mut text = String::with_capacity(file.text.len() + replacement.len());
    for l in &lines[..line] {
        text.push_str(l);
        text.push('\n');
    }
    text.push_str(&replacement);
    text.push('\n');
    for l in &lines[line + replaced..] {
        text.push_str(l);
        text.push('\n');
    }
    if !file.text.ends_with('\n') {
        text.pop();
    }
    Some(LineFix {
        path: file.path.clone(),
        line,
        replacement,
        text,
    })
}

fn indent_of(line: &str) -> &str {
    &line[..line.len() - line.trim_start().len()]
}

/// `body` shifted so that its first line has `indent`, the others keeping their indentation
/// relative to it.
fn reindent(body: &[&str], indent: &str) -> String {
    let first = indent_of(body[0]).len();
    body.iter()
        .map(|l| {
            if l.trim().is_empty() {
                String::new()
            } else {
                let own = indent_of(l);
                let keep = &own[own.len().min(first)..];
                format!("{indent}{keep}{}", l.trim_start())
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reply_replaces_its_line_indented_like_it() {
        let f = EditableFile::whole(
            "r.py",
            "def f(a, b):\n    if a > b:\n        return a\n    return b\n",
        );
        let fix = fix_from_reply(&f, 1, "```python\nif a < b:\n```\n").expect("a fix");
        assert_eq!(
            fix.text,
            "def f(a, b):\n    if a < b:\n        return a\n    return b\n"
        );
        // Several lines keep their indentation relative to the first.
        let fix = fix_from_reply(
            &f,
            3,
            "```python\n  if b is None:\n      return a\n  return b\n```",
        )
        .expect("a fix");
        assert_eq!(
            fix.replacement,
            "    if b is None:\n        return a\n    return b"
        );
        // A reply going on with the lines after its own rewrites them rather than adding
        // them again; one that only repeats them makes no candidate.
        let fix = fix_from_reply(
            &f,
            0,
            "```\ndef f(a, b):\n    if a >= b:\n        return a\n```",
        )
        .expect("a fix");
        assert_eq!(
            fix.text,
            "def f(a, b):\n    if a >= b:\n        return a\n    return b\n"
        );
        assert_eq!(
            fix_from_reply(&f, 0, "```\ndef f(a, b):\n    if a > b:\n```"),
            None
        );
        // The same line again, an empty block or prose alone make no candidate.
        assert_eq!(fix_from_reply(&f, 1, "```\n    if a > b:\n```"), None);
        assert_eq!(fix_from_reply(&f, 1, "```\n```"), None);
        assert_eq!(fix_from_reply(&f, 1, "It looks fine."), None);
    }

    #[test]
    fn lines_the_failure_names_come_first_and_inert_lines_never() {
        let text = "import re\n\n# counts words\ndef top(text):\n    words = re.findall(text)\n    return sorted(words)\n}\n";
        let located = Located {
            editable: vec![EditableFile::whole("wc.py", text)],
            ..Located::default()
        };
        let failure = "  File \"wc.py\", line 6, in top\nTypeError";
        let got = suspects(&located, "top() drops capital letters", Some(failure));
        let lines: Vec<usize> = got.iter().map(|s| s.line).collect();
        // Line 6 (index 5) is named; the rest in order (the header of `top` shares the
        // task's word but counts for nothing).
        assert_eq!(lines, vec![5, 0, 3, 4]);
    }

    #[test]
    fn docstrings_and_block_comments_are_never_suspects() {
        let text = "def split(xs, maxsplit):\n    \"\"\"Split xs.\n\n    >>> split([1], maxsplit=1)\n    \"\"\"\n    if maxsplit == 0:\n        return [xs]\n    doc = '''one''' + x\n    s = \"\"\"two\n    lines\"\"\"\n    return xs\n/* a\n * b */\nlet c = 1;\n";
        let documentation = documentation_lines(text);
        assert_eq!(documentation, BTreeSet::from([1, 2, 3, 4, 11, 12]));
        let located = Located {
            editable: vec![EditableFile::whole("s.py", text)],
            ..Located::default()
        };
        let got = suspects(&located, "split(maxsplit=1) splits twice", None);
        assert_eq!(got[0].line, 5, "the code line naming the task's word first");
        assert!(got.iter().all(|s| !documentation.contains(&s.line)));
    }

    #[test]
    fn documentation_and_comments_are_not_code() {
        let old =
            "def f(n):\n    \"\"\"Doc.\n\n    >>> f(1)\n    \"\"\"\n    return n % 10  # units\n";
        let more_doc = old.replace(">>> f(1)", ">>> f(1)\n    1\n    >>> f(11)\n    1");
        assert!(same_code(old, &more_doc));
        assert!(same_code(
            old,
            &old.replace("    return", "    # the units digit\n    return")
        ));
        assert!(!same_code(old, &old.replace("% 10", "% 100")));
        // A docstring closed early turns code into text: not the same code.
        assert!(!same_code(
            old,
            &old.replace("    return", "    \"\"\"\n    return")
        ));
    }

    #[test]
    fn failure_line_references_are_read_in_the_usual_spellings() {
        let failure =
            "File \"/w/pkg/a.py\", line 12, in f\na.py:7: error\nscript.sh: line 3: x: unbound\n";
        assert_eq!(lines_named(failure, "pkg/a.py"), BTreeSet::from([12, 7]));
        assert_eq!(lines_named(failure, "script.sh"), BTreeSet::from([3]));
    }
}
