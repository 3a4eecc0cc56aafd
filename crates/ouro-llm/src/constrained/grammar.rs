//! What a constrained generation must produce: a [`Grammar`], from a JSON Schema or a Lark
//! grammar (llguidance's dialect, which can embed JSON Schemas with `%json { ... }`).
//!
//! JSON Schemas are decoded in one fixed layout, `{"a": 1, "b": [2, 3]}` (a space after
//! `:` and `,`, nowhere else), rather than with free whitespace: a small model given the
//! freedom can emit newlines forever, and the fixed layout is the one models see most.

use llguidance::api::TopLevelGrammar;
use serde_json::{Value, json};

use super::ConstrainedError;

/// A grammar that generated text must match. Cheap to clone; compiled for a model when a
/// generation starts (so an invalid grammar is reported then, see
/// [`super::GrammarCompiler::compile`]).
#[derive(Debug, Clone)]
pub struct Grammar {
    top: TopLevelGrammar,
    what: String,
}

/// The llguidance JSON options ouro uses unless a schema sets its own `x-guidance`.
fn json_layout() -> Value {
    json!({
        "whitespace_flexible": false,
        "item_separator": ", ",
        "key_separator": ": ",
    })
}

impl Grammar {
    /// Text that is exactly one JSON value valid under `schema` (draft 2020-12; llguidance
    /// supports most of it, see its docs; unsupported keywords are reported when the grammar
    /// is compiled). A schema may set llguidance's JSON options in an `x-guidance` object.
    pub fn json_schema(schema: &Value) -> Result<Grammar, ConstrainedError> {
        let mut schema = match schema {
            Value::Object(_) => schema.clone(),
            Value::Bool(true) => json!({}),
            other => {
                return Err(ConstrainedError::InvalidGrammar {
                    what: "JSON schema".into(),
                    reason: format!("a schema must be an object or `true`, got {other}"),
                });
            }
        };
        if let Value::Object(map) = &mut schema
            && !map.contains_key("x-guidance")
        {
            map.insert("x-guidance".into(), json_layout());
        }
        Ok(Grammar {
            top: TopLevelGrammar::from_json_schema(schema),
            what: "JSON schema".into(),
        })
    }

    /// Text matching a Lark grammar in llguidance's dialect (`start: ...` rules, `/regex/`
    /// terminals, `%json { schema }` sub-grammars; see llguidance's `docs/syntax.md`).
    pub fn lark(source: &str) -> Grammar {
        Grammar {
            top: TopLevelGrammar::from_lark(source.to_string()),
            what: "Lark grammar".into(),
        }
    }

    /// What kind of grammar this is, for messages ("JSON schema", "Lark grammar", ...).
    pub fn describe(&self) -> &str {
        &self.what
    }

    /// The same grammar, described as `what` in error messages.
    pub fn named(mut self, what: impl Into<String>) -> Grammar {
        self.what = what.into();
        self
    }

    pub(crate) fn top_level(&self) -> &TopLevelGrammar {
        &self.top
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_schema_needs_an_object() {
        assert!(Grammar::json_schema(&json!({"type": "integer"})).is_ok());
        assert!(Grammar::json_schema(&json!(true)).is_ok());
        let err = Grammar::json_schema(&json!([1])).unwrap_err();
        assert!(err.to_string().contains("must be an object"), "{err}");
    }

    #[test]
    fn json_layout_is_fixed_unless_the_schema_sets_it() {
        let g = Grammar::json_schema(&json!({"type": "object"})).unwrap();
        let schema = g.top.grammars[0].json_schema.as_ref().unwrap();
        assert_eq!(schema["x-guidance"]["whitespace_flexible"], json!(false));
        let own = json!({"type": "object", "x-guidance": {"whitespace_flexible": true}});
        let g = Grammar::json_schema(&own).unwrap();
        assert_eq!(g.top.grammars[0].json_schema.as_ref(), Some(&own));
    }
}
