//! Chat templates: the Jinja template a GGUF file carries (`tokenizer.chat_template`) that
//! turns a conversation into the model's prompt text.
//!
//! Rendering follows Hugging Face's `apply_chat_template` (which llama.cpp's own engine also
//! follows): `trim_blocks` and `lstrip_blocks` on, the variables `messages`,
//! `add_generation_prompt`, `bos_token` and `eos_token` (and `tools`, none), a
//! `raise_exception(message)` function,
//! Python string methods (`.strip()`, `.startswith()`, ...), and a `tojson` filter formatting
//! like Python's `json.dumps`.
//!
//! A conversation with tools renders as llama.cpp's `llama-server --jinja` renders it
//! ([`ChatTemplate::render_with_tools`]): `tools` is the list of OpenAI-style function tools
//! (`{"type": "function", "function": {"name", "description", "parameters"}}`), an assistant
//! message carries its calls in `tool_calls` (`{"id", "type": "function", "function":
//! {"name", "arguments"}}`, the arguments an object where the template needs one, see
//! [`ToolCaps`]), and a tool result is a message of role `tool` with `tool_call_id` and
//! `name`.

use minijinja::value::{Kwargs, Serde, Value, ValueKind};
use minijinja::{Environment, Error, ErrorKind};
use serde::{Deserialize, Serialize};
use serde_json::json;

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

/// A tool as the template sees it (rendered in OpenAI's function-tool form).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateTool {
    pub name: String,
    pub description: String,
    /// The JSON Schema of the arguments.
    pub parameters: serde_json::Value,
}

impl TemplateTool {
    fn to_json(&self) -> serde_json::Value {
        json!({
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.parameters,
            },
        })
    }
}

/// A call an assistant message made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateToolCall {
    pub id: String,
    pub name: String,
    /// The arguments, normally an object.
    pub arguments: serde_json::Value,
}

impl TemplateToolCall {
    /// OpenAI's form; `object_arguments` false passes the arguments as a JSON string.
    fn to_json(&self, object_arguments: bool) -> serde_json::Value {
        let arguments = if object_arguments {
            self.arguments.clone()
        } else {
            serde_json::Value::from(self.arguments.to_string())
        };
        json!({
            "id": self.id,
            "type": "function",
            "function": {"name": self.name, "arguments": arguments},
        })
    }
}

/// A message of a conversation with tools: a [`ChatMessage`] plus the assistant's calls
/// (`tool_calls`) or, for role `tool`, which call it answers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ToolChatMessage {
    /// "system", "user", "assistant" or "tool".
    pub role: String,
    pub content: String,
    pub tool_calls: Vec<TemplateToolCall>,
    /// For role `tool`: the id of the call answered.
    pub tool_call_id: Option<String>,
    /// For role `tool`: the tool's name.
    pub name: Option<String>,
}

impl ToolChatMessage {
    pub fn new(role: impl Into<String>, content: impl Into<String>) -> ToolChatMessage {
        ToolChatMessage {
            role: role.into(),
            content: content.into(),
            ..ToolChatMessage::default()
        }
    }

    fn to_json(&self, object_arguments: bool) -> serde_json::Value {
        let mut out = json!({"role": self.role, "content": self.content});
        if !self.tool_calls.is_empty() {
            let calls: Vec<serde_json::Value> = self
                .tool_calls
                .iter()
                .map(|c| c.to_json(object_arguments))
                .collect();
            out["tool_calls"] = serde_json::Value::from(calls);
        }
        if let Some(id) = &self.tool_call_id {
            out["tool_call_id"] = serde_json::Value::from(id.as_str());
        }
        if let Some(name) = &self.name {
            out["name"] = serde_json::Value::from(name.as_str());
        }
        out
    }
}

/// What a template does with tools, found by rendering probe conversations (as llama.cpp's
/// minja does): whether it shows the tool list, shows an assistant's calls, and needs the
/// calls' arguments as an object (a template that writes `arguments | tojson`) rather than
/// as a JSON string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ToolCaps {
    pub tools: bool,
    pub tool_calls: bool,
    pub object_arguments: bool,
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
        self.render_values(
            Value::from(Serde(messages)),
            Value::from(()),
            add_generation_prompt,
        )
    }

    /// The prompt for a conversation with tools, rendered as `llama-server --jinja` does (see
    /// the module docs): `tools` (none when empty), the assistant's calls with their
    /// arguments as objects or JSON strings as `caps` says, and results as `tool` messages.
    pub fn render_with_tools(
        &self,
        messages: &[ToolChatMessage],
        tools: &[TemplateTool],
        caps: ToolCaps,
        add_generation_prompt: bool,
    ) -> Result<String, ChatTemplateError> {
        let messages: Vec<serde_json::Value> = messages
            .iter()
            .map(|m| m.to_json(caps.object_arguments))
            .collect();
        let tools = if tools.is_empty() {
            Value::from(())
        } else {
            let tools: Vec<serde_json::Value> = tools.iter().map(TemplateTool::to_json).collect();
            Value::from(Serde(&tools))
        };
        self.render_values(Value::from(Serde(&messages)), tools, add_generation_prompt)
    }

    /// What the template does with tools (see [`ToolCaps`]). A probe that fails to render
    /// (a template that raises on a role it does not know) counts as no support.
    pub fn tool_caps(&self) -> ToolCaps {
        const TOOL_NEEDLE: &str = "some_tool_name_needle";
        const CALL_NEEDLE: &str = "tool_call_name_needle";
        let tool = TemplateTool {
            name: TOOL_NEEDLE.into(),
            description: "Probe tool.".into(),
            parameters: json!({"type": "object", "properties": {"argument_needle": {"type": "string"}}}),
        };
        let user = ToolChatMessage::new("user", "Hey");
        let tools = self
            .render_with_tools(
                std::slice::from_ref(&user),
                std::slice::from_ref(&tool),
                ToolCaps::default(),
                true,
            )
            .is_ok_and(|out| out.contains(TOOL_NEEDLE));
        let call = ToolChatMessage {
            tool_calls: vec![TemplateToolCall {
                id: "call_1".into(),
                name: CALL_NEEDLE.into(),
                arguments: json!({"argument_needle": "print('Hello, World!')"}),
            }],
            ..ToolChatMessage::new("assistant", "")
        };
        let conversation = [user, call, ToolChatMessage::new("user", "Thanks")];
        let shows_arguments = |object_arguments: bool| {
            let caps = ToolCaps {
                object_arguments,
                ..ToolCaps::default()
            };
            // Without the tool list, whose schema names the needle too.
            self.render_with_tools(&conversation, &[], caps, false)
                .is_ok_and(|out| {
                    out.contains(CALL_NEEDLE)
                        && (out.contains("\"argument_needle\":")
                            || out.contains("'argument_needle':"))
                })
        };
        let (as_string, as_object) = (shows_arguments(false), shows_arguments(true));
        ToolCaps {
            tools,
            tool_calls: as_string || as_object,
            object_arguments: as_object && !as_string,
        }
    }

    fn render_values(
        &self,
        messages: Value,
        tools: Value,
        add_generation_prompt: bool,
    ) -> Result<String, ChatTemplateError> {
        let template = self
            .env
            .get_template(TEMPLATE_NAME)
            .map_err(ChatTemplateError::Render)?;
        template
            .render(minijinja::context! {
                messages => messages,
                add_generation_prompt => add_generation_prompt,
                tools => tools,
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

    /// Qwen2.5-Coder's template as its GGUF carries it (tools in the system prompt, calls in
    /// `<tool_call>`, results in `<tool_response>`).
    const QWEN: &str = include_str!("../tests/fixtures/chat_template/qwen2.5-coder-tools.jinja");

    fn qwen_conversation() -> (Vec<ToolChatMessage>, Vec<TemplateTool>) {
        let call = |id: &str, name: &str, arguments: serde_json::Value| TemplateToolCall {
            id: id.into(),
            name: name.into(),
            arguments,
        };
        let result = |id: &str, name: &str, content: &str| ToolChatMessage {
            tool_call_id: Some(id.into()),
            name: Some(name.into()),
            ..ToolChatMessage::new("tool", content)
        };
        let messages = vec![
            ToolChatMessage::new("system", "You are a coder."),
            ToolChatMessage::new("user", "Fix it."),
            ToolChatMessage {
                tool_calls: vec![call("c1", "read_file", json!({"path": "a.rs"}))],
                ..ToolChatMessage::new("assistant", "")
            },
            result("c1", "read_file", "1: fn main() {}"),
            ToolChatMessage {
                tool_calls: vec![
                    call("c2", "read_file", json!({"path": "b.rs"})),
                    call("c3", "finish", json!({"summary": "é \"done\""})),
                ],
                ..ToolChatMessage::new("assistant", "Two more.")
            },
            result("c2", "read_file", "b"),
            result("c3", "finish", "finished"),
        ];
        let tools = vec![
            TemplateTool {
                name: "read_file".into(),
                description: "Read a file.".into(),
                parameters: json!({"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]}),
            },
            TemplateTool {
                name: "finish".into(),
                description: "End the task.".into(),
                parameters: json!({"type": "object", "properties": {"summary": {"type": "string"}}}),
            },
        ];
        (messages, tools)
    }

    #[test]
    fn tools_calls_and_results_render_like_llama_server_jinja() {
        let t = ChatTemplate::new(QWEN, "", "<|im_end|>").unwrap();
        let caps = t.tool_caps();
        assert_eq!(
            caps,
            ToolCaps {
                tools: true,
                tool_calls: true,
                object_arguments: true
            }
        );
        let (messages, tools) = qwen_conversation();
        let got = t.render_with_tools(&messages, &tools, caps, true).unwrap();
        // Python's jinja2 with Hugging Face's settings, on the same conversation.
        let want = EXPECTED_QWEN;
        assert_eq!(got, want);
    }

    #[test]
    fn templates_without_tools_have_no_tool_caps() {
        let t = ChatTemplate::new(
            "{% for m in messages %}<|{{ m.role }}|>{{ m.content }}{% endfor %}",
            "",
            "",
        )
        .unwrap();
        assert_eq!(t.tool_caps(), ToolCaps::default());
        // A template that reads calls' arguments as text needs no objects.
        let t = ChatTemplate::new(
            "{% for tool in tools %}{{ tool.function.name }}{% endfor %}{% for m in messages %}\
             {% for c in m.tool_calls %}{{ c.function.name }} {{ c.function.arguments }}{% endfor %}\
             {% endfor %}",
            "",
            "",
        )
        .unwrap();
        assert_eq!(
            t.tool_caps(),
            ToolCaps {
                tools: true,
                tool_calls: true,
                object_arguments: false
            }
        );
        let raising = ChatTemplate::new("{{ raise_exception('no tools') }}", "", "").unwrap();
        assert_eq!(raising.tool_caps(), ToolCaps::default());
    }

    #[test]
    fn a_conversation_without_tools_renders_as_before() {
        let t = ChatTemplate::new(QWEN, "", "<|im_end|>").unwrap();
        let plain = [
            ChatMessage::new("system", "S"),
            ChatMessage::new("user", "U"),
        ];
        let rich = [
            ToolChatMessage::new("system", "S"),
            ToolChatMessage::new("user", "U"),
        ];
        let want = "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n<|im_start|>assistant\n";
        assert_eq!(t.render(&plain, true).unwrap(), want);
        assert_eq!(
            t.render_with_tools(&rich, &[], t.tool_caps(), true)
                .unwrap(),
            want
        );
    }

    const EXPECTED_QWEN: &str = "<|im_start|>system\n\
You are a coder.\n\
\n\
# Tools\n\
\n\
You may call one or more functions to assist with the user query.\n\
\n\
You are provided with function signatures within <tools></tools> XML tags:\n\
<tools>\n\
{\"type\": \"function\", \"function\": {\"name\": \"read_file\", \"description\": \"Read a file.\", \"parameters\": {\"type\": \"object\", \"properties\": {\"path\": {\"type\": \"string\"}}, \"required\": [\"path\"]}}}\n\
{\"type\": \"function\", \"function\": {\"name\": \"finish\", \"description\": \"End the task.\", \"parameters\": {\"type\": \"object\", \"properties\": {\"summary\": {\"type\": \"string\"}}}}}\n\
</tools>\n\
\n\
For each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n\
<tool_call>\n\
{\"name\": <function-name>, \"arguments\": <args-json-object>}\n\
</tool_call><|im_end|>\n\
<|im_start|>user\n\
Fix it.<|im_end|>\n\
<|im_start|>assistant\n\
<tool_call>\n\
{\"name\": \"read_file\", \"arguments\": {\"path\": \"a.rs\"}}\n\
</tool_call><|im_end|>\n\
<|im_start|>user\n\
<tool_response>\n\
1: fn main() {}\n\
</tool_response><|im_end|>\n\
<|im_start|>assistant\n\
Two more.\n\
<tool_call>\n\
{\"name\": \"read_file\", \"arguments\": {\"path\": \"b.rs\"}}\n\
</tool_call>\n\
<tool_call>\n\
{\"name\": \"finish\", \"arguments\": {\"summary\": \"é \\\"done\\\"\"}}\n\
</tool_call><|im_end|>\n\
<|im_start|>user\n\
<tool_response>\n\
b\n\
</tool_response>\n\
<tool_response>\n\
finished\n\
</tool_response><|im_end|>\n\
<|im_start|>assistant\n\
";
}
