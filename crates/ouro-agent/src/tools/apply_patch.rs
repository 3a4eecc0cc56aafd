//! `apply_patch`: apply a unified diff (several files, several hunks each) to the workspace.
//!
//! The diff is split into one section per file by reading the hunk headers' line counts (so a
//! removed line that happens to start with `--- ` is never mistaken for the next file's
//! header); each section is parsed and applied with `diffy`, which checks every context and
//! removed line. `--- /dev/null` creates a file, `+++ /dev/null` deletes one, `a/` and `b/`
//! prefixes are stripped. The patch is all-or-nothing: every file is patched in memory first
//! and nothing is written unless all hunks apply.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;
use serde_json::Value;

use super::schema::{Prop, object};
use super::{Access, Tool, ToolContext, ToolError, ToolOutput, parse_args};

/// Applies a unified diff.
pub struct ApplyPatch;

#[derive(Deserialize)]
struct Args {
    patch: String,
}

const NAME: &str = "apply_patch";

/// What one file section of the diff does.
#[derive(Debug, PartialEq, Eq)]
enum Op {
    Create,
    Modify,
    Delete,
}

/// One file's section of a multi-file diff.
#[derive(Debug)]
struct FilePatch {
    /// The path as written in the diff (prefix stripped).
    path: String,
    op: Op,
    /// The section text, headers included, handed to diffy.
    text: String,
}

fn bad(message: impl Into<String>) -> ToolError {
    ToolError::InvalidArgs {
        tool: NAME,
        message: message.into(),
    }
}

/// `a/src/x.rs` -> `src/x.rs`; takes the name up to a tab (timestamps follow tabs).
fn header_path(line: &str, prefix: &str) -> String {
    let name = line[prefix.len()..]
        .split('\t')
        .next()
        .unwrap_or("")
        .trim_end();
    let name = name.trim_matches('"');
    name.strip_prefix("a/")
        .or_else(|| name.strip_prefix("b/"))
        .unwrap_or(name)
        .to_string()
}

/// Parses `@@ -a,b +c,d @@` into (b, d).
fn hunk_counts(line: &str, file: &str) -> Result<(usize, usize), ToolError> {
    let err = || bad(format!("malformed hunk header `{line}` for `{file}`"));
    let inner = line.strip_prefix("@@ ").ok_or_else(err)?;
    let ranges = inner.split(" @@").next().ok_or_else(err)?;
    let mut parts = ranges.split(' ');
    let mut count = |sign: char| -> Result<usize, ToolError> {
        let r = parts
            .next()
            .and_then(|p| p.strip_prefix(sign))
            .ok_or_else(err)?;
        match r.split_once(',') {
            Some((_, n)) => n.parse().map_err(|_| err()),
            None => r.parse::<usize>().map(|_| 1).map_err(|_| err()),
        }
    };
    Ok((count('-')?, count('+')?))
}

/// Splits a diff into file sections.
fn split(patch: &str) -> Result<Vec<FilePatch>, ToolError> {
    let lines: Vec<&str> = patch.split_inclusive('\n').collect();
    let mut files = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let next = lines.get(i + 1).copied().unwrap_or("");
        if !(line.starts_with("--- ") && next.starts_with("+++ ")) {
            // Preamble (`diff --git`, `index`, mode lines, prose): skip.
            i += 1;
            continue;
        }
        let old = header_path(line.trim_end_matches('\n'), "--- ");
        let new = header_path(next.trim_end_matches('\n'), "+++ ");
        let (op, path) = match (old.as_str(), new.as_str()) {
            ("/dev/null", "/dev/null") => {
                return Err(bad("a file section has /dev/null on both sides"));
            }
            ("/dev/null", _) => (Op::Create, new),
            (_, "/dev/null") => (Op::Delete, old),
            _ if old != new => {
                return Err(bad(format!(
                    "renames are not supported (`{old}` -> `{new}`); delete and create instead"
                )));
            }
            _ => (Op::Modify, new),
        };
        let mut text = format!("--- {path}\n+++ {path}\n");
        i += 2;
        let mut hunks = 0;
        while let Some(header) = lines.get(i).filter(|l| l.starts_with("@@")) {
            let (mut old_left, mut new_left) = hunk_counts(header.trim_end(), &path)?;
            text.push_str(header);
            i += 1;
            hunks += 1;
            while old_left > 0 || new_left > 0 {
                let Some(body) = lines.get(i) else {
                    return Err(bad(format!(
                        "hunk {hunks} of `{path}` ends early: {old_left} old and {new_left} new \
                         lines missing (check the @@ counts)"
                    )));
                };
                match body.as_bytes().first() {
                    Some(b' ') | Some(b'\n') => {
                        old_left = old_left.saturating_sub(1);
                        new_left = new_left.saturating_sub(1);
                    }
                    Some(b'-') => old_left = old_left.saturating_sub(1),
                    Some(b'+') => new_left = new_left.saturating_sub(1),
                    Some(b'\\') => {}
                    _ => {
                        return Err(bad(format!(
                            "unexpected line in hunk {hunks} of `{path}`: `{}`",
                            body.trim_end()
                        )));
                    }
                }
                text.push_str(body);
                if !body.ends_with('\n') {
                    text.push('\n');
                }
                i += 1;
            }
            if let Some(marker) = lines.get(i).filter(|l| l.starts_with('\\')) {
                text.push_str(marker);
                i += 1;
            }
        }
        if hunks == 0 {
            return Err(bad(format!("no hunks for `{path}`")));
        }
        files.push(FilePatch { path, op, text });
    }
    if files.is_empty() {
        return Err(bad(
            "no file sections found (expected `--- a/path` / `+++ b/path` headers)",
        ));
    }
    Ok(files)
}

impl Tool for ApplyPatch {
    fn name(&self) -> &'static str {
        NAME
    }

    fn description(&self) -> &'static str {
        "Apply a unified diff (as produced by `diff -u` or `git diff`) to workspace files. \
         Several files and hunks are allowed; context lines must match. `--- /dev/null` creates \
         a file, `+++ /dev/null` deletes it. All-or-nothing: if any hunk fails, nothing changes."
    }

    fn schema(&self) -> Value {
        object(vec![
            Prop::string("patch", "The unified diff text.").required(),
        ])
    }

    fn accesses(&self, ctx: &ToolContext, args: &Value) -> Result<Vec<Access>, ToolError> {
        let args: Args = parse_args(NAME, args)?;
        let mut accesses = Vec::new();
        for file in split(&args.patch)? {
            let path = ctx.workspace.resolve(&file.path)?;
            if file.op != Op::Create {
                accesses.push(Access::read(path.clone()));
            }
            accesses.push(Access::write(path));
        }
        Ok(accesses)
    }

    fn run(&self, ctx: &ToolContext, args: Value) -> Result<ToolOutput, ToolError> {
        let args: Args = parse_args(NAME, &args)?;
        // Patched contents by path; `None` means delete.
        let mut results: BTreeMap<PathBuf, Option<String>> = BTreeMap::new();
        let mut summary = Vec::new();
        for file in split(&args.patch)? {
            let path = ctx.workspace.resolve(&file.path)?;
            let current = match results.get(&path) {
                Some(Some(text)) => Some(text.clone()),
                Some(None) => None,
                None if path.exists() => Some(ctx.read_text(&path)?),
                None => None,
            };
            let base = match (&file.op, current) {
                (Op::Create, None) => String::new(),
                (Op::Create, Some(_)) => {
                    return Err(ToolError::failed(
                        NAME,
                        format!("cannot create `{}`: it already exists", file.path),
                    ));
                }
                (_, None) => {
                    return Err(ToolError::failed(
                        NAME,
                        format!("cannot patch `{}`: no such file", file.path),
                    ));
                }
                (_, Some(text)) => text,
            };
            let parsed = diffy::Patch::from_str(&file.text)
                .map_err(|e| bad(format!("`{}`: {e}", file.path)))?;
            let patched = diffy::apply(&base, &parsed).map_err(|e| {
                ToolError::failed(
                    NAME,
                    format!(
                        "`{}`: {e} (context or removed lines do not match the file)",
                        file.path
                    ),
                )
            })?;
            let hunks = parsed.hunks().len();
            match file.op {
                Op::Delete if !patched.is_empty() => {
                    return Err(ToolError::failed(
                        NAME,
                        format!(
                            "cannot delete `{}`: the patch does not remove all of it",
                            file.path
                        ),
                    ));
                }
                Op::Delete => {
                    results.insert(path, None);
                    summary.push(format!("deleted {}", file.path));
                }
                Op::Create => {
                    results.insert(path, Some(patched));
                    summary.push(format!("created {}", file.path));
                }
                Op::Modify => {
                    results.insert(path, Some(patched));
                    summary.push(format!("patched {} ({hunks} hunks)", file.path));
                }
            }
        }
        for (path, content) in &results {
            match content {
                Some(text) => ctx.write_text(path, text)?,
                None => ctx.remove_file(path)?,
            }
        }
        Ok(ToolOutput::text(ctx, &summary.join("\n")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::testing::Fixture;
    use serde_json::json;

    const TWO_FILES: &str = "\
diff --git a/a.txt b/a.txt
index 111..222 100644
--- a/a.txt
+++ b/a.txt
@@ -1,3 +1,3 @@
 one
-two
+TWO
 three
@@ -5,3 +5,4 @@
 five
 six
 seven
+eight
--- a/b.txt
+++ b/b.txt
@@ -1,2 +1,2 @@
--- old dashes
+++ new pluses
 end
--- /dev/null
+++ b/new/c.txt
@@ -0,0 +1,2 @@
+hello
+world
";

    fn setup() -> Fixture {
        let f = Fixture::new();
        f.write("a.txt", "one\ntwo\nthree\nfour\nfive\nsix\nseven\n");
        f.write("b.txt", "-- old dashes\nend\n");
        f
    }

    #[test]
    fn multi_file_multi_hunk_patch_applies() {
        let f = setup();
        let out = f.run(&ApplyPatch, json!({"patch": TWO_FILES})).unwrap();
        assert_eq!(
            f.read("a.txt"),
            "one\nTWO\nthree\nfour\nfive\nsix\nseven\neight\n"
        );
        assert_eq!(f.read("b.txt"), "++ new pluses\nend\n");
        assert_eq!(f.read("new/c.txt"), "hello\nworld\n");
        assert!(
            out.content.contains("patched a.txt (2 hunks)"),
            "{}",
            out.content
        );
        assert!(out.content.contains("created new/c.txt"), "{}", out.content);
    }

    #[test]
    fn mismatched_context_rejects_and_changes_nothing() {
        let f = setup();
        f.write("b.txt", "something else\nend\n");
        let err = f
            .run(&ApplyPatch, json!({"patch": TWO_FILES}))
            .unwrap_err()
            .to_string();
        assert!(err.contains("b.txt") && err.contains("hunk #1"), "{err}");
        assert_eq!(f.read("a.txt"), "one\ntwo\nthree\nfour\nfive\nsix\nseven\n");
        assert!(!f.ctx.workspace.root().join("new/c.txt").exists());
    }

    #[test]
    fn delete_and_create_conflicts() {
        let f = setup();
        let delete = "--- a/b.txt\n+++ /dev/null\n@@ -1,2 +0,0 @@\n--- old dashes\n-end\n";
        f.run(&ApplyPatch, json!({"patch": delete})).unwrap();
        assert!(!f.ctx.workspace.root().join("b.txt").exists());
        let create = "--- /dev/null\n+++ b/a.txt\n@@ -0,0 +1 @@\n+x\n";
        let err = f
            .run(&ApplyPatch, json!({"patch": create}))
            .unwrap_err()
            .to_string();
        assert!(err.contains("already exists"), "{err}");
    }

    #[test]
    fn malformed_patches_are_explained() {
        let f = setup();
        for (patch, expected) in [
            ("just prose", "no file sections"),
            (
                "--- a/a.txt\n+++ b/a.txt\n@@ -1,3 +1,3 @@\n one\n",
                "ends early",
            ),
            (
                "--- a/a.txt\n+++ b/a.txt\n@@ bogus @@\n",
                "malformed hunk header",
            ),
            ("--- a/a.txt\n+++ b/z.txt\n@@ -1 +1 @@\n-a\n+b\n", "renames"),
            ("--- a/../x\n+++ b/../x\n@@ -1 +1 @@\n-a\n+b\n", "escapes"),
        ] {
            let err = f
                .run(&ApplyPatch, json!({"patch": patch}))
                .unwrap_err()
                .to_string();
            assert!(err.contains(expected), "{err} should contain {expected}");
        }
    }

    #[test]
    fn no_newline_marker_is_kept() {
        let f = Fixture::new();
        f.write("n.txt", "a\nb");
        let patch = "--- a/n.txt\n+++ b/n.txt\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file\n";
        f.run(&ApplyPatch, json!({"patch": patch})).unwrap();
        assert_eq!(f.read("n.txt"), "a\nc");
    }
}
