//! Rename candidates for the line sweep: a build that breaks on a name that no longer
//! exists (`cannot import name 'Shape'`, `Cannot find module './lib/slug'`, ``cannot find
//! function `parse_num` ``) after a refactor is fixed by the name that replaced it, which a
//! small model cannot guess when it has not seen the file that defines it. The failing
//! output quotes the missing name; the names the repository defines (and its files, for a
//! module path) hold the likely successors (`BaseShape`, `./lib/slugify`): each is written
//! in place of every use of the missing name in a shown file, and the tests decide.

use std::collections::BTreeSet;

use super::localize::Located;
use super::sweep::LineFix;

/// Most rename candidates one sweep tries.
pub const MAX_RENAMES: usize = 12;

/// The names the failing output quotes (`'x'`, `"x"`, `` `x` ``): no spaces, 2 to 80
/// characters.
fn quoted(failure: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for quote in ['\'', '"', '`'] {
        let parts: Vec<&str> = failure.split(quote).collect();
        for inside in parts.iter().skip(1).step_by(2) {
            if (2..=80).contains(&inside.len()) && !inside.contains(char::is_whitespace) {
                out.insert((*inside).to_string());
            }
        }
    }
    out
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The names `text` defines: the identifier after `def`, `class`, `function`, `fn`,
/// `struct`, `enum`, `trait`, `const`, `let`, `var` or `type`, and before `=` at the start
/// of a line.
fn definitions(text: &str) -> BTreeSet<String> {
    const KEYWORDS: &[&str] = &[
        "def", "class", "function", "fn", "struct", "enum", "trait", "const", "let", "var", "type",
        "static", "mod",
    ];
    let mut out = BTreeSet::new();
    for line in text.lines() {
        let words: Vec<&str> = line
            .split(|c: char| !is_word(c))
            .filter(|w| !w.is_empty())
            .collect();
        for pair in words.windows(2) {
            if KEYWORDS.contains(&pair[0]) && !pair[1].starts_with(|c: char| c.is_ascii_digit()) {
                out.insert(pair[1].to_string());
            }
        }
        let t = line.trim_start();
        if let Some((name, _)) = t.split_once('=')
            && !name.trim().is_empty()
            && name.trim().chars().all(is_word)
        {
            out.insert(name.trim().to_string());
        }
    }
    out
}

/// Edit distance between `a` and `b` (characters, case ignored).
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.to_lowercase().chars().collect();
    let b: Vec<char> = b.to_lowercase().chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let here = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != cb))
                .min(row[j] + 1)
                .min(row[j + 1] + 1);
            prev = here;
        }
    }
    row[b.len()]
}

/// How far `candidate` is from `missing` as a successor, or `None` when it is not one: one
/// contains the other (`Shape` in `BaseShape`, `slug` in `slugify`), or they differ in at
/// most a third of their letters.
fn closeness(missing: &str, candidate: &str) -> Option<usize> {
    if missing == candidate || candidate.len() < 2 {
        return None;
    }
    let (m, c) = (missing.to_lowercase(), candidate.to_lowercase());
    if c.contains(&m) || m.contains(&c) {
        return Some(m.len().abs_diff(c.len()));
    }
    let d = distance(missing, candidate);
    (d * 3 <= m.len().max(c.len())).then_some(d)
}

/// `text` with every whole-word `from` (for a name) or every `from` inside quotes (for a
/// module path) replaced by `to`; `None` when nothing was.
fn replaced(text: &str, from: &str, to: &str, path: bool) -> Option<String> {
    if path {
        let mut out = text.to_string();
        for q in ['\'', '"', '`'] {
            out = out.replace(&format!("{q}{from}{q}"), &format!("{q}{to}{q}"));
        }
        return (out != text).then_some(out);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut changed = false;
    while let Some(at) = rest.find(from) {
        let before = rest[..at].chars().next_back();
        let after = rest[at + from.len()..].chars().next();
        out.push_str(&rest[..at]);
        if before.is_some_and(is_word) || after.is_some_and(is_word) {
            out.push_str(from);
        } else {
            out.push_str(to);
            changed = true;
        }
        rest = &rest[at + from.len()..];
    }
    out.push_str(rest);
    changed.then_some(out)
}

/// The successors of the module path `missing` (`./lib/slug`, used in `user`): files of
/// the same folder whose name is close, written the way `missing` is (relative, with or
/// without the extension).
fn path_successors(missing: &str, user: &str, files: &[String]) -> Vec<(usize, String)> {
    let user_dir = user.rsplit_once('/').map_or("", |(d, _)| d);
    let (dir, stem) = missing.rsplit_once('/').unwrap_or(("", missing));
    let target_dir = normalize(&format!("{user_dir}/{dir}"));
    let has_ext = stem.contains('.');
    let mut out = Vec::new();
    for file in files {
        let (file_dir, name) = file.rsplit_once('/').unwrap_or(("", file));
        if file_dir != target_dir {
            continue;
        }
        let bare = if has_ext {
            name
        } else {
            name.rsplit_once('.').map_or(name, |(s, _)| s)
        };
        if let Some(d) = closeness(stem, bare) {
            out.push((d, format!("{dir}/{bare}")));
        }
    }
    out
}

/// `a/./b/../c` as `a/c`, without a leading `/`.
fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

/// The rename candidates for `failure` in the shown files of `located`, closest successor
/// first (at most [`MAX_RENAMES`]); `files` lists the repository's files.
pub fn candidates(located: &Located, failure: &str, files: &[String]) -> Vec<LineFix> {
    let defined: BTreeSet<String> = located
        .editable
        .iter()
        .map(|f| f.text.as_str())
        .chain(located.context.iter().map(|(_, t)| t.as_str()))
        .flat_map(definitions)
        .collect();
    let mut ranked: Vec<(usize, LineFix)> = Vec::new();
    for missing in quoted(failure) {
        let path = missing.starts_with("./") || missing.starts_with("../");
        if !path && (defined.contains(&missing) || !missing.chars().all(is_word)) {
            continue;
        }
        for file in &located.editable {
            let successors = if path {
                path_successors(&missing, &file.path, files)
            } else {
                defined
                    .iter()
                    .filter_map(|d| closeness(&missing, d).map(|c| (c, d.clone())))
                    .collect()
            };
            for (closeness, successor) in successors {
                let Some(text) = replaced(&file.text, &missing, &successor, path) else {
                    continue;
                };
                let line = file
                    .text
                    .lines()
                    .zip(text.lines())
                    .position(|(a, b)| a != b)
                    .unwrap_or(0);
                ranked.push((
                    closeness,
                    LineFix {
                        path: file.path.clone(),
                        line,
                        replacement: format!("{missing} renamed {successor}"),
                        text,
                    },
                ));
            }
        }
    }
    ranked.sort_by_key(|r| r.0);
    ranked.into_iter().map(|r| r.1).take(MAX_RENAMES).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::repair::edits::EditableFile;

    #[test]
    fn a_missing_import_takes_the_defined_name_that_replaced_it() {
        let measure = "from .shapes import Shape\n\ndef check(s):\n    return isinstance(s, Shape)\n\nclass Shaped: pass\n";
        let located = Located {
            editable: vec![
                EditableFile::whole("geometry/measure.py", measure),
                EditableFile::whole(
                    "geometry/shapes.py",
                    "class BaseShape:\n    pass\n\nclass Circle(BaseShape):\n    pass\n",
                ),
            ],
            ..Located::default()
        };
        let failure = "  File \"geometry/measure.py\", line 1, in <module>\n    from .shapes import Shape\nImportError: cannot import name 'Shape' from 'geometry.shapes'";
        let got = candidates(&located, failure, &[]);
        // `Shaped` (one letter more) is closer than `BaseShape` (four more) and comes
        // first; both are tried; `Shaped` the class keeps its name.
        let texts: Vec<&str> = got.iter().map(|f| f.text.as_str()).collect();
        let want = "from .shapes import BaseShape\n\ndef check(s):\n    return isinstance(s, BaseShape)\n\nclass Shaped: pass\n";
        assert!(texts.contains(&want), "{texts:?}");
        assert_eq!(got[0].path, "geometry/measure.py");
    }

    #[test]
    fn a_missing_module_takes_the_renamed_file_of_its_folder() {
        let index =
            "const { slugify } = require('./lib/slug');\nconst t = require('./lib/text');\n";
        let located = Located {
            editable: vec![EditableFile::whole("index.js", index)],
            ..Located::default()
        };
        let files = [
            "index.js".to_string(),
            "lib/slugify.js".to_string(),
            "lib/text.js".to_string(),
            "other/slugs.js".to_string(),
        ];
        let got = candidates(
            &located,
            "Error: Cannot find module './lib/slug'\nRequire stack:",
            &files,
        );
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(
            got[0].text,
            "const { slugify } = require('./lib/slugify');\nconst t = require('./lib/text');\n"
        );
        // Nothing quoted, nothing to rename.
        assert!(candidates(&located, "TypeError: x is undefined", &files).is_empty());
    }
}
