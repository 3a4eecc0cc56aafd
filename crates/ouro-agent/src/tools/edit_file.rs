//! `edit_file`: replace one exact occurrence of a text in a file.

use serde::Deserialize;
use serde_json::Value;

use super::schema::{Prop, object};
use super::{Access, Tool, ToolContext, ToolError, ToolOutput, parse_args};

/// Exact, unique search-and-replace in one file.
pub struct EditFile;

#[derive(Deserialize)]
struct Args {
    path: String,
    old_text: String,
    new_text: String,
}

const NAME: &str = "edit_file";

impl Tool for EditFile {
    fn name(&self) -> &'static str {
        NAME
    }

    fn description(&self) -> &'static str {
        "Replace old_text with new_text in a file. old_text must match the file exactly \
         (whitespace included) and exactly once; include surrounding lines to make it unique."
    }

    fn schema(&self) -> Value {
        object(vec![
            Prop::string("path", "File path, relative to the workspace root.").required(),
            Prop::string(
                "old_text",
                "The exact text to replace (must occur exactly once).",
            )
            .required(),
            Prop::string("new_text", "The replacement text.").required(),
        ])
    }

    fn accesses(&self, ctx: &ToolContext, args: &Value) -> Result<Vec<Access>, ToolError> {
        let args: Args = parse_args(NAME, args)?;
        let path = ctx.workspace.resolve(&args.path)?;
        Ok(vec![Access::read(path.clone()), Access::write(path)])
    }

    fn run(&self, ctx: &ToolContext, args: Value) -> Result<ToolOutput, ToolError> {
        let args: Args = parse_args(NAME, &args)?;
        if args.old_text.is_empty() {
            return Err(ToolError::InvalidArgs {
                tool: NAME,
                message: "old_text is empty; use write_file to create a file".into(),
            });
        }
        let path = ctx.workspace.resolve(&args.path)?;
        let text = ctx.read_text(&path)?;
        let positions: Vec<usize> = text.match_indices(&args.old_text).map(|(i, _)| i).collect();
        let at = match positions.as_slice() {
            [one] => *one,
            [] => {
                return Err(ToolError::failed(
                    NAME,
                    format!(
                        "old_text matches 0 times in `{}`; it must match exactly once",
                        args.path
                    ),
                ));
            }
            many => {
                let lines: Vec<String> = many
                    .iter()
                    .map(|&i| (text[..i].matches('\n').count() + 1).to_string())
                    .collect();
                return Err(ToolError::failed(
                    NAME,
                    format!(
                        "old_text matches {} times in `{}` (at lines {}); it must match exactly \
                         once, add surrounding context",
                        many.len(),
                        args.path,
                        lines.join(", ")
                    ),
                ));
            }
        };
        let mut updated = String::with_capacity(text.len() + args.new_text.len());
        updated.push_str(&text[..at]);
        updated.push_str(&args.new_text);
        updated.push_str(&text[at + args.old_text.len()..]);
        ctx.write_text(&path, &updated)?;
        let line = text[..at].matches('\n').count() + 1;
        Ok(ToolOutput::text(
            ctx,
            &format!("edited `{}` at line {line}", ctx.rel(&path)),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::testing::Fixture;
    use serde_json::json;

    #[test]
    fn unique_edit_lands() {
        let f = Fixture::new();
        f.write("a.rs", "fn a() {}\nfn b() {}\n");
        let out = f
            .run(
                &EditFile,
                json!({"path": "a.rs", "old_text": "fn b() {}", "new_text": "fn c() {}"}),
            )
            .unwrap();
        assert_eq!(out.content, "edited `a.rs` at line 2");
        assert_eq!(f.read("a.rs"), "fn a() {}\nfn c() {}\n");
    }

    #[test]
    fn zero_or_many_matches_are_errors_and_leave_the_file() {
        let f = Fixture::new();
        f.write("a.rs", "x = 1\nx = 1\n");
        let err = f
            .run(
                &EditFile,
                json!({"path": "a.rs", "old_text": "x = 1", "new_text": "y"}),
            )
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("matches 2 times") && err.contains("lines 1, 2"),
            "{err}"
        );
        let err = f
            .run(
                &EditFile,
                json!({"path": "a.rs", "old_text": "z", "new_text": "y"}),
            )
            .unwrap_err()
            .to_string();
        assert!(err.contains("matches 0 times"), "{err}");
        assert!(
            f.run(
                &EditFile,
                json!({"path": "a.rs", "old_text": "", "new_text": "y"})
            )
            .is_err()
        );
        assert_eq!(f.read("a.rs"), "x = 1\nx = 1\n");
    }
}
