//! The vocabulary: token texts, scores and attributes, BPE merge ranks, special token ids and
//! the tokenizer switches, read from a GGUF file's `tokenizer.*` metadata the way llama.cpp's
//! `llama_vocab::load` reads them (defaults and text-based detection included).

use std::collections::HashSet;

use rustc_hash::FxHashMap;

use super::TokenizerError;
use super::attr::TokenAttr;
use super::pretokenize::{PreTokenizerConfig, PreTokenizerKind};
use crate::gguf::{GgufFile, MetaValue};

/// The tokenization algorithm of a vocabulary (`tokenizer.ggml.model`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenizerModel {
    /// SentencePiece-style BPE by score ("llama").
    Spm,
    /// GPT-2-style byte-level BPE by merge rank ("gpt2"), with its pre-tokenizer.
    Bpe(PreTokenizerKind),
}

/// One vocabulary entry.
#[derive(Debug, Clone)]
pub(crate) struct TokenData {
    pub(crate) text: String,
    pub(crate) score: f32,
    pub(crate) attr: TokenAttr,
}

/// A loaded vocabulary.
#[derive(Debug, Clone)]
pub(crate) struct Vocab {
    pub(crate) model: TokenizerModel,
    pub(crate) tokens: Vec<TokenData>,
    pub(crate) token_to_id: FxHashMap<String, u32>,
    /// BPE merges: "left right" -> rank.
    pub(crate) merge_ranks: FxHashMap<String, u32>,
    pub(crate) bos: Option<u32>,
    pub(crate) eos: Option<u32>,
    pub(crate) unk: Option<u32>,
    pub(crate) add_bos: bool,
    pub(crate) add_eos: bool,
    pub(crate) add_space_prefix: bool,
    pub(crate) ignore_merges: bool,
    pub(crate) clean_spaces: bool,
    pub(crate) eog: HashSet<u32>,
    /// Control, user-defined and unknown tokens, longest text first: the tokens searched for in
    /// raw text before tokenizing it.
    pub(crate) special_tokens: Vec<u32>,
}

// Texts llama.cpp recognizes when the GGUF does not name these tokens.
const FIM_PRE_TEXTS: &[&str] = &[
    "<|fim_prefix|>",
    "<fim-prefix>",
    "<fim_prefix>",
    "<｜fim▁begin｜>",
    "<PRE>",
    "▁<PRE>",
    "<|code_prefix|>",
    "<|prefix|>",
];
const FIM_SUF_TEXTS: &[&str] = &[
    "<|fim_suffix|>",
    "<fim-suffix>",
    "<fim_suffix>",
    "<｜fim▁hole｜>",
    "<SUF>",
    "▁<SUF>",
    "<|code_suffix|>",
    "<|suffix|>",
];
const FIM_MID_TEXTS: &[&str] = &[
    "<|fim_middle|>",
    "<fim-middle>",
    "<fim_middle>",
    "<｜fim▁end｜>",
    "<MID>",
    "▁<MID>",
    "<|code_middle|>",
    "<|middle|>",
];
const FIM_PAD_TEXTS: &[&str] = &["<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]"];
const FIM_REP_TEXTS: &[&str] = &[
    "<|fim_repo|>",
    "<|repo_name|>",
    "<fim-repo>",
    "<REPO>",
    "<reponame>",
];
const FIM_SEP_TEXTS: &[&str] = &["<|file_sep|>", "<file-sep>", "<fim-sep>", "<fim_sep>"];
const EOG_TEXTS: &[&str] = &[
    "<|eot_id|>",
    "<|im_end|>",
    "<|end|>",
    "<|return|>",
    "<|call|>",
    "<|flush|>",
    "<|calls|>",
    "<end_of_turn>",
    "<|endoftext|>",
    "</s>",
    "<|eom_id|>",
    "<EOT>",
    "_<EOT>",
    "[EOT]",
    "[EOS]",
    "<|end_of_text|>",
    "<end_of_utterance>",
    "<eos>",
    "<turn|>",
    "<|tool_response>",
    "<｜end▁of▁sentence｜>",
];
/// gpt-oss tokens that are always rendered.
const ALWAYS_RENDERED_TEXTS: &[&str] =
    &["<|channel|>", "<|message|>", "<|start|>", "<|constrain|>"];

const KEY_MODEL: &str = "tokenizer.ggml.model";
const KEY_PRE: &str = "tokenizer.ggml.pre";
const KEY_TOKENS: &str = "tokenizer.ggml.tokens";
const KEY_SCORES: &str = "tokenizer.ggml.scores";
const KEY_TOKEN_TYPE: &str = "tokenizer.ggml.token_type";
const KEY_MERGES: &str = "tokenizer.ggml.merges";

impl Vocab {
    pub(crate) fn from_gguf(gguf: &GgufFile) -> Result<Vocab, TokenizerError> {
        let model_name = gguf.require_str(KEY_MODEL)?;
        let pre_name = gguf.get_str(KEY_PRE);
        let (model, pre) = match model_name {
            "llama" => (TokenizerModel::Spm, None),
            "gpt2" => {
                let pre = PreTokenizerConfig::from_name(pre_name).ok_or_else(|| {
                    TokenizerError::UnsupportedPreTokenizer(pre_name.unwrap_or("").to_owned())
                })?;
                (TokenizerModel::Bpe(pre.kind), Some(pre))
            }
            other => return Err(TokenizerError::UnsupportedModel(other.to_owned())),
        };

        let texts = gguf.require_str_array(KEY_TOKENS)?;
        let n_tokens = texts.len();
        let scores = numbers(gguf, KEY_SCORES, n_tokens, MetaValue::as_f64)?;
        let types = numbers(gguf, KEY_TOKEN_TYPE, n_tokens, MetaValue::as_i64)?;

        let mut tokens = Vec::with_capacity(n_tokens);
        let mut token_to_id = FxHashMap::with_capacity_and_hasher(n_tokens, Default::default());
        for (i, text) in texts.iter().enumerate() {
            let text = if text.is_empty() {
                format!("[EMPTY_{i}]")
            } else {
                (*text).to_owned()
            };
            let id = to_id(i);
            token_to_id.insert(text.clone(), id);
            tokens.push(TokenData {
                text,
                score: scores.as_ref().map_or(0.0, |s| s[i] as f32),
                attr: types
                    .as_ref()
                    .map_or(TokenAttr::NORMAL, |t| TokenAttr::from_token_type(t[i])),
            });
        }

        let merge_ranks = match model {
            TokenizerModel::Bpe(_) => read_merges(gguf)?,
            TokenizerModel::Spm => FxHashMap::default(),
        };

        // Defaults by model, then the GGUF's switches.
        let (default_bos, default_eos, default_unk) = match model {
            TokenizerModel::Spm => (1, 2, Some(0)),
            TokenizerModel::Bpe(_) => (11, 11, None),
        };
        let in_range = |id: u32| (id as usize) < n_tokens;
        let special_id = |key: &str, default: Option<u32>| {
            let default = default.filter(|&id| in_range(id));
            match gguf.get_u64(key).and_then(|v| u32::try_from(v).ok()) {
                Some(id) if in_range(id) => Some(id),
                _ => default,
            }
        };
        let bos = special_id("tokenizer.ggml.bos_token_id", Some(default_bos));
        let eos = special_id("tokenizer.ggml.eos_token_id", Some(default_eos));
        let unk = special_id("tokenizer.ggml.unknown_token_id", default_unk);
        let eot = special_id("tokenizer.ggml.eot_token_id", None);
        let eom = special_id("tokenizer.ggml.eom_token_id", None);
        let fim_pre = special_id("tokenizer.ggml.fim_pre_token_id", None)
            .or_else(|| special_id("tokenizer.ggml.prefix_token_id", None));
        let fim_suf = special_id("tokenizer.ggml.fim_suf_token_id", None)
            .or_else(|| special_id("tokenizer.ggml.suffix_token_id", None));
        let fim_mid = special_id("tokenizer.ggml.fim_mid_token_id", None)
            .or_else(|| special_id("tokenizer.ggml.middle_token_id", None));
        let fim_pad = special_id("tokenizer.ggml.fim_pad_token_id", None);
        let fim_rep = special_id("tokenizer.ggml.fim_rep_token_id", None);
        let fim_sep = special_id("tokenizer.ggml.fim_sep_token_id", None);

        let flag = |key: &str, default: bool| {
            gguf.get(key)
                .and_then(MetaValue::as_bool)
                .unwrap_or(default)
        };
        let (add_bos, add_eos, add_space_prefix) = match pre {
            None => (true, false, true),
            Some(pre) => (pre.add_bos, false, false),
        };
        let add_space_prefix = flag("tokenizer.ggml.add_space_prefix", add_space_prefix);
        let add_bos = flag("tokenizer.ggml.add_bos_token", add_bos);
        let add_eos = flag("tokenizer.ggml.add_eos_token", add_eos);

        let mut vocab = Vocab {
            model,
            tokens,
            token_to_id,
            merge_ranks,
            bos,
            eos,
            unk,
            add_bos,
            add_eos,
            add_space_prefix,
            ignore_merges: pre.is_some_and(|p| p.ignore_merges),
            clean_spaces: pre.is_some_and(|p| p.clean_spaces),
            eog: HashSet::new(),
            special_tokens: Vec::new(),
        };

        // Tokens recognized by their text become control tokens (and some end generation).
        let mut eog: HashSet<u32> = [fim_pad, fim_rep, fim_sep].into_iter().flatten().collect();
        let detected = [
            (fim_pre, FIM_PRE_TEXTS),
            (fim_suf, FIM_SUF_TEXTS),
            (fim_mid, FIM_MID_TEXTS),
        ];
        for (given, texts) in detected {
            if given.is_none() {
                vocab.detect_control(texts);
            }
        }
        for (given, texts) in [
            (fim_pad, FIM_PAD_TEXTS),
            (fim_rep, FIM_REP_TEXTS),
            (fim_sep, FIM_SEP_TEXTS),
        ] {
            if given.is_none() {
                eog.extend(vocab.detect_control(texts));
            }
        }
        for token in vocab.tokens.iter_mut() {
            if token.attr.intersects(TokenAttr::CONTROL) && token.text.contains("unused") {
                token.attr = token.attr.with(TokenAttr::UNUSED);
            }
        }
        for text in EOG_TEXTS {
            if let Some(&id) = vocab.token_to_id.get(*text) {
                eog.insert(id);
                vocab.add_attr(id, TokenAttr::CONTROL);
            }
        }
        for text in ALWAYS_RENDERED_TEXTS {
            if let Some(&id) = vocab.token_to_id.get(*text) {
                vocab.tokens[id as usize].attr = TokenAttr::USER_DEFINED;
            }
        }
        eog.extend([eos, eot, eom].into_iter().flatten());
        vocab.eog = eog;
        vocab.drop_conflicting_eog();

        let mut special: Vec<u32> = (0..n_tokens)
            .filter(|&i| {
                vocab.tokens[i]
                    .attr
                    .intersects(TokenAttr::CONTROL | TokenAttr::USER_DEFINED | TokenAttr::UNKNOWN)
            })
            .map(to_id)
            .collect();
        special.sort_by_key(|&id| std::cmp::Reverse(vocab.tokens[id as usize].text.len()));
        vocab.special_tokens = special;

        let name = gguf.get_str("general.name").unwrap_or("").to_lowercase();
        if name.contains("phi-3") || name.contains("phi3") {
            vocab.phi3_strip_rules();
        }
        Ok(vocab)
    }

    /// Mark every token whose text is in `texts` as control; the ids found.
    fn detect_control(&mut self, texts: &[&str]) -> Vec<u32> {
        let mut ids: Vec<u32> = texts
            .iter()
            .filter_map(|t| self.token_to_id.get(*t).copied())
            .collect();
        // llama.cpp takes whichever its hash map yields first; ouro takes the lowest id.
        ids.sort_unstable();
        ids.truncate(1);
        for &id in &ids {
            self.add_attr(id, TokenAttr::CONTROL);
        }
        ids
    }

    fn add_attr(&mut self, id: u32, attr: TokenAttr) {
        let token = &mut self.tokens[id as usize];
        token.attr = token.attr.with(attr);
    }

    /// Two vocabulary families put ordinary tokens among the end-of-generation texts:
    /// o200k_harmony / solar-open (`<|end|>` next to `<|return|>`+`<|call|>` or
    /// `<|calls|>`+`<|flush|>`) and gemma4 / plamo (`</s>` next to their real end markers).
    fn drop_conflicting_eog(&mut self) {
        let find = |vocab: &Vocab, text: &str| {
            vocab
                .eog
                .iter()
                .copied()
                .find(|&id| vocab.tokens[id as usize].text == text)
        };
        let has = |vocab: &Vocab, text: &str| find(vocab, text).is_some();
        let calls = has(self, "<|call|>") || has(self, "<|calls|>");
        if let Some(end) = find(self, "<|end|>")
            && calls
            && (has(self, "<|return|>") || has(self, "<|flush|>"))
        {
            self.eog.remove(&end);
            self.tokens[end as usize].attr = TokenAttr::USER_DEFINED;
        }
        if let Some(s) = find(self, "</s>")
            && (has(self, "<|tool_response>") || has(self, "<|plamo:eos|>"))
        {
            self.eog.remove(&s);
            self.tokens[s as usize].attr = TokenAttr::NORMAL;
        }
    }

    /// Phi-3 models strip the white space after their special tokens.
    fn phi3_strip_rules(&mut self) {
        for i in 0..self.special_tokens.len() {
            let id = self.special_tokens[i];
            self.add_attr(id, TokenAttr::RSTRIP);
        }
        if let Some(&id) = self.token_to_id.get("</s>") {
            self.add_attr(id, TokenAttr::RSTRIP);
        }
        for text in ["<unk>", "<s>", "<|endoftext|>"] {
            if let Some(&id) = self.token_to_id.get(text) {
                let token = &mut self.tokens[id as usize];
                token.attr = token.attr.without(TokenAttr::RSTRIP);
            }
        }
    }

    /// The id of a token text.
    pub(crate) fn id_of(&self, text: &str) -> Option<u32> {
        self.token_to_id.get(text).copied()
    }

    /// The attribute bits of `id` (undefined for an id out of range).
    pub(crate) fn attr(&self, id: u32) -> TokenAttr {
        self.tokens
            .get(id as usize)
            .map_or(TokenAttr::UNDEFINED, |t| t.attr)
    }
}

/// A token id from a vocabulary index (vocabularies hold fewer than 2^32 tokens: GGUF arrays
/// of strings that long cannot be mapped).
fn to_id(index: usize) -> u32 {
    u32::try_from(index).unwrap_or(u32::MAX)
}

/// An optional numeric array with one entry per token.
fn numbers<T>(
    gguf: &GgufFile,
    key: &str,
    n_tokens: usize,
    convert: fn(&MetaValue) -> Option<T>,
) -> Result<Option<Vec<T>>, TokenizerError> {
    let Some(value) = gguf.get(key) else {
        return Ok(None);
    };
    let bad = |reason: String| TokenizerError::BadMetadata {
        key: key.to_owned(),
        reason,
    };
    let items = value
        .as_array()
        .ok_or_else(|| bad("expected an array of numbers".into()))?;
    if items.len() < n_tokens {
        return Err(bad(format!(
            "has {} entries for {n_tokens} tokens",
            items.len()
        )));
    }
    items[..n_tokens]
        .iter()
        .enumerate()
        .map(|(i, item)| convert(item).ok_or_else(|| bad(format!("entry {i} is {item}"))))
        .collect::<Result<Vec<T>, _>>()
        .map(Some)
}

/// `tokenizer.ggml.merges`: "left right" strings, rank = position (the first of duplicates wins).
fn read_merges(gguf: &GgufFile) -> Result<FxHashMap<String, u32>, TokenizerError> {
    let merges = gguf.require_str_array(KEY_MERGES)?;
    let mut ranks = FxHashMap::with_capacity_and_hasher(merges.len(), Default::default());
    for (rank, merge) in merges.iter().enumerate() {
        // llama.cpp splits at the first space after the first byte; a merge without one is
        // the pair ("", "").
        let has_space = merge.bytes().skip(1).any(|b| b == b' ');
        let key = if has_space {
            (*merge).to_owned()
        } else {
            " ".to_owned()
        };
        ranks.entry(key).or_insert(to_id(rank));
    }
    Ok(ranks)
}
