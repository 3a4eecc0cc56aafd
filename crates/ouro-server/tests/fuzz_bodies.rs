//! A fuzzed request-body suite against `/v1/chat/completions`, `/v1/completions` and
//! `/v1/embeddings`: a seeded, deterministic generator (xorshift) turns valid requests into
//! truncated, byte-mutated and invalid-UTF-8 bodies, wrong JSON types and out-of-range
//! numbers for every known field, unknown and duplicated keys, deep nesting, long strings and
//! arrays near the body limit, adversarial JSON schemas, junk and wrong content types. Every
//! answer must be a 2xx or a 4xx (never a 5xx), every 4xx a JSON body with `error.message`,
//! and no connection may end without a reply (but for the documented 413 race of oversized
//! bodies); afterwards the server must still be healthy and answer a valid chat request.
//! Bodies that once found a server bug are kept as explicit regression cases.
//!
//! `OURO_FUZZ_SEED` and `OURO_FUZZ_BODIES` (per endpoint) change the run.

mod common;

use std::collections::BTreeMap;
use std::time::Instant;

use common::{Server, agent, get, json_of, post, start};
use serde_json::{Value, json};

/// Bodies generated per endpoint unless `OURO_FUZZ_BODIES` says otherwise.
const BODIES: usize = 1500;
/// The generator's seed unless `OURO_FUZZ_SEED` says otherwise.
const SEED: u64 = 0x0005_eed0_f0b0_d1e5;
/// The server's body limit (`MAX_BODY`): larger bodies get 413.
const LIMIT: usize = 8 << 20;

/// xorshift64*: small, deterministic, good enough to pick cases.
struct Rng(u64);

impl Rng {
    /// A generator whose state is `seed` mixed (splitmix64), so that near seeds differ.
    fn new(seed: u64) -> Rng {
        let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        Rng((z ^ (z >> 31)).max(1))
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

/// Number literals and near-JSON words put into a body as they are (out of range, or not
/// JSON at all).
const RAW_LITERALS: &[&str] = &[
    "-0",
    "-0.0",
    "1e308",
    "-1e308",
    "1e400",
    "-1e400",
    "1e-400",
    "4.9e-324",
    "18446744073709551615",
    "18446744073709551616",
    "-9223372036854775809",
    "123456789012345678901234567890",
    "1.0",
    "2.0",
    "0.5",
    "1E2",
    "NaN",
    "Infinity",
    "-Infinity",
    "nan",
    "0x10",
    "01",
    "+1",
    ".5",
    "1.",
    "1e",
    "-",
    "undefined",
    "None",
    "True",
    "'single'",
    "1_000",
];

/// Strings a field may wrongly (or adversarially) hold.
const STRINGS: &[&str] = &[
    "",
    "NaN",
    "Infinity",
    "-1",
    "1",
    "true",
    "null",
    "user",
    "system",
    "assistant",
    "tool",
    "developer",
    "function",
    "text",
    "json_object",
    "json_schema",
    "auto",
    "none",
    "required",
    "float",
    "base64",
    "tiny",
    "\u{0}",
    "<|im_end|>",
    "<|im_start|>system\n",
    "<tool_call>\n{\"name\": \"read_file\"",
    "</tool_call>",
    "{{ raise_exception('x') }}",
    "{% for x in range(99999999) %}{% endfor %}",
    "é",
    "🦀",
    "\u{202e}",
    "\u{feff}",
    "a\nb",
    "\\",
    "\"",
    "\u{fffd}",
    "\u{10ffff}",
];

/// Byte sequences that are not UTF-8 (and escapes that are not characters).
const INVALID_UTF8: &[&[u8]] = &[
    b"\xff",
    b"\xc3\x28",
    b"\xe2\x82",
    b"\xed\xa0\x80",
    b"\xf4\x90\x80\x80",
    b"\xc0\xaf",
    b"\x80",
    b"\\ud800",
    b"\\udc00x",
    b"\\ud800\\u0041",
    b"\\u00",
    b"\\x41",
];

/// Whole bodies that are not a request.
const JUNK: &[&[u8]] = &[
    b"",
    b"null",
    b"[]",
    b"{}",
    b"\"\"",
    b"0",
    b"true",
    b"   \n\t",
    b"{} {}",
    b"{\"messages\": [],}",
    b"// comment\n{}",
    b"{'messages': []}",
    b"\x00",
    b"[{}]",
    b"{\"\":}",
    b"{\"a\"",
    b"\n\n{",
    b"{\"model\": \"tiny\"}",
    b"\xef\xbb\xbf{}",
    b"{\"messages\": null, \"prompt\": null, \"input\": null}",
];

/// JSON schemas that are wrong, contradictory, recursive or costly to turn into a grammar:
/// each goes in as `response_format` and as a tool's parameters (the call forced or not).
const SCHEMAS: &[&str] = &[
    r#"{"type": "wat"}"#,
    r#"{"type": ["string", "null"]}"#,
    r#"{"type": "string", "pattern": "("}"#,
    r#"{"type": "string", "pattern": "a{99999}"}"#,
    r#"{"type": "string", "pattern": "(a|b)*c{1000}(x+)+$"}"#,
    r#"{"type": "string", "minLength": 1000000}"#,
    r#"{"type": "string", "minLength": 5, "maxLength": 1}"#,
    r#"{"type": "string", "format": "date-time"}"#,
    r#"{"type": "integer", "minimum": 5, "maximum": 1}"#,
    r#"{"type": "number", "minimum": 1e308, "exclusiveMaximum": -1e308}"#,
    r#"{"type": "array", "minItems": 100000}"#,
    r#"{"type": "array", "items": {"type": "integer"}, "minItems": 3, "maxItems": 2}"#,
    r#"{"enum": []}"#,
    r#"{"enum": [1, "a", null, {"x": [1]}]}"#,
    r#"{"const": {"a": [1, 2, {"b": null}]}}"#,
    r#"{"anyOf": []}"#,
    r#"{"oneOf": [{"type": "string"}, {"type": "string"}]}"#,
    r#"{"allOf": [{"type": "string"}, {"type": "integer"}]}"#,
    r#"{"not": {}}"#,
    r#"false"#,
    r#"true"#,
    r##"{"$ref": "#"}"##,
    r##"{"$ref": "#/definitions/missing"}"##,
    r#"{"$ref": "http://example.com/schema.json"}"#,
    r##"{"definitions": {"a": {"$ref": "#/definitions/b"}, "b": {"$ref": "#/definitions/a"}}, "$ref": "#/definitions/a"}"##,
    r##"{"type": "object", "properties": {"next": {"$ref": "#"}}, "required": ["next"]}"##,
    r#"{"type": "object", "required": ["missing"], "additionalProperties": false}"#,
    r#"{"type": "object", "patternProperties": {"(": {"type": "string"}}}"#,
    r#"{"type": "object", "properties": {"": {"type": "string"}, "\"": {"type": "string"}}}"#,
];

const CONTENT_TYPES: &[Option<&str>] = &[
    None,
    Some("text/plain"),
    Some("application/x-www-form-urlencoded"),
    Some("multipart/form-data; boundary=x"),
    Some("application/json; charset=latin1"),
    Some("application/xml"),
    Some(""),
];

/// An endpoint: valid requests to start from (each asking for a few tokens at most) and
/// the fields (JSON pointers) the generator puts wrong values in.
struct Endpoint {
    name: &'static str,
    path: &'static str,
    seeds: Vec<Value>,
    /// Requests decoded under a grammar, which each request compiles (a tenth of a second
    /// or more in a debug build): the start of one case in five.
    grammar_seeds: Vec<Value>,
    fields: &'static [&'static str],
}

fn endpoints() -> Vec<Endpoint> {
    let user = json!([{"role": "user", "content": "Say hi"}]);
    let tool = json!({"type": "function", "function": {"name": "read_file", "description": "Read a file.",
        "parameters": {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]}}});
    let history = json!([{"role": "user", "content": "read it"},
        {"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "type": "function",
            "function": {"name": "read_file", "arguments": "{\"path\": \"a\"}"}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "fn main() {}"}]);
    let chat = vec![
        json!({"model": "tiny", "messages": user, "max_tokens": 2}),
        json!({"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}],
            "max_tokens": 3, "temperature": 0.5, "top_p": 0.9, "seed": 7, "stop": ["\n", "x"],
            "frequency_penalty": 0.1, "presence_penalty": -0.1}),
        json!({"messages": [{"role": "user", "name": "bob", "content": [{"type": "text", "text": "hi"},
            {"type": "image_url", "image_url": {"url": "x"}}]}], "max_completion_tokens": 2}),
        json!({"messages": user, "max_tokens": 2, "stream": true, "stream_options": {"include_usage": true}}),
        json!({"messages": user, "max_tokens": 2, "n": 2, "logprobs": true, "top_logprobs": 2}),
        json!({"messages": history, "max_tokens": 3}),
    ];
    let chat_grammars = vec![
        json!({"messages": user, "max_tokens": 4, "tools": [tool], "tool_choice": "auto"}),
        json!({"messages": user, "max_tokens": 4, "tools": [tool],
            "tool_choice": {"type": "function", "function": {"name": "read_file"}}}),
        json!({"messages": user, "max_tokens": 4, "response_format": {"type": "json_object"}}),
        json!({"messages": user, "max_tokens": 4, "response_format": {"type": "json_schema",
            "json_schema": {"name": "x", "schema": {"type": "object", "properties": {"a": {"type": "integer"}}}}}}),
        json!({"messages": history, "tools": [tool], "tool_choice": "required", "max_tokens": 3}),
    ];
    let completions = vec![
        json!({"model": "tiny", "prompt": "fn main() {", "max_tokens": 2}),
        json!({"prompt": ["def f():"], "max_tokens": 3, "temperature": 0, "stop": "\n", "seed": 3}),
        json!({"prompt": "x", "max_tokens": 2, "logprobs": 2, "n": 2, "top_p": 0.5}),
        json!({"prompt": "x", "max_tokens": 2, "stream": true, "stream_options": {"include_usage": true}}),
        json!({"prompt": "x", "max_tokens": 1, "echo": false, "suffix": "y", "best_of": 1, "user": "u"}),
    ];
    let embeddings = vec![
        json!({"model": "tiny", "input": "def add(a, b):"}),
        json!({"input": ["a", "b c"], "encoding_format": "base64"}),
        json!({"input": [1, 2, 3], "dimensions": 8}),
        json!({"input": [[1, 2], [3]], "encoding_format": "float", "user": "u"}),
    ];
    vec![
        Endpoint {
            name: "chat",
            path: "/v1/chat/completions",
            seeds: chat,
            grammar_seeds: chat_grammars,
            fields: &[
                "/model",
                "/messages",
                "/messages/0",
                "/messages/0/role",
                "/messages/0/content",
                "/messages/0/content/0",
                "/messages/0/content/0/type",
                "/messages/0/content/0/text",
                "/messages/0/name",
                "/messages/0/tool_calls",
                "/messages/1/tool_calls/0",
                "/messages/1/tool_calls/0/id",
                "/messages/1/tool_calls/0/function",
                "/messages/1/tool_calls/0/function/name",
                "/messages/1/tool_calls/0/function/arguments",
                "/messages/2/tool_call_id",
                "/max_tokens",
                "/max_completion_tokens",
                "/temperature",
                "/top_p",
                "/n",
                "/stop",
                "/stop/0",
                "/stream",
                "/stream_options",
                "/stream_options/include_usage",
                "/tools",
                "/tools/0",
                "/tools/0/type",
                "/tools/0/function",
                "/tools/0/function/name",
                "/tools/0/function/description",
                "/tools/0/function/parameters",
                "/tools/0/function/parameters/properties",
                "/tool_choice",
                "/tool_choice/function",
                "/tool_choice/function/name",
                "/response_format",
                "/response_format/type",
                "/response_format/json_schema",
                "/response_format/json_schema/schema",
                "/response_format/json_schema/schema/properties/a",
                "/logprobs",
                "/top_logprobs",
                "/seed",
                "/frequency_penalty",
                "/presence_penalty",
            ],
        },
        Endpoint {
            name: "completions",
            path: "/v1/completions",
            seeds: completions,
            grammar_seeds: Vec::new(),
            fields: &[
                "/model",
                "/prompt",
                "/prompt/0",
                "/max_tokens",
                "/temperature",
                "/top_p",
                "/n",
                "/stop",
                "/stop/0",
                "/stream",
                "/stream_options",
                "/stream_options/include_usage",
                "/logprobs",
                "/top_logprobs",
                "/seed",
                "/frequency_penalty",
                "/presence_penalty",
                "/echo",
                "/suffix",
            ],
        },
        Endpoint {
            name: "embeddings",
            path: "/v1/embeddings",
            seeds: embeddings,
            grammar_seeds: Vec::new(),
            fields: &[
                "/model",
                "/input",
                "/input/0",
                "/input/0/0",
                "/encoding_format",
                "/dimensions",
                "/user",
            ],
        },
    ]
}

/// One generated request.
struct Case {
    kind: &'static str,
    body: Vec<u8>,
    content_type: Option<&'static str>,
}

/// Builds cases; literals that are not JSON values travel as marker strings until the body
/// is written out.
struct Gen {
    rng: Rng,
    raws: Vec<String>,
}

impl Gen {
    /// A marker standing for `literal` in the written body.
    fn raw(&mut self, literal: String) -> Value {
        self.raws.push(literal);
        Value::String(format!("\u{1}raw{}\u{1}", self.raws.len() - 1))
    }

    /// `value` as body bytes, markers replaced by their literals.
    fn write(&mut self, value: &Value) -> Vec<u8> {
        let mut text = value.to_string();
        for (i, literal) in self.raws.drain(..).enumerate() {
            let marker = Value::String(format!("\u{1}raw{i}\u{1}")).to_string();
            text = text.replace(&marker, &literal);
        }
        text.into_bytes()
    }

    fn long_string(&mut self, len: usize) -> String {
        let unit = self
            .rng
            .pick(&["a", "ab ", "é", "🦀", " ", "\n", "x\"y", "<|im_end|>"]);
        unit.repeat(len / unit.len() + 1)
    }

    /// `[[[...]]]` (balanced or not) `depth` levels deep.
    fn nested(&mut self, depth: usize) -> String {
        let (open, close) = self
            .rng
            .pick(&[("[", "]"), ("{\"a\":", "}"), ("[{\"a\":", "}]")]);
        let mut text = open.repeat(depth);
        text.push('0');
        if self.rng.chance(80) {
            text.push_str(&close.repeat(depth));
        }
        text
    }

    /// A value of a random JSON type, often out of range or adversarial.
    fn weird(&mut self, depth: usize) -> Value {
        match self.rng.below(30) {
            0 => Value::Null,
            1 => json!(true),
            2 => json!(false),
            3 => json!(0),
            4 => json!(-1),
            5 => json!(1),
            6 => json!(2.5),
            7 => json!(-2.5),
            8 => json!(1e308),
            9 => json!(u64::MAX),
            10 => json!(i64::MIN),
            11 => json!(u64::from(u32::MAX) + 1),
            12 => json!(self.rng.pick(&[9, 21, 1024, 100_000, 4_000_000_000u64])),
            13 => json!(self.rng.below(5)),
            14..=16 => json!(self.rng.pick(STRINGS)),
            17 => {
                let len = 1000 + self.rng.below(20_000);
                Value::String(self.long_string(len))
            }
            18 => json!([]),
            19 => json!({}),
            20 if depth < 3 => {
                let n = 1 + self.rng.below(4);
                Value::Array((0..n).map(|_| self.weird(depth + 1)).collect())
            }
            21 if depth < 3 => {
                let n = 1 + self.rng.below(3);
                let map = (0..n)
                    .map(|_| {
                        let key = self.rng.pick(&[
                            "type", "text", "role", "content", "name", "function", "a", "",
                        ]);
                        (key.to_string(), self.weird(depth + 1))
                    })
                    .collect();
                Value::Object(map)
            }
            22 => {
                let depth = 10 + self.rng.below(140);
                let text = self.nested(depth);
                self.raw(text)
            }
            23 | 24 => {
                let literal = self.rng.pick(RAW_LITERALS).to_string();
                self.raw(literal)
            }
            25 => {
                let n = 1 + self.rng.below(5000);
                Value::Array((0..n).map(|_| json!(self.rng.below(5000))).collect())
            }
            26 => {
                let n = 1 + self.rng.below(50);
                Value::Array((0..n).map(|_| json!(self.rng.pick(STRINGS))).collect())
            }
            27 => {
                json!({"role": self.rng.pick(STRINGS), "content": self.rng.pick(STRINGS)})
            }
            28 => json!([{"type": "text", "text": self.rng.pick(STRINGS)}]),
            _ => json!([[1, 2], [-1], []]),
        }
    }

    /// A long value (10 k to 2 MB) for a field.
    fn long(&mut self) -> Value {
        let n = 10_000 + self.rng.below(200_000);
        match self.rng.below(5) {
            0 => Value::String(self.long_string(n * 5)),
            1 => Value::Array((0..n).map(|i| json!(i % 3000)).collect()),
            2 => Value::Array((0..n).map(|_| json!("x")).collect()),
            3 => Value::Array(
                (0..n / 10)
                    .map(|_| json!({"role": "user", "content": "x"}))
                    .collect(),
            ),
            _ => Value::Array(
                (0..n / 10)
                    .map(|_| json!({"type": "text", "text": "y"}))
                    .collect(),
            ),
        }
    }

    fn case(&mut self, endpoint: &Endpoint) -> Case {
        let seeds = if !endpoint.grammar_seeds.is_empty() && self.rng.chance(20) {
            &endpoint.grammar_seeds
        } else {
            &endpoint.seeds
        };
        let mut value = seeds[self.rng.below(seeds.len())].clone();
        let fields = endpoint.fields;
        let roll = self.rng.below(100);
        let (kind, body) = match roll {
            0..=5 => ("valid", self.write(&value)),
            6..=35 => {
                for _ in 0..1 + self.rng.below(3) {
                    let field = self.rng.pick(fields);
                    let new = self.weird(0);
                    set(&mut value, field, new);
                }
                ("wrong type", self.write(&value))
            }
            36..=41 => {
                for _ in 0..1 + self.rng.below(3) {
                    remove(&mut value, self.rng.pick(fields));
                }
                ("missing field", self.write(&value))
            }
            42..=46 => {
                for _ in 0..1 + self.rng.below(4) {
                    let key = self.rng.pick(&[
                        "foo",
                        "",
                        "\u{0}",
                        "user",
                        "metadata",
                        "logit_bias",
                        "parallel_tool_calls",
                        "store",
                        "__proto__",
                        "max_tokens ",
                        "MAX_TOKENS",
                        "Messages",
                        "x.y",
                    ]);
                    let parent = self.rng.pick(&["", "/messages/0", "/tools/0/function"]);
                    let new = self.weird(0);
                    set(&mut value, &format!("{parent}/{key}"), new);
                }
                ("unknown field", self.write(&value))
            }
            47..=56 => {
                let mut body = self.write(&value);
                body.truncate(self.rng.below(body.len()));
                ("truncated", body)
            }
            57..=71 => {
                let mut body = self.write(&value);
                self.mutate(&mut body);
                ("mutated bytes", body)
            }
            72..=76 => {
                let mut body = self.write(&value);
                for _ in 0..1 + self.rng.below(2) {
                    let bad = self.rng.pick(INVALID_UTF8);
                    let quotes: Vec<usize> = body
                        .iter()
                        .enumerate()
                        .filter(|&(_, &b)| b == b'"')
                        .map(|(i, _)| i + 1)
                        .collect();
                    let at = self.rng.pick(&quotes);
                    body.splice(at..at, bad.iter().copied());
                }
                ("invalid utf-8", body)
            }
            77..=80 => {
                let field = self.rng.pick(fields)[1..].split('/').next().unwrap_or("");
                let new = self.weird(0);
                let extra = format!(
                    "{}: {}",
                    json!(field),
                    String::from_utf8_lossy(&self.write(&new))
                );
                let text = String::from_utf8(self.write(&value)).unwrap();
                let body = if self.rng.chance(50) {
                    format!("{{{extra}, {}", &text[1..])
                } else {
                    format!("{}, {extra}}}", &text[..text.len() - 1])
                };
                ("duplicate key", body.into_bytes())
            }
            81..=84 => {
                let literal = self.rng.pick(RAW_LITERALS).to_string();
                let marker = self.raw(literal);
                set(&mut value, self.rng.pick(fields), marker);
                ("raw literal", self.write(&value))
            }
            85..=89 => {
                let body = match self.rng.below(4) {
                    0 => (0..1 + self.rng.below(200))
                        .map(|_| self.rng.next() as u8)
                        .collect(),
                    1 => {
                        let mut body = self.write(&value);
                        body.extend_from_slice(self.rng.pick(&[&b"garbage"[..], b"{}", b"]"]));
                        body
                    }
                    _ => self.rng.pick(JUNK).to_vec(),
                };
                ("junk", body)
            }
            90..=93 => {
                let depth = self.rng.pick(&[127, 129, 500, 10_000, 100_000]);
                let text = self.nested(depth);
                let body = if self.rng.chance(50) {
                    text.into_bytes()
                } else {
                    let marker = self.raw(text);
                    set(&mut value, self.rng.pick(fields), marker);
                    self.write(&value)
                };
                ("deep", body)
            }
            _ => {
                let long = self.long();
                set(&mut value, self.rng.pick(fields), long);
                ("long", self.write(&value))
            }
        };
        self.raws.clear();
        let content_type = if self.rng.chance(85) {
            Some("application/json")
        } else {
            self.rng.pick(CONTENT_TYPES)
        };
        Case {
            kind,
            body,
            content_type,
        }
    }

    /// 1 to 8 byte edits: flips, JSON punctuation put in or taken out, slices doubled.
    fn mutate(&mut self, body: &mut Vec<u8>) {
        const BYTES: &[u8] = b"{}[]\",:\\0-1e.nt \x00\xff\x80";
        for _ in 0..1 + self.rng.below(8) {
            if body.is_empty() {
                body.push(b'{');
            }
            let at = self.rng.below(body.len());
            match self.rng.below(5) {
                0 => body[at] ^= 1 << self.rng.below(8),
                1 => body[at] = self.rng.pick(BYTES),
                2 => body.insert(at, self.rng.pick(BYTES)),
                3 => {
                    body.remove(at);
                }
                _ => {
                    let end = (at + 1 + self.rng.below(16)).min(body.len());
                    let slice = body[at..end].to_vec();
                    body.splice(at..at, slice);
                }
            }
        }
    }
}

/// Puts `new` at `pointer` if its parent exists (an object gains the key, an array the
/// index or a new last item).
fn set(value: &mut Value, pointer: &str, new: Value) {
    let Some((parent, key)) = pointer.rsplit_once('/') else {
        return;
    };
    match value.pointer_mut(parent) {
        Some(Value::Object(map)) => {
            map.insert(key.to_string(), new);
        }
        Some(Value::Array(items)) => match key.parse::<usize>() {
            Ok(i) if i < items.len() => items[i] = new,
            _ => items.push(new),
        },
        _ => {}
    }
}

fn remove(value: &mut Value, pointer: &str) {
    let Some((parent, key)) = pointer.rsplit_once('/') else {
        return;
    };
    match value.pointer_mut(parent) {
        Some(Value::Object(map)) => {
            map.remove(key);
        }
        Some(Value::Array(items)) => {
            if let Ok(i) = key.parse::<usize>()
                && i < items.len()
            {
                items.remove(i);
            }
        }
        _ => {}
    }
}

/// Bodies near (and a few over) the body limit, and nesting far past serde's limit.
fn big_cases(endpoint: &Endpoint) -> Vec<Case> {
    let near = LIMIT - 4096;
    let fill = |unit: &str| unit.repeat(near / unit.len() - 64);
    let items = |item: &str| {
        let n = near / (item.len() + 1) - 64;
        format!("[{}]", vec![item; n].join(","))
    };
    let mut raw: Vec<(&'static str, String)> = match endpoint.name {
        "chat" => vec![
            (
                "long content",
                format!(
                    "{{\"messages\": [{{\"role\": \"user\", \"content\": \"{}\"}}], \"max_tokens\": 1}}",
                    fill("a")
                ),
            ),
            (
                "long content",
                format!(
                    "{{\"messages\": [{{\"role\": \"user\", \"content\": \"{}\"}}], \"max_tokens\": 1}}",
                    fill("ab cd ")
                ),
            ),
            (
                "long content",
                format!(
                    "{{\"messages\": [{{\"role\": \"user\", \"content\": \"{}\"}}], \"max_tokens\": 1}}",
                    fill("\\u00e9")
                ),
            ),
            (
                "many messages",
                format!(
                    "{{\"messages\": {}, \"max_tokens\": 1}}",
                    items("{\"role\":\"user\",\"content\":\"x\"}")
                ),
            ),
            (
                "many parts",
                format!(
                    "{{\"messages\": [{{\"role\": \"user\", \"content\": {}}}], \"max_tokens\": 1}}",
                    items("{\"type\":\"text\",\"text\":\"y\"}")
                ),
            ),
            (
                "many stops",
                format!(
                    "{{\"messages\": [{{\"role\": \"user\", \"content\": \"x\"}}], \"stop\": {}, \"max_tokens\": 1}}",
                    items("\"s\"")
                ),
            ),
            (
                "long model",
                format!(
                    "{{\"model\": \"{}\", \"messages\": [{{\"role\": \"user\", \"content\": \"x\"}}]}}",
                    fill("m")
                ),
            ),
        ],
        "completions" => vec![
            (
                "long prompt",
                format!("{{\"prompt\": \"{}\", \"max_tokens\": 1}}", fill("a")),
            ),
            (
                "long prompt",
                format!(
                    "{{\"prompt\": \"{}\", \"max_tokens\": 1}}",
                    fill("fn x() {} ")
                ),
            ),
            (
                "many prompts",
                format!("{{\"prompt\": {}, \"max_tokens\": 1}}", items("\"p\"")),
            ),
            (
                "token prompt",
                format!("{{\"prompt\": {}, \"max_tokens\": 1}}", items("7")),
            ),
            (
                "many stops",
                format!(
                    "{{\"prompt\": \"x\", \"stop\": {}, \"max_tokens\": 1}}",
                    items("\"s\"")
                ),
            ),
        ],
        _ => vec![
            ("long input", format!("{{\"input\": \"{}\"}}", fill("a"))),
            (
                "long input",
                format!("{{\"input\": \"{}\"}}", fill("def f(): pass\\n")),
            ),
            ("many inputs", format!("{{\"input\": {}}}", items("\"i\""))),
            ("many tokens", format!("{{\"input\": {}}}", items("7"))),
            (
                "many token lists",
                format!("{{\"input\": {}}}", items("[1,2]")),
            ),
            (
                "big dimensions",
                format!(
                    "{{\"input\": \"x\", \"dimensions\": {}}}",
                    "9".repeat(near - 64)
                ),
            ),
        ],
    };
    if endpoint.name == "chat" {
        let user = json!([{"role": "user", "content": "x"}]);
        for schema in SCHEMAS {
            let schema: Value = serde_json::from_str(schema).unwrap();
            let tools =
                json!([{"type": "function", "function": {"name": "f", "parameters": schema}}]);
            for body in [
                json!({"messages": user, "max_tokens": 4, "response_format":
                    {"type": "json_schema", "json_schema": {"name": "s", "schema": schema}}}),
                json!({"messages": user, "max_tokens": 4, "tools": tools, "tool_choice": "required"}),
                json!({"messages": user, "max_tokens": 4, "tools": tools}),
            ] {
                raw.push(("schema", body.to_string()));
            }
        }
    }
    let mut cases: Vec<Case> = raw
        .into_iter()
        .map(|(kind, body)| Case {
            kind,
            body: body.into_bytes(),
            content_type: Some("application/json"),
        })
        .collect();
    for depth in [10_000, 100_000] {
        cases.push(Case {
            kind: "deep",
            body: format!("{}{}", "[".repeat(depth), "]".repeat(depth)).into_bytes(),
            content_type: Some("application/json"),
        });
    }
    cases.push(Case {
        kind: "oversized",
        body: format!("{{\"input\": \"{}\"}}", "a".repeat(LIMIT + 1024)).into_bytes(),
        content_type: Some("application/json"),
    });
    cases
}

/// Bodies that once drew a 5xx or a panic from the server, kept as they were found.
fn regressions(endpoint: &Endpoint) -> Vec<Case> {
    let bodies: &[&str] = match endpoint.name {
        "chat" => &[
            // The batcher's prompt + max_tokens overflowed: its thread panicked, and every
            // later request got 500.
            r#"{"messages": [{"role": "user", "content": "x"}], "max_tokens": 18446744073709551615}"#,
            // Schemas with no finite instance compiled, then failed the first decoding steps
            // (500, ending every other sequence of the batch too).
            r##"{"messages": [{"role": "user", "content": "x"}], "max_tokens": 4,
                "response_format": {"type": "json_schema", "json_schema": {"name": "s", "schema": {"$ref": "#"}}}}"##,
            r##"{"messages": [{"role": "user", "content": "x"}], "max_tokens": 4,
                "response_format": {"type": "json_schema", "json_schema": {"name": "s", "schema":
                    {"definitions": {"a": {"$ref": "#/definitions/b"}, "b": {"$ref": "#/definitions/a"}}, "$ref": "#/definitions/a"}}}}"##,
            r##"{"messages": [{"role": "user", "content": "x"}], "max_tokens": 4, "tool_choice": "required",
                "tools": [{"type": "function", "function": {"name": "f", "parameters":
                    {"type": "object", "properties": {"next": {"$ref": "#"}}, "required": ["next"]}}}]}"##,
        ],
        "completions" => &[r#"{"prompt": "x", "max_tokens": 18446744073709551615}"#],
        _ => &[],
    };
    bodies
        .iter()
        .map(|body| Case {
            kind: "regression",
            body: body.as_bytes().to_vec(),
            content_type: Some("application/json"),
        })
        .collect()
}

/// What one case drew.
enum Outcome {
    Status(u16),
    /// The connection ended while an oversized body was being sent (the server answers 413
    /// before reading it and closes).
    OversizedRace,
}

/// Sends `case` and checks the answer: a 2xx (a JSON body or a whole event stream with no
/// error event) or a 4xx with `error.message`.
fn check(agent: &ureq::Agent, server: &Server, path: &str, case: &Case) -> Result<Outcome, String> {
    let mut req = agent.post(&format!("{}{path}", server.base));
    if let Some(content_type) = case.content_type {
        req = req.header("Content-Type", content_type);
    }
    let mut resp = match req.send(&case.body[..]) {
        Ok(resp) => resp,
        Err(ureq::Error::Io(e))
            if case.body.len() > LIMIT
                && matches!(
                    e.kind(),
                    std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset
                ) =>
        {
            return Ok(Outcome::OversizedRace);
        }
        Err(e) => return Err(format!("no reply: {e}")),
    };
    let status = resp.status().as_u16();
    let body = resp
        .body_mut()
        .with_config()
        .limit(64 << 20)
        .read_to_vec()
        .map_err(|e| format!("{status}, reading the body failed: {e}"))?;
    let text = String::from_utf8(body).map_err(|_| format!("{status}, body not UTF-8"))?;
    let short = || text.chars().take(300).collect::<String>();
    match status {
        200..=299 if text.starts_with("data: ") => {
            let events: Vec<&str> = text
                .lines()
                .filter_map(|l| l.strip_prefix("data: "))
                .collect();
            if events.last() != Some(&"[DONE]") {
                return Err(format!("{status}, a stream without [DONE]: {}", short()));
            }
            for event in &events[..events.len() - 1] {
                let chunk: Value = serde_json::from_str(event)
                    .map_err(|e| format!("{status}, an event not JSON ({e}): {event}"))?;
                if chunk.get("error").is_some() {
                    return Err(format!("{status}, an error event: {event}"));
                }
            }
        }
        200..=299 => {
            let reply: Value = serde_json::from_str(&text)
                .map_err(|e| format!("{status}, body not JSON ({e}): {}", short()))?;
            if !reply["object"].is_string() {
                return Err(format!("{status}, no object: {}", short()));
            }
        }
        400..=499 => {
            let reply: Value = serde_json::from_str(&text)
                .map_err(|e| format!("{status}, error body not JSON ({e}): {}", short()))?;
            if !reply["error"]["message"].is_string() {
                return Err(format!("{status}, no error.message: {}", short()));
            }
        }
        _ => return Err(format!("status {status}: {}", short())),
    }
    Ok(Outcome::Status(status))
}

/// The start of a body, printable.
fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(400)]).into_owned();
    format!("{text:?} ({} bytes)", body.len())
}

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| {
            let v = v.trim();
            match v.strip_prefix("0x") {
                Some(hex) => u64::from_str_radix(hex, 16).ok(),
                None => v.parse().ok(),
            }
        })
        .unwrap_or(default)
}

#[test]
fn fuzzed_bodies_get_a_2xx_or_a_4xx_never_a_5xx() {
    let seed = env_or("OURO_FUZZ_SEED", SEED);
    let per_endpoint = env_or("OURO_FUZZ_BODIES", BODIES as u64) as usize;
    let server = start("fuzz", None);
    let agent = agent();
    let mut maker = Gen {
        rng: Rng::new(seed),
        raws: Vec::new(),
    };
    let started = Instant::now();
    let mut histogram: BTreeMap<String, usize> = BTreeMap::new();
    let mut per_kind: BTreeMap<&str, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut total = 0;
    for endpoint in endpoints() {
        let mut cases = regressions(&endpoint);
        cases.extend(big_cases(&endpoint));
        let fixed = cases.len();
        for _ in fixed..per_endpoint.max(fixed) {
            cases.push(maker.case(&endpoint));
        }
        for (i, case) in cases.iter().enumerate() {
            total += 1;
            *per_kind.entry(case.kind).or_default() += 1;
            match check(&agent, &server, endpoint.path, case) {
                Ok(Outcome::Status(status)) => {
                    *histogram.entry(status.to_string()).or_default() += 1
                }
                Ok(Outcome::OversizedRace) => {
                    *histogram.entry("413 (closed early)".into()).or_default() += 1
                }
                Err(why) => failures.push(format!(
                    "{} case {i} ({}, content type {:?}): {why}\n  body: {}",
                    endpoint.name,
                    case.kind,
                    case.content_type,
                    excerpt(&case.body)
                )),
            }
        }
    }
    eprintln!(
        "fuzz_bodies: seed {seed:#x}, {total} bodies in {:.1} s; statuses {histogram:?}; kinds {per_kind:?}; {} failures",
        started.elapsed().as_secs_f64(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} bodies drew a wrong answer; the first ones:\n{}",
        failures.len(),
        failures[..failures.len().min(20)].join("\n")
    );
    // The server is still whole.
    let (status, body) = get(&server, "/health");
    assert_eq!(
        (status, json_of(&body)["status"].clone()),
        (200, json!("ok"))
    );
    let chat = json!({"messages": [{"role": "user", "content": "Say hi"}], "max_tokens": 3});
    let (status, body) = post(&server, "/v1/chat/completions", &chat.to_string(), None);
    assert_eq!(status, 200, "{body}");
    assert_eq!(json_of(&body)["choices"][0]["message"]["role"], "assistant");
    let (status, metrics) = get(&server, "/metrics");
    assert_eq!(status, 200);
    assert!(!metrics.contains("status=\"5"), "{metrics}");
}
