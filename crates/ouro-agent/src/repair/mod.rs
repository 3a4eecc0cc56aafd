//! Direct repair, the strategy small models succeed with (after Agentless): ouro locates the
//! files itself ([`localize`]), shows them to the model with the task and the failing test
//! output ([`prompt`]), and asks for exact edits decoded under a grammar that only admits
//! lines present in the file as the search part ([`edits`]), so every edit applies. No tool
//! calls, no exploration: one prompt, one reply, edits written into the workspace.
//!
//! [`Repairer`] holds the engine (shared, loaded once) and makes attempts; the development
//! loop wraps it as a coder (in the `ouro` binary) and feeds each failed attempt back into the
//! next.

pub mod doctests;
pub mod edits;
pub mod localize;
pub mod mutate;
pub mod prompt;
pub mod rename;
pub mod sweep;

use std::collections::{BTreeMap, VecDeque};
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex, PoisonError};

use ouro_llm::device::DeviceChoice;
use ouro_llm::engine::{ChatSession, Engine, EngineError, GenerateOptions, Generation, StopReason};
use ouro_llm::lookup::Lookup;
use ouro_llm::sampling::SamplingConfig;
use serde::Serialize;

pub use edits::{Edit, EditError, EditFormat, EditableFile};
pub use localize::{LocateRequest, Located, locate};
pub use prompt::PreviousAttempt;

use crate::Workspace;

/// The temperature of a resample after an unusable greedy reply.
const RESAMPLE_TEMPERATURE: f32 = 0.8;

/// How far apart the seeds of resamples are.
const RESAMPLE_SEED_STEP: u64 = 7919;

/// Settings of the repairer.
#[derive(Debug, Clone)]
pub struct RepairConfig {
    /// The reply format; `None` chooses per attempt: the whole file when every file to edit
    /// is shown whole and together they hold at most `whole_file_chars`, SEARCH/REPLACE
    /// edits otherwise.
    pub format: Option<EditFormat>,
    /// The most characters of editable text rewritten whole when the format is chosen.
    pub whole_file_chars: usize,
    /// Decode under the format's grammar (edits always apply) or freely.
    pub constrained: bool,
    /// Context size in tokens.
    pub n_ctx: usize,
    /// Most tokens of a reply.
    pub max_tokens: usize,
    /// Characters of editable file text shown, at most.
    pub budget_chars: usize,
    /// Characters of reference test text shown, at most.
    pub context_chars: usize,
    /// Speculative decoding from prompt-lookup drafts: replies mostly copy the shown files.
    pub lookup: Option<Lookup>,
    /// Most replies sampled in one attempt: a reply whose edits cannot be used, or that
    /// repeats an earlier candidate, is replaced by a fresh sample of the same prompt.
    pub samples: usize,
}

impl Default for RepairConfig {
    fn default() -> Self {
        RepairConfig {
            format: None,
            whole_file_chars: 6000,
            constrained: true,
            n_ctx: 8192,
            max_tokens: 768,
            budget_chars: 9000,
            context_chars: 3000,
            lookup: Some(Lookup::default()),
            samples: 3,
        }
    }
}

/// One repair attempt's input.
#[derive(Debug, Clone)]
pub struct RepairRequest<'a> {
    /// The workspace to repair.
    pub root: &'a Path,
    /// The task's title.
    pub title: &'a str,
    /// The task's description.
    pub description: &'a str,
    /// Files the user named.
    pub inputs: &'a [String],
    /// The failing test output before any change.
    pub failure: Option<&'a str>,
    /// Files the task's test commands run (reference only; see
    /// [`ouro_core::paths::test_scripts_in`]).
    pub test_files: &'a [String],
    /// This run's earlier attempts.
    pub previous: &'a [PreviousAttempt],
    /// How to sample (greedy for the first attempt, then varied).
    pub sampling: SamplingConfig,
    /// How the next attempts with the same prompt will sample: when this attempt samples,
    /// their replies are decoded beside its own, in one batch, and kept for them (see
    /// [`Repairer::forget_candidates`]).
    pub later: &'a [SamplingConfig],
    /// Ask the model to say what is wrong before its edits.
    pub explain: bool,
    /// Only the task's inputs are editable when it names any (see
    /// [`LocateRequest::focus_inputs`]).
    pub focus_inputs: bool,
    /// Changes earlier candidates made (path to new text) that failed: a reply making one
    /// of them again is resampled.
    pub avoid: &'a [BTreeMap<String, String>],
}

/// What an attempt did.
#[derive(Debug, Clone, Serialize)]
pub struct RepairReport {
    /// The reply format asked for.
    pub format: EditFormat,
    /// The files shown as editable.
    pub shown: Vec<String>,
    /// The test files shown for reference.
    pub reference: Vec<String>,
    /// Why each file was chosen.
    pub reasons: Vec<String>,
    /// The model's reply.
    pub reply: String,
    /// The files written.
    pub written: Vec<String>,
    /// The new text of each file written.
    #[serde(skip)]
    pub changes: BTreeMap<String, String>,
    /// Replies sampled (the last one is `reply`).
    pub samples: usize,
    /// Prompt tokens.
    pub prompt_tokens: usize,
    /// Generated tokens.
    pub generated_tokens: usize,
    /// Seconds spent on the prompt.
    pub prompt_s: f64,
    /// Seconds spent generating.
    pub generate_s: f64,
    /// Why generation stopped.
    pub stop: StopReason,
    /// Prompt-lookup draft tokens run, and how many of them the model kept.
    pub drafted: usize,
    /// See `drafted`.
    pub accepted: usize,
}

/// Tokens of a line-sweep reply (one fenced line or a few).
const SWEEP_REPLY_TOKENS: usize = 120;

/// The longest a sweep goes on testing mutants ([`mutate`]) once the model's own
/// candidates are spent: each test of a compiled language builds again.
const MUTANT_BUDGET: std::time::Duration = std::time::Duration::from_secs(90);

/// What a line sweep did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SweepReport {
    /// Suspect lines put to the model.
    pub lines: usize,
    /// Different candidate changes tested (the model's and mutants).
    pub tried: usize,
    /// Of them, mutants ([`mutate`]).
    pub mutants: usize,
    /// The candidate that passed the tests (written in the workspace), if one did.
    #[serde(skip)]
    pub passed: Option<sweep::LineFix>,
    /// Prompt tokens run.
    pub prompt_tokens: usize,
    /// Tokens generated.
    pub generated_tokens: usize,
    /// Seconds spent on prompts.
    pub prompt_s: f64,
    /// Seconds spent generating.
    pub generate_s: f64,
}

/// Why an attempt produced no change.
#[derive(Debug, thiserror::Error)]
pub enum RepairError {
    /// Nothing in the workspace looks related to the task.
    #[error("no source file of the workspace could be tied to the task")]
    NoFiles,
    /// The engine failed.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// The reply's edits could not be used.
    #[error("{error}")]
    Edit {
        /// The attempt so far (its reply).
        report: Box<RepairReport>,
        /// What was wrong.
        error: EditError,
    },
    /// The workspace root is unusable.
    #[error(transparent)]
    Workspace(#[from] crate::PathError),
    /// A line sweep's candidate could not be written or taken back.
    #[error("line sweep: {0}")]
    Sweep(String),
}

/// Makes repair attempts with one loaded model.
#[derive(Debug, Clone)]
pub struct Repairer {
    engine: Arc<Engine>,
    config: RepairConfig,
    /// The context of the last attempt, whose cached prefix the next one reuses.
    session: Arc<Mutex<Option<ChatSession>>>,
    /// Replies decoded ahead for later attempts.
    pending: Arc<Mutex<Pending>>,
}

/// Replies decoded in a batch beside an attempt's own, for the next attempts asked the
/// same prompt.
#[derive(Debug, Default)]
struct Pending {
    /// The prompt they answer.
    prompt: String,
    replies: VecDeque<Generation>,
}

impl Repairer {
    /// A repairer on an engine (shared with other users of the same model).
    pub fn new(engine: Arc<Engine>, config: RepairConfig) -> Repairer {
        Repairer {
            engine,
            config,
            session: Arc::default(),
            pending: Arc::default(),
        }
    }

    /// Drops the replies decoded ahead (a new task starts).
    pub fn forget_candidates(&self) {
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        pending.replies.clear();
    }

    /// Loads the GGUF model at `path` (`threads` 0: all cores) on `device`; the note says
    /// why it runs on the CPU when `device` was `auto` and no GPU was usable.
    pub fn load(
        path: &Path,
        threads: usize,
        device: DeviceChoice,
        config: RepairConfig,
    ) -> Result<(Repairer, Option<String>), EngineError> {
        let (engine, note) = Engine::load_on(path, threads, device)?;
        Ok((Repairer::new(Arc::new(engine), config), note))
    }

    /// One attempt: locate, prompt, generate, apply. `on_text` sees the reply as it streams.
    pub fn attempt(
        &self,
        request: &RepairRequest<'_>,
        cancel: &AtomicBool,
        on_text: &mut dyn FnMut(&str),
    ) -> Result<RepairReport, RepairError> {
        let workspace = Workspace::new(request.root)?;
        let (located, text, format) = self.fit(request)?;
        let mut options = GenerateOptions {
            max_tokens: self.reply_tokens(&located, format),
            sampling: request.sampling.clone(),
            stop: Vec::new(),
            ignore_eos: false,
            grammar: self
                .config
                .constrained
                .then(|| edits::grammar(&located.editable, format, request.explain)),
            lookup: self.config.lookup,
            logprobs: None,
        };
        let mut report = RepairReport {
            format,
            shown: located.editable.iter().map(|f| f.path.clone()).collect(),
            reference: located.context.iter().map(|(p, _)| p.clone()).collect(),
            reasons: located.reasons.clone(),
            reply: String::new(),
            written: Vec::new(),
            changes: BTreeMap::new(),
            samples: 0,
            prompt_tokens: 0,
            generated_tokens: 0,
            prompt_s: 0.0,
            generate_s: 0.0,
            stop: StopReason::EndOfGeneration,
            drafted: 0,
            accepted: 0,
        };
        loop {
            let generation = self.reply(&text, &options, request.later, cancel, &mut *on_text)?;
            report.samples += 1;
            report.reply = generation.text.clone();
            report.prompt_tokens += generation.prompt_tokens;
            report.generated_tokens += generation.tokens.len();
            report.prompt_s += generation.prompt_time.as_secs_f64();
            report.generate_s += generation.generation_time.as_secs_f64();
            report.stop = generation.stop_reason;
            report.drafted += generation.drafted;
            report.accepted += generation.accepted;
            let changes = edits::parse(&generation.text, format, &located.editable)
                .and_then(|edits| edits::apply_in_memory(&edits, &located.editable))
                .and_then(|texts| changed_files(texts, &located.editable, request.avoid));
            let changes = match changes {
                Ok(changes) => changes,
                // An unusable or repeated reply costs no test run: sample another one from
                // the same (cached) prompt while samples are left.
                Err(_)
                    if (report.samples < self.config.samples || self.has_pending(&text))
                        && !cancel.load(Relaxed) =>
                {
                    on_text("\n[resampled: that reply was unusable or repeated an earlier one]\n");
                    options.sampling = resample(&options.sampling, report.samples);
                    continue;
                }
                Err(error) => {
                    return Err(RepairError::Edit {
                        report: Box::new(report),
                        error,
                    });
                }
            };
            return match edits::write_all(&workspace, &changes) {
                Ok(written) => {
                    report.written = written;
                    report.changes = changes;
                    Ok(report)
                }
                Err(error) => Err(RepairError::Edit {
                    report: Box::new(report),
                    error,
                }),
            };
        }
    }

    /// Locates the files and renders the prompt, showing less while the prompt and its
    /// reply would not fit the context.
    fn fit(
        &self,
        request: &RepairRequest<'_>,
    ) -> Result<(Located, String, EditFormat), RepairError> {
        let task = format!("{}\n{}", request.title, request.description);
        let mut budget = self.config.budget_chars;
        loop {
            let located = locate(&LocateRequest {
                root: request.root,
                task: &task,
                inputs: request.inputs,
                failure: request.failure,
                test_files: request.test_files,
                budget_chars: budget,
                context_chars: self.config.context_chars.min(budget / 2),
                focus_inputs: request.focus_inputs,
            });
            if located.editable.is_empty() {
                return Err(RepairError::NoFiles);
            }
            let format = self.format_for(&located);
            let text = self
                .engine
                .chat_prompt(&prompt::messages(&self.parts(request, &located, format)))?;
            let tokens = self.engine.tokenize_prompt(&text);
            let room = self
                .config
                .n_ctx
                .saturating_sub(self.reply_tokens(&located, format));
            if tokens.len() < room || budget < 1000 {
                return Ok((located, text, format));
            }
            budget = budget * 2 / 3;
        }
    }

    fn parts<'p>(
        &self,
        request: &'p RepairRequest<'_>,
        located: &'p Located,
        format: EditFormat,
    ) -> prompt::PromptParts<'p> {
        prompt::PromptParts {
            title: request.title,
            description: request.description,
            located,
            failure: request.failure,
            previous: request.previous,
            format,
            explain: request.explain,
        }
    }

    /// The line sweep (see [`sweep`]): renames a name the failure quotes that no longer
    /// exists ([`rename`]), asks for each suspect line of the located files
    /// corrected, then adds the mechanical edits of those lines ([`mutate`], tried for at
    /// most [`MUTANT_BUDGET`]), writes each different candidate into the workspace in turn
    /// and keeps the first one `passes` accepts (given the candidate and its file's text
    /// before it; it runs the tests); the files are restored
    /// when none does. `on_text` sees what was tried.
    pub fn sweep(
        &self,
        request: &RepairRequest<'_>,
        passes: &mut dyn FnMut(&sweep::LineFix, &str) -> bool,
        cancel: &AtomicBool,
        on_text: &mut dyn FnMut(&str),
    ) -> Result<SweepReport, RepairError> {
        let workspace = Workspace::new(request.root)?;
        let (located, _, format) = self.fit(request)?;
        let task = format!("{}\n{}", request.title, request.description);
        let suspects = sweep::suspects(&located, &task, request.failure);
        let parts = self.parts(request, &located, format);
        let prompts = suspects
            .iter()
            .map(|s| {
                let file = &located.editable[s.file];
                let ask = sweep::ask(file, s.line, prompt::language(&file.path));
                self.engine
                    .chat_prompt(&prompt::messages_asking(&parts, &ask))
            })
            .collect::<Result<Vec<String>, EngineError>>()?;
        let mut report = SweepReport::default();
        if prompts.is_empty() {
            return Ok(report);
        }
        let asked: Vec<(&str, SamplingConfig)> = prompts
            .iter()
            .map(|p| (p.as_str(), SamplingConfig::greedy()))
            .collect();
        let options = GenerateOptions {
            max_tokens: SWEEP_REPLY_TOKENS,
            sampling: SamplingConfig::greedy(),
            stop: Vec::new(),
            ignore_eos: false,
            grammar: self
                .config
                .constrained
                .then(|| edits::block_grammar(sweep::MAX_FIX_LINES)),
            lookup: None,
            logprobs: None,
        };
        let replies = {
            let mut slot = self.session.lock().unwrap_or_else(PoisonError::into_inner);
            let session = match slot.as_mut() {
                Some(session) => session,
                None => slot.insert(self.engine.session(self.config.n_ctx)?),
            };
            session.generate_branches(&self.engine, &asked, &options, cancel, &mut |_, _| {})?
        };
        report.lines = suspects.len();
        // Each different candidate once, none an earlier attempt already made.
        let mut seen = std::collections::BTreeSet::new();
        let mut fresh = |fix: &sweep::LineFix| {
            !request.avoid.contains(&fix.change()) && seen.insert(fix.text.clone())
        };
        // A name the failure quotes that the code no longer defines first: the tests pass
        // with its successor or not at all.
        let mut fixes: Vec<sweep::LineFix> = request
            .failure
            .map(|failure| {
                rename::candidates(&located, failure, &localize::list_files(request.root))
            })
            .unwrap_or_default();
        fixes.retain(&mut fresh);
        for (suspect, reply) in suspects.iter().zip(&replies) {
            report.prompt_tokens += reply.prompt_tokens;
            report.generated_tokens += reply.tokens.len();
            report.prompt_s += reply.prompt_time.as_secs_f64();
            report.generate_s = report.generate_s.max(reply.generation_time.as_secs_f64());
            let file = &located.editable[suspect.file];
            fixes.extend(sweep::fix_from_reply(file, suspect.line, &reply.text).filter(&mut fresh));
        }
        let from_model = fixes.len();
        fixes.extend(
            mutate::candidates(&located, &suspects)
                .into_iter()
                .filter(&mut fresh),
        );
        let mut mutants_since = None;
        for (i, fix) in fixes.into_iter().enumerate() {
            if cancel.load(Relaxed) {
                break;
            }
            if i >= from_model {
                let since = *mutants_since.get_or_insert_with(std::time::Instant::now);
                if since.elapsed() > MUTANT_BUDGET {
                    break;
                }
                report.mutants += 1;
            }
            report.tried += 1;
            on_text(&format!(
                "line {} of {} -> {}\n",
                fix.line + 1,
                fix.path,
                fix.replacement.trim()
            ));
            edits::write_all(&workspace, &fix.change())
                .map_err(|error| RepairError::Sweep(error.to_string()))?;
            let before = located
                .editable
                .iter()
                .find(|f| f.path == fix.path)
                .map_or("", |f| f.text.as_str());
            if passes(&fix, before) {
                on_text("  passes the tests\n");
                report.passed = Some(fix);
                return Ok(report);
            }
            let original: BTreeMap<String, String> = located
                .editable
                .iter()
                .filter(|f| f.path == fix.path)
                .map(|f| (f.path.clone(), f.text.clone()))
                .collect();
            edits::write_all(&workspace, &original)
                .map_err(|error| RepairError::Sweep(error.to_string()))?;
        }
        Ok(report)
    }

    /// The next reply to `prompt`: one decoded ahead for it, or a fresh one. A sampled reply
    /// is decoded beside the replies of the `later` samplings, which are kept for the next
    /// calls with the same prompt. One context is kept between calls: a later attempt's
    /// prompt repeats the files, the task and the failure, and only its new part is
    /// evaluated (a resample of the same prompt evaluates nothing).
    fn reply(
        &self,
        prompt: &str,
        options: &GenerateOptions,
        later: &[SamplingConfig],
        cancel: &AtomicBool,
        on_text: &mut dyn FnMut(&str),
    ) -> Result<Generation, EngineError> {
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        if pending.prompt != prompt {
            pending.replies.clear();
        }
        if let Some(reply) = pending.replies.pop_front() {
            on_text(&reply.text);
            return Ok(reply);
        }
        let mut slot = self.session.lock().unwrap_or_else(PoisonError::into_inner);
        let session = match slot.as_mut() {
            Some(session) => session,
            None => slot.insert(self.engine.session(self.config.n_ctx)?),
        };
        if options.sampling.temperature <= 0.0 || later.is_empty() {
            return session.generate(&self.engine, prompt, options, cancel, on_text);
        }
        let samplings: Vec<SamplingConfig> = std::iter::once(options.sampling.clone())
            .chain(later.iter().cloned())
            .collect();
        let mut replies = session.generate_candidates(
            &self.engine,
            prompt,
            options,
            &samplings,
            cancel,
            &mut |_, _| {},
        )?;
        // The batch's time is counted once, with the reply used now.
        for reply in replies.iter_mut().skip(1) {
            reply.prompt_time = std::time::Duration::ZERO;
            reply.generation_time = std::time::Duration::ZERO;
        }
        let mut replies = VecDeque::from(replies);
        // One reply per sampling, and there is at least this attempt's.
        let first = replies.pop_front().ok_or(EngineError::EmptyPrompt)?;
        pending.prompt = prompt.to_string();
        pending.replies = replies;
        on_text(&first.text);
        Ok(first)
    }

    /// Whether replies to `prompt` are waiting.
    fn has_pending(&self, prompt: &str) -> bool {
        let pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        pending.prompt == prompt && !pending.replies.is_empty()
    }

    /// The format of an attempt on `located` (see [`RepairConfig::format`]).
    fn format_for(&self, located: &Located) -> EditFormat {
        if let Some(format) = self.config.format {
            return format;
        }
        let whole = located.editable.iter().all(|f| f.shown.is_none());
        let chars: usize = located.editable.iter().map(|f| f.text.len()).sum();
        if whole && chars <= self.config.whole_file_chars {
            EditFormat::WholeFile
        } else {
            EditFormat::SearchReplace
        }
    }

    /// Tokens a reply in `format` may take: the edit budget, or for whole files enough to
    /// rewrite every shown file.
    fn reply_tokens(&self, located: &Located, format: EditFormat) -> usize {
        match format {
            EditFormat::SearchReplace => self.config.max_tokens,
            EditFormat::WholeFile => {
                let chars: usize = located.editable.iter().map(|f| f.text.len()).sum();
                (chars / 2 + 200).max(self.config.max_tokens)
            }
        }
    }
}

/// The files whose text `texts` changes; an error when none changes or when the change is
/// one of the `avoid`ed ones (an earlier candidate that failed).
fn changed_files(
    texts: BTreeMap<String, String>,
    files: &[EditableFile],
    avoid: &[BTreeMap<String, String>],
) -> Result<BTreeMap<String, String>, EditError> {
    // A reply that only rewrites documentation or comments changes nothing a test sees.
    let changed: BTreeMap<String, String> = texts
        .into_iter()
        .filter(|(path, text)| {
            files
                .iter()
                .any(|f| &f.path == path && !sweep::same_code(&f.text, text))
        })
        .collect();
    if changed.is_empty() {
        Err(EditError::NoChange)
    } else if avoid.contains(&changed) {
        Err(EditError::Repeated)
    } else {
        Ok(changed)
    }
}

/// The sampling of the resample after `samples` replies: a fresh seed, and greedy decoding
/// (which would only repeat itself) turned into sampling.
fn resample(sampling: &SamplingConfig, samples: usize) -> SamplingConfig {
    SamplingConfig {
        temperature: if sampling.temperature > 0.0 {
            sampling.temperature
        } else {
            RESAMPLE_TEMPERATURE
        },
        seed: sampling
            .seed
            .wrapping_add(RESAMPLE_SEED_STEP * samples as u64),
        ..sampling.clone()
    }
}
