//! JSON Schema for tool arguments: a small builder for the subset ouro's tools use.
//!
//! The subset (draft 2020-12 keywords only, no `$ref`) is what a grammar-constrained decoder
//! can compile: `type` object / string / integer / boolean / array, `properties`, `required`,
//! `additionalProperties: false`, `items`, `enum` (of strings), `minimum`, `description`.
//! Arguments are checked against these schemas by ouro-llm's validator
//! ([`ouro_llm::constrained::validate`], through [`super::validate_args`]), the same one that
//! checks what the constrained decoder produced.

use serde_json::{Map, Value, json};

/// A property of a tool's argument object.
pub struct Prop {
    name: &'static str,
    schema: Value,
    required: bool,
}

impl Prop {
    fn new(name: &'static str, schema: Value, description: &str) -> Self {
        let mut schema = schema;
        schema["description"] = Value::String(description.to_string());
        Self {
            name,
            schema,
            required: false,
        }
    }

    /// A string property.
    pub fn string(name: &'static str, description: &str) -> Self {
        Self::new(name, json!({"type": "string"}), description)
    }

    /// An integer property with a minimum.
    pub fn integer(name: &'static str, minimum: i64, description: &str) -> Self {
        Self::new(
            name,
            json!({"type": "integer", "minimum": minimum}),
            description,
        )
    }

    /// A boolean property.
    pub fn boolean(name: &'static str, description: &str) -> Self {
        Self::new(name, json!({"type": "boolean"}), description)
    }

    /// A property with a hand-written schema (arrays, enums, nested objects).
    pub fn custom(name: &'static str, schema: Value, description: &str) -> Self {
        Self::new(name, schema, description)
    }

    /// Marks the property required.
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }
}

/// An object schema with the given properties and no others.
pub fn object(props: Vec<Prop>) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for p in props {
        if p.required {
            required.push(Value::String(p.name.to_string()));
        }
        properties.insert(p.name.to_string(), p.schema);
    }
    json!({
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ouro_llm::constrained::validate;

    fn schema() -> Value {
        object(vec![
            Prop::string("path", "file").required(),
            Prop::integer("start", 1, "first line"),
            Prop::boolean("all", "every match"),
            Prop::custom(
                "steps",
                json!({"type": "array", "items": {"type": "object", "properties": {
                    "status": {"type": "string", "enum": ["pending", "done"]}
                }, "required": ["status"], "additionalProperties": false}}),
                "steps",
            ),
        ])
    }

    #[test]
    fn built_schemas_are_enforced_by_the_validator() {
        let ok = json!({"path": "a", "start": 3, "all": true, "steps": [{"status": "done"}]});
        assert_eq!(validate(&schema(), &ok, "arguments"), Ok(()));
        let cases = [
            (json!({}), "arguments: missing required `path`"),
            (
                json!({"path": 1}),
                "arguments.path: expected string, got integer",
            ),
            (
                json!({"path": "a", "start": 0}),
                "arguments.start: must satisfy minimum 1",
            ),
            (
                json!({"path": "a", "all": "yes"}),
                "arguments.all: expected boolean",
            ),
            (json!({"path": "a", "x": 0}), "arguments: unknown field `x`"),
            (
                json!({"path": "a", "steps": [{"status": "late"}]}),
                "arguments.steps[0].status: must be one of",
            ),
        ];
        for (args, expected) in cases {
            let err = validate(&schema(), &args, "arguments")
                .unwrap_err()
                .to_string();
            assert!(
                err.starts_with(expected),
                "{err} should start with {expected}"
            );
        }
    }

    #[test]
    fn schemas_use_only_the_decoder_subset() {
        let s = schema();
        assert!(!s.to_string().contains("$ref"));
        assert_eq!(s["additionalProperties"], json!(false));
        assert_eq!(s["required"], json!(["path"]));
        assert_eq!(s["properties"]["start"]["description"], json!("first line"));
    }
}
