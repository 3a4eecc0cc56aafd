//! `grep`: search file contents with a regular expression, honouring .gitignore.
//!
//! Files denied for reading by the policy (e.g. `.env`) are skipped, so a search cannot reveal
//! what `read_file` would refuse; the output says how many were skipped.

use std::path::Path;

use regex::RegexBuilder;
use serde::Deserialize;
use serde_json::Value;

use super::schema::{Prop, object};
use super::{Access, Tool, ToolContext, ToolError, ToolOutput, parse_args};
use crate::walk::Bounded;

/// Regex search over workspace files.
pub struct Grep;

#[derive(Deserialize)]
struct Args {
    pattern: String,
    #[serde(default = "dot")]
    path: String,
    glob: Option<String>,
    #[serde(default)]
    case_insensitive: bool,
    max_matches: Option<usize>,
}

fn dot() -> String {
    ".".to_string()
}

const NAME: &str = "grep";

/// The longest matched line shown, in bytes.
const MAX_LINE: usize = 300;

impl Tool for Grep {
    fn name(&self) -> &'static str {
        NAME
    }

    fn description(&self) -> &'static str {
        "Search workspace files for a regular expression (Rust regex syntax). Prints \
         `path:line:text` for each matching line. Skips files ignored by .gitignore, binary \
         files and files the permission policy hides. Optional `glob` filters file paths."
    }

    fn schema(&self) -> Value {
        object(vec![
            Prop::string("pattern", "Regular expression.").required(),
            Prop::string("path", "File or directory to search (default `.`)."),
            Prop::string(
                "glob",
                "Only search files whose relative path matches, e.g. `**/*.rs`.",
            ),
            Prop::boolean("case_insensitive", "Ignore case."),
            Prop::integer(
                "max_matches",
                1,
                "Stop after this many matching lines (default 200).",
            ),
        ])
    }

    fn accesses(&self, ctx: &ToolContext, args: &Value) -> Result<Vec<Access>, ToolError> {
        let args: Args = parse_args(NAME, args)?;
        Ok(vec![Access::read(ctx.workspace.resolve(&args.path)?)])
    }

    fn run(&self, ctx: &ToolContext, args: Value) -> Result<ToolOutput, ToolError> {
        let args: Args = parse_args(NAME, &args)?;
        let root = ctx.workspace.resolve(&args.path)?;
        let regex = RegexBuilder::new(&args.pattern)
            .case_insensitive(args.case_insensitive)
            .build()
            .map_err(|e| ToolError::InvalidArgs {
                tool: NAME,
                message: format!("bad regex: {e}"),
            })?;
        let glob = match &args.glob {
            Some(g) => Some(
                globset::GlobBuilder::new(g)
                    .literal_separator(true)
                    .build()
                    .map_err(|e| ToolError::InvalidArgs {
                        tool: NAME,
                        message: format!("bad glob `{g}`: {e}"),
                    })?
                    .compile_matcher(),
            ),
            None => None,
        };
        let max = args.max_matches.unwrap_or(200);
        let mut out = String::new();
        let mut matches = 0usize;
        let mut hidden = 0usize;
        let mut stopped = false;
        let mut walker = Bounded::new(&crate::walk::builder(&root), ctx.limits.max_walk_entries);
        'files: for entry in walker.by_ref().flatten() {
            if !entry.file_type().is_some_and(|t| t.is_file()) {
                continue;
            }
            let path = entry.path();
            let rel = ctx.rel(path);
            if let Some(g) = &glob
                && !g.is_match(&rel)
            {
                continue;
            }
            if ctx.policy.read_denied(path) {
                hidden += 1;
                continue;
            }
            let Some(text) = read_searchable(ctx, path) else {
                continue;
            };
            for (n, line) in text.lines().enumerate() {
                if regex.is_match(line) {
                    if matches == max {
                        stopped = true;
                        break 'files;
                    }
                    matches += 1;
                    let shown = crate::text::truncate(line, MAX_LINE);
                    out.push_str(&format!("{rel}:{}:{}\n", n + 1, shown.trim_end()));
                }
            }
        }
        if matches == 0 {
            out.push_str("(no matches)\n");
        }
        if stopped {
            out.push_str(&format!("[... stopped after {max} matches ...]\n"));
        }
        if hidden > 0 {
            out.push_str(&format!(
                "({hidden} files hidden by the permission policy were not searched)\n"
            ));
        }
        // The note goes first: the matches may be cut to the output limit.
        if let Some(note) = walker.note() {
            out.insert_str(0, &format!("{note}\n"));
        }
        Ok(ToolOutput::text(ctx, &out))
    }
}

/// The file's text, or `None` for binary, non-UTF-8, unreadable or oversized files and for
/// paths that became symbolic links since the walk saw them (read without following links).
fn read_searchable(ctx: &ToolContext, path: &Path) -> Option<String> {
    let bytes = ctx
        .workspace
        .read_file(path, ctx.limits.max_file_bytes)
        .ok()?;
    if bytes.iter().take(8192).any(|&b| b == 0) {
        return None;
    }
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::testing::Fixture;
    use serde_json::json;

    fn setup() -> Fixture {
        let f = Fixture::new();
        f.write("src/a.rs", "fn needle() {}\nfn other() {}\n");
        f.write("src/b.txt", "NEEDLE here\n");
        f.write("target/gen.rs", "fn needle() {}\n");
        f.write(".gitignore", "target/\n");
        f.write(".env", "TOKEN=needle\n");
        f
    }

    #[test]
    fn respects_gitignore_and_hides_denied_files() {
        let f = setup();
        let out = f.run(&Grep, json!({"pattern": "needle"})).unwrap().content;
        assert!(out.contains("src/a.rs:1:fn needle() {}"), "{out}");
        assert!(!out.contains("target/"), "ignored dir searched: {out}");
        assert!(!out.contains("TOKEN"), "denied file searched: {out}");
        assert!(out.contains("1 files hidden"), "{out}");
    }

    #[test]
    fn case_glob_and_limits() {
        let f = setup();
        let out = f
            .run(
                &Grep,
                json!({"pattern": "needle", "case_insensitive": true, "glob": "**/*.txt"}),
            )
            .unwrap()
            .content;
        assert_eq!(out.lines().next(), Some("src/b.txt:1:NEEDLE here"));
        let out = f
            .run(
                &Grep,
                json!({"pattern": "fn", "path": "src", "max_matches": 1}),
            )
            .unwrap()
            .content;
        assert!(out.contains("stopped after 1 matches"), "{out}");
        let err = f
            .run(&Grep, json!({"pattern": "("}))
            .unwrap_err()
            .to_string();
        assert!(err.contains("bad regex"), "{err}");
    }
}
