//! `plan`: record the agent's step list (the agent loop keeps and shows it).

use serde::Deserialize;
use serde_json::{Value, json};

use super::schema::{Prop, object};
use super::{
    Access, PlanStep, StepStatus, Tool, ToolContext, ToolEffect, ToolError, ToolOutput, parse_args,
};

/// Replaces the current plan.
pub struct Plan;

#[derive(Deserialize)]
struct Args {
    steps: Vec<PlanStep>,
}

const NAME: &str = "plan";

impl Tool for Plan {
    fn name(&self) -> &'static str {
        NAME
    }

    fn description(&self) -> &'static str {
        "Record or update your plan: the full list of steps, each pending, in_progress or done. \
         At most one step should be in_progress."
    }

    fn schema(&self) -> Value {
        object(vec![
            Prop::custom(
                "steps",
                json!({
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "step": {"type": "string"},
                            "status": {"type": "string", "enum": ["pending", "in_progress", "done"]}
                        },
                        "required": ["step", "status"],
                        "additionalProperties": false
                    }
                }),
                "The steps, in order.",
            )
            .required(),
        ])
    }

    fn accesses(&self, _ctx: &ToolContext, _args: &Value) -> Result<Vec<Access>, ToolError> {
        Ok(Vec::new())
    }

    fn run(&self, ctx: &ToolContext, args: Value) -> Result<ToolOutput, ToolError> {
        let args: Args = parse_args(NAME, &args)?;
        if args.steps.is_empty() {
            return Err(ToolError::InvalidArgs {
                tool: NAME,
                message: "the plan has no steps".into(),
            });
        }
        let active = args
            .steps
            .iter()
            .filter(|s| s.status == StepStatus::InProgress)
            .count();
        if active > 1 {
            return Err(ToolError::InvalidArgs {
                tool: NAME,
                message: format!("{active} steps are in_progress; at most one may be"),
            });
        }
        let text: String = args
            .steps
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let mark = match s.status {
                    StepStatus::Pending => "[ ]",
                    StepStatus::InProgress => "[>]",
                    StepStatus::Done => "[x]",
                };
                format!("{mark} {}. {}\n", i + 1, s.step)
            })
            .collect();
        let mut out = ToolOutput::text(ctx, &text);
        out.effect = Some(ToolEffect::Plan(args.steps));
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::testing::Fixture;

    #[test]
    fn records_steps_as_effect() {
        let f = Fixture::new();
        let out = f
            .run(
                &Plan,
                json!({"steps": [
                    {"step": "read", "status": "done"},
                    {"step": "edit", "status": "in_progress"},
                    {"step": "test", "status": "pending"}
                ]}),
            )
            .unwrap();
        assert_eq!(out.content, "[x] 1. read\n[>] 2. edit\n[ ] 3. test\n");
        let Some(ToolEffect::Plan(steps)) = out.effect else {
            panic!("no plan effect")
        };
        assert_eq!(steps.len(), 3);
        assert_eq!(steps[1].status, StepStatus::InProgress);
    }

    #[test]
    fn rejects_empty_and_double_in_progress() {
        let f = Fixture::new();
        assert!(f.run(&Plan, json!({"steps": []})).is_err());
        let two = json!({"steps": [
            {"step": "a", "status": "in_progress"},
            {"step": "b", "status": "in_progress"}
        ]});
        assert!(f.run(&Plan, two).is_err());
        assert!(
            f.run(&Plan, json!({"steps": [{"step": "a", "status": "late"}]}))
                .is_err()
        );
    }
}
