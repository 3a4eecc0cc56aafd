//! `list`: the entries of a directory, optionally recursive and filtered by a glob.

use serde::Deserialize;
use serde_json::Value;

use super::schema::{Prop, object};
use super::{Access, Tool, ToolContext, ToolError, ToolOutput, parse_args};
use crate::walk::Bounded;

/// Lists a directory.
pub struct List;

#[derive(Deserialize)]
struct Args {
    #[serde(default = "dot")]
    path: String,
    pattern: Option<String>,
    #[serde(default)]
    recursive: bool,
    #[serde(default)]
    include_ignored: bool,
}

fn dot() -> String {
    ".".to_string()
}

const NAME: &str = "list";

/// The most entries one call lists.
const MAX_ENTRIES: usize = 2000;

impl Tool for List {
    fn name(&self) -> &'static str {
        NAME
    }

    fn description(&self) -> &'static str {
        "List a workspace directory (directories end with `/`). With `pattern` (a glob such as \
         `**/*.rs`, matched against paths relative to the listed directory) or `recursive`, \
         walks subdirectories. Entries ignored by .gitignore are skipped unless include_ignored."
    }

    fn schema(&self) -> Value {
        object(vec![
            Prop::string(
                "path",
                "Directory, relative to the workspace root (default `.`).",
            ),
            Prop::string("pattern", "Glob filter, e.g. `**/*.rs` or `src/*.toml`."),
            Prop::boolean("recursive", "Walk subdirectories (implied by a pattern)."),
            Prop::boolean(
                "include_ignored",
                "Also list entries ignored by .gitignore.",
            ),
        ])
    }

    fn accesses(&self, ctx: &ToolContext, args: &Value) -> Result<Vec<Access>, ToolError> {
        let args: Args = parse_args(NAME, args)?;
        Ok(vec![Access::read(ctx.workspace.resolve(&args.path)?)])
    }

    fn run(&self, ctx: &ToolContext, args: Value) -> Result<ToolOutput, ToolError> {
        let args: Args = parse_args(NAME, &args)?;
        let dir = ctx.workspace.resolve(&args.path)?;
        if !dir.is_dir() {
            return Err(ToolError::failed(
                NAME,
                format!("`{}` is not a directory", args.path),
            ));
        }
        let matcher = match &args.pattern {
            Some(p) => Some(
                globset::GlobBuilder::new(p)
                    .literal_separator(true)
                    .build()
                    .map_err(|e| ToolError::InvalidArgs {
                        tool: NAME,
                        message: format!("bad pattern `{p}`: {e}"),
                    })?
                    .compile_matcher(),
            ),
            None => None,
        };
        let recursive = args.recursive || matcher.is_some();
        let mut walk = crate::walk::builder(&dir);
        walk.git_ignore(!args.include_ignored)
            .git_exclude(!args.include_ignored)
            .ignore(!args.include_ignored);
        if !recursive {
            walk.max_depth(Some(1));
        }
        let mut entries = Vec::new();
        let mut more = 0usize;
        let mut walk = Bounded::new(&walk, ctx.limits.max_walk_entries);
        for entry in walk.by_ref() {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    entries.push(format!("(error: {e})"));
                    continue;
                }
            };
            let Ok(rel) = entry.path().strip_prefix(&dir) else {
                continue;
            };
            if rel.as_os_str().is_empty() {
                continue;
            }
            if let Some(m) = &matcher
                && !m.is_match(rel)
            {
                continue;
            }
            if entries.len() >= MAX_ENTRIES {
                more += 1;
                continue;
            }
            let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
            let suffix = if is_dir { "/" } else { "" };
            entries.push(format!("{}{suffix}", rel.display()));
        }
        // The note goes first: the entries may be cut to the output limit.
        let mut out = walk.note().map(|n| format!("{n}\n")).unwrap_or_default();
        out.push_str(&entries.join("\n"));
        if entries.is_empty() {
            out.push_str("(no entries)");
        }
        if more > 0 {
            out.push_str(&format!("\n[... {more} more entries not listed ...]"));
        }
        out.push('\n');
        Ok(ToolOutput::text(ctx, &out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::testing::Fixture;
    use serde_json::json;

    fn setup() -> Fixture {
        let f = Fixture::new();
        f.write("src/a.rs", "");
        f.write("src/sub/b.rs", "");
        f.write("README.md", "");
        f.write("target/out.rs", "");
        f.write(".gitignore", "target/\n");
        f
    }

    #[test]
    fn lists_top_level_by_default() {
        let f = setup();
        let out = f.run(&List, json!({})).unwrap().content;
        assert_eq!(out, ".gitignore\nREADME.md\nsrc/\n");
    }

    #[test]
    fn glob_pattern_walks_and_respects_gitignore() {
        let f = setup();
        let out = f.run(&List, json!({"pattern": "**/*.rs"})).unwrap().content;
        assert_eq!(out, "src/a.rs\nsrc/sub/b.rs\n");
        let out = f
            .run(
                &List,
                json!({"pattern": "**/*.rs", "include_ignored": true}),
            )
            .unwrap()
            .content;
        assert!(out.contains("target/out.rs"), "{out}");
        let out = f
            .run(&List, json!({"path": "src", "pattern": "*.rs"}))
            .unwrap()
            .content;
        assert_eq!(out, "a.rs\n");
    }

    #[test]
    fn errors_for_files_and_bad_globs() {
        let f = setup();
        assert!(f.run(&List, json!({"path": "README.md"})).is_err());
        assert!(f.run(&List, json!({"pattern": "a[" })).is_err());
        assert!(f.run(&List, json!({"path": ".."})).is_err());
    }
}
