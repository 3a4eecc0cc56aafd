//! Tightening a JSON Schema so that every value it allows is short: strings get a
//! `maxLength`, arrays a `maxItems`, integers and numbers a range, and objects with no
//! `additionalProperties` get `false`. A value valid under the tightened schema is valid
//! under the original one, and a constrained decoder can always finish it within a bounded
//! number of tokens, which keeps a small model that rambles from running out of tokens in
//! the middle of a string.

use serde_json::{Map, Value, json};

/// Bounds added where a schema has none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchemaLimits {
    /// `maxLength` of strings, in characters.
    pub max_string_chars: u64,
    /// `maxItems` of arrays.
    pub max_items: u64,
    /// Integers and numbers lie in `-max_abs_number..=max_abs_number`.
    pub max_abs_number: i64,
}

impl Default for SchemaLimits {
    fn default() -> Self {
        SchemaLimits {
            max_string_chars: 2048,
            max_items: 64,
            max_abs_number: 1_000_000_000,
        }
    }
}

/// Sub-schema keywords holding one schema.
const ONE: &[&str] = &["items", "additionalProperties", "not"];
/// Sub-schema keywords holding a list of schemas.
const LIST: &[&str] = &["prefixItems", "anyOf", "oneOf", "allOf"];
/// Sub-schema keywords holding a map of schemas.
const MAP: &[&str] = &["properties", "$defs", "definitions"];

/// `schema` with `limits` added wherever it leaves a string, array, number or object
/// unbounded (see the module docs). Schemas that already bound a value keep their bounds.
pub fn bound_schema(schema: &Value, limits: &SchemaLimits) -> Value {
    let mut out = schema.clone();
    bound(&mut out, limits);
    out
}

fn types(schema: &Map<String, Value>) -> Vec<String> {
    match schema.get("type") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(|t| t.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

fn bound(schema: &mut Value, limits: &SchemaLimits) {
    let Value::Object(map) = schema else {
        return;
    };
    let types = types(map);
    let is = |t: &str| types.iter().any(|x| x == t);
    let literal = map.contains_key("enum") || map.contains_key("const");
    if !literal {
        if is("string") && !map.contains_key("maxLength") {
            let min = map.get("minLength").and_then(Value::as_u64).unwrap_or(0);
            map.insert("maxLength".into(), json!(limits.max_string_chars.max(min)));
        }
        if is("array") && !map.contains_key("maxItems") {
            let min = map.get("minItems").and_then(Value::as_u64).unwrap_or(0);
            map.insert("maxItems".into(), json!(limits.max_items.max(min)));
        }
        if is("integer") || is("number") {
            let bound = limits.max_abs_number;
            let has_max = map.contains_key("maximum") || map.contains_key("exclusiveMaximum");
            let has_min = map.contains_key("minimum") || map.contains_key("exclusiveMinimum");
            let min = map.get("minimum").and_then(Value::as_i64);
            let max = map.get("maximum").and_then(Value::as_i64);
            if !has_max {
                map.insert("maximum".into(), json!(bound.max(min.unwrap_or(bound))));
            }
            if !has_min {
                map.insert("minimum".into(), json!((-bound).min(max.unwrap_or(-bound))));
            }
        }
        if is("object") && !map.contains_key("additionalProperties") {
            map.insert("additionalProperties".into(), Value::Bool(false));
        }
    }
    for (key, sub) in map.iter_mut() {
        let key = key.as_str();
        if ONE.contains(&key) {
            bound(sub, limits);
        } else if LIST.contains(&key) {
            if let Value::Array(list) = sub {
                list.iter_mut().for_each(|s| bound(s, limits));
            }
        } else if MAP.contains(&key)
            && let Value::Object(subs) = sub
        {
            subs.values_mut().for_each(|s| bound(s, limits));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds_bounds_where_missing_only() {
        let limits = SchemaLimits {
            max_string_chars: 10,
            max_items: 3,
            max_abs_number: 99,
        };
        let schema = json!({
            "type": "object",
            "properties": {
                "a": {"type": "string"},
                "b": {"type": "string", "maxLength": 500},
                "c": {"type": "array", "items": {"type": "integer", "minimum": 1}},
                "d": {"type": "string", "enum": ["x", "y"]},
                "e": {"anyOf": [{"type": "number"}, {"type": "string", "minLength": 20}]},
                "f": {"type": "integer", "minimum": 500}
            }
        });
        let b = bound_schema(&schema, &limits);
        assert_eq!(b["additionalProperties"], json!(false));
        let p = &b["properties"];
        assert_eq!(p["a"]["maxLength"], json!(10));
        assert_eq!(p["b"]["maxLength"], json!(500));
        assert_eq!(p["c"]["maxItems"], json!(3));
        assert_eq!(
            p["c"]["items"],
            json!({"type": "integer", "minimum": 1, "maximum": 99})
        );
        assert_eq!(p["d"], schema["properties"]["d"]);
        assert_eq!(
            p["e"]["anyOf"][0],
            json!({"type": "number", "minimum": -99, "maximum": 99})
        );
        assert_eq!(p["e"]["anyOf"][1]["maxLength"], json!(20));
        assert_eq!(
            p["f"],
            json!({"type": "integer", "minimum": 500, "maximum": 500})
        );
    }
}
