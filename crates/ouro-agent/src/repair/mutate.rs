//! Mutation candidates for the line sweep: small mechanical edits of the suspect lines (a
//! comparison turned around, `and` for `or`, `??` for `||`, a bound off by one, `?` for
//! `.unwrap()`, `${1:-}` for `$1`, a guard taken away), tested like the model's own
//! candidates once those are spent.
//!
//! Why: the model, told a line is wrong, often rewrites it into something else that is
//! wrong (`value > following` into `value >= following`) while the fix is one of a handful
//! of edits every programmer tries first. Template repair (PraPR, TBar) finds such fixes
//! by trying them all against the tests; the suspect order (lines the failure names first)
//! and the order of the edits below (the likeliest first) decide between several that pass.
//! An edit that repeats on lines of the same shape in the same file (`options.retries ||
//! 3`, `options.delayMs || 100`; `cmd=$1`, `n=$2`) is also tried on all of them at once,
//! before the line alone: a bug copied to its siblings is fixed in all of them or not at
//! all.
//!
//! Only code is edited: string literals and comments are blanked before operators are
//! looked for, so a message or a comment never changes.

use std::collections::BTreeSet;

use super::edits::EditableFile;
use super::localize::Located;
use super::sweep::{LineFix, Suspect};

/// Most mutants one sweep tries.
pub const MAX_MUTANTS: usize = 48;

/// How many places down the suspect order weigh as much as one rank down the edits.
const LINES_PER_RANK: usize = 4;

/// Most lines of the same shape an edit is spread to.
const MAX_SIBLINGS: usize = 16;

/// The languages whose syntax the mutations know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lang {
    Python,
    JavaScript,
    Rust,
    Shell,
}

impl Lang {
    fn of(path: &str) -> Option<Lang> {
        match super::prompt::language(path) {
            "python" => Some(Lang::Python),
            "javascript" | "typescript" => Some(Lang::JavaScript),
            "rust" => Some(Lang::Rust),
            "bash" => Some(Lang::Shell),
            _ => None,
        }
    }
}

/// A blanked byte: inside a string literal or a comment.
const BLANK: u8 = 0x01;

/// `line` with the insides of string literals and comments blanked ([`BLANK`]), so that
/// operators are looked for in code only; byte offsets stay those of `line`. In shell,
/// double-quoted text stays code (`"$1"` is a parameter).
fn code_only(line: &str, lang: Lang) -> Vec<u8> {
    let b = line.as_bytes();
    let mut out = b.to_vec();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let comment = match lang {
            Lang::Python => c == b'#',
            Lang::Shell => c == b'#' && (i == 0 || b[i - 1].is_ascii_whitespace()),
            Lang::JavaScript | Lang::Rust => c == b'/' && b.get(i + 1) == Some(&b'/'),
        };
        if comment {
            out[i..].fill(BLANK);
            break;
        }
        let quote = match lang {
            Lang::Shell => c == b'\'',
            Lang::JavaScript => matches!(c, b'\'' | b'"' | b'`'),
            Lang::Rust => c == b'"' || c == b'\'' && is_char_literal(b, i),
            Lang::Python => matches!(c, b'\'' | b'"'),
        };
        if !quote {
            i += 1;
            continue;
        }
        let mut j = i + 1;
        while j < b.len() && b[j] != c {
            j += if b[j] == b'\\' && lang != Lang::Shell {
                2
            } else {
                1
            };
        }
        let end = j.min(b.len());
        out[i + 1..end].fill(BLANK);
        i = end + 1;
    }
    out
}

/// Whether the `'` at `i` opens a Rust character literal (`'a'`, `'\n'`) rather than a
/// lifetime.
fn is_char_literal(b: &[u8], i: usize) -> bool {
    match b.get(i + 1) {
        Some(b'\\') => b[i + 2..].iter().take(8).any(|&c| c == b'\''),
        Some(_) => b.get(i + 2) == Some(&b'\''),
        None => false,
    }
}

/// An operator and what it is turned into, likeliest first.
struct Swap {
    from: &'static str,
    to: &'static [&'static str],
    /// The languages it applies to.
    langs: &'static [Lang],
}

const C_LIKE: &[Lang] = &[Lang::Python, Lang::JavaScript, Lang::Rust];
const ALL: &[Lang] = &[Lang::Python, Lang::JavaScript, Lang::Rust, Lang::Shell];

/// Operators written with a space on each side (` > `), so that `->`, `=>`, generics,
/// shell redirections and regular expressions are left alone.
const SWAPS: &[Swap] = &[
    Swap {
        from: ">",
        to: &["<", ">=", "<="],
        langs: C_LIKE,
    },
    Swap {
        from: "<",
        to: &[">", "<=", ">="],
        langs: C_LIKE,
    },
    Swap {
        from: ">=",
        to: &[">", "<=", "<"],
        langs: C_LIKE,
    },
    Swap {
        from: "<=",
        to: &["<", ">=", ">"],
        langs: C_LIKE,
    },
    Swap {
        from: "==",
        to: &["!="],
        langs: C_LIKE,
    },
    Swap {
        from: "!=",
        to: &["=="],
        langs: C_LIKE,
    },
    Swap {
        from: "===",
        to: &["!=="],
        langs: &[Lang::JavaScript],
    },
    Swap {
        from: "!==",
        to: &["==="],
        langs: &[Lang::JavaScript],
    },
    Swap {
        from: "||",
        to: &["??", "&&"],
        langs: &[Lang::JavaScript],
    },
    Swap {
        from: "||",
        to: &["&&"],
        langs: &[Lang::Rust],
    },
    Swap {
        from: "&&",
        to: &["||"],
        langs: &[Lang::JavaScript, Lang::Rust],
    },
    Swap {
        from: "and",
        to: &["or"],
        langs: &[Lang::Python],
    },
    Swap {
        from: "or",
        to: &["and"],
        langs: &[Lang::Python],
    },
    Swap {
        from: "+",
        to: &["-"],
        langs: ALL,
    },
    Swap {
        from: "-",
        to: &["+"],
        langs: ALL,
    },
    Swap {
        from: "*",
        to: &["/"],
        langs: ALL,
    },
    Swap {
        from: "/",
        to: &["*"],
        langs: ALL,
    },
    Swap {
        from: "/",
        to: &["//"],
        langs: &[Lang::Python],
    },
    Swap {
        from: "//",
        to: &["/"],
        langs: &[Lang::Python],
    },
    Swap {
        from: "+=",
        to: &["-="],
        langs: ALL,
    },
    Swap {
        from: "-=",
        to: &["+="],
        langs: ALL,
    },
    Swap {
        from: "-lt",
        to: &["-le", "-gt", "-ge"],
        langs: &[Lang::Shell],
    },
    Swap {
        from: "-le",
        to: &["-lt", "-ge", "-gt"],
        langs: &[Lang::Shell],
    },
    Swap {
        from: "-gt",
        to: &["-ge", "-lt", "-le"],
        langs: &[Lang::Shell],
    },
    Swap {
        from: "-ge",
        to: &["-gt", "-le", "-lt"],
        langs: &[Lang::Shell],
    },
    Swap {
        from: "-eq",
        to: &["-ne"],
        langs: &[Lang::Shell],
    },
    Swap {
        from: "-ne",
        to: &["-eq"],
        langs: &[Lang::Shell],
    },
];

/// Which edit a mutant made, so that the same edit can be found on a line of the same shape:
/// the rule, its alternative and which occurrence on the line.
type Key = (usize, usize, usize);

/// One edit of a line.
struct Mutant {
    key: Key,
    /// How likely it is, 0 first: the first alternative of an operator is tried on every
    /// suspect line before any second one.
    rank: usize,
    /// Whether it may be tried on the lines of the same shape too.
    spreads: bool,
    line: String,
}

/// `line` with `range` replaced by `with`.
fn splice(line: &str, range: std::ops::Range<usize>, with: &str) -> String {
    format!("{}{with}{}", &line[..range.start], &line[range.end..])
}

/// Where `needle` starts in `hay`, each match.
fn find_all(hay: &[u8], needle: &[u8]) -> Vec<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return Vec::new();
    }
    (0..=hay.len() - needle.len())
        .filter(|&i| &hay[i..i + needle.len()] == needle)
        .collect()
}

fn is_word_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// Rule numbers after the swaps.
const RULE_NOT: usize = 1000;
const RULE_UNWRAP: usize = 1001;
const RULE_POSITIONAL: usize = 1002;
const RULE_LENGTH: usize = 1003;
const RULE_INTEGER: usize = 1004;
const RULE_COUNT: usize = 1005;

/// Every mutant of `line`, the likeliest first.
fn mutants(line: &str, lang: Lang) -> Vec<Mutant> {
    let code = code_only(line, lang);
    let mut out = Vec::new();
    for (rule, swap) in SWAPS.iter().enumerate() {
        if !swap.langs.contains(&lang) {
            continue;
        }
        let spaced = format!(" {} ", swap.from);
        for (k, at) in find_all(&code, spaced.as_bytes()).into_iter().enumerate() {
            let range = at + 1..at + 1 + swap.from.len();
            for (alt, to) in swap.to.iter().enumerate() {
                out.push(Mutant {
                    key: (rule, alt, k),
                    rank: alt,
                    spreads: true,
                    line: splice(line, range.clone(), to),
                });
            }
        }
    }
    negations(line, &code, lang, &mut out);
    idioms(line, &code, lang, &mut out);
    off_by_one(line, &code, lang, &mut out);
    out.sort_by_key(|m| m.rank);
    out
}

/// A condition negated: `not`/`!` taken away, or (Python) put in after `if`.
fn negations(line: &str, code: &[u8], lang: Lang, out: &mut Vec<Mutant>) {
    match lang {
        Lang::Python => {
            for (k, at) in find_all(code, b" not ").into_iter().enumerate() {
                out.push(Mutant {
                    key: (RULE_NOT, 0, k),
                    rank: 0,
                    spreads: true,
                    line: splice(line, at + 1..at + 5, ""),
                });
            }
            let t = line.trim_start();
            let indent = line.len() - t.len();
            for keyword in ["if ", "elif ", "while "] {
                if t.starts_with(keyword) && !t[keyword.len()..].starts_with("not ") {
                    let at = indent + keyword.len();
                    out.push(Mutant {
                        key: (RULE_NOT, 1, 0),
                        rank: 1,
                        spreads: true,
                        line: splice(line, at..at, "not "),
                    });
                }
            }
        }
        Lang::JavaScript | Lang::Rust => {
            for (k, at) in find_all(code, b"!").into_iter().enumerate() {
                let before = at.checked_sub(1).map(|i| code[i]);
                let after = code.get(at + 1).copied();
                if matches!(before, Some(b'(' | b' ') | None)
                    && after.is_some_and(|c| is_word_byte(c) || c == b'(')
                {
                    out.push(Mutant {
                        key: (RULE_NOT, 0, k),
                        rank: 0,
                        spreads: true,
                        line: splice(line, at..at + 1, ""),
                    });
                }
            }
        }
        Lang::Shell => {}
    }
}

/// Each language's usual slips: a panic where the function can return `None`/`Err`
/// (Rust), a positional parameter read under `set -u` (shell).
fn idioms(line: &str, code: &[u8], lang: Lang, out: &mut Vec<Mutant>) {
    match lang {
        Lang::Rust => {
            let mut k = 0;
            for at in find_all(code, b".unwrap()") {
                out.push(Mutant {
                    key: (RULE_UNWRAP, 0, k),
                    rank: 0,
                    spreads: true,
                    line: splice(line, at..at + ".unwrap()".len(), "?"),
                });
                k += 1;
            }
            for at in find_all(code, b".expect(") {
                let open = at + ".expect".len();
                if let Some(close) = matching_paren(code, open) {
                    out.push(Mutant {
                        key: (RULE_UNWRAP, 0, k),
                        rank: 0,
                        spreads: true,
                        line: splice(line, at..close + 1, "?"),
                    });
                    k += 1;
                }
            }
        }
        Lang::Shell => {
            let mut k = 0;
            for at in find_all(code, b"$") {
                let digit = code.get(at + 1).copied();
                let escaped = at > 0 && code[at - 1] == b'\\';
                if !escaped && digit.is_some_and(|c| c.is_ascii_digit()) {
                    let n = char::from(code[at + 1]);
                    out.push(Mutant {
                        key: (RULE_POSITIONAL, 0, k),
                        rank: 0,
                        spreads: true,
                        line: splice(line, at..at + 2, &format!("${{{n}:-}}")),
                    });
                    k += 1;
                }
            }
        }
        Lang::Python | Lang::JavaScript => {}
    }
}

/// The index of the `)` closing the `(` at `open`.
fn matching_paren(code: &[u8], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, &c) in code.iter().enumerate().skip(open) {
        match c {
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// Bounds off by one: a length (`len(x)`, `.length`, `.len()`, `self.len`) one less or
/// more, an integer literal one less or more (a power of ten also ten times more or
/// less: a digit's place), a shell variable one less or more (`"$keep"`
/// as `"$((keep + 1))"`: shell counts live in variables). Tried after every other edit.
fn off_by_one(line: &str, code: &[u8], lang: Lang, out: &mut Vec<Mutant>) {
    let mut ends = Vec::new();
    match lang {
        Lang::Python => {
            for at in find_all(code, b"len(") {
                if at == 0 || !is_word_byte(code[at - 1]) {
                    ends.extend(matching_paren(code, at + 3).map(|c| c + 1));
                }
            }
        }
        Lang::JavaScript => ends.extend(
            find_all(code, b".length")
                .into_iter()
                .map(|at| at + ".length".len())
                .filter(|&end| code.get(end).is_none_or(|&c| !is_word_byte(c))),
        ),
        Lang::Rust => {
            ends.extend(find_all(code, b".len()").into_iter().map(|at| at + 6));
            ends.extend(
                find_all(code, b".len")
                    .into_iter()
                    .map(|at| at + 4)
                    .filter(|&end| code.get(end).is_none_or(|&c| !is_word_byte(c) && c != b'(')),
            );
        }
        Lang::Shell => {}
    }
    for (k, end) in ends.into_iter().enumerate() {
        for (alt, delta) in [" - 1", " + 1"].iter().enumerate() {
            out.push(Mutant {
                key: (RULE_LENGTH, alt, k),
                rank: 2 + alt,
                spreads: false,
                line: splice(line, end..end, delta),
            });
        }
    }
    let mut k = 0;
    let mut i = 0;
    while i < code.len() {
        if !code[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < code.len() && code[i].is_ascii_digit() {
            i += 1;
        }
        let before = start.checked_sub(1).map(|j| code[j]);
        let after = code.get(i).copied();
        let inside_word = |c: Option<u8>| c.is_some_and(|c| is_word_byte(c) || c == b'.');
        // A shell file descriptor (`>&2`, `2>/dev/null`) is no bound.
        let descriptor = lang == Lang::Shell
            && (matches!(before, Some(b'&' | b'>' | b'<')) || matches!(after, Some(b'>' | b'<')));
        if inside_word(before)
            || inside_word(after)
            || before == Some(b'$')
            || descriptor
            || i - start > 4
        {
            continue;
        }
        let Ok(n) = line[start..i].parse::<u32>() else {
            continue;
        };
        // One less or more; a power of ten also a place up or down (`% 10` for `% 100`).
        let digits = n.to_string();
        let power_of_ten =
            n >= 10 && digits[1..].bytes().all(|c| c == b'0') && digits.starts_with('1');
        let magnitudes = if power_of_ten {
            [Some(n * 10), Some(n / 10)]
        } else {
            [None, None]
        };
        let others = [n.checked_sub(1), Some(n + 1)]
            .into_iter()
            .chain(magnitudes);
        for (alt, m) in others.enumerate() {
            if let Some(m) = m {
                out.push(Mutant {
                    key: (RULE_INTEGER, alt, k),
                    rank: 3 + alt.min(2),
                    spreads: false,
                    line: splice(line, start..i, &m.to_string()),
                });
            }
        }
        k += 1;
    }
    if lang == Lang::Shell {
        shell_counts(line, code, out);
    }
}

/// `$name` and `${name}` (not positional or special parameters) one less or more, as
/// shell arithmetic.
fn shell_counts(line: &str, code: &[u8], out: &mut Vec<Mutant>) {
    for (k, at) in find_all(code, b"$").into_iter().enumerate() {
        if at > 0 && code[at - 1] == b'\\' {
            continue;
        }
        let braced = code.get(at + 1) == Some(&b'{');
        let start = at + 1 + usize::from(braced);
        let mut end = start;
        while end < code.len() && is_word_byte(code[end]) {
            end += 1;
        }
        let name = &line[start..end];
        if name.is_empty()
            || !name.as_bytes()[0].is_ascii_alphabetic() && name.as_bytes()[0] != b'_'
        {
            continue;
        }
        let whole_end = if braced {
            if code.get(end) != Some(&b'}') {
                continue;
            }
            end + 1
        } else {
            end
        };
        for (alt, op) in ["+", "-"].iter().enumerate() {
            out.push(Mutant {
                key: (RULE_COUNT, alt, k),
                rank: 5 + alt,
                spreads: false,
                line: splice(line, at..whole_end, &format!("$(({name} {op} 1))")),
            });
        }
    }
}

/// The line's shape: identifiers, numbers and blanked text each made one symbol, spaces
/// dropped. Lines of one shape are siblings (`const retries = options.retries || 3;` and
/// `const delayMs = options.delayMs || 100;`).
fn shape(line: &str, lang: Lang) -> String {
    let code = code_only(line.trim(), lang);
    let mut out = String::new();
    let mut last = None;
    for &c in &code {
        let class = if c == BLANK {
            'S'
        } else if c.is_ascii_digit() && last != Some('I') {
            'N'
        } else if is_word_byte(c) {
            'I'
        } else if c.is_ascii_whitespace() {
            last = None;
            continue;
        } else {
            char::from(c)
        };
        if !(matches!(class, 'S' | 'N' | 'I') && last == Some(class)) {
            out.push(class);
        }
        last = Some(class);
    }
    out
}

/// The mutation candidates for the `suspects` of `located`, in the order they are worth
/// trying (at most [`MAX_MUTANTS`]): the likeliest edits of the likeliest lines first,
/// a rank down the edits weighing as much as [`LINES_PER_RANK`] lines down; an edit that also applies to the line's
/// siblings comes first across all of them, then on the line alone.
pub fn candidates(located: &Located, suspects: &[Suspect]) -> Vec<LineFix> {
    let mut ranked: Vec<(usize, usize, LineFix)> = Vec::new();
    for (order, suspect) in suspects.iter().enumerate() {
        let file = &located.editable[suspect.file];
        let Some(lang) = Lang::of(&file.path) else {
            continue;
        };
        let lines: Vec<&str> = file.text.lines().collect();
        let Some(&line) = lines.get(suspect.line) else {
            continue;
        };
        let own_shape = shape(line, lang);
        let siblings: Vec<usize> = (0..lines.len())
            .filter(|&i| i != suspect.line && shape(lines[i], lang) == own_shape)
            .take(MAX_SIBLINGS)
            .collect();
        for mutant in mutants(line, lang) {
            let mut edited: Vec<(usize, String)> = vec![(suspect.line, mutant.line.clone())];
            if mutant.spreads {
                for &i in &siblings {
                    if let Some(m) = mutants(lines[i], lang)
                        .into_iter()
                        .find(|m| m.key == mutant.key)
                    {
                        edited.push((i, m.line));
                    }
                }
            }
            if edited.len() > 1 {
                ranked.push((mutant.rank, order, fix(file, &lines, &edited)));
            }
            ranked.push((mutant.rank, order, fix(file, &lines, &edited[..1])));
        }
        if let Some(text) = without_guard(&lines, suspect.line, lang, file.text.ends_with('\n')) {
            let replacement = format!("{} (the condition taken away)", line.trim());
            let fix = LineFix {
                path: file.path.clone(),
                line: suspect.line,
                replacement,
                text,
            };
            ranked.push((1, order, fix));
        }
    }
    // A likely edit of a less suspect line against a less likely edit of a more suspect
    // one: each rank weighs as much as LINES_PER_RANK places in the suspect order.
    ranked.sort_by_key(|r| (r.0 * LINES_PER_RANK + r.1, r.1));
    let mut seen = BTreeSet::new();
    ranked
        .into_iter()
        .map(|r| r.2)
        .filter(|f| seen.insert(f.text.clone()))
        .take(MAX_MUTANTS)
        .collect()
}

/// The text with the `if` on line `at` taken away and its block kept, one level less
/// indented (a guard that skips what must always run: `if field:` before
/// `fields.append(...)`); `None` when the line opens no `if` block or the block has an
/// `else`.
fn without_guard(lines: &[&str], at: usize, lang: Lang, newline_at_end: bool) -> Option<String> {
    let line = lines[at];
    let t = line.trim_start();
    let indent = line.len() - t.len();
    let deeper = |l: &str| l.trim().is_empty() || l.len() - l.trim_start().len() > indent;
    // The block's lines (after the header) and the closing line to drop, if any.
    let (end, closing) = match lang {
        Lang::Python => {
            if !(t.starts_with("if ") && t.ends_with(':')) {
                return None;
            }
            let end = (at + 1..lines.len())
                .find(|&i| !deeper(lines[i]))
                .unwrap_or(lines.len());
            (end, None)
        }
        Lang::JavaScript | Lang::Rust => {
            if !(t.starts_with("if ") && t.ends_with('{')) {
                return None;
            }
            let close = (at + 1..lines.len()).find(|&i| !deeper(lines[i]))?;
            if lines[close].trim() != "}" {
                return None;
            }
            (close, Some(close))
        }
        Lang::Shell => return None,
    };
    let body = &lines[at + 1..end];
    if body.iter().all(|l| l.trim().is_empty())
        || lines.get(end).is_some_and(|l| {
            l.trim_start().starts_with("else") || l.trim_start().starts_with("elif")
        })
    {
        return None;
    }
    let step = body
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len() - indent)
        .min()?;
    let mut out: Vec<String> = lines[..at].iter().map(|l| l.to_string()).collect();
    out.extend(body.iter().map(|l| l.get(step..).unwrap_or("").to_string()));
    let rest = closing.map_or(end, |c| c + 1);
    out.extend(lines[rest..].iter().map(|l| l.to_string()));
    let mut text = out.join("\n");
    if newline_at_end {
        text.push('\n');
    }
    Some(text)
}

/// The candidate made of `file` with each `(line, text)` of `edited` replaced; the first
/// is the one it is named after.
fn fix(file: &EditableFile, lines: &[&str], edited: &[(usize, String)]) -> LineFix {
    let mut new: Vec<&str> = lines.to_vec();
    for (i, text) in edited {
        new[*i] = text;
    }
    let mut text = new.join("\n");
    if file.text.ends_with('\n') {
        text.push('\n');
    }
    let (line, first) = &edited[0];
    let replacement = if edited.len() > 1 {
        format!("{} (and {} lines alike)", first, edited.len() - 1)
    } else {
        first.clone()
    };
    LineFix {
        path: file.path.clone(),
        line: *line,
        replacement,
        text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines_of(path: &str, line: &str) -> Vec<String> {
        mutants(line, Lang::of(path).expect("known language"))
            .into_iter()
            .map(|m| m.line)
            .collect()
    }

    #[test]
    fn comparisons_turn_around_the_likeliest_way_first() {
        let got = lines_of("r.py", "        if value > following:");
        assert_eq!(got[0], "        if value < following:");
        assert!(got.contains(&"        if value >= following:".to_string()));
        assert!(got.contains(&"        if not value > following:".to_string()));
        // Arrows, generics, redirections and text are not comparisons.
        assert!(lines_of("a.rs", "fn f(v: Vec<u8>) -> Option<u8> {").is_empty());
        assert!(lines_of("a.py", "print(\"a > b\")  # x > y").is_empty());
        assert!(lines_of("a.sh", "echo hi > out.txt").is_empty());
    }

    #[test]
    fn each_language_gets_its_usual_slips() {
        assert!(
            lines_of("a.rs", "    let (k, v) = line.split_once('=').unwrap();")
                .contains(&"    let (k, v) = line.split_once('=')?;".to_string())
        );
        assert!(
            lines_of(
                "a.rs",
                "    let x = s.parse::<u8>().expect(\"a (number)\");"
            )
            .contains(&"    let x = s.parse::<u8>()?;".to_string())
        );
        assert_eq!(lines_of("t.sh", "cmd=$1")[0], "cmd=${1:-}");
        assert!(lines_of("t.sh", "echo no >&2; ls 2>/dev/null").is_empty());
        let rotate = lines_of("t.sh", "sort -r | tail -n +\"$keep\" | while read -r f; do");
        assert!(
            rotate.contains(
                &"sort -r | tail -n +\"$((keep + 1))\" | while read -r f; do".to_string()
            )
        );
        assert!(lines_of("t.sh", "echo ${n}").contains(&"echo $((n - 1))".to_string()));
        assert!(lines_of("t.sh", "echo \\$n $? ${n").is_empty());
        assert!(lines_of("t.sh", "echo '$1'").is_empty());
        assert_eq!(
            lines_of("r.js", "  const n = options.retries || 3;")[0],
            "  const n = options.retries ?? 3;"
        );
        assert!(
            lines_of("b.rs", "        self.get(self.len)")
                .contains(&"        self.get(self.len - 1)".to_string())
        );
        assert!(
            lines_of("p.py", "    for i in range(len(xs)):")
                .contains(&"    for i in range(len(xs) - 1):".to_string())
        );
        let teens = lines_of("o.py", "    if number % 10 in (11, 12, 13):");
        assert!(teens.contains(&"    if number % 100 in (11, 12, 13):".to_string()));
        assert!(!teens.iter().any(|l| l.contains("110") || l.contains(" 1,")));
        // Numbers inside names, floats and strings stay.
        assert!(lines_of("c.js", "const v2 = 2.54; const s = '7';").is_empty());
    }

    #[test]
    fn arbitrary_text_never_panics() {
        // Hostile or odd files (the model and the repository are not trusted): random
        // lines over the characters the lexer and the edits care about.
        const ALPHABET: &[u8] =
            b"'\"`#/\\()[]{}<>=!&|?$:;.-+*0129 aifnotandorlenexpectunwrap_\t\xc3\xa9";
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..300 {
            let mut bytes = Vec::new();
            for _ in 0..(next() % 400) {
                let c = ALPHABET[(next() % ALPHABET.len() as u64) as usize];
                bytes.push(if next() % 9 == 0 { b'\n' } else { c });
            }
            let text = String::from_utf8_lossy(&bytes).into_owned();
            let n = text.lines().count();
            for path in ["a.py", "a.js", "a.rs", "a.sh"] {
                let located = Located {
                    editable: vec![EditableFile::whole(path, text.clone())],
                    ..Located::default()
                };
                let suspects: Vec<Suspect> = (0..n).map(|line| Suspect { file: 0, line }).collect();
                let _ = candidates(&located, &suspects);
                let _ = super::super::rename::candidates(&located, &text, &[path.into()]);
            }
        }
    }

    #[test]
    fn a_guard_can_be_taken_away_keeping_its_block() {
        let py = [
            "    if field:",
            "        fields.append(x)",
            "    return fields",
        ];
        assert_eq!(
            without_guard(&py, 0, Lang::Python, true).as_deref(),
            Some("    fields.append(x)\n    return fields\n")
        );
        let js = ["  if (ok) {", "    run();", "  }", "  done();"];
        assert_eq!(
            without_guard(&js, 0, Lang::JavaScript, false).as_deref(),
            Some("  run();\n  done();")
        );
        // Not with an else, nor on a line that opens no block.
        let with_else = ["if a:", "    x()", "else:", "    y()"];
        assert_eq!(without_guard(&with_else, 0, Lang::Python, true), None);
        assert_eq!(without_guard(&py, 1, Lang::Python, true), None);
    }

    #[test]
    fn an_edit_repeated_on_sibling_lines_is_tried_on_all_of_them_first() {
        let text = "function f(options = {}) {\n  const retries = options.retries || 3;\n  const delayMs = options.delayMs || 100;\n  const sleep = options.sleep || realSleep;\n  return retries;\n}\n";
        let located = Located {
            editable: vec![EditableFile::whole("retry.js", text)],
            ..Located::default()
        };
        let got = candidates(&located, &[Suspect { file: 0, line: 1 }]);
        assert_eq!(
            got[0].text,
            text.replace("retries || 3", "retries ?? 3")
                .replace("delayMs || 100", "delayMs ?? 100")
        );
        assert_eq!(got[1].text, text.replace("retries || 3", "retries ?? 3"));
        assert!(got.len() <= MAX_MUTANTS);
        // Shell positional parameters on lines alike, though the number differs.
        let script = "cmd=$1\ncase $cmd in\n  done)\n    n=$2\n    ;;\nesac\n";
        let located = Located {
            editable: vec![EditableFile::whole("todo.sh", script)],
            ..Located::default()
        };
        let got = candidates(&located, &[Suspect { file: 0, line: 0 }]);
        assert_eq!(
            got[0].text,
            "cmd=${1:-}\ncase $cmd in\n  done)\n    n=${2:-}\n    ;;\nesac\n"
        );
    }
}
