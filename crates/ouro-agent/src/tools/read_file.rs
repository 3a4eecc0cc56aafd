//! `read_file`: a text file, or a range of its lines, with line numbers.

use serde::Deserialize;
use serde_json::Value;

use super::schema::{Prop, object};
use super::{Access, Tool, ToolContext, ToolError, ToolOutput, parse_args};

/// Reads a text file with numbered lines.
pub struct ReadFile;

#[derive(Deserialize)]
struct Args {
    path: String,
    start_line: Option<usize>,
    end_line: Option<usize>,
}

const NAME: &str = "read_file";

impl Tool for ReadFile {
    fn name(&self) -> &'static str {
        NAME
    }

    fn description(&self) -> &'static str {
        "Read a UTF-8 text file in the workspace. Output lines are prefixed with their \
         1-based line number and a tab. Optionally read only lines start_line..=end_line."
    }

    fn schema(&self) -> Value {
        object(vec![
            Prop::string("path", "File path, relative to the workspace root.").required(),
            Prop::integer("start_line", 1, "First line to show (1-based, inclusive)."),
            Prop::integer("end_line", 1, "Last line to show (1-based, inclusive)."),
        ])
    }

    fn accesses(&self, ctx: &ToolContext, args: &Value) -> Result<Vec<Access>, ToolError> {
        let args: Args = parse_args(NAME, args)?;
        Ok(vec![Access::read(ctx.workspace.resolve(&args.path)?)])
    }

    fn run(&self, ctx: &ToolContext, args: Value) -> Result<ToolOutput, ToolError> {
        let args: Args = parse_args(NAME, &args)?;
        let path = ctx.workspace.resolve(&args.path)?;
        let text = ctx.read_text(&path)?;
        let total = text.lines().count();
        let start = args.start_line.unwrap_or(1);
        let end = args.end_line.unwrap_or(total.max(1));
        if start > total.max(1) {
            return Err(ToolError::InvalidArgs {
                tool: NAME,
                message: format!(
                    "start_line {start} is past the end of `{}` ({total} lines)",
                    args.path
                ),
            });
        }
        if end < start {
            return Err(ToolError::InvalidArgs {
                tool: NAME,
                message: format!("end_line {end} is before start_line {start}"),
            });
        }
        let width = end.min(total).max(1).to_string().len();
        let mut out = String::new();
        for (i, line) in text
            .lines()
            .enumerate()
            .skip(start - 1)
            .take(end + 1 - start)
        {
            out.push_str(&format!("{:>width$}\t{line}\n", i + 1));
        }
        if out.is_empty() {
            out.push_str("(empty file)\n");
        }
        Ok(ToolOutput::text(ctx, &out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::testing::Fixture;
    use serde_json::json;

    #[test]
    fn numbers_lines_and_honours_range() {
        let f = Fixture::new();
        f.write("a.txt", "one\ntwo\nthree\n");
        let out = f.run(&ReadFile, json!({"path": "a.txt"})).unwrap();
        assert_eq!(out.content, "1\tone\n2\ttwo\n3\tthree\n");
        let out = f
            .run(
                &ReadFile,
                json!({"path": "a.txt", "start_line": 2, "end_line": 9}),
            )
            .unwrap();
        assert_eq!(out.content, "2\ttwo\n3\tthree\n");
    }

    #[test]
    fn bad_ranges_and_missing_files_are_errors() {
        let f = Fixture::new();
        f.write("a.txt", "one\n");
        let err = f
            .run(&ReadFile, json!({"path": "a.txt", "start_line": 5}))
            .unwrap_err();
        assert!(err.to_string().contains("past the end"), "{err}");
        let err = f.run(&ReadFile, json!({"path": "nope.txt"})).unwrap_err();
        assert!(err.to_string().contains("nope.txt"), "{err}");
        let err = f.run(&ReadFile, json!({"path": "../x"})).unwrap_err();
        assert!(err.to_string().contains("escapes the workspace"), "{err}");
    }

    #[test]
    fn long_output_is_truncated_with_marker() {
        let f = Fixture::new();
        f.write("big.txt", &vec!["x".repeat(100); 200].join("\n"));
        let out = f.run(&ReadFile, json!({"path": "big.txt"})).unwrap();
        assert!(
            out.content.contains("[... output truncated:"),
            "{}",
            out.content
        );
        assert!(out.content.len() < 4096 + 100);
    }

    #[test]
    fn binary_files_are_refused() {
        let f = Fixture::new();
        std::fs::write(f.ctx.workspace.root().join("b.bin"), [0xff, 0xfe, 0]).unwrap();
        let err = f.run(&ReadFile, json!({"path": "b.bin"})).unwrap_err();
        assert!(err.to_string().contains("binary"), "{err}");
    }
}
