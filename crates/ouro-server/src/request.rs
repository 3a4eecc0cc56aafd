//! Requests as OpenAI clients send them, and what the engine is asked for each: the prompt
//! (chat messages through the model's own template, tools and earlier calls included, as
//! `llama-server --jinja` renders them), the sampling, the stop strings and the grammar
//! (`tool_choice` required or named: one schema-valid call in the template's markers;
//! `response_format`: JSON, or JSON valid under the given schema). Unknown fields are
//! ignored, as OpenAI's own server does; a field ouro cannot honour is refused by name.

use ouro_llm::chat_template::{ChatMessage, TemplateTool, TemplateToolCall, ToolChatMessage};
use ouro_llm::constrained::hermes::{self, CallMode};
use ouro_llm::constrained::{Grammar, SchemaLimits, ToolSpec};
use ouro_llm::engine::{Engine, GenerateOptions, MAX_TOP_LOGPROBS};
use ouro_llm::sampling::SamplingConfig;
use serde::Deserialize;
use serde_json::Value;

use crate::error::ApiError;

/// Most replies one request may ask for (`n`).
const MAX_CHOICES: usize = 8;
/// Most tools one request may give (OpenAI's limit): each is compiled into the request's
/// grammars.
const MAX_TOOLS: usize = 128;
/// Steps of a grammar walked before it is accepted ([`check_grammar`]).
const GRAMMAR_PROBE_STEPS: usize = 4;

/// `stop`: one string or several.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Stop {
    One(String),
    Many(Vec<String>),
}

/// A message's content: text, or parts of which the text ones are kept.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Content {
    Text(String),
    Parts(Vec<ContentPart>),
}

#[derive(Debug, Clone, Deserialize)]
pub struct ContentPart {
    #[serde(rename = "type")]
    pub kind: String,
    pub text: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct FunctionCall {
    pub name: String,
    /// JSON text, as OpenAI sends it.
    pub arguments: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct InToolCall {
    pub id: String,
    pub function: FunctionCall,
}

#[derive(Debug, Clone, Deserialize)]
pub struct InMessage {
    pub role: String,
    pub content: Option<Content>,
    pub tool_calls: Option<Vec<InToolCall>>,
    pub tool_call_id: Option<String>,
    pub name: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct FunctionDef {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub parameters: Option<Value>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct InTool {
    #[serde(rename = "type")]
    pub kind: String,
    pub function: FunctionDef,
}

#[derive(Debug, Clone, Deserialize)]
pub struct JsonSchemaFormat {
    pub schema: Option<Value>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ResponseFormat {
    #[serde(rename = "type")]
    pub kind: String,
    pub json_schema: Option<JsonSchemaFormat>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct StreamOptions {
    #[serde(default)]
    pub include_usage: bool,
}

/// The sampling fields both endpoints share.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Sampling {
    pub temperature: Option<f32>,
    pub top_p: Option<f32>,
    pub seed: Option<u64>,
    pub frequency_penalty: Option<f32>,
    pub presence_penalty: Option<f32>,
    pub stop: Option<Stop>,
    pub n: Option<usize>,
    #[serde(default)]
    pub stream: bool,
    pub stream_options: Option<StreamOptions>,
    /// Chat: `true`/`false`; completions: how many alternatives (a number).
    pub logprobs: Option<Value>,
    /// Chat: the alternatives per token with `logprobs: true`.
    pub top_logprobs: Option<usize>,
}

impl Sampling {
    /// Whether a stream ends with a usage chunk (`stream_options.include_usage`).
    fn include_usage(&self) -> bool {
        self.stream_options
            .as_ref()
            .is_some_and(|o| o.include_usage)
    }
}

/// `POST /v1/chat/completions`.
#[derive(Debug, Clone, Deserialize)]
pub struct ChatRequest {
    pub model: Option<String>,
    pub messages: Vec<InMessage>,
    pub max_tokens: Option<usize>,
    pub max_completion_tokens: Option<usize>,
    pub tools: Option<Vec<InTool>>,
    pub tool_choice: Option<Value>,
    pub response_format: Option<ResponseFormat>,
    #[serde(flatten)]
    pub sampling: Sampling,
}

/// `prompt`: one text (several are refused by name).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Prompt {
    One(String),
    Many(Vec<String>),
}

/// `POST /v1/completions`.
#[derive(Debug, Clone, Deserialize)]
pub struct CompletionRequest {
    pub model: Option<String>,
    pub prompt: Prompt,
    pub max_tokens: Option<usize>,
    #[serde(flatten)]
    pub sampling: Sampling,
}

/// What the engine is asked, and how its reply is read back.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub prompt_tokens: Vec<u32>,
    pub opts: GenerateOptions,
    /// Replies asked for (`n`), each with its own seed.
    pub choices: usize,
    /// The tools a reply may call (its `<tool_call>` blocks are read back as calls).
    pub tools: Vec<ToolSpec>,
    pub stream: bool,
    pub include_usage: bool,
}

fn invalid(message: impl Into<String>, param: &str) -> ApiError {
    ApiError::invalid(message, Some(param))
}

/// The options shared by both endpoints.
fn options(sampling: &Sampling, max_tokens: usize) -> Result<GenerateOptions, ApiError> {
    let logprobs = logprobs(sampling)?;
    let temperature = sampling.temperature.unwrap_or(1.0);
    if !(0.0..=2.0).contains(&temperature) {
        return Err(invalid(
            format!("temperature {temperature} is not between 0 and 2"),
            "temperature",
        ));
    }
    let top_p = sampling.top_p.unwrap_or(1.0);
    if !(top_p > 0.0 && top_p <= 1.0) {
        return Err(invalid(format!("top_p {top_p} is not in (0, 1]"), "top_p"));
    }
    for (name, value) in [
        ("frequency_penalty", sampling.frequency_penalty),
        ("presence_penalty", sampling.presence_penalty),
    ] {
        if value.is_some_and(|v| !(-2.0..=2.0).contains(&v)) {
            return Err(invalid(format!("{name} is not between -2 and 2"), name));
        }
    }
    let stop = match &sampling.stop {
        None => Vec::new(),
        Some(Stop::One(s)) => vec![s.clone()],
        Some(Stop::Many(v)) => v.clone(),
    };
    if stop.len() > 4 || stop.iter().any(String::is_empty) {
        return Err(invalid("stop takes up to 4 non-empty strings", "stop"));
    }
    let config = SamplingConfig {
        temperature,
        top_p,
        top_k: 0,
        min_p: 0.0,
        frequency_penalty: sampling.frequency_penalty.unwrap_or(0.0),
        presence_penalty: sampling.presence_penalty.unwrap_or(0.0),
        seed: sampling.seed.unwrap_or(SamplingConfig::default().seed),
        ..SamplingConfig::default()
    };
    Ok(GenerateOptions {
        max_tokens,
        sampling: config,
        stop,
        logprobs,
        ..GenerateOptions::default()
    })
}

/// The alternatives per token asked for, if log-probabilities are: chat's `logprobs: true`
/// with `top_logprobs`, or the completions' `logprobs: N`.
fn logprobs(sampling: &Sampling) -> Result<Option<usize>, ApiError> {
    let top = match &sampling.logprobs {
        None | Some(Value::Null) | Some(Value::Bool(false)) => {
            if sampling.top_logprobs.is_some_and(|k| k > 0) {
                return Err(invalid("top_logprobs needs logprobs: true", "top_logprobs"));
            }
            return Ok(None);
        }
        Some(Value::Bool(true)) => sampling.top_logprobs.unwrap_or(0),
        Some(Value::Number(n)) => match n.as_u64() {
            Some(k) => usize::try_from(k).unwrap_or(usize::MAX),
            None => {
                return Err(invalid(
                    "logprobs must be a whole number from 0",
                    "logprobs",
                ));
            }
        },
        Some(_) => {
            return Err(invalid(
                "logprobs must be true or false (or a number on /v1/completions)",
                "logprobs",
            ));
        }
    };
    if top > MAX_TOP_LOGPROBS {
        let param = if sampling.top_logprobs.is_some() {
            "top_logprobs"
        } else {
            "logprobs"
        };
        return Err(invalid(
            format!("at most {MAX_TOP_LOGPROBS} alternatives per token"),
            param,
        ));
    }
    Ok(Some(top))
}

/// The most tokens a reply may have: the client's `max_tokens` (or `default`), at least 1
/// and at most the context (no reply can be longer; the bound also keeps the batcher's
/// prompt-plus-reply sum from overflowing on `max_tokens: 18446744073709551615`).
fn max_tokens(asked: Option<usize>, default: usize, n_ctx: usize) -> Result<usize, ApiError> {
    match asked.unwrap_or(default) {
        0 => Err(invalid("max_tokens must be at least 1", "max_tokens")),
        n => Ok(n.min(n_ctx)),
    }
}

fn choices(sampling: &Sampling) -> Result<usize, ApiError> {
    let n = sampling.n.unwrap_or(1);
    if n == 0 || n > MAX_CHOICES {
        return Err(invalid(
            format!("n must be between 1 and {MAX_CHOICES}"),
            "n",
        ));
    }
    if n > 1 && sampling.stream {
        return Err(invalid("n > 1 cannot be streamed here yet", "n"));
    }
    Ok(n)
}

fn text_of(content: &Option<Content>) -> String {
    match content {
        None => String::new(),
        Some(Content::Text(text)) => text.clone(),
        Some(Content::Parts(parts)) => parts
            .iter()
            .filter(|p| p.kind == "text")
            .filter_map(|p| p.text.as_deref())
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

/// The tools of the request as the grammar and the template take them.
fn tool_specs(tools: &[InTool]) -> Result<Vec<ToolSpec>, ApiError> {
    if tools.len() > MAX_TOOLS {
        return Err(invalid(
            format!("at most {MAX_TOOLS} tools; {} were given", tools.len()),
            "tools",
        ));
    }
    tools
        .iter()
        .enumerate()
        .map(|(i, tool)| {
            if tool.kind != "function" {
                return Err(invalid(
                    format!(
                        "tool type {:?} is not supported (only \"function\")",
                        tool.kind
                    ),
                    &format!("tools[{i}].type"),
                ));
            }
            Ok(ToolSpec {
                name: tool.function.name.clone(),
                description: tool.function.description.clone(),
                parameters: tool
                    .function
                    .parameters
                    .clone()
                    .unwrap_or_else(|| serde_json::json!({"type": "object", "properties": {}})),
            })
        })
        .collect()
}

/// Which tools a reply must call: `None` for free text (`auto`: calls are read back if the
/// reply makes any; `none`), else the tools the grammar allows.
fn forced_tools(
    choice: Option<&Value>,
    specs: &[ToolSpec],
) -> Result<(bool, Option<Vec<ToolSpec>>), ApiError> {
    let param = "tool_choice";
    match choice {
        None => Ok((true, None)),
        Some(Value::String(s)) if s == "auto" => Ok((true, None)),
        Some(Value::String(s)) if s == "none" => Ok((false, None)),
        Some(Value::String(s)) if s == "required" => {
            if specs.is_empty() {
                return Err(invalid("tool_choice \"required\" needs tools", param));
            }
            Ok((true, Some(specs.to_vec())))
        }
        Some(value @ Value::Object(_)) => {
            let name = value
                .pointer("/function/name")
                .and_then(Value::as_str)
                .ok_or_else(|| invalid("tool_choice needs function.name", param))?;
            let spec = specs.iter().find(|s| s.name == name).ok_or_else(|| {
                invalid(format!("tool_choice names `{name}`, not in tools"), param)
            })?;
            Ok((true, Some(vec![spec.clone()])))
        }
        Some(other) => Err(invalid(
            format!("tool_choice {other} is not auto, none, required or a function"),
            param,
        )),
    }
}

fn template_calls(calls: &[InToolCall], index: usize) -> Result<Vec<TemplateToolCall>, ApiError> {
    calls
        .iter()
        .enumerate()
        .map(|(j, call)| {
            let arguments = serde_json::from_str(&call.function.arguments).map_err(|e| {
                invalid(
                    format!("the arguments are not JSON: {e}"),
                    &format!("messages[{index}].tool_calls[{j}].function.arguments"),
                )
            })?;
            Ok(TemplateToolCall {
                id: call.id.clone(),
                name: call.function.name.clone(),
                arguments,
            })
        })
        .collect()
}

/// Reads and checks a chat request.
pub fn prepare_chat(
    engine: &Engine,
    req: &ChatRequest,
    n_ctx: usize,
) -> Result<Prepared, ApiError> {
    if req.messages.is_empty() {
        return Err(invalid("messages must not be empty", "messages"));
    }
    for (i, m) in req.messages.iter().enumerate() {
        if !["system", "developer", "user", "assistant", "tool"].contains(&m.role.as_str()) {
            return Err(invalid(
                format!(
                    "role {:?} is not system, developer, user, assistant or tool",
                    m.role
                ),
                &format!("messages[{i}].role"),
            ));
        }
    }
    let max_tokens = max_tokens(
        req.max_completion_tokens.or(req.max_tokens),
        n_ctx / 2,
        n_ctx,
    )?;
    let mut opts = options(&req.sampling, max_tokens)?;
    let choices = choices(&req.sampling)?;
    let template = engine.template.as_ref().ok_or_else(|| {
        invalid(
            "the model has no chat template: use /v1/completions",
            "messages",
        )
    })?;
    let specs = tool_specs(req.tools.as_deref().unwrap_or(&[]))?;
    let (render_tools, forced) = forced_tools(req.tool_choice.as_ref(), &specs)?;
    let uses_tools = !specs.is_empty()
        || req
            .messages
            .iter()
            .any(|m| m.role == "tool" || m.tool_calls.as_ref().is_some_and(|c| !c.is_empty()));
    let role = |r: &str| {
        if r == "developer" {
            "system".to_string()
        } else {
            r.to_string()
        }
    };
    let prompt = if uses_tools {
        let caps = template.tool_caps();
        if !caps.tools {
            return Err(invalid(
                "the model's chat template does not render tools",
                "tools",
            ));
        }
        let messages = req
            .messages
            .iter()
            .enumerate()
            .map(|(i, m)| {
                Ok(ToolChatMessage {
                    role: role(&m.role),
                    content: text_of(&m.content),
                    tool_calls: template_calls(m.tool_calls.as_deref().unwrap_or(&[]), i)?,
                    tool_call_id: m.tool_call_id.clone(),
                    name: m.name.clone(),
                })
            })
            .collect::<Result<Vec<_>, ApiError>>()?;
        let tools: Vec<TemplateTool> = if render_tools {
            specs
                .iter()
                .map(|s| TemplateTool {
                    name: s.name.clone(),
                    description: s.description.clone(),
                    parameters: s.parameters.clone(),
                })
                .collect()
        } else {
            Vec::new()
        };
        template.render_with_tools(&messages, &tools, caps, true)
    } else {
        let messages: Vec<ChatMessage> = req
            .messages
            .iter()
            .map(|m| ChatMessage::new(role(&m.role), text_of(&m.content)))
            .collect();
        template.render(&messages, true)
    }
    .map_err(|e| {
        invalid(
            format!("the chat template cannot render these messages: {e}"),
            "messages",
        )
    })?;
    // A forced call is decoded under its grammar; with `auto` a reply that starts with `<`
    // must be a well-formed call (small models otherwise invent markers such as `<tools>`).
    let call_grammar = match (&forced, render_tools && !specs.is_empty()) {
        (Some(tools), _) => Some(hermes::grammar(
            tools,
            &SchemaLimits::default(),
            CallMode::One,
        )),
        (None, true) => Some(hermes::grammar(
            &specs,
            &SchemaLimits::default(),
            CallMode::TextOrCalls,
        )),
        (None, false) => None,
    };
    if let Some(grammar) = call_grammar {
        opts.grammar = Some(grammar.map_err(|e| refuse(&e, "tools"))?);
        // Each tool's call alone too, so that parameters that cannot be decoded are refused
        // by name even where the model is free not to call (`auto`).
        for (i, spec) in specs.iter().enumerate() {
            let param = format!("tools[{i}].function.parameters");
            let one = hermes::grammar(
                std::slice::from_ref(spec),
                &SchemaLimits::default(),
                CallMode::One,
            )
            .map_err(|e| refuse(&e, &param))?;
            check_grammar(engine, &one, &param)?;
        }
    }
    let mut grammar_param = "tools";
    if let Some(format) = &req.response_format {
        if opts.grammar.is_some() && format.kind != "text" {
            return Err(invalid(
                "response_format cannot be combined with tools",
                "response_format",
            ));
        }
        grammar_param = "response_format";
        opts.grammar = match format.kind.as_str() {
            "text" => None,
            "json_object" => Some(
                Grammar::json_schema(&serde_json::json!({"type": "object"}))
                    .map_err(|e| ApiError::internal(e.to_string()))?,
            ),
            "json_schema" => {
                let schema = format
                    .json_schema
                    .as_ref()
                    .and_then(|s| s.schema.as_ref())
                    .ok_or_else(|| {
                        invalid(
                            "json_schema needs a schema",
                            "response_format.json_schema.schema",
                        )
                    })?;
                Some(
                    Grammar::json_schema(schema)
                        .map_err(|e| refuse(&e, "response_format.json_schema.schema"))?,
                )
            }
            other => {
                return Err(invalid(
                    format!(
                        "response_format type {other:?} is not text, json_object or json_schema"
                    ),
                    "response_format.type",
                ));
            }
        };
    }
    if let Some(grammar) = &opts.grammar {
        check_grammar(engine, grammar, grammar_param)?;
    }
    let prompt_tokens = engine.tokenize_prompt(&prompt);
    check_length(&prompt_tokens, n_ctx)?;
    Ok(Prepared {
        prompt_tokens,
        opts,
        choices,
        tools: if render_tools { specs } else { Vec::new() },
        stream: req.sampling.stream,
        include_usage: req.sampling.include_usage(),
    })
}

/// Compiles `grammar` and walks its first steps (each time to the lowest token it allows),
/// so that a schema llguidance cannot take, or one it cannot start to decode (a `$ref` loop
/// with no way out), is the client's 400 naming `param` rather than a failed decoding step
/// (which would end every sequence of the batch with it).
fn check_grammar(engine: &Engine, grammar: &Grammar, param: &str) -> Result<(), ApiError> {
    let compiler = engine.grammar_compiler().map_err(|e| refuse(&e, param))?;
    let mut guide = compiler.compile(grammar).map_err(|e| refuse(&e, param))?;
    for _ in 0..GRAMMAR_PROBE_STEPS {
        if guide.is_finished() {
            break;
        }
        let token = guide
            .allowed()
            .map_err(|e| refuse(&e, param))?
            .first_bit_set()
            .ok_or_else(|| invalid("the grammar allows no token at all", param))?;
        guide.commit(token as u32).map_err(|e| refuse(&e, param))?;
    }
    Ok(())
}

/// A 400 for a grammar llguidance refused: the first line of its error (the rest is the
/// grammar's source or the parser's state).
fn refuse(error: &impl std::fmt::Display, param: &str) -> ApiError {
    let text = error.to_string();
    invalid(text.lines().next().unwrap_or_default(), param)
}

fn check_length(prompt_tokens: &[u32], n_ctx: usize) -> Result<(), ApiError> {
    if prompt_tokens.is_empty() {
        return Err(invalid("the prompt is empty", "messages"));
    }
    if prompt_tokens.len() >= n_ctx {
        return Err(invalid(
            format!(
                "the prompt has {} tokens; this server's context holds {n_ctx}",
                prompt_tokens.len()
            ),
            "messages",
        ));
    }
    Ok(())
}

/// Reads and checks a completion request.
pub fn prepare_completion(
    engine: &Engine,
    req: &CompletionRequest,
    n_ctx: usize,
) -> Result<Prepared, ApiError> {
    let prompt = match &req.prompt {
        Prompt::One(text) => text.clone(),
        Prompt::Many(texts) if texts.len() == 1 => texts[0].clone(),
        Prompt::Many(_) => {
            return Err(invalid("one prompt per request here", "prompt"));
        }
    };
    let max_tokens = max_tokens(req.max_tokens, 16, n_ctx)?;
    let opts = options(&req.sampling, max_tokens)?;
    let choices = choices(&req.sampling)?;
    let prompt_tokens = engine.tokenize_prompt(&prompt);
    check_length(&prompt_tokens, n_ctx).map_err(|e| ApiError {
        param: Some("prompt".into()),
        ..e
    })?;
    Ok(Prepared {
        prompt_tokens,
        opts,
        choices,
        tools: Vec::new(),
        stream: req.sampling.stream,
        include_usage: req.sampling.include_usage(),
    })
}
