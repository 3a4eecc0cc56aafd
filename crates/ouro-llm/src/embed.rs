//! Text embeddings from the loaded model: the mean of its final hidden states over the
//! text's tokens, scaled to unit length (what `POST /v1/embeddings` of `ouro serve` returns;
//! a generative model's pooled states are a usable, if not a tuned, embedding, as
//! llama.cpp's `--embeddings` with mean pooling gives).

use crate::engine::{Engine, EngineError};

impl Engine {
    /// The pooled embedding of `tokens` (`n_embd` values of unit length), computed on the
    /// CPU copy of the model in a context of its own, whatever device generation uses.
    pub fn embed(&self, tokens: &[u32]) -> Result<Vec<f32>, EngineError> {
        if tokens.is_empty() {
            return Err(EngineError::EmptyPrompt);
        }
        let mut state = self.model.new_state(tokens.len());
        Ok(self.model.pooled_hidden(&mut state, tokens, &self.pool)?)
    }

    /// The length of the vectors [`Engine::embed`] returns.
    pub fn embedding_size(&self) -> usize {
        self.model.config().n_embd
    }
}
