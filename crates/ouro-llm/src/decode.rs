//! One sequence's token choice while generating: the sampler, the grammar guide, the stop
//! strings and the text decoded so far. [`crate::engine::Engine::generate_in`] drives one
//! [`Decoder`]; [`crate::candidates`] drives several side by side, one per candidate reply.

use crate::constrained::Guide;
use crate::engine::{Engine, EngineError, GenerateOptions, StopReason, TokenLogprob};
use crate::sampling::{Sampler, SamplingConfig, StopMatcher};
use crate::tokenizer::Utf8Stream;

/// What [`Decoder::next`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// This token was taken; generation goes on.
    Token(u32),
    /// Generation ends (a token that completed a stop string or the grammar is kept).
    Stop(StopReason),
}

/// The decoding state of one sequence.
pub(crate) struct Decoder {
    sampler: Sampler,
    guide: Option<Guide>,
    stops: StopMatcher,
    utf8: Utf8Stream,
    ignore_eos: bool,
    /// The text emitted so far.
    pub text: String,
    /// The tokens taken so far (an end-of-generation token is not).
    pub tokens: Vec<u32>,
    /// Alternatives recorded per token, when log-probabilities are asked for.
    top_logprobs: Option<usize>,
    /// Each taken token's log-probability (when asked for).
    pub logprobs: Vec<TokenLogprob>,
}

impl Decoder {
    /// A decoder for `opts` with `sampling`, having seen `prompt_tokens` (the penalties'
    /// window starts with them).
    pub fn new(
        engine: &Engine,
        opts: &GenerateOptions,
        sampling: SamplingConfig,
        prompt_tokens: &[u32],
    ) -> Result<Decoder, EngineError> {
        let guide = match &opts.grammar {
            Some(grammar) => Some(engine.grammar_compiler()?.compile(grammar)?),
            None => None,
        };
        let mut sampler = Sampler::new(sampling, engine.model.config().n_vocab)?;
        for &t in prompt_tokens {
            sampler.accept(t);
        }
        Ok(Decoder {
            sampler,
            guide,
            stops: StopMatcher::new(opts.stop.clone()),
            utf8: Utf8Stream::default(),
            ignore_eos: opts.ignore_eos,
            text: String::new(),
            tokens: Vec::new(),
            top_logprobs: opts.logprobs,
            logprobs: Vec::new(),
        })
    }

    /// Picks the next token from `logits` (masked by the grammar first) and emits its text
    /// through `on_text`, held back while it may be the start of a stop string.
    pub fn next(
        &mut self,
        engine: &Engine,
        logits: &mut [f32],
        on_text: &mut dyn FnMut(&str),
    ) -> Result<Step, EngineError> {
        // The model's own distribution, before the grammar and the sampling settings.
        let raw = self.top_logprobs.map(|_| logits.to_vec());
        if let Some(guide) = self.guide.as_mut() {
            guide.mask_logits(logits)?;
        }
        let token = self.sampler.sample(logits);
        self.sampler.accept(token);
        if !self.ignore_eos && engine.tokenizer.is_eog(token) {
            return Ok(Step::Stop(StopReason::EndOfGeneration));
        }
        if let Some(guide) = self.guide.as_mut() {
            guide.commit(token)?;
        }
        self.tokens.push(token);
        if let (Some(raw), Some(k)) = (raw, self.top_logprobs) {
            self.logprobs
                .push(crate::score::token_logprob(&raw, token, k));
        }
        let piece = self.utf8.push(&engine.tokenizer.token_to_piece(token));
        let step = self.stops.push(&piece);
        self.emit(&step.emit, on_text);
        if step.stopped {
            return Ok(Step::Stop(StopReason::StopString));
        }
        if self.guide.as_ref().is_some_and(Guide::is_finished) {
            return Ok(Step::Stop(StopReason::GrammarComplete));
        }
        Ok(Step::Token(token))
    }

    /// Emits what is still held back, unless a stop string ended the generation (the text
    /// held back is then the stop string's start, never shown).
    pub fn finish(&mut self, reason: StopReason, on_text: &mut dyn FnMut(&str)) {
        if reason == StopReason::StopString {
            return;
        }
        let rest = self.utf8.finish();
        let step = self.stops.push(&rest);
        self.emit(&step.emit, on_text);
        let flushed = self.stops.flush();
        self.emit(&flushed, on_text);
    }

    fn emit(&mut self, piece: &str, on_text: &mut dyn FnMut(&str)) {
        if !piece.is_empty() {
            on_text(piece);
            self.text.push_str(piece);
        }
    }
}
