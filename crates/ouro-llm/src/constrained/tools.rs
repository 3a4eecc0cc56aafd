//! Tool calls under constraint: the grammar of one call `{"name": ..., "arguments": ...}`
//! over a set of tools, each with a JSON Schema for its arguments, and the parser that
//! turns decoded text back into a validated [`ToolCall`].

use serde_json::{Map, Value, json};

use super::limits::{SchemaLimits, bound_schema};
use super::schema::{SchemaViolation, validate};
use super::{ConstrainedError, Grammar};

/// A tool the model may call: its name, what it does, and the JSON Schema of its arguments.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ToolSpec {
    pub name: String,
    pub description: String,
    /// A JSON Schema (normally `{"type": "object", ...}`).
    pub parameters: Value,
}

/// A decoded tool call whose arguments validate against its tool's schema.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ToolCall {
    pub name: String,
    pub arguments: Value,
}

/// Why text is not a valid tool call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ToolCallError {
    #[error("the tool call is not JSON: {0}")]
    NotJson(String),
    #[error("the tool call must be an object with exactly `name` (a string) and `arguments`")]
    NotACall,
    #[error("unknown tool `{name}` (known: {known})")]
    UnknownTool { name: String, known: String },
    #[error("invalid arguments for `{tool}`: {violation}")]
    InvalidArguments {
        tool: String,
        violation: SchemaViolation,
    },
}

/// The JSON Schema of one call to any of `tools`: an object with `name` first (the tool's
/// name as a constant) and `arguments` second (the tool's schema tightened by `limits`, see
/// [`bound_schema`]); with several tools, a union of one such object per tool.
pub fn tool_call_schema(
    tools: &[ToolSpec],
    limits: &SchemaLimits,
) -> Result<Value, ConstrainedError> {
    let invalid = |reason: String| ConstrainedError::InvalidGrammar {
        what: "tool-call grammar".into(),
        reason,
    };
    if tools.is_empty() {
        return Err(invalid("there are no tools to call".into()));
    }
    let mut branches = Vec::with_capacity(tools.len());
    for (i, tool) in tools.iter().enumerate() {
        if tool.name.is_empty() {
            return Err(invalid(format!("tool {i} has an empty name")));
        }
        if tools[..i].iter().any(|t| t.name == tool.name) {
            return Err(invalid(format!("two tools are named `{}`", tool.name)));
        }
        let mut properties = Map::new();
        properties.insert("name".into(), json!({"const": tool.name}));
        properties.insert("arguments".into(), bound_schema(&tool.parameters, limits));
        branches.push(json!({
            "type": "object",
            "properties": properties,
            "required": ["name", "arguments"],
            "additionalProperties": false,
        }));
    }
    Ok(if branches.len() == 1 {
        branches.remove(0)
    } else {
        json!({ "anyOf": branches })
    })
}

impl Grammar {
    /// Text that is exactly one call to one of `tools`, as [`tool_call_schema`] describes:
    /// `{"name": "read_file", "arguments": {"path": "src/main.rs"}}`. Fails on an empty
    /// list, an empty or repeated name, or (when compiled) a schema llguidance rejects.
    pub fn tool_calls(
        tools: &[ToolSpec],
        limits: &SchemaLimits,
    ) -> Result<Grammar, ConstrainedError> {
        Ok(Grammar::json_schema(&tool_call_schema(tools, limits)?)?.named("tool-call grammar"))
    }
}

/// Parses `text` as one call to one of `tools` and validates its arguments against that
/// tool's schema (the original one, not the tightened one).
pub fn parse_tool_call(text: &str, tools: &[ToolSpec]) -> Result<ToolCall, ToolCallError> {
    let value: Value =
        serde_json::from_str(text.trim()).map_err(|e| ToolCallError::NotJson(e.to_string()))?;
    let Value::Object(mut fields) = value else {
        return Err(ToolCallError::NotACall);
    };
    if fields.len() != 2 {
        return Err(ToolCallError::NotACall);
    }
    let (Some(Value::String(name)), Some(arguments)) =
        (fields.remove("name"), fields.remove("arguments"))
    else {
        return Err(ToolCallError::NotACall);
    };
    let Some(tool) = tools.iter().find(|t| t.name == name) else {
        let known: Vec<&str> = tools.iter().map(|t| t.name.as_str()).collect();
        return Err(ToolCallError::UnknownTool {
            name,
            known: known.join(", "),
        });
    };
    validate(&tool.parameters, &arguments, "arguments").map_err(|violation| {
        ToolCallError::InvalidArguments {
            tool: name.clone(),
            violation,
        }
    })?;
    Ok(ToolCall { name, arguments })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tools() -> Vec<ToolSpec> {
        vec![
            ToolSpec {
                name: "bash".into(),
                description: "run".into(),
                parameters: json!({"type": "object", "properties": {"command": {"type": "string"}}, "required": ["command"]}),
            },
            ToolSpec {
                name: "finish".into(),
                description: "end".into(),
                parameters: json!({"type": "object", "properties": {}, "additionalProperties": false}),
            },
        ]
    }

    #[test]
    fn schema_is_a_union_of_tagged_calls() {
        let s = tool_call_schema(&tools(), &SchemaLimits::default()).unwrap();
        let branches = s["anyOf"].as_array().unwrap();
        assert_eq!(branches.len(), 2);
        assert_eq!(branches[0]["properties"]["name"], json!({"const": "bash"}));
        let keys: Vec<&String> = branches[0]["properties"]
            .as_object()
            .unwrap()
            .keys()
            .collect();
        assert_eq!(keys, ["name", "arguments"]);
        let args = &branches[0]["properties"]["arguments"];
        assert_eq!(args["properties"]["command"]["maxLength"], json!(2048));
        let one = tool_call_schema(&tools()[..1], &SchemaLimits::default()).unwrap();
        assert_eq!(one["properties"]["name"], json!({"const": "bash"}));
    }

    #[test]
    fn bad_tool_lists_are_rejected() {
        let limits = SchemaLimits::default();
        assert!(tool_call_schema(&[], &limits).is_err());
        let mut twice = tools();
        twice[1].name = "bash".into();
        let err = tool_call_schema(&twice, &limits).unwrap_err();
        assert!(
            err.to_string().contains("two tools are named `bash`"),
            "{err}"
        );
    }

    #[test]
    fn parses_and_validates_calls() {
        let call = parse_tool_call(
            r#"{"name": "bash", "arguments": {"command": "ls"}}"#,
            &tools(),
        )
        .unwrap();
        assert_eq!(call.arguments, json!({"command": "ls"}));
        let cases = [
            ("{", "not JSON"),
            (r#"{"name": "bash"}"#, "exactly `name`"),
            (
                r#"{"name": "cat", "arguments": {}}"#,
                "unknown tool `cat` (known: bash, finish)",
            ),
            (
                r#"{"name": "bash", "arguments": {}}"#,
                "invalid arguments for `bash`: arguments: missing required `command`",
            ),
        ];
        for (text, expected) in cases {
            let err = parse_tool_call(text, &tools()).unwrap_err().to_string();
            assert!(
                err.contains(expected),
                "{err:?} should contain {expected:?}"
            );
        }
    }
}
