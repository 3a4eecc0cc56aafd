//! JSON Schema for tool arguments: a small builder and a validator for the subset ouro uses.
//!
//! The subset (draft 2020-12 keywords only, no `$ref`) is what a grammar-constrained decoder
//! can compile: `type` object / string / integer / boolean / array, `properties`, `required`,
//! `additionalProperties: false`, `items`, `enum` (of strings), `minimum`, `description`.
//! The validator checks exactly these keywords and reports the first problem with the
//! argument's name.

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

/// Checks `value` against `schema`; the error names the offending argument path.
pub fn validate(schema: &Value, value: &Value) -> Result<(), String> {
    validate_at(schema, value, "arguments")
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn validate_at(schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    if let Some(expected) = schema.get("type").and_then(Value::as_str) {
        let actual = type_name(value);
        if actual != expected {
            return Err(format!("`{at}`: expected {expected}, got {actual}"));
        }
    }
    if let Some(options) = schema.get("enum").and_then(Value::as_array)
        && !options.contains(value)
    {
        let list: Vec<String> = options.iter().map(Value::to_string).collect();
        return Err(format!(
            "`{at}`: must be one of {}, got {value}",
            list.join(", ")
        ));
    }
    if let (Some(min), Some(n)) = (
        schema.get("minimum").and_then(Value::as_i64),
        value.as_i64(),
    ) && n < min
    {
        return Err(format!("`{at}`: must be at least {min}, got {n}"));
    }
    if let Value::Object(fields) = value {
        let props = schema.get("properties").and_then(Value::as_object);
        if let Some(required) = schema.get("required").and_then(Value::as_array) {
            for name in required.iter().filter_map(Value::as_str) {
                if !fields.contains_key(name) {
                    return Err(format!("`{at}`: missing required `{name}`"));
                }
            }
        }
        let closed = schema.get("additionalProperties") == Some(&Value::Bool(false));
        for (name, field) in fields {
            let sub_at = if at == "arguments" {
                name.clone()
            } else {
                format!("{at}.{name}")
            };
            match props.and_then(|p| p.get(name)) {
                Some(sub) => validate_at(sub, field, &sub_at)?,
                None if closed => {
                    let known: Vec<&String> = props.map(|p| p.keys().collect()).unwrap_or_default();
                    return Err(format!(
                        "unknown argument `{sub_at}` (expected one of: {})",
                        known
                            .iter()
                            .map(|k| k.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
                None => {}
            }
        }
    }
    if let (Value::Array(items), Some(item_schema)) = (value, schema.get("items")) {
        for (i, item) in items.iter().enumerate() {
            validate_at(item_schema, item, &format!("{at}[{i}]"))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> Value {
        object(vec![
            Prop::string("path", "file").required(),
            Prop::integer("start", 1, "first line"),
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
    fn accepts_valid_arguments() {
        let args = json!({"path": "a", "start": 3, "steps": [{"status": "done"}]});
        assert_eq!(validate(&schema(), &args), Ok(()));
    }

    #[test]
    fn reports_each_kind_of_problem() {
        let cases = [
            (json!({}), "missing required `path`"),
            (json!({"path": 1}), "`path`: expected string, got integer"),
            (
                json!({"path": "a", "start": 0}),
                "`start`: must be at least 1, got 0",
            ),
            (json!({"path": "a", "x": 0}), "unknown argument `x`"),
            (
                json!({"path": "a", "steps": [{"status": "late"}]}),
                "`steps[0].status`: must be one of",
            ),
            (json!([1]), "`arguments`: expected object, got array"),
        ];
        for (args, expected) in cases {
            let err = validate(&schema(), &args).unwrap_err();
            assert!(err.contains(expected), "{err} should contain {expected}");
        }
    }

    #[test]
    fn schemas_use_only_the_decoder_subset() {
        let s = schema().to_string();
        assert!(!s.contains("$ref"));
        assert!(s.contains("\"additionalProperties\":false"));
    }
}
