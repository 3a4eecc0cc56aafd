//! `finish`: end the task with a summary (the agent loop stops on its effect).

use serde::Deserialize;
use serde_json::Value;

use super::schema::{Prop, object};
use super::{Access, Tool, ToolContext, ToolEffect, ToolError, ToolOutput, parse_args};

/// Ends the agent loop.
pub struct Finish;

#[derive(Deserialize)]
struct Args {
    summary: String,
}

const NAME: &str = "finish";

impl Tool for Finish {
    fn name(&self) -> &'static str {
        NAME
    }

    fn description(&self) -> &'static str {
        "Finish the task: give a short summary of what was done and how it was verified. \
         No further tool calls follow."
    }

    fn schema(&self) -> Value {
        object(vec![
            Prop::string("summary", "What was done and how it was checked.").required(),
        ])
    }

    fn accesses(&self, _ctx: &ToolContext, _args: &Value) -> Result<Vec<Access>, ToolError> {
        Ok(Vec::new())
    }

    fn run(&self, ctx: &ToolContext, args: Value) -> Result<ToolOutput, ToolError> {
        let args: Args = parse_args(NAME, &args)?;
        if args.summary.trim().is_empty() {
            return Err(ToolError::InvalidArgs {
                tool: NAME,
                message: "the summary is empty".into(),
            });
        }
        let mut out = ToolOutput::text(ctx, "finished");
        out.effect = Some(ToolEffect::Finish {
            summary: args.summary,
        });
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::testing::Fixture;
    use serde_json::json;

    #[test]
    fn finish_carries_summary() {
        let f = Fixture::new();
        let out = f.run(&Finish, json!({"summary": "fixed the bug"})).unwrap();
        assert_eq!(
            out.effect,
            Some(ToolEffect::Finish {
                summary: "fixed the bug".into()
            })
        );
        assert!(f.run(&Finish, json!({"summary": "  "})).is_err());
    }
}
