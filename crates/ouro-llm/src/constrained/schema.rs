//! A JSON Schema validator for the subset that constrained decoding compiles and that
//! ouro's tool schemas use, so that a decoded value can be checked independently of the
//! grammar that produced it.
//!
//! Keywords checked: `type` (one or a list), `enum`, `const`, `properties`, `required`,
//! `additionalProperties` (boolean or schema), `minProperties`, `maxProperties`, `items`
//! (schema or boolean), `prefixItems`, `minItems`, `maxItems`, `minLength`, `maxLength`
//! (in characters), `minimum`, `maximum`, `exclusiveMinimum`, `exclusiveMaximum`, `anyOf`,
//! `oneOf`, `allOf` and local `$ref`s (`#/...`). Annotations (`description`, `title`,
//! `default`, `examples`, `$schema`, `$id`, `$comment`, `$defs`, `definitions`,
//! `x-guidance`) are ignored. Any other keyword is reported as unsupported rather than
//! silently skipped.

use serde_json::{Map, Value};

/// Why a value does not validate: where (a path like `arguments.items[2]`) and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct SchemaViolation {
    pub path: String,
    pub reason: String,
}

const ANNOTATIONS: &[&str] = &[
    "description",
    "title",
    "default",
    "examples",
    "$schema",
    "$id",
    "$comment",
    "$defs",
    "definitions",
    "x-guidance",
];

/// Checks `value` against `schema`; `path` names the value in errors (for example
/// `"arguments"`).
pub fn validate(schema: &Value, value: &Value, path: &str) -> Result<(), SchemaViolation> {
    Validator { root: schema }.check(schema, value, path, 0)
}

/// How deep `$ref`s and sub-schemas may nest before the schema counts as cyclic.
const MAX_DEPTH: usize = 256;

struct Validator<'a> {
    root: &'a Value,
}

fn fail(path: &str, reason: impl Into<String>) -> Result<(), SchemaViolation> {
    Err(SchemaViolation {
        path: path.to_string(),
        reason: reason.into(),
    })
}

/// The JSON type name of a value; numbers with no fractional part are integers.
fn type_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(n) if n.as_f64().is_some_and(|f| f.fract() == 0.0) => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn has_type(value: &Value, wanted: &str) -> bool {
    let actual = type_of(value);
    actual == wanted || (wanted == "number" && actual == "integer")
}

fn number(
    schema: &Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<Option<f64>, SchemaViolation> {
    match schema.get(key) {
        None => Ok(None),
        Some(v) => v.as_f64().map(Some).ok_or_else(|| SchemaViolation {
            path: path.to_string(),
            reason: format!("schema keyword `{key}` is not a number: {v}"),
        }),
    }
}

fn count(
    schema: &Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<Option<u64>, SchemaViolation> {
    match schema.get(key) {
        None => Ok(None),
        Some(v) => v.as_u64().map(Some).ok_or_else(|| SchemaViolation {
            path: path.to_string(),
            reason: format!("schema keyword `{key}` is not a non-negative integer: {v}"),
        }),
    }
}

fn child(path: &str, key: &str) -> String {
    format!("{path}.{key}")
}

impl Validator<'_> {
    fn check(
        &self,
        schema: &Value,
        value: &Value,
        path: &str,
        depth: usize,
    ) -> Result<(), SchemaViolation> {
        if depth > MAX_DEPTH {
            return fail(path, "the schema nests too deeply (a cyclic $ref?)");
        }
        let schema = match schema {
            Value::Bool(true) => return Ok(()),
            Value::Bool(false) => return fail(path, "no value is allowed here"),
            Value::Object(map) => map,
            other => return fail(path, format!("the schema is not an object: {other}")),
        };
        for (key, rule) in schema {
            match key.as_str() {
                "type" => self.check_type(rule, value, path)?,
                "enum" => {
                    let options = rule.as_array().ok_or_else(|| SchemaViolation {
                        path: path.to_string(),
                        reason: "schema keyword `enum` is not an array".into(),
                    })?;
                    if !options.contains(value) {
                        let list: Vec<String> = options.iter().map(Value::to_string).collect();
                        return fail(
                            path,
                            format!("must be one of {}, got {value}", list.join(", ")),
                        );
                    }
                }
                "const" if rule != value => {
                    return fail(path, format!("must be {rule}, got {value}"));
                }
                "$ref" => {
                    let target = self.resolve(rule, path)?;
                    self.check(target, value, path, depth + 1)?;
                }
                "anyOf" | "oneOf" | "allOf" => {
                    self.check_combination(key, rule, value, path, depth)?
                }
                "properties"
                | "required"
                | "additionalProperties"
                | "minProperties"
                | "maxProperties" => {
                    if let Value::Object(fields) = value {
                        self.check_object_keyword(schema, key, fields, path, depth)?;
                    }
                }
                "items" | "prefixItems" | "minItems" | "maxItems" => {
                    if let Value::Array(items) = value {
                        self.check_array_keyword(schema, key, items, path, depth)?;
                    }
                }
                "minLength" | "maxLength" => {
                    if let Value::String(s) = value {
                        let n = s.chars().count() as u64;
                        let limit = count(schema, key, path)?.unwrap_or(0);
                        if key == "minLength" && n < limit {
                            return fail(
                                path,
                                format!("must have at least {limit} characters, has {n}"),
                            );
                        }
                        if key == "maxLength" && n > limit {
                            return fail(
                                path,
                                format!("must have at most {limit} characters, has {n}"),
                            );
                        }
                    }
                }
                "minimum" | "maximum" | "exclusiveMinimum" | "exclusiveMaximum" => {
                    if let Some(x) = value.as_f64() {
                        let limit = number(schema, key, path)?.unwrap_or(0.0);
                        let ok = match key.as_str() {
                            "minimum" => x >= limit,
                            "maximum" => x <= limit,
                            "exclusiveMinimum" => x > limit,
                            _ => x < limit,
                        };
                        if !ok {
                            return fail(path, format!("must satisfy {key} {limit}, got {value}"));
                        }
                    }
                }
                "const" => {}
                k if ANNOTATIONS.contains(&k) => {}
                other => return fail(path, format!("unsupported schema keyword `{other}`")),
            }
        }
        Ok(())
    }

    fn check_type(&self, rule: &Value, value: &Value, path: &str) -> Result<(), SchemaViolation> {
        let names: Vec<&str> = match rule {
            Value::String(s) => vec![s.as_str()],
            Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
            other => return fail(path, format!("schema keyword `type` is malformed: {other}")),
        };
        if names.iter().any(|t| has_type(value, t)) {
            Ok(())
        } else {
            fail(
                path,
                format!("expected {}, got {}", names.join(" or "), type_of(value)),
            )
        }
    }

    /// The schema a local `$ref` (`#`, `#/$defs/name`, ...) points to.
    fn resolve(&self, rule: &Value, path: &str) -> Result<&Value, SchemaViolation> {
        let reference = rule.as_str().unwrap_or("");
        let target = reference
            .strip_prefix('#')
            .and_then(|pointer| self.root.pointer(pointer));
        target.ok_or_else(|| SchemaViolation {
            path: path.to_string(),
            reason: format!(
                "cannot resolve $ref {rule} (only local `#/...` references are supported)"
            ),
        })
    }

    fn check_combination(
        &self,
        key: &str,
        rule: &Value,
        value: &Value,
        path: &str,
        depth: usize,
    ) -> Result<(), SchemaViolation> {
        let branches = rule.as_array().ok_or_else(|| SchemaViolation {
            path: path.to_string(),
            reason: format!("schema keyword `{key}` is not an array"),
        })?;
        let mut errors = Vec::new();
        for branch in branches {
            match self.check(branch, value, path, depth + 1) {
                Ok(()) => {}
                Err(e) => errors.push(e),
            }
        }
        let passed = branches.len() - errors.len();
        match key {
            "allOf" => errors.into_iter().next().map_or(Ok(()), Err),
            "anyOf" if passed == 0 => fail(path, no_branch(&errors)),
            "oneOf" if passed == 0 => fail(path, no_branch(&errors)),
            "oneOf" if passed > 1 => fail(
                path,
                format!("matches {passed} branches of oneOf, not exactly one"),
            ),
            _ => Ok(()),
        }
    }

    fn check_object_keyword(
        &self,
        schema: &Map<String, Value>,
        key: &str,
        fields: &Map<String, Value>,
        path: &str,
        depth: usize,
    ) -> Result<(), SchemaViolation> {
        let props = schema.get("properties").and_then(Value::as_object);
        match key {
            "properties" => {
                if let Some(props) = props {
                    for (name, field) in fields {
                        if let Some(sub) = props.get(name) {
                            self.check(sub, field, &child(path, name), depth + 1)?;
                        }
                    }
                }
            }
            "required" => {
                for name in schema[key]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                {
                    if !fields.contains_key(name) {
                        return fail(path, format!("missing required `{name}`"));
                    }
                }
            }
            "additionalProperties" => {
                for (name, field) in fields {
                    if props.is_some_and(|p| p.contains_key(name)) {
                        continue;
                    }
                    if schema[key] == Value::Bool(false) {
                        let known: Vec<&str> = props
                            .map(|p| p.keys().map(String::as_str).collect())
                            .unwrap_or_default();
                        return fail(
                            path,
                            format!(
                                "unknown field `{name}` (expected one of: {})",
                                known.join(", ")
                            ),
                        );
                    }
                    self.check(&schema[key], field, &child(path, name), depth + 1)?;
                }
            }
            _ => {
                let n = fields.len() as u64;
                let limit = count(schema, key, path)?.unwrap_or(0);
                if (key == "minProperties" && n < limit) || (key == "maxProperties" && n > limit) {
                    return fail(path, format!("has {n} fields, {key} is {limit}"));
                }
            }
        }
        Ok(())
    }

    fn check_array_keyword(
        &self,
        schema: &Map<String, Value>,
        key: &str,
        items: &[Value],
        path: &str,
        depth: usize,
    ) -> Result<(), SchemaViolation> {
        let prefix = schema.get("prefixItems").and_then(Value::as_array);
        let n_prefix = prefix.map_or(0, Vec::len);
        match key {
            "prefixItems" => {
                for (i, (sub, item)) in prefix.into_iter().flatten().zip(items).enumerate() {
                    self.check(sub, item, &format!("{path}[{i}]"), depth + 1)?;
                }
            }
            "items" => {
                for (i, item) in items.iter().enumerate().skip(n_prefix) {
                    self.check(&schema[key], item, &format!("{path}[{i}]"), depth + 1)?;
                }
            }
            _ => {
                let n = items.len() as u64;
                let limit = count(schema, key, path)?.unwrap_or(0);
                if key == "minItems" && n < limit {
                    return fail(path, format!("must have at least {limit} items, has {n}"));
                }
                if key == "maxItems" && n > limit {
                    return fail(path, format!("must have at most {limit} items, has {n}"));
                }
            }
        }
        Ok(())
    }
}

fn no_branch(errors: &[SchemaViolation]) -> String {
    let reasons: Vec<String> = errors.iter().map(ToString::to_string).collect();
    format!("matches no alternative ({})", reasons.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> Value {
        json!({
            "type": "object",
            "properties": {
                "path": {"type": "string", "minLength": 1, "maxLength": 5},
                "n": {"type": "integer", "minimum": 1, "maximum": 9},
                "mode": {"enum": ["a", "b"]},
                "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 2},
                "point": {"$ref": "#/$defs/point"}
            },
            "required": ["path"],
            "additionalProperties": false,
            "$defs": {"point": {"type": "array", "prefixItems": [{"type": "integer"}, {"type": "integer"}], "items": false}}
        })
    }

    #[test]
    fn accepts_valid_values() {
        let ok = json!({"path": "a.rs", "n": 3, "mode": "b", "tags": ["x"], "point": [1, 2]});
        assert_eq!(validate(&schema(), &ok, "args"), Ok(()));
        assert_eq!(
            validate(&schema(), &json!({"path": "x", "n": 2.0}), "args"),
            Ok(())
        );
    }

    #[test]
    fn reports_each_violation_with_its_path() {
        let cases = [
            (json!({}), "args: missing required `path`"),
            (
                json!({"path": 1}),
                "args.path: expected string, got integer",
            ),
            (
                json!({"path": ""}),
                "args.path: must have at least 1 characters",
            ),
            (
                json!({"path": "toolong"}),
                "args.path: must have at most 5 characters",
            ),
            (
                json!({"path": "a", "n": 0}),
                "args.n: must satisfy minimum 1",
            ),
            (
                json!({"path": "a", "n": 1.5}),
                "args.n: expected integer, got number",
            ),
            (
                json!({"path": "a", "mode": "c"}),
                "args.mode: must be one of",
            ),
            (
                json!({"path": "a", "tags": ["1", "2", "3"]}),
                "args.tags: must have at most 2",
            ),
            (
                json!({"path": "a", "tags": [1]}),
                "args.tags[0]: expected string",
            ),
            (
                json!({"path": "a", "point": [1, 2, 3]}),
                "args.point[2]: no value is allowed",
            ),
            (json!({"path": "a", "x": 1}), "args: unknown field `x`"),
        ];
        for (value, expected) in cases {
            let err = validate(&schema(), &value, "args").unwrap_err().to_string();
            assert!(
                err.starts_with(expected),
                "{err:?} should start with {expected:?}"
            );
        }
    }

    #[test]
    fn combinations() {
        let s = json!({"anyOf": [{"type": "string"}, {"type": "integer", "minimum": 0}]});
        assert!(validate(&s, &json!("x"), "v").is_ok());
        assert!(validate(&s, &json!(3), "v").is_ok());
        let err = validate(&s, &json!(-1), "v").unwrap_err();
        assert!(err.reason.starts_with("matches no alternative"), "{err}");
        let one = json!({"oneOf": [{"type": "number"}, {"type": "integer"}]});
        assert!(validate(&one, &json!(1.5), "v").is_ok());
        assert!(validate(&one, &json!(1), "v").is_err());
        let all = json!({"allOf": [{"minimum": 1}, {"maximum": 2}]});
        assert!(validate(&all, &json!(3), "v").is_err());
    }

    #[test]
    fn unsupported_keywords_and_bad_refs_are_errors() {
        let err = validate(&json!({"pattern": "^a$"}), &json!("a"), "v").unwrap_err();
        assert_eq!(err.reason, "unsupported schema keyword `pattern`");
        assert!(validate(&json!({"$ref": "#/nowhere"}), &json!(1), "v").is_err());
        let cyclic = json!({"$defs": {"a": {"$ref": "#/$defs/a"}}, "$ref": "#/$defs/a"});
        assert!(validate(&cyclic, &json!(1), "v").is_err());
    }
}
