//! `POST /v1/embeddings`: the served model's pooled embedding of each input ([`Engine::embed`]:
//! the mean of its final hidden states, unit length), as floats or, when the client asks
//! (the `openai` Python client always does), as base64 of little-endian `f32`s.

use base64::Engine as _;
use serde::Deserialize;
use serde_json::{Value, json};

use ouro_llm::engine::Engine;

use crate::error::ApiError;

/// Most inputs one request may embed (OpenAI's limit).
const MAX_INPUTS: usize = 2048;

/// `POST /v1/embeddings`.
#[derive(Debug, Clone, Deserialize)]
pub struct EmbeddingRequest {
    pub model: Option<String>,
    pub input: Input,
    /// `float` (the default) or `base64`.
    pub encoding_format: Option<String>,
    /// Fewer dimensions than the model's: the vector cut and scaled to unit length again.
    pub dimensions: Option<usize>,
}

/// `input`: a text, texts, a token array or token arrays.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Input {
    Text(String),
    Texts(Vec<String>),
    Tokens(Vec<u32>),
    TokenLists(Vec<Vec<u32>>),
}

/// The token sequences of `input`, each checked against the context of `n_ctx` positions
/// and the vocabulary.
fn token_lists(engine: &Engine, input: &Input, n_ctx: usize) -> Result<Vec<Vec<u32>>, ApiError> {
    let texts: &[String] = match input {
        Input::Text(text) => std::slice::from_ref(text),
        Input::Texts(texts) => texts,
        Input::Tokens(_) | Input::TokenLists(_) => &[],
    };
    if let Some(i) = texts.iter().position(String::is_empty) {
        return Err(ApiError::invalid(
            format!("input[{i}] is empty"),
            Some("input"),
        ));
    }
    let lists = match input {
        Input::Text(text) => vec![engine.tokenize_prompt(text)],
        Input::Texts(texts) => texts.iter().map(|t| engine.tokenize_prompt(t)).collect(),
        Input::Tokens(tokens) => vec![tokens.clone()],
        Input::TokenLists(lists) => lists.clone(),
    };
    if lists.is_empty() || lists.len() > MAX_INPUTS {
        return Err(ApiError::invalid(
            format!(
                "input must hold 1 to {MAX_INPUTS} items; it has {}",
                lists.len()
            ),
            Some("input"),
        ));
    }
    let n_vocab = engine.model.config().n_vocab;
    for (i, tokens) in lists.iter().enumerate() {
        let at = |what: String| ApiError::invalid(format!("input[{i}]: {what}"), Some("input"));
        if tokens.is_empty() {
            return Err(at("is empty".into()));
        }
        if tokens.len() > n_ctx {
            return Err(at(format!(
                "has {} tokens; this server's context holds {n_ctx}",
                tokens.len()
            )));
        }
        if let Some(bad) = tokens.iter().find(|&&t| t as usize >= n_vocab) {
            return Err(at(format!(
                "token {bad} is outside the vocabulary of {n_vocab}"
            )));
        }
    }
    Ok(lists)
}

/// Checks `req` and returns the token lists to embed, the encoding and the dimensions.
pub fn prepare(
    engine: &Engine,
    req: &EmbeddingRequest,
    n_ctx: usize,
) -> Result<(Vec<Vec<u32>>, bool, usize), ApiError> {
    let base64 = match req.encoding_format.as_deref() {
        None | Some("float") => false,
        Some("base64") => true,
        Some(other) => {
            return Err(ApiError::invalid(
                format!("encoding_format must be \"float\" or \"base64\", not {other:?}"),
                Some("encoding_format"),
            ));
        }
    };
    let size = engine.embedding_size();
    let dimensions = req.dimensions.unwrap_or(size);
    if dimensions == 0 || dimensions > size {
        return Err(ApiError::invalid(
            format!("dimensions must be 1 to {size} for this model"),
            Some("dimensions"),
        ));
    }
    Ok((token_lists(engine, &req.input, n_ctx)?, base64, dimensions))
}

/// The response body for `vectors` (already cut to their dimensions).
pub fn body(model: &str, vectors: &[Vec<f32>], base64: bool, prompt_tokens: usize) -> Value {
    let data: Vec<Value> = vectors
        .iter()
        .enumerate()
        .map(|(index, v)| {
            let embedding = if base64 {
                let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
                Value::String(base64::engine::general_purpose::STANDARD.encode(bytes))
            } else {
                json!(v)
            };
            json!({"object": "embedding", "index": index, "embedding": embedding})
        })
        .collect();
    json!({
        "object": "list",
        "data": data,
        "model": model,
        "usage": {"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens},
    })
}

/// `vector` cut to its first `dimensions` values and scaled to unit length again.
pub fn shorten(mut vector: Vec<f32>, dimensions: usize) -> Vec<f32> {
    if dimensions < vector.len() {
        vector.truncate(dimensions);
        let norm = vector.iter().map(|v| v * v).sum::<f32>().sqrt();
        if norm > 0.0 {
            vector.iter_mut().for_each(|v| *v /= norm);
        }
    }
    vector
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_are_written_as_floats_or_little_endian_base64() {
        let v = vec![vec![1.0f32, -0.5]];
        let floats = body("m", &v, false, 3);
        assert_eq!(floats["data"][0]["embedding"], json!([1.0, -0.5]));
        assert_eq!(floats["usage"]["prompt_tokens"], 3);
        let b64 = body("m", &v, true, 3);
        let text = b64["data"][0]["embedding"].as_str().expect("a string");
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text)
            .expect("base64");
        assert_eq!(
            bytes,
            [1.0f32.to_le_bytes(), (-0.5f32).to_le_bytes()].concat()
        );
    }

    #[test]
    fn a_shortened_vector_has_unit_length_again() {
        let v = shorten(vec![3.0, 4.0, 12.0], 2);
        assert_eq!(v, vec![0.6, 0.8]);
        assert_eq!(shorten(vec![1.0, 0.0], 2), vec![1.0, 0.0]);
    }
}
