//! Exact edits of the direct repair strategy: the reply formats a model answers in, the
//! grammar that constrains each format so that every edit applies, parsing a reply back into
//! [`Edit`]s, and applying them to the workspace.
//!
//! Formats ([`EditFormat`]):
//! - `SearchReplace`: one or more blocks
//!   ```text
//!   path/of/file.py
//!   <<<<<<< SEARCH
//!   lines copied from the file
//!   =======
//!   the lines that replace them
//!   >>>>>>> REPLACE
//!   ```
//!   The grammar only admits a shown file's path, and as the SEARCH part only a run of
//!   consecutive whole lines of that file as shown, so the search text is always found.
//! - `WholeFile`: the path, then the corrected file in a fenced block.

use std::collections::BTreeMap;

use ouro_llm::constrained::Grammar;

use crate::Workspace;

/// A file shown to the model that it may edit: its path (relative to the workspace, `/`
/// separated) and its text as shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditableFile {
    /// Path relative to the workspace root.
    pub path: String,
    /// The whole text of the file.
    pub text: String,
    /// The runs of lines shown (0-based, end exclusive); the whole file when `None`.
    pub shown: Option<Vec<(usize, usize)>>,
}

impl EditableFile {
    /// A file shown whole.
    pub fn whole(path: impl Into<String>, text: impl Into<String>) -> EditableFile {
        EditableFile {
            path: path.into(),
            text: text.into(),
            shown: None,
        }
    }
}

/// How the model writes its edits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EditFormat {
    /// SEARCH/REPLACE blocks, the search part drawn from the file's own lines.
    SearchReplace,
    /// The whole corrected file.
    WholeFile,
}

/// One edit parsed from a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    /// Replace the first occurrence of `search` in `path` with `replace`.
    Replace {
        /// The file.
        path: String,
        /// Text present in the file.
        search: String,
        /// Its replacement.
        replace: String,
    },
    /// Write `text` as the whole of `path`.
    Whole {
        /// The file.
        path: String,
        /// Its new content.
        text: String,
    },
}

impl Edit {
    /// The file the edit changes.
    pub fn path(&self) -> &str {
        match self {
            Edit::Replace { path, .. } | Edit::Whole { path, .. } => path,
        }
    }
}

/// Why a reply could not be turned into edits or applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    /// The reply holds no complete edit.
    #[error("the reply holds no complete edit block")]
    Empty,
    /// Every edit replaces its lines with the same lines.
    #[error("every edit's REPLACE part is the same as its SEARCH part: nothing was changed")]
    NoChange,
    /// The change is one an earlier candidate already made, and it failed.
    #[error("the edits repeat an earlier attempt's change, which failed")]
    Repeated,
    /// An edit names a file that was not offered.
    #[error("the edit names {0}, which is not one of the files shown")]
    UnknownFile(String),
    /// The search text is not in the file.
    #[error("the SEARCH text of an edit of {0} is not in the file")]
    NotFound(String),
    /// A whole-file reply that holds only a part of the file (a snippet).
    #[error(
        "the code block for {path} has {has} lines where the file has {had}: reply with the \
         whole file"
    )]
    Partial {
        /// The file.
        path: String,
        /// Its lines now.
        had: usize,
        /// The reply's lines.
        has: usize,
    },
    /// Reading or writing a file failed.
    #[error("{0}")]
    Io(String),
}

const SEARCH: &str = "<<<<<<< SEARCH\n";
const DIVIDER: &str = "=======\n";
const FENCE: &str = "```";

/// Files of at least this many lines must keep half of them in a whole-file reply: fewer
/// means the model wrote a snippet, not the file.
const MIN_LINES_CHECKED: usize = 10;

/// Most edit blocks one reply may hold.
pub const MAX_EDITS: usize = 4;

/// Most lines of one SEARCH part: the model must point at the lines it changes, not copy a
/// whole function back.
const MAX_SEARCH_LINES: usize = 12;

/// Most lines of one replacement.
const MAX_REPLACEMENT_LINES: usize = 60;

/// The instructions for `format` editing `files`, the last words of the prompt.
///
/// Worded as small models answer best: asked for "the path on one line, then the file",
/// the 1.5B coder answered with the path alone and, held to the format by the grammar,
/// copied the file back unchanged; asked for "the complete corrected file in one code
/// block" it wrote the fix.
///
/// With `explain`, the model first says in a sentence or two what is wrong: a different way
/// into the task for a later attempt, after a direct one failed.
pub fn instructions(format: EditFormat, files: &[EditableFile], explain: bool) -> String {
    let first = if explain {
        "First say in one or two sentences which line is wrong and why. Then: "
    } else {
        ""
    };
    let what = match format {
        EditFormat::SearchReplace => {
            "Answer only with SEARCH/REPLACE edits, in exactly this form:\n\n\
             path/of/the/file\n<<<<<<< SEARCH\nthe lines to change, copied exactly from the \
             file\n=======\nthe corrected lines\n>>>>>>> REPLACE\n\n\
             The SEARCH part must be copied exactly from the file: only the few lines you \
             change, no more. The REPLACE part must differ from it. Several edits may follow \
             one another. Make the smallest change that solves the task."
                .to_string()
        }
        EditFormat::WholeFile => match files {
            [file] => format!(
                "Fix this in {path}. Reply with the complete corrected {path} in one code \
                 block, and change only what the task needs.",
                path = file.path
            ),
            _ => "Fix this. For each file you change, reply with its path on one line and \
                  then the complete corrected file in a code block; change only what the \
                  task needs."
                .to_string(),
        },
    };
    format!("{first}{what}")
}

/// Most lines and quoted code blocks of the explanation before the edits.
const MAX_NOTE_LINES: usize = 8;

/// Escapes `text` as a Lark string literal.
fn literal(text: &str) -> String {
    serde_json::Value::String(text.to_string()).to_string()
}

/// The file's lines, each with its newline (a last line without one gets one, as the
/// model sees it).
fn lines_of(text: &str) -> Vec<String> {
    text.split_inclusive('\n')
        .map(|l| {
            if l.ends_with('\n') {
                l.to_string()
            } else {
                format!("{l}\n")
            }
        })
        .collect()
}

/// The grammar of a reply in `format` editing some of `files`.
/// With `explain`, a few lines of prose may come first.
pub fn grammar(files: &[EditableFile], format: EditFormat, explain: bool) -> Grammar {
    let mut rules = Vec::new();
    let mut choices = Vec::new();
    for (k, file) in files.iter().enumerate() {
        let head = literal(&format!("{}\n", file.path));
        match format {
            EditFormat::SearchReplace => {
                let lines = lines_of(&file.text);
                let runs = file.shown.clone().unwrap_or_else(|| vec![(0, lines.len())]);
                // `l{k}_{i}_{d}`: line i and then, while fewer than MAX_SEARCH_LINES are
                // taken, optionally the run that follows it.
                let mut starts = Vec::new();
                for &(from, to) in &runs {
                    let to = to.min(lines.len());
                    for (i, line) in lines.iter().enumerate().take(to).skip(from) {
                        let line = literal(line);
                        for d in 0..MAX_SEARCH_LINES {
                            let next = if i + 1 < to && d + 1 < MAX_SEARCH_LINES {
                                format!(" | {line} l{k}_{}_{}", i + 1, d + 1)
                            } else {
                                String::new()
                            };
                            rules.push(format!("l{k}_{i}_{d}: {line}{next}"));
                        }
                        starts.push(format!("l{k}_{i}_0"));
                    }
                }
                if starts.is_empty() {
                    continue;
                }
                rules.push(format!("s{k}: {}", starts.join(" | ")));
                choices.push(format!(
                    "{head} {} s{k} {} repl END",
                    literal(SEARCH),
                    literal(DIVIDER)
                ));
            }
            EditFormat::WholeFile => {
                // With one file the path line is optional: the model's natural reply is
                // the fenced file alone.
                let head = if files.len() == 1 {
                    format!("({head})?")
                } else {
                    head
                };
                choices.push(format!("{head} OPEN body CLOSE"));
            }
        }
    }
    let max = match format {
        EditFormat::SearchReplace => MAX_EDITS,
        EditFormat::WholeFile => files.len().clamp(1, MAX_EDITS),
    };
    let note = if explain {
        // Prose lines, and code the explanation quotes in fences of its own.
        format!("(NOTE | OPEN body CLOSE){{0,{MAX_NOTE_LINES}}} ")
    } else {
        String::new()
    };
    let mut source = format!(
        "start: {note}edit{{1,{max}}}\nedit: {}\n",
        choices.join(" | ")
    );
    for rule in rules {
        source.push_str(&rule);
        source.push('\n');
    }
    // A replacement ends at the first line that starts with a run of three marker characters
    // (`<`, `=`, `>`, `-` or a backtick): `>>>>>>> REPLACE` as asked, or what small models
    // write instead (`------- REPLACE`, a closing fence), so a block always ends instead of
    // running on. Each line is its own lexeme: the lexer never backtracks, so a lexeme
    // spanning many lines would have to reject the third backtick of a fence it had already
    // taken two of as the start of an ordinary line. Likewise a whole file's lines in a fence
    // never start with a backtick run. A replacement is capped so that a reply cannot run on forever.
    source.push_str(&format!("repl: REPL_LINE{{0,{MAX_REPLACEMENT_LINES}}}\n"));
    source.push_str("body: BODY_LINE*\n");
    source.push_str(
        "REPL_LINE: /([^<=>`\\n-][^\\n]*|[<=>`-][^<=>`\\n-][^\\n]*|[<=>`-][<=>`-][^<=>`\\n-][^\\n]*|[<=>`-]|[<=>`-][<=>`-])?\\n/\n",
    );
    source.push_str("END: /[<=>`-][<=>`-][<=>`-][^\\n]*\\n?/\n");
    source.push_str(FENCE_TERMINALS);
    source.push_str("NOTE: /([^`\\n][^\\n]*)?\\n/\n");
    Grammar::lark(&source).named(match format {
        EditFormat::SearchReplace => "SEARCH/REPLACE edit grammar",
        EditFormat::WholeFile => "whole-file edit grammar",
    })
}

/// A fenced block's opening and closing lines and the lines inside it (never starting with
/// a backtick run, so the block ends at its fence).
const FENCE_TERMINALS: &str = concat!(
    "OPEN: /```[A-Za-z0-9_+.-]*\\n/\n",
    "CLOSE: /```\\n?/\n",
    "BODY_LINE: /([^`\\n][^\\n]*|`[^`\\n][^\\n]*|``[^`\\n][^\\n]*|`|``)?\\n/\n",
);

/// The grammar of a reply that is one fenced block of 1 to `max_lines` lines.
pub fn block_grammar(max_lines: usize) -> Grammar {
    let source = format!("start: OPEN BODY_LINE{{1,{max_lines}}} CLOSE\n{FENCE_TERMINALS}");
    Grammar::lark(&source).named("code block grammar")
}

/// Parses a reply in `format` into edits of `files` (a block cut short is dropped).
pub fn parse(
    reply: &str,
    format: EditFormat,
    files: &[EditableFile],
) -> Result<Vec<Edit>, EditError> {
    let known = |path: &str| files.iter().any(|f| f.path == path);
    let mut edits = Vec::new();
    let mut rest = skip_prose(reply, format, files);
    while !rest.is_empty() {
        let (path, after) = match files {
            // A whole file without its path line: the only file offered.
            [only] if format == EditFormat::WholeFile && rest.starts_with(FENCE) => {
                (only.path.as_str(), rest)
            }
            _ => match rest.split_once('\n') {
                Some((path, after)) => (path.trim(), after),
                None => break,
            },
        };
        let parsed = match format {
            EditFormat::SearchReplace => after.strip_prefix(SEARCH).and_then(|body| {
                let (search, tail) = split_block(body, DIVIDER)?;
                let (mut replace, end, mut tail) = split_at_block_end(tail)?;
                // A model that forgets `>>>>>>> REPLACE` and starts the next block writes its
                // path and `<<<<<<< SEARCH`: the path is not part of the replacement, and the
                // next block starts there.
                if end.starts_with("<<<")
                    && let Some((before, last)) = last_line(replace)
                    && known(last.trim())
                {
                    let next_start = tail.len() + end.len() + last.len();
                    let whole = &body[body.len() - next_start..];
                    replace = before;
                    tail = whole;
                }
                Some((
                    Edit::Replace {
                        path: path.to_string(),
                        search: search.to_string(),
                        replace: replace.to_string(),
                    },
                    tail,
                ))
            }),
            EditFormat::WholeFile => after
                .strip_prefix(FENCE)
                .and_then(|b| b.split_once('\n'))
                .and_then(|(_lang, body)| {
                    let (text, tail) = split_block(body, &format!("{FENCE}\n"))
                        .or_else(|| body.strip_suffix(FENCE).map(|t| (t, "")))?;
                    Some((
                        Edit::Whole {
                            path: path.to_string(),
                            text: text.to_string(),
                        },
                        tail,
                    ))
                }),
        };
        let Some((edit, tail)) = parsed else { break };
        if !known(edit.path()) {
            return Err(EditError::UnknownFile(edit.path().to_string()));
        }
        edits.push(edit);
        rest = tail.trim_start_matches('\n');
    }
    if edits.is_empty() {
        return Err(EditError::Empty);
    }
    edits
        .retain(|edit| !matches!(edit, Edit::Replace { search, replace, .. } if search == replace));
    if edits.is_empty() {
        return Err(EditError::NoChange);
    }
    Ok(edits)
}

/// `reply` from the line that starts its edits: prose before them is dropped. That is the
/// first line naming a shown file, or, for the whole text of the only file shown, the
/// opening fence of the last code block (an explanation may quote code in blocks of its
/// own before the file).
fn skip_prose<'a>(reply: &'a str, format: EditFormat, files: &[EditableFile]) -> &'a str {
    let mut at = 0;
    let mut last_block = None;
    let mut open = None;
    for line in reply.split_inclusive('\n') {
        if format == EditFormat::SearchReplace || files.len() > 1 {
            if files.iter().any(|f| f.path == line.trim()) {
                return &reply[at..];
            }
        } else if line.starts_with(FENCE) {
            match open.take() {
                None => open = Some(at),
                Some(start) => last_block = Some(start),
            }
        }
        at += line.len();
    }
    // A block cut short at the end of the reply still counts.
    match open.or(last_block) {
        Some(start) => &reply[start..],
        None => reply.trim_start_matches('\n'),
    }
}

/// `body` up to the first line equal to `marker` (which ends in a newline), and what follows.
fn split_block<'a>(body: &'a str, marker: &str) -> Option<(&'a str, &'a str)> {
    if let Some(rest) = body.strip_prefix(marker) {
        return Some(("", rest));
    }
    let at = body.find(&format!("\n{marker}"))?;
    Some((&body[..=at], &body[at + 1 + marker.len()..]))
}

/// `body` up to its first line that starts with three marker characters (`<`, `=`, `>`,
/// `-`, a backtick: the end of a replacement, however the model spelled it), that line,
/// and what follows it.
fn split_at_block_end(body: &str) -> Option<(&str, &str, &str)> {
    let mut at = 0;
    for line in body.split_inclusive('\n') {
        if line.len() >= 3 && line.bytes().take(3).all(|b| b"<=>-`".contains(&b)) {
            return Some((&body[..at], line, &body[at + line.len()..]));
        }
        at += line.len();
    }
    None
}

/// `text` without its last line, and that line (with its newline).
fn last_line(text: &str) -> Option<(&str, &str)> {
    let trimmed = text.strip_suffix('\n')?;
    let start = trimmed.rfind('\n').map_or(0, |i| i + 1);
    Some((&text[..start], &text[start..]))
}

/// Applies `edits` to the files, in order, in memory: the new text of each changed file.
pub fn apply_in_memory(
    edits: &[Edit],
    files: &[EditableFile],
) -> Result<BTreeMap<String, String>, EditError> {
    let mut texts: BTreeMap<String, String> = BTreeMap::new();
    for edit in edits {
        let path = edit.path().to_string();
        let current = match texts.get(&path) {
            Some(text) => text.clone(),
            None => files
                .iter()
                .find(|f| f.path == path)
                .map(|f| f.text.clone())
                .ok_or_else(|| EditError::UnknownFile(path.clone()))?,
        };
        let updated = match edit {
            Edit::Whole { text, .. } => {
                let (had, has) = (current.lines().count(), text.lines().count());
                if had >= MIN_LINES_CHECKED && has * 2 < had {
                    return Err(EditError::Partial {
                        path: path.clone(),
                        had,
                        has,
                    });
                }
                text.clone()
            }
            Edit::Replace {
                search, replace, ..
            } => replace_once(&current, search, replace)
                .ok_or_else(|| EditError::NotFound(path.clone()))?,
        };
        texts.insert(path, updated);
    }
    Ok(texts)
}

/// `text` with the first occurrence of `search` replaced; a search for the file's last
/// line, shown with a newline the file lacks, still matches.
fn replace_once(text: &str, search: &str, replace: &str) -> Option<String> {
    if search.is_empty() {
        return Some(format!("{replace}{text}"));
    }
    if let Some(at) = text.find(search) {
        return Some(format!(
            "{}{replace}{}",
            &text[..at],
            &text[at + search.len()..]
        ));
    }
    let trimmed = search.strip_suffix('\n')?;
    text.ends_with(trimmed).then(|| {
        let replace = replace.strip_suffix('\n').unwrap_or(replace);
        format!("{}{replace}", &text[..text.len() - trimmed.len()])
    })
}

/// Writes the new texts into the workspace (paths checked to stay inside it, never through a
/// symlink); returns the paths written.
pub fn write_all(
    workspace: &Workspace,
    texts: &BTreeMap<String, String>,
) -> Result<Vec<String>, EditError> {
    let mut written = Vec::new();
    for (path, text) in texts {
        let target = workspace
            .resolve(path)
            .map_err(|e| EditError::Io(format!("{path}: {e}")))?;
        // Opened beneath the root without following links, so a link swapped in after the
        // resolve cannot redirect the write (see `crate::beneath`).
        workspace
            .write_file(&target, text.as_bytes())
            .map_err(|e| EditError::Io(format!("write {path}: {e}")))?;
        written.push(path.clone());
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, text: &str) -> EditableFile {
        EditableFile::whole(path, text)
    }

    #[test]
    fn parses_and_applies_search_replace_blocks() {
        let files = [file("calc.py", "def add(a, b):\n    return a - b\n")];
        let reply = "calc.py\n<<<<<<< SEARCH\n    return a - b\n=======\n    return a + b\n>>>>>>> REPLACE\n";
        let edits = parse(reply, EditFormat::SearchReplace, &files).expect("parse");
        let texts = apply_in_memory(&edits, &files).expect("apply");
        assert_eq!(texts["calc.py"], "def add(a, b):\n    return a + b\n");
    }

    #[test]
    fn identity_edits_change_nothing() {
        let files = [file("calc.py", "def add(a, b):\n    return a - b\n")];
        let same = "calc.py\n<<<<<<< SEARCH\n    return a - b\n=======\n    return a - b\n>>>>>>> REPLACE\n";
        assert_eq!(
            parse(same, EditFormat::SearchReplace, &files),
            Err(EditError::NoChange)
        );
    }

    #[test]
    fn a_block_left_open_before_the_next_one_keeps_its_path_out() {
        let files = [file("p.py", "a = 1\nb = 2\n")];
        let reply = "p.py\n<<<<<<< SEARCH\na = 1\n=======\na = 10\n\np.py\n<<<<<<< SEARCH\nb = 2\n=======\nb = 20\n>>>>>>> REPLACE\n";
        let edits = parse(reply, EditFormat::SearchReplace, &files).expect("parse");
        let texts = apply_in_memory(&edits, &files).expect("apply");
        assert_eq!(texts["p.py"], "a = 10\n\nb = 20\n");
    }

    #[test]
    fn a_block_ends_at_any_marker_run() {
        let files = [file("calc.py", "def add(a, b):\n    return a - b\n")];
        let reply = "calc.py\n<<<<<<< SEARCH\n    return a - b\n=======\n    return a + b\n------- REPLACE\n";
        let edits = parse(reply, EditFormat::SearchReplace, &files).expect("parse");
        let texts = apply_in_memory(&edits, &files).expect("apply");
        assert_eq!(texts["calc.py"], "def add(a, b):\n    return a + b\n");
    }

    #[test]
    fn a_last_line_without_newline_still_matches() {
        let files = [file("x.sh", "echo a\necho b")];
        let reply = "x.sh\n<<<<<<< SEARCH\necho b\n=======\necho c\n>>>>>>> REPLACE\n";
        let edits = parse(reply, EditFormat::SearchReplace, &files).expect("parse");
        let texts = apply_in_memory(&edits, &files).expect("apply");
        assert_eq!(texts["x.sh"], "echo a\necho c");
    }

    #[test]
    fn whole_file_replies_parse() {
        let files = [file("a.js", "x\n")];
        let reply = "a.js\n```js\nconst x = 1;\n```\n";
        let edits = parse(reply, EditFormat::WholeFile, &files).expect("parse");
        assert_eq!(
            edits,
            vec![Edit::Whole {
                path: "a.js".into(),
                text: "const x = 1;\n".into()
            }]
        );
        // The only file offered may come without its path line.
        let bare = "```javascript\nconst x = 2;\n```";
        let edits = parse(bare, EditFormat::WholeFile, &files).expect("parse");
        assert_eq!(edits[0].path(), "a.js");
        // An explanation before the file is not part of it.
        let explained = "The constant is wrong.\n\n```js\nconst x = 3;\n```\n";
        let edits = parse(explained, EditFormat::WholeFile, &files).expect("parse");
        assert_eq!(
            edits,
            vec![Edit::Whole {
                path: "a.js".into(),
                text: "const x = 3;\n".into()
            }]
        );
        // An explanation that quotes a line in a fence, then the path and the file.
        let quoted = "This line is wrong:\n```js\nx\n```\na.js\n```js\nconst x = 4;\n```\n";
        let edits = parse(quoted, EditFormat::WholeFile, &files).expect("parse");
        assert_eq!(
            edits,
            vec![Edit::Whole {
                path: "a.js".into(),
                text: "const x = 4;\n".into()
            }]
        );
        // With two files offered, the path is required.
        let two = [file("a.js", "x\n"), file("b.js", "y\n")];
        assert!(parse(bare, EditFormat::WholeFile, &two).is_err());
    }

    #[test]
    fn a_snippet_is_not_a_whole_file() {
        let text: String = (0..20).map(|i| format!("line {i}\n")).collect();
        let files = [file("a.py", &text)];
        let snippet = vec![Edit::Whole {
            path: "a.py".into(),
            text: "line 3\n".into(),
        }];
        assert!(matches!(
            apply_in_memory(&snippet, &files),
            Err(EditError::Partial {
                had: 20,
                has: 1,
                ..
            })
        ));
        let whole = vec![Edit::Whole {
            path: "a.py".into(),
            text: text.replace("line 3", "line three"),
        }];
        assert!(apply_in_memory(&whole, &files).is_ok());
    }

    #[test]
    fn unknown_files_and_empty_replies_are_errors() {
        let files = [file("a.py", "x = 1\n")];
        let reply = "b.py\n<<<<<<< SEARCH\nx = 1\n=======\nx = 2\n>>>>>>> REPLACE\n";
        assert_eq!(
            parse(reply, EditFormat::SearchReplace, &files),
            Err(EditError::UnknownFile("b.py".into()))
        );
        assert_eq!(
            parse("I think the bug is", EditFormat::SearchReplace, &files),
            Err(EditError::Empty)
        );
        let missing = [Edit::Replace {
            path: "a.py".into(),
            search: "y = 1\n".into(),
            replace: String::new(),
        }];
        assert_eq!(
            apply_in_memory(&missing, &files),
            Err(EditError::NotFound("a.py".into()))
        );
    }

    #[test]
    fn the_grammar_lists_each_line_of_the_shown_runs() {
        let mut f = file("m.py", "a = 1\nb = \"q\"\nc = 3\n");
        f.shown = Some(vec![(1, 3)]);
        let g = grammar(&[f], EditFormat::SearchReplace, false);
        assert_eq!(g.describe(), "SEARCH/REPLACE edit grammar");
    }
}
