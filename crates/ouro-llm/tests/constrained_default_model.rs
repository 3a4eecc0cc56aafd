//! Constrained decoding with the default model (SmolLM2-135M-Instruct Q4_1): JSON replies
//! under a schema, and a 100-step run of sampled tool calls over four agent-like tools in
//! which every call must parse and validate.

mod common;

use std::sync::atomic::AtomicBool;
use std::time::Instant;

use ouro_llm::ChatMessage;
use ouro_llm::constrained::{
    Grammar, SchemaLimits, ToolSpec, bound_schema, parse_tool_call, validate,
};
use ouro_llm::engine::{Engine, GenerateOptions, StopReason};
use ouro_llm::sampling::SamplingConfig;
use serde_json::{Value, json};

fn engine() -> Option<Engine> {
    // One thread: tests run side by side, and spinning worker threads slow down badly when
    // the cores are oversubscribed.
    Some(Engine::load(common::default_model()?, 1).unwrap())
}

fn chat(engine: &Engine, system: &str, user: &str) -> String {
    engine
        .chat_prompt(&[
            ChatMessage {
                role: "system".into(),
                content: system.into(),
            },
            ChatMessage {
                role: "user".into(),
                content: user.into(),
            },
        ])
        .unwrap()
}

#[test]
fn json_schema_replies_validate() {
    let Some(engine) = engine() else { return };
    let schema = json!({
        "type": "object",
        "properties": {
            "title": {"type": "string", "minLength": 1},
            "priority": {"enum": ["low", "medium", "high"]},
            "estimate_hours": {"type": "integer", "minimum": 1, "maximum": 40},
            "steps": {"type": "array", "items": {"type": "string"}, "minItems": 1},
            "blocked": {"type": "boolean"}
        },
        "required": ["title", "priority", "estimate_hours", "steps"],
        "additionalProperties": false
    });
    let limits = SchemaLimits {
        max_string_chars: 80,
        max_items: 5,
        ..SchemaLimits::default()
    };
    let grammar = Grammar::json_schema(&bound_schema(&schema, &limits)).unwrap();
    let system = format!("Reply with one JSON object matching this schema: {schema}");
    let tasks = [
        "Fix the login bug",
        "Write the README",
        "Add a dark mode",
        "Speed up the build",
    ];
    let cancel = AtomicBool::new(false);
    let started = Instant::now();
    for (i, task) in tasks.iter().enumerate() {
        let prompt =
            engine.tokenize_prompt(&chat(&engine, &system, &format!("Plan this task: {task}")));
        let opts = GenerateOptions {
            max_tokens: 400,
            sampling: SamplingConfig {
                temperature: 0.7,
                seed: i as u64,
                ..SamplingConfig::default()
            },
            grammar: Some(grammar.clone()),
            ..GenerateOptions::default()
        };
        let out = engine
            .generate(&prompt, 2048, &opts, &cancel, &mut |_| {})
            .unwrap();
        eprintln!("{task}: {}", out.text);
        assert_eq!(out.stop_reason, StopReason::GrammarComplete, "{}", out.text);
        let value: Value = serde_json::from_str(&out.text).unwrap();
        validate(&schema, &value, "reply").unwrap();
    }
    eprintln!("{} JSON replies in {:.1?}", tasks.len(), started.elapsed());
}

/// Tools shaped like ouro-agent's.
fn tools() -> Vec<ToolSpec> {
    let tool = |name: &str, description: &str, parameters: Value| ToolSpec {
        name: name.into(),
        description: description.into(),
        parameters,
    };
    vec![
        tool(
            "read_file",
            "Read a text file of the workspace, optionally a range of lines.",
            json!({"type": "object", "properties": {
                "path": {"type": "string", "description": "workspace-relative path"},
                "start_line": {"type": "integer", "minimum": 1},
                "end_line": {"type": "integer", "minimum": 1}
            }, "required": ["path"], "additionalProperties": false}),
        ),
        tool(
            "write_file",
            "Create or overwrite a file with the given content.",
            json!({"type": "object", "properties": {
                "path": {"type": "string"},
                "content": {"type": "string"}
            }, "required": ["path", "content"], "additionalProperties": false}),
        ),
        tool(
            "bash",
            "Run a shell command in the workspace.",
            json!({"type": "object", "properties": {
                "command": {"type": "string"},
                "timeout_secs": {"type": "integer", "minimum": 1, "maximum": 600}
            }, "required": ["command"], "additionalProperties": false}),
        ),
        tool(
            "plan",
            "Record the plan: a list of steps with their status.",
            json!({"type": "object", "properties": {
                "steps": {"type": "array", "items": {"type": "object", "properties": {
                    "step": {"type": "string"},
                    "status": {"type": "string", "enum": ["pending", "in_progress", "done"]}
                }, "required": ["step", "status"], "additionalProperties": false}}
            }, "required": ["steps"], "additionalProperties": false}),
        ),
        tool(
            "finish",
            "End the task with a summary of what was done.",
            json!({"type": "object", "properties": {
                "summary": {"type": "string"},
                "success": {"type": "boolean"}
            }, "required": ["summary"], "additionalProperties": false}),
        ),
    ]
}

const TASKS: [&str; 10] = [
    "Show me the first 20 lines of src/main.rs.",
    "Create hello.txt containing a greeting.",
    "Run the test suite with cargo test.",
    "List the files in the current directory.",
    "Plan how to add a --verbose flag to the CLI.",
    "The task is done; summarize it.",
    "Read Cargo.toml and tell me the crate name.",
    "Write a Python script that prints the numbers 1 to 10.",
    "Check the git status of the repository.",
    "Fix the typo in README.md.",
];

#[test]
fn hundred_sampled_tool_calls_parse_and_validate() {
    let Some(engine) = engine() else { return };
    let tools = tools();
    let limits = SchemaLimits {
        max_string_chars: 160,
        max_items: 6,
        max_abs_number: 100_000,
    };
    let grammar = Grammar::tool_calls(&tools, &limits).unwrap();
    let mut system = String::from(
        "You are a coding agent. Answer with exactly one tool call as JSON: \
         {\"name\": TOOL, \"arguments\": {...}}. Tools:\n",
    );
    for t in &tools {
        system.push_str(&format!(
            "- {}: {} Arguments: {}\n",
            t.name, t.description, t.parameters
        ));
    }
    let cancel = AtomicBool::new(false);
    let mut session = engine.session(2048).expect("session");
    let mut used = std::collections::BTreeMap::<String, usize>::new();
    let (mut tokens, started) = (0, Instant::now());
    for step in 0..100u64 {
        let task = TASKS[step as usize % TASKS.len()];
        let prompt = chat(&engine, &system, task);
        let opts = GenerateOptions {
            max_tokens: 512,
            sampling: SamplingConfig {
                temperature: 0.7,
                seed: 1000 + step,
                ..SamplingConfig::default()
            },
            grammar: Some(grammar.clone()),
            ..GenerateOptions::default()
        };
        let out = session
            .generate(&engine, &prompt, &opts, &cancel, &mut |_| {})
            .unwrap();
        assert_eq!(
            out.stop_reason,
            StopReason::GrammarComplete,
            "step {step}: {}",
            out.text
        );
        let call = parse_tool_call(&out.text, &tools)
            .unwrap_or_else(|e| panic!("step {step}: {e}: {}", out.text));
        *used.entry(call.name).or_default() += 1;
        tokens += out.tokens.len();
        if step % 10 == 0 {
            eprintln!("step {step} ({task}): {}", out.text);
        }
    }
    let elapsed = started.elapsed();
    eprintln!(
        "100 tool calls, all valid, {tokens} tokens in {elapsed:.1?} ({:.1} tok/s); tools used: {used:?}",
        tokens as f64 / elapsed.as_secs_f64()
    );
    assert!(
        used.len() >= 2,
        "the model always called the same tool: {used:?}"
    );
}
