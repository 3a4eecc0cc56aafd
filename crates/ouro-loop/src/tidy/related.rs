//! Which edits the visible tests do not need still belong to the fix.
//!
//! Tests pass without a hunk both when it is a stray edit (a small model "tidies" a line of
//! another function, and the hidden tests catch the harm) and when it completes the fix in a
//! place the visible tests do not reach (the task names two failing commands and only one
//! is tested; the fix changes a tuple's shape and a third function must follow it). What
//! tells them apart is how an edit relates to the edits the tests do need: an edit that
//! repeats a needed edit's pattern (`$1` → `${1:-}`, then `$2` → `${2:-}`), or that touches a
//! name the needed edits touch (the fix changes what `self._heap` holds, and `peek()` reads
//! `self._heap`), completes the fix; an edit with neither is stray.

use std::collections::BTreeSet;
use std::ops::Range;

use similar::{DiffOp, TextDiff};

/// One changed run of lines: where it lies in the new text, what it removed and what it
/// added.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Edit {
    /// Its lines in the new text (empty where it only removed lines).
    pub lines: Range<usize>,
    /// The lines taken out.
    pub removed: Vec<String>,
    /// The lines put in.
    pub added: Vec<String>,
}

impl Edit {
    /// Everything `new` changed against `old`, as one edit.
    pub fn whole(old: &str, new: &str) -> Self {
        let mut edit = Edit::default();
        for hunk in edits(old, new) {
            edit.removed.extend(hunk.removed);
            edit.added.extend(hunk.added);
        }
        edit
    }

    /// Whether this edit belongs with `needed`: it repeats the pattern of one of them, or
    /// touches a distinctive name that they touch.
    pub fn belongs_with(&self, needed: &[Edit]) -> bool {
        let pattern = self.pattern();
        let names = self.names();
        needed.iter().any(|edit| {
            (!pattern.is_empty() && edit.pattern() == pattern) || !edit.names().is_disjoint(&names)
        })
    }

    /// Whether the edit changes only the text inside string literals (`"withdraw"` →
    /// `"withdrawal"`): a message or a label the visible tests do not need, never the part
    /// of a fix the hidden ones might.
    pub fn only_literals_changed(&self) -> bool {
        let code = |lines: &[String]| {
            lines
                .iter()
                .map(|l| without_literals(l))
                .collect::<Vec<_>>()
        };
        self.removed != self.added
            && self.removed.len() == self.added.len()
            && code(&self.removed) == code(&self.added)
    }

    /// The tokens this edit takes out and puts in, numbers made alike: `$1` → `${1:-}` and
    /// `$2` → `${2:-}` have the same pattern. Empty when only whitespace changed.
    fn pattern(&self) -> Pattern {
        let (removed, added) = (self.removed.concat(), self.added.concat());
        let (old, new) = (tokens(&removed), tokens(&added));
        let mut pattern = Pattern::default();
        for op in similar::capture_diff_slices(similar::Algorithm::Myers, &old, &new) {
            if let DiffOp::Equal { .. } = op {
                continue;
            }
            pattern
                .removed
                .extend(old[op.old_range()].iter().map(|t| normalized(t)));
            pattern
                .added
                .extend(new[op.new_range()].iter().map(|t| normalized(t)));
        }
        pattern
    }

    /// The distinctive names on this edit's lines: identifiers of three or more characters
    /// that are not keywords or names every method uses (`self`, `this`, `return`...).
    fn names(&self) -> BTreeSet<String> {
        self.removed
            .iter()
            .chain(&self.added)
            .flat_map(|line| tokens(line))
            .filter(|t| {
                t.len() >= 3
                    && t.starts_with(|c: char| c.is_alphabetic() || c == '_')
                    && !COMMON_WORDS.contains(&t.to_ascii_lowercase().as_str())
            })
            .map(str::to_string)
            .collect()
    }
}

/// What an edit's tokens became (see [`Edit::pattern`]).
#[derive(Debug, Default, PartialEq, Eq)]
struct Pattern {
    removed: Vec<String>,
    added: Vec<String>,
}

impl Pattern {
    fn is_empty(&self) -> bool {
        self.removed.is_empty() && self.added.is_empty()
    }
}

/// Keywords of the suite's languages (Python, JavaScript, Rust, shell) and names too common
/// to relate two edits.
const COMMON_WORDS: [&str; 58] = [
    "self", "this", "cls", "super", "let", "mut", "const", "var", "def", "class", "return", "if",
    "else", "elif", "fi", "then", "for", "while", "loop", "break", "continue", "match", "case",
    "esac", "done", "function", "async", "await", "import", "from", "export", "pub", "impl",
    "struct", "enum", "use", "mod", "new", "null", "none", "nil", "true", "false", "and", "not",
    "or", "try", "except", "catch", "finally", "raise", "throw", "with", "echo", "local", "some",
    "ok", "err",
];

/// The changed runs of lines of `new` against `old` (changes with no unchanged line between
/// them are one), in order.
pub fn edits(old: &str, new: &str) -> Vec<Edit> {
    let diff = TextDiff::from_lines(old, new);
    let old_lines: Vec<&str> = old.split_inclusive('\n').collect();
    let new_lines: Vec<&str> = new.split_inclusive('\n').collect();
    let mut edits: Vec<Edit> = Vec::new();
    let mut joined = false;
    for op in diff.ops() {
        if let DiffOp::Equal { .. } = op {
            joined = false;
            continue;
        }
        if !joined {
            edits.push(Edit {
                lines: op.new_range(),
                ..Edit::default()
            });
        }
        joined = true;
        if let Some(edit) = edits.last_mut() {
            edit.lines.end = op.new_range().end;
            edit.removed
                .extend(old_lines[op.old_range()].iter().map(|l| l.to_string()));
            edit.added
                .extend(new_lines[op.new_range()].iter().map(|l| l.to_string()));
        }
    }
    edits
}

/// `line` with the text inside its string literals (`'...'`, `"..."`, `` `...` ``) taken
/// out, the quotes kept.
fn without_literals(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut quote = None;
    let mut escaped = false;
    for c in line.chars() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                    out.push(c);
                }
            }
            None => {
                if matches!(c, '\'' | '"' | '`') {
                    quote = Some(c);
                }
                out.push(c);
            }
        }
    }
    out
}

/// Words (letters, digits, `_`) and single other characters, whitespace left out.
fn tokens(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        let word = c.is_alphanumeric() || c == '_';
        match (word, start) {
            (true, None) => start = Some(i),
            (true, Some(_)) => {}
            (false, Some(s)) => {
                out.push(&text[s..i]);
                start = None;
            }
            (false, None) => {}
        }
        if !word && !c.is_whitespace() {
            out.push(&text[i..i + c.len_utf8()]);
        }
    }
    if let Some(s) = start {
        out.push(&text[s..]);
    }
    out
}

/// A token with every number made `0`.
fn normalized(token: &str) -> String {
    if token.chars().all(|c| c.is_ascii_digit()) {
        "0".into()
    } else {
        token.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edit(removed: &str, added: &str) -> Edit {
        Edit {
            lines: 0..0,
            removed: vec![format!("{removed}\n")],
            added: vec![format!("{added}\n")],
        }
    }

    #[test]
    fn an_edit_of_string_text_alone_is_told_apart() {
        let stray = edit(
            "        self.history.append((\"withdraw\", amount))",
            "        self.history.append((\"withdrawal\", amount))",
        );
        assert!(stray.only_literals_changed());
        assert!(!edit("    return 'a' + x", "    return 'a' + y").only_literals_changed());
        assert!(!edit("x = 'it\\'s'", "x = 'it\\'s' + s").only_literals_changed());
    }

    #[test]
    fn the_same_pattern_elsewhere_belongs_with_the_fix() {
        let needed = [edit("cmd=$1", "cmd=${1:-}")];
        assert!(edit("        n=$2", "        n=${2:-}").belongs_with(&needed));
        assert!(!edit("        n=$2", "        n=$3").belongs_with(&needed));
    }

    #[test]
    fn an_edit_of_a_name_the_fix_changes_belongs_with_it() {
        let needed = [
            edit(
                "        heapq.heappush(self._heap, (priority, job))",
                "        heapq.heappush(self._heap, (priority, next(self._seq), job))",
            ),
            edit(
                "        _, job = heapq.heappop(self._heap)",
                "        _, _, job = heapq.heappop(self._heap)",
            ),
        ];
        assert!(
            edit(
                "        return self._heap[0][1]",
                "        return self._heap[0][2]"
            )
            .belongs_with(&needed)
        );
    }

    #[test]
    fn a_stray_edit_of_other_state_does_not() {
        let needed = [edit(
            "        self.get(self.len)",
            "        self.len.checked_sub(1).and_then(|i| self.get(i))",
        )];
        let stray = edit(
            "            let old = self.slots[self.head].replace(item);",
            "            let old = self.slots[self.head].take();",
        );
        assert!(!stray.belongs_with(&needed));
        // Whitespace alone is no pattern.
        assert!(!edit("x = 1", "x  =  1").belongs_with(&[edit("y = 2", "y  =  2")]));
    }

    #[test]
    fn edits_are_the_changed_runs_in_order() {
        let old = "a\nb\nc\nd\ne\n";
        let new = "a\nB\nc\nd\nE\nE2\n";
        let found = edits(old, new);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].lines, 1..2);
        assert_eq!(found[0].removed, vec!["b\n"]);
        assert_eq!(found[0].added, vec!["B\n"]);
        assert_eq!(found[1].lines, 4..6);
        assert_eq!(found[1].removed, vec!["e\n"]);
        assert_eq!(found[1].added, vec!["E\n", "E2\n"]);
        assert_eq!(Edit::whole(old, new).added, vec!["B\n", "E\n", "E2\n"]);
    }
}
