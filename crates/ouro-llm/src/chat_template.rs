//! Chat templates: the Jinja template a GGUF file carries (`tokenizer.chat_template`) that
//! turns a conversation into the model's prompt text.
//!
//! Rendering follows Hugging Face's `apply_chat_template` (which llama.cpp's own engine also
//! follows): `trim_blocks` and `lstrip_blocks` on, the variables `messages`,
//! `add_generation_prompt`, `bos_token` and `eos_token` (and `tools`, none), a
//! `raise_exception(message)` function,
//! Python string methods (`.strip()`, `.startswith()`, ...), and a `tojson` filter formatting
//! like Python's `json.dumps`.

use minijinja::value::{Kwargs, Serde, Value, ValueKind};
use minijinja::{Environment, Error, ErrorKind};
use serde::{Deserialize, Serialize};

use crate::gguf::{GgufError, GgufFile};

const TEMPLATE_NAME: &str = "chat_template";
const KEY_TEMPLATE: &str = "tokenizer.chat_template";

/// One message of a conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    /// "system", "user", "assistant", ...
    pub role: String,
    pub content: String,
}

impl ChatMessage {
    pub fn new(role: impl Into<String>, content: impl Into<String>) -> ChatMessage {
        ChatMessage {
            role: role.into(),
            content: content.into(),
        }
    }
}

/// Why a chat template could not be loaded or rendered.
#[derive(Debug, thiserror::Error)]
pub enum ChatTemplateError {
    #[error(transparent)]
    Gguf(#[from] GgufError),
    #[error("the chat template does not parse: {0:#}")]
    Syntax(#[source] Error),
    #[error("the chat template failed to render: {0:#}")]
    Render(#[source] Error),
}

/// A compiled chat template with the BOS/EOS texts it may print.
#[derive(Debug)]
pub struct ChatTemplate {
    env: Environment<'static>,
    source: String,
    bos: String,
    eos: String,
}

impl ChatTemplate {
    /// Compile `source`; `bos` and `eos` are the texts of the model's BOS and EOS tokens.
    pub fn new(
        source: impl Into<String>,
        bos: impl Into<String>,
        eos: impl Into<String>,
    ) -> Result<ChatTemplate, ChatTemplateError> {
        let mut env = Environment::new();
        let syntax = minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .build()
            .map_err(ChatTemplateError::Syntax)?;
        env.set_syntax(syntax);
        env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
        env.add_function("raise_exception", raise_exception);
        env.add_filter("tojson", tojson);
        let source = source.into();
        env.add_template_owned(TEMPLATE_NAME, source.clone())
            .map_err(ChatTemplateError::Syntax)?;
        Ok(ChatTemplate {
            env,
            source,
            bos: bos.into(),
            eos: eos.into(),
        })
    }

    /// The template of a GGUF file (`tokenizer.chat_template`), or `None` when it has none.
    /// BOS and EOS texts come from the vocabulary (empty when the file names no such token).
    pub fn from_gguf(gguf: &GgufFile) -> Result<Option<ChatTemplate>, ChatTemplateError> {
        let Some(value) = gguf.get(KEY_TEMPLATE) else {
            return Ok(None);
        };
        let source = value.as_str().ok_or_else(|| GgufError::BadMetadata {
            key: KEY_TEMPLATE.into(),
            reason: format!("expected a string, found {value}"),
        })?;
        let tokens = gguf.require_str_array("tokenizer.ggml.tokens")?;
        let token_text = |key: &str| {
            gguf.get_u64(key)
                .and_then(|id| tokens.get(usize::try_from(id).ok()?))
                .map_or_else(String::new, |t| (*t).to_owned())
        };
        let bos = token_text("tokenizer.ggml.bos_token_id");
        let eos = token_text("tokenizer.ggml.eos_token_id");
        ChatTemplate::new(source, bos, eos).map(Some)
    }

    /// The template source.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The prompt for `messages`; with `add_generation_prompt` it ends where the assistant's
    /// reply begins.
    pub fn render(
        &self,
        messages: &[ChatMessage],
        add_generation_prompt: bool,
    ) -> Result<String, ChatTemplateError> {
        let template = self
            .env
            .get_template(TEMPLATE_NAME)
            .map_err(ChatTemplateError::Render)?;
        template
            .render(minijinja::context! {
                messages => Value::from(Serde(messages)),
                add_generation_prompt => add_generation_prompt,
                tools => Value::from(()),
                bos_token => &self.bos,
                eos_token => &self.eos,
            })
            .map_err(ChatTemplateError::Render)
    }
}

/// `raise_exception(message)`: templates call it to reject a conversation.
fn raise_exception(message: String) -> Result<Value, Error> {
    Err(Error::new(ErrorKind::InvalidOperation, message))
}

/// `tojson(value, indent=None, ensure_ascii=False)` formatted as Python's `json.dumps`
/// (`", "` and `": "` separators, keys in insertion order), as Hugging Face's filter does.
fn tojson(value: &Value, indent: Option<usize>, kwargs: Kwargs) -> Result<Value, Error> {
    let indent = match kwargs.get::<Option<usize>>("indent")? {
        Some(n) => Some(n),
        None => indent,
    };
    let ensure_ascii = kwargs.get::<Option<bool>>("ensure_ascii")?.unwrap_or(false);
    kwargs.assert_all_used()?;
    let mut out = String::new();
    write_json(&mut out, value, indent, 0, ensure_ascii)?;
    Ok(Value::from_safe_string(out))
}

fn write_json(
    out: &mut String,
    value: &Value,
    indent: Option<usize>,
    depth: usize,
    ensure_ascii: bool,
) -> Result<(), Error> {
    let newline = |out: &mut String, depth: usize| {
        if let Some(n) = indent {
            out.push('\n');
            out.push_str(&" ".repeat(n * depth));
        }
    };
    let item_sep = if indent.is_some() { "," } else { ", " };
    match value.kind() {
        ValueKind::Undefined | ValueKind::None => out.push_str("null"),
        ValueKind::Bool => out.push_str(if value.is_true() { "true" } else { "false" }),
        ValueKind::Number => match value.as_i64() {
            Some(i) if value.is_integer() => out.push_str(&i.to_string()),
            _ => {
                let f = f64::try_from(value.clone())?;
                out.push_str(&if f.is_finite() {
                    format!("{f:?}")
                } else if f.is_nan() {
                    "NaN".to_owned()
                } else if f > 0.0 {
                    "Infinity".to_owned()
                } else {
                    "-Infinity".to_owned()
                });
            }
        },
        ValueKind::String => write_json_str(out, value.as_str().unwrap_or(""), ensure_ascii),
        ValueKind::Map => {
            let keys: Vec<Value> = value.try_iter()?.collect();
            if keys.is_empty() {
                out.push_str("{}");
                return Ok(());
            }
            out.push('{');
            for (i, key) in keys.iter().enumerate() {
                if i > 0 {
                    out.push_str(item_sep);
                }
                newline(out, depth + 1);
                match key.as_str() {
                    Some(k) => write_json_str(out, k, ensure_ascii),
                    None => write_json_str(out, &key.to_string(), ensure_ascii),
                }
                out.push_str(": ");
                write_json(out, &value.get_item(key)?, indent, depth + 1, ensure_ascii)?;
            }
            newline(out, depth);
            out.push('}');
        }
        ValueKind::Seq | ValueKind::Iterable => {
            let items: Vec<Value> = value.try_iter()?.collect();
            if items.is_empty() {
                out.push_str("[]");
                return Ok(());
            }
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(item_sep);
                }
                newline(out, depth + 1);
                write_json(out, item, indent, depth + 1, ensure_ascii)?;
            }
            newline(out, depth);
            out.push(']');
        }
        _ => {
            return Err(Error::new(
                ErrorKind::InvalidOperation,
                format!("tojson cannot format a value of kind {}", value.kind()),
            ));
        }
    }
    Ok(())
}

/// A JSON string literal with Python's escapes (`ensure_ascii` escapes all non-ASCII too).
fn write_json_str(out: &mut String, s: &str, ensure_ascii: bool) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if u32::from(c) < 0x20 || (ensure_ascii && !c.is_ascii()) => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render_expr(expr: &str) -> String {
        let t = ChatTemplate::new(expr, "<s>", "</s>").unwrap();
        t.render(&[ChatMessage::new("user", "hi")], false).unwrap()
    }

    #[test]
    fn variables_and_python_methods() {
        assert_eq!(
            render_expr(
                "{{ bos_token }}{{ messages[0].role }}:{{ messages[0]['content'].upper() }}{{ eos_token }}"
            ),
            "<s>user:HI</s>"
        );
        assert_eq!(
            render_expr("{{ '  x  '.strip() }}|{{ 'abc'.startswith('ab') }}"),
            "x|True"
        );
    }

    #[test]
    fn tojson_formats_like_python() {
        assert_eq!(
            render_expr(r#"{{ {"b": [1, 2.5, none, true], "a": "é\"\n"} | tojson }}"#),
            r#"{"b": [1, 2.5, null, true], "a": "é\"\n"}"#
        );
        assert_eq!(
            render_expr(r#"{{ {"a": [1]} | tojson(indent=2) }}"#),
            "{\n  \"a\": [\n    1\n  ]\n}"
        );
    }

    #[test]
    fn raise_exception_fails_rendering() {
        let t = ChatTemplate::new("{{ raise_exception('no system role') }}", "", "").unwrap();
        let err = t.render(&[], false).unwrap_err();
        assert!(err.to_string().contains("no system role"), "{err}");
    }

    #[test]
    fn syntax_errors_are_reported() {
        let err = ChatTemplate::new("{% for %}", "", "").unwrap_err();
        assert!(matches!(err, ChatTemplateError::Syntax(_)), "{err}");
    }

    #[test]
    fn blocks_are_trimmed() {
        let t = ChatTemplate::new(
            "{% for m in messages %}\n  {{ m.content }}\n{% endfor %}\n",
            "",
            "",
        )
        .unwrap();
        let msgs = [ChatMessage::new("user", "a"), ChatMessage::new("user", "b")];
        assert_eq!(t.render(&msgs, false).unwrap(), "  a\n  b\n");
    }
}
