//! `write_file`: create or overwrite a file with the given content.

use serde::Deserialize;
use serde_json::Value;

use super::schema::{Prop, object};
use super::{Access, Tool, ToolContext, ToolError, ToolOutput, parse_args};

/// Writes a whole file, creating parent directories.
pub struct WriteFile;

#[derive(Deserialize)]
struct Args {
    path: String,
    content: String,
}

const NAME: &str = "write_file";

impl Tool for WriteFile {
    fn name(&self) -> &'static str {
        NAME
    }

    fn description(&self) -> &'static str {
        "Create or overwrite a file in the workspace with the given content \
         (parent directories are created)."
    }

    fn schema(&self) -> Value {
        object(vec![
            Prop::string("path", "File path, relative to the workspace root.").required(),
            Prop::string("content", "The complete new content of the file.").required(),
        ])
    }

    fn accesses(&self, ctx: &ToolContext, args: &Value) -> Result<Vec<Access>, ToolError> {
        let args: Args = parse_args(NAME, args)?;
        Ok(vec![Access::write(ctx.workspace.resolve(&args.path)?)])
    }

    fn run(&self, ctx: &ToolContext, args: Value) -> Result<ToolOutput, ToolError> {
        let args: Args = parse_args(NAME, &args)?;
        let path = ctx.workspace.resolve(&args.path)?;
        if path.is_dir() {
            return Err(ToolError::failed(
                NAME,
                format!("`{}` is a directory", args.path),
            ));
        }
        let existed = path.exists();
        ctx.write_text(&path, &args.content)?;
        let verb = if existed { "overwrote" } else { "created" };
        Ok(ToolOutput::text(
            ctx,
            &format!("{verb} `{}` ({} bytes)", ctx.rel(&path), args.content.len()),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::testing::Fixture;
    use serde_json::json;

    #[test]
    fn creates_and_overwrites() {
        let f = Fixture::new();
        let out = f
            .run(&WriteFile, json!({"path": "d/e/f.txt", "content": "hi\n"}))
            .unwrap();
        assert_eq!(out.content, "created `d/e/f.txt` (3 bytes)");
        assert_eq!(f.read("d/e/f.txt"), "hi\n");
        let out = f
            .run(&WriteFile, json!({"path": "d/e/f.txt", "content": "x"}))
            .unwrap();
        assert!(out.content.starts_with("overwrote"));
        assert_eq!(f.read("d/e/f.txt"), "x");
    }

    #[test]
    fn refuses_escapes_and_directories() {
        let f = Fixture::new();
        let outside = f.dir.path().join("outside.txt");
        let err = f
            .run(
                &WriteFile,
                json!({"path": outside.to_str().unwrap(), "content": "x"}),
            )
            .unwrap_err();
        assert!(err.to_string().contains("escapes"), "{err}");
        assert!(!outside.exists());
        f.write("d/x", "");
        assert!(
            f.run(&WriteFile, json!({"path": "d", "content": "x"}))
                .is_err()
        );
        assert!(f.run(&WriteFile, json!({"path": "a"})).is_err());
    }
}
