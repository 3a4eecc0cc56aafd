//! Pixel programs written by a language model: the model gets a description of the format
//! and a request, and decodes under a grammar built from a tightened form of the program
//! schema, so that what it writes always validates (see `ouro pixel gen`).
//!
//! The generation schema ([`generation_schema`]) is a subset of the full one
//! (docs/pixel-program.schema.json) that a small model cannot get wrong: colours are inline
//! `[r, g, b]` / `[r, g, b, a]` arrays (a palette name could name nothing), the canvas is
//! 16 to 256 pixels a side, coordinates and sizes stay near it, there are 1 to
//! [`MAX_GEN_OPS`] ops, and text is short printable ASCII. Every program it allows passes
//! [`crate::parse_program`], which checks the result again anyway.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use ouro_llm::ChatMessage;
use ouro_llm::constrained::Grammar;
use ouro_llm::engine::{ChatSession, Engine, EngineError, GenerateOptions, StopReason};
use ouro_llm::sampling::SamplingConfig;
use serde_json::{Value, json};

use crate::error::{PixelError, ValidationError};
use crate::parse::parse_program;
use crate::program::Program;

/// Most ops in a generated program.
pub const MAX_GEN_OPS: u64 = 10;
/// Largest generated canvas side.
pub const MAX_GEN_CANVAS: i64 = 256;
/// Most characters of one generated `WRITE_TEXT`.
pub const MAX_GEN_TEXT: u64 = 24;

/// Why generating a program failed.
#[derive(Debug, thiserror::Error)]
pub enum GenError {
    #[error("model {}: {source}", path.display())]
    Load {
        path: PathBuf,
        #[source]
        source: EngineError,
    },
    #[error("cannot read the current directory: {0}")]
    Cwd(#[source] std::io::Error),
    /// No model file where it was looked for (the message says where and what to do).
    #[error("{0}")]
    NoModel(String),
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error("the model stopped before finishing the program ({reason:?} after {tokens} tokens)")]
    Unfinished { reason: StopReason, tokens: usize },
    #[error("the generated program does not validate: {error}\n{text}")]
    Invalid {
        error: ValidationError,
        text: String,
    },
}

fn int(min: i64, max: i64) -> Value {
    json!({"type": "integer", "minimum": min, "maximum": max})
}

fn color() -> Value {
    json!({"type": "array", "items": int(0, 255), "minItems": 3, "maxItems": 4})
}

/// One op's schema: `{"op": kind, ...fields}` with `required` fields first.
fn op(kind: &str, required: &[(&str, Value)], optional: &[(&str, Value)]) -> Value {
    let mut properties = serde_json::Map::new();
    properties.insert("op".into(), json!({"const": kind}));
    let mut names = vec![json!("op")];
    for (name, schema) in required {
        properties.insert((*name).into(), schema.clone());
        names.push(json!(name));
    }
    for (name, schema) in optional {
        properties.insert((*name).into(), schema.clone());
    }
    json!({"type": "object", "properties": properties, "required": names, "additionalProperties": false})
}

/// The schema programs are generated under (see the module docs).
pub fn generation_schema() -> Value {
    let side = MAX_GEN_CANVAS;
    let coord = || int(-side / 4, side + side / 4);
    let extent = || int(0, side);
    let ops = [
        op("FILL", &[("color", color())], &[]),
        op(
            "PIXEL",
            &[("x", coord()), ("y", coord()), ("color", color())],
            &[],
        ),
        op(
            "RECT",
            &[
                ("x", coord()),
                ("y", coord()),
                ("width", extent()),
                ("height", extent()),
                ("color", color()),
            ],
            &[("stroke", int(0, 16))],
        ),
        op(
            "LINE",
            &[
                ("x0", coord()),
                ("y0", coord()),
                ("x1", coord()),
                ("y1", coord()),
                ("color", color()),
            ],
            &[("width", int(1, 16))],
        ),
        op(
            "CIRCLE",
            &[
                ("cx", coord()),
                ("cy", coord()),
                ("radius", extent()),
                ("color", color()),
            ],
            &[("stroke", int(0, 16))],
        ),
        op(
            "POLYGON",
            &[
                (
                    "points",
                    json!({"type": "array", "minItems": 3, "maxItems": 8, "items": {
                        "type": "array", "prefixItems": [coord(), coord()], "items": false,
                        "minItems": 2, "maxItems": 2
                    }}),
                ),
                ("color", color()),
            ],
            &[],
        ),
        op(
            "GRADIENT",
            &[
                ("x", coord()),
                ("y", coord()),
                ("width", extent()),
                ("height", extent()),
                ("from", color()),
                ("to", color()),
            ],
            &[("direction", json!({"enum": ["horizontal", "vertical"]}))],
        ),
        op(
            "WRITE_TEXT",
            &[
                ("x", coord()),
                ("y", coord()),
                (
                    "text",
                    json!({"type": "string", "pattern": format!("^[A-Za-z0-9 .,:!?+#-]{{1,{MAX_GEN_TEXT}}}$")}),
                ),
                ("color", color()),
            ],
            &[("scale", int(1, 4))],
        ),
    ];
    json!({
        "type": "object",
        "properties": {
            "kind": {"const": "pixel_program"},
            "version": {"const": 1},
            "name": {"type": "string", "pattern": "^[A-Za-z0-9 _-]{1,32}$"},
            "canvas": {
                "type": "object",
                "properties": {"width": int(16, side), "height": int(16, side)},
                "required": ["width", "height"],
                "additionalProperties": false
            },
            "ops": {"type": "array", "minItems": 1, "maxItems": MAX_GEN_OPS, "items": {"anyOf": ops}}
        },
        "required": ["kind", "version", "name", "canvas", "ops"],
        "additionalProperties": false
    })
}

/// The system message: the format in brief, one example line per op.
pub fn system_prompt() -> String {
    let ops = [
        r#"{"op": "FILL", "color": [240, 240, 230]}"#,
        r#"{"op": "PIXEL", "x": 3, "y": 5, "color": [0, 0, 0]}"#,
        r#"{"op": "RECT", "x": 4, "y": 6, "width": 30, "height": 12, "color": [200, 40, 40], "stroke": 2}"#,
        r#"{"op": "LINE", "x0": 0, "y0": 0, "x1": 40, "y1": 25, "color": [20, 20, 20], "width": 1}"#,
        r#"{"op": "CIRCLE", "cx": 20, "cy": 16, "radius": 9, "color": [250, 200, 0]}"#,
        r#"{"op": "POLYGON", "points": [[10, 30], [25, 5], [40, 30]], "color": [30, 150, 60]}"#,
        r#"{"op": "GRADIENT", "x": 0, "y": 0, "width": 48, "height": 32, "from": [10, 20, 80], "to": [120, 180, 255], "direction": "vertical"}"#,
        r#"{"op": "WRITE_TEXT", "x": 2, "y": 2, "text": "HI", "color": [255, 255, 255], "scale": 2}"#,
    ];
    format!(
        "You draw small pictures as pixel programs: JSON objects {{\"kind\": \"pixel_program\", \
         \"version\": 1, \"name\": NAME, \"canvas\": {{\"width\": W, \"height\": H}}, \"ops\": \
         [OP, ...]}}. The ops are drawn in order over the canvas; (0, 0) is the top-left \
         pixel; colours are [r, g, b] or [r, g, b, alpha] from 0 to 255; stroke, width, \
         direction and scale are optional. The ops look like this:\n{}\n\
         Name the program after what it shows and draw what the user asks for.",
        ops.join("\n")
    )
}

/// How to sample one program.
#[derive(Debug, Clone)]
pub struct GenOptions {
    /// The sampling seed.
    pub seed: u64,
    /// Sampling temperature (0: greedy).
    pub temperature: f32,
    /// Most tokens to generate (a program that does not fit is an error).
    pub max_tokens: usize,
}

impl Default for GenOptions {
    fn default() -> Self {
        GenOptions {
            seed: 0,
            temperature: 0.8,
            max_tokens: 1024,
        }
    }
}

/// A generated, validated program.
#[derive(Debug, Clone)]
pub struct Generated {
    /// The JSON text the model wrote.
    pub text: String,
    pub program: Program,
    /// The seed it was sampled with.
    pub seed: u64,
    /// Tokens generated.
    pub tokens: usize,
    /// Wall time of the generation, in seconds.
    pub seconds: f64,
}

/// Writes programs with one model. It keeps the conversation context between requests, so
/// the system prompt is processed once, not once per program.
pub struct ProgramGenerator<'e> {
    engine: &'e Engine,
    session: ChatSession,
    grammar: Grammar,
}

impl<'e> ProgramGenerator<'e> {
    /// A generator over `engine` with a context of `n_ctx` tokens (2048 is plenty).
    pub fn new(engine: &'e Engine, n_ctx: usize) -> Result<Self, GenError> {
        let grammar = Grammar::json_schema(&generation_schema())
            .map_err(EngineError::from)?
            .named("pixel program grammar");
        Ok(ProgramGenerator {
            engine,
            session: engine.session(n_ctx)?,
            grammar,
        })
    }

    /// Asks the model for a program answering `request` and validates it.
    pub fn generate(
        &mut self,
        request: &str,
        opts: &GenOptions,
        cancel: &AtomicBool,
    ) -> Result<Generated, GenError> {
        let started = Instant::now();
        let prompt = self.engine.chat_prompt(&[
            ChatMessage {
                role: "system".into(),
                content: system_prompt(),
            },
            ChatMessage {
                role: "user".into(),
                content: request.into(),
            },
        ])?;
        let gen_opts = GenerateOptions {
            max_tokens: opts.max_tokens,
            sampling: SamplingConfig {
                temperature: opts.temperature,
                seed: opts.seed,
                ..SamplingConfig::default()
            },
            grammar: Some(self.grammar.clone()),
            ..GenerateOptions::default()
        };
        let out = self
            .session
            .generate(self.engine, &prompt, &gen_opts, cancel, &mut |_| {})?;
        if out.stop_reason != StopReason::GrammarComplete {
            return Err(GenError::Unfinished {
                reason: out.stop_reason,
                tokens: out.tokens.len(),
            });
        }
        let program = parse_program(&out.text).map_err(|error| GenError::Invalid {
            error,
            text: out.text.clone(),
        })?;
        Ok(Generated {
            text: out.text,
            program,
            seed: opts.seed,
            tokens: out.tokens.len(),
            seconds: started.elapsed().as_secs_f64(),
        })
    }
}

/// Loads the model at `model`, or the default model under the current directory's
/// `models/` when `None`, with `threads` worker threads (0: all cores).
pub fn load_engine(model: Option<&Path>, threads: usize) -> Result<Engine, GenError> {
    let cwd = std::env::current_dir().map_err(GenError::Cwd)?;
    let path = ouro_core::paths::resolve_model(model, &[cwd]).map_err(GenError::NoModel)?;
    Engine::load(&path, threads).map_err(|source| GenError::Load { path, source })
}

/// `path` with `-{index}` before its extension (`logo.pixel.json` -> `logo-2.pixel.json`).
pub fn numbered(path: &Path, index: usize) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (stem, ext) = match name.find('.') {
        Some(dot) if dot > 0 => name.split_at(dot),
        _ => (name.as_str(), ""),
    };
    path.with_file_name(format!("{stem}-{index}{ext}"))
}

impl From<GenError> for PixelError {
    fn from(e: GenError) -> Self {
        PixelError::Gen(Box::new(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_inserts_before_the_extensions() {
        assert_eq!(
            numbered(Path::new("out/logo.pixel.json"), 2),
            Path::new("out/logo-2.pixel.json")
        );
        assert_eq!(numbered(Path::new("logo"), 1), Path::new("logo-1"));
    }

    #[test]
    fn the_prompt_examples_fit_the_generation_schema_and_validate() {
        let prompt = system_prompt();
        let lines: Vec<&str> = prompt
            .lines()
            .filter(|l| l.starts_with("{\"op\""))
            .collect();
        assert_eq!(lines.len(), 8);
        let ops: Vec<Value> = lines
            .iter()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let program = json!({"kind": "pixel_program", "version": 1, "name": "all ops",
            "canvas": {"width": 48, "height": 32}, "ops": ops});
        // The schema's patterns are outside the validator's subset: check without them.
        let text = generation_schema()
            .to_string()
            .replace("\"pattern\":", "\"description\":");
        let without_patterns: Value = serde_json::from_str(&text).unwrap();
        ouro_llm::constrained::validate(&without_patterns, &program, "example").unwrap();
        parse_program(&program.to_string()).unwrap();
    }
}
