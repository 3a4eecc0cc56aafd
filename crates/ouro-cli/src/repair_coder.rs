//! Direct repair as the development loop's coder (`[loop.coder] kind = "repair"`, the
//! default): the model is loaded once, on the first attempt, and shared by every worker;
//! each attempt starts from the untouched worktree and is asked the same prompt (the files,
//! the task and the tests' failing output; cached, so a later attempt costs only its reply).
//! The first attempt decodes greedily, later ones sample (the persona's `temperature`, a seed
//! per attempt), and a reply that repeats an earlier attempt's change or cannot be used is
//! resampled at once. The first attempts edit only the task's inputs when it names any. When no
//! file of the repository can be tied to the task, the attempt goes to the tool-calling
//! agent instead, which can explore. The second attempt first sweeps the suspect lines (each
//! put to the model as the wrong one, then mechanical edits of them, every candidate
//! screened with the task's tests; see [`ouro_agent::repair::sweep`] and
//! [`ouro_agent::repair::mutate`]) and samples a whole file only when no candidate passed.
//!
//! It lives in the binary, where the loop (which runs coders) meets the agent crate (which
//! repairs), so that neither library depends on the other's layer.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ouro_llm::device::DeviceChoice;
use ouro_llm::sampling::SamplingConfig;
use ouro_loop::LoopError;
use ouro_loop::coder::{AttemptContext, AttemptOutcome, Coder, CommandCoder, TokenUsage, Trial};
use ouro_loop::config::PersonaConfig;
use ouro_loop::personas::{CoderBuilder, CoderFactory, CoderKinds, agent_command};

use ouro_agent::Workspace;
use ouro_agent::repair::sweep::LineFix;
use ouro_agent::repair::{
    EditFormat, RepairConfig, RepairError, RepairRequest, Repairer, doctests, edits,
};

/// The kind name of the repair coder in `[loop.coder]`.
pub const KIND: &str = "repair";

/// How much hotter each sampled attempt after the second decodes.
const TEMPERATURE_STEP: f32 = 0.25;

/// The hottest a later attempt decodes (unless the persona's own temperature is hotter).
const MAX_TEMPERATURE: f32 = 1.2;

/// Attempts that may edit only the task's inputs when it names any.
const FOCUSED_ATTEMPTS: u32 = 5;

/// The attempt that starts with the line sweep: the first after the greedy whole-file
/// reply failed.
const SWEEP_ATTEMPT: u32 = 2;

/// How many times the sweep's first test run a later candidate's run may take.
const TRIAL_PACE: u32 = 5;

/// The least time a sweep candidate's test run is given.
const MIN_TRIAL_LIMIT: Duration = Duration::from_secs(10);

/// Replies decoded side by side when an attempt samples: its own and those of the next
/// attempts asked the same prompt (see [`RepairRequest::later`]).
const CANDIDATES: u32 = 4;

/// The coder kinds ouro-agent adds to the loop: `repair`, the default, with its model
/// looked up from `roots` (see [`ouro_core::paths::search_roots`]) unless the persona names
/// one.
pub fn coder_kinds(roots: Vec<PathBuf>) -> CoderKinds {
    let builder: CoderBuilder = Arc::new(move |persona: &PersonaConfig| build(persona, &roots));
    CoderKinds::default().with(KIND, builder).default_kind(KIND)
}

/// The model, loaded on first use and then shared.
type SharedModel = Arc<Mutex<Option<Arc<Repairer>>>>;

fn build(persona: &PersonaConfig, roots: &[PathBuf]) -> Result<CoderFactory, String> {
    match persona.provider.as_deref() {
        None | Some("local") => {}
        Some(other) => {
            return Err(format!(
                "[loop.coder] kind = \"repair\" runs ouro's own engine; provider = {other:?} \
                 needs kind = \"agent\""
            ));
        }
    }
    let model =
        ouro_core::paths::resolve_coder_model(persona.model.as_deref().map(Path::new), roots)
            .map_err(|e| format!("[loop.coder]: {e}"))?;
    let format = match persona.format.as_deref() {
        None | Some("auto") => None,
        Some("search-replace") => Some(EditFormat::SearchReplace),
        Some("whole-file") => Some(EditFormat::WholeFile),
        Some(other) => {
            return Err(format!(
                "[loop.coder] format = {other:?} is unknown (known: \"auto\", \
                 \"search-replace\", \"whole-file\")"
            ));
        }
    };
    let temperature = persona.temperature.unwrap_or(0.7);
    if !(0.0..=2.0).contains(&temperature) {
        return Err(format!(
            "[loop.coder] temperature = {temperature} is outside 0..=2"
        ));
    }
    let explorer = PersonaConfig {
        kind: Some("agent".into()),
        provider: Some("local".into()),
        model: Some(model.to_string_lossy().into_owned()),
        ..persona.clone()
    };
    let explorer = agent_command(&explorer)?;
    let timeout = persona.timeout();
    let shared: SharedModel = Arc::default();
    let config = RepairConfig {
        format,
        ..RepairConfig::default()
    };
    Ok(Arc::new(move || {
        Ok(Box::new(RepairCoder {
            model: model.clone(),
            config: config.clone(),
            shared: shared.clone(),
            temperature,
            explorer: CommandCoder::new(explorer.clone(), timeout),
            usage: TokenUsage::default(),
            tried: Vec::new(),
        }) as Box<dyn Coder>)
    }))
}

/// One worker's repair coder.
struct RepairCoder {
    model: PathBuf,
    config: RepairConfig,
    shared: SharedModel,
    temperature: f32,
    explorer: CommandCoder,
    usage: TokenUsage,
    /// The changes this run's earlier attempts made (each failed, or there would be no
    /// further attempt): a reply making one again is resampled.
    tried: Vec<BTreeMap<String, String>>,
}

impl RepairCoder {
    fn repairer(&self, log: &mut dyn Write) -> Result<Arc<Repairer>, String> {
        let mut slot = self.shared.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(repairer) = slot.as_ref() {
            return Ok(repairer.clone());
        }
        let (repairer, note) =
            Repairer::load(&self.model, 0, DeviceChoice::Auto, self.config.clone())
                .map_err(|e| format!("cannot load {}: {e}", self.model.display()))?;
        if let Some(note) = note {
            let _ = writeln!(log, "{note}");
        }
        let repairer = Arc::new(repairer);
        *slot = Some(repairer.clone());
        Ok(repairer)
    }

    /// Attempt 1 decodes greedily; later ones sample, a little hotter each time (up to
    /// [`MAX_TEMPERATURE`]), so that they do not all repeat the same confident mistake.
    fn sampling(&self, attempt: u32) -> SamplingConfig {
        if attempt <= 1 {
            return SamplingConfig::greedy();
        }
        let hotter = TEMPERATURE_STEP * (attempt - 2) as f32;
        SamplingConfig {
            temperature: (self.temperature + hotter).min(MAX_TEMPERATURE.max(self.temperature)),
            seed: u64::from(attempt),
            ..SamplingConfig::default()
        }
    }
}

/// A sweep's outcome when a candidate passed, with its change.
type Swept = Option<(AttemptOutcome, Option<BTreeMap<String, String>>)>;

/// The line sweep of [`SWEEP_ATTEMPT`], its candidates screened with the task's tests (see
/// [`Repairer::sweep`]): the outcome when one passed (`None` to go on with a whole-file
/// reply), and the tokens spent.
fn sweep(
    repairer: &Repairer,
    request: &RepairRequest<'_>,
    ctx: &AttemptContext<'_>,
    stream: &mut dyn FnMut(&str),
) -> Result<(Swept, TokenUsage), LoopError> {
    stream("line sweep: each suspect line corrected in turn, the tests run on each\n");
    // The first candidate's test run sets the pace: later ones get a few times as long, so
    // that one which loops forever (a mutant turning `-=` into `+=`) fails fast.
    let mut pace: Option<Duration> = None;
    let mut documented = DocumentedExamples::default();
    let mut passes = |fix: &LineFix, before: &str| {
        let started = Instant::now();
        let report = match pace {
            None => ctx.trial.run(),
            Some(pace) => ctx
                .trial
                .run_within((pace * TRIAL_PACE).max(MIN_TRIAL_LIMIT)),
        };
        pace.get_or_insert(started.elapsed());
        if !report.is_ok_and(|report| report.passed()) {
            return false;
        }
        let limit = (pace.unwrap_or_default() * TRIAL_PACE).max(MIN_TRIAL_LIMIT);
        // The examples it breaks are named in the trials log.
        documented.broken(ctx, fix, before, limit).is_empty()
    };
    let report = match repairer.sweep(request, &mut passes, ctx.cancel, stream) {
        Ok(report) => report,
        Err(e) => {
            stream(&format!("line sweep failed: {e}\n"));
            return Ok((None, TokenUsage::default()));
        }
    };
    let usage = usage(report.prompt_tokens, report.generated_tokens);
    stream(&format!("{}\n", json_line(&report, "a line sweep report")?));
    if ctx.cancel.load(std::sync::atomic::Ordering::Relaxed) {
        return Ok((Some((AttemptOutcome::Cancelled, None)), usage));
    }
    let outcome = report.passed.map(|fix| {
        let summary = format!(
            "corrected line {} of {} (line sweep: {} candidates from {} lines tested, {} of \
             them mechanical edits)",
            fix.line + 1,
            fix.path,
            report.tried,
            report.lines,
            report.mutants
        );
        (AttemptOutcome::Finished { summary }, Some(fix.change()))
    });
    Ok((outcome, usage))
}

/// The documented examples (doctests) of the files sweep candidates change, before and
/// after (see [`doctests`]): the examples that failed before a change, per file, run once.
#[derive(Default)]
struct DocumentedExamples {
    failing_before: BTreeMap<String, BTreeSet<String>>,
}

impl DocumentedExamples {
    /// The examples of `fix`'s file that held `before` it and fail with it (empty when the
    /// file documents none, or they cannot be run). The candidate is in the worktree; the
    /// file's text before it is put back for as long as its examples run.
    fn broken(
        &mut self,
        ctx: &AttemptContext<'_>,
        fix: &LineFix,
        before: &str,
        limit: Duration,
    ) -> BTreeSet<String> {
        let Some(module) = doctests::module_of(&fix.path, &fix.text) else {
            return BTreeSet::new();
        };
        let command = [doctests::command(&module)];
        let failing = |trial: &dyn Trial| -> Option<BTreeSet<String>> {
            let report = trial.run_commands(&command, limit).ok()?;
            Some(
                report
                    .feedback
                    .as_deref()
                    .map(doctests::failures)
                    .unwrap_or_default(),
            )
        };
        let Some(after) = failing(ctx.trial) else {
            return BTreeSet::new();
        };
        if after.is_empty() {
            return after;
        }
        if !self.failing_before.contains_key(&fix.path) {
            let Ok(workspace) = Workspace::new(ctx.worktree) else {
                return BTreeSet::new();
            };
            let original = BTreeMap::from([(fix.path.clone(), before.to_string())]);
            let held = edits::write_all(&workspace, &original)
                .ok()
                .and_then(|_| failing(ctx.trial));
            if edits::write_all(&workspace, &fix.change()).is_err() {
                return BTreeSet::new();
            }
            self.failing_before
                .insert(fix.path.clone(), held.unwrap_or_else(|| after.clone()));
        }
        let before = &self.failing_before[&fix.path];
        after.difference(before).cloned().collect()
    }
}

fn usage(prompt: usize, generated: usize) -> TokenUsage {
    TokenUsage {
        prompt: prompt as u64,
        generated: generated as u64,
    }
}

/// `value` as one line of JSON for the transcript.
fn json_line(value: &impl serde::Serialize, what: &str) -> Result<String, LoopError> {
    serde_json::to_string(value).map_err(|source| LoopError::Json {
        context: format!("encode {what}"),
        source,
    })
}

fn io_error(path: &Path, e: std::io::Error) -> LoopError {
    LoopError::io("write the coder transcript", path, e)
}

impl Coder for RepairCoder {
    fn attempt(&mut self, ctx: &AttemptContext<'_>) -> Result<AttemptOutcome, LoopError> {
        let mut log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(ctx.transcript)
            .map_err(|e| io_error(ctx.transcript, e))?;
        let repairer = match self.repairer(&mut log) {
            Ok(repairer) => repairer,
            Err(reason) => return Ok(AttemptOutcome::GaveUp { reason }),
        };
        if ctx.attempt <= 1 {
            self.tried.clear();
            repairer.forget_candidates();
        }
        // The attempts after this one that see the same prompt (the same focus), up to a
        // batch: their replies are decoded beside this one's.
        let phase_end = if ctx.attempt <= FOCUSED_ATTEMPTS {
            FOCUSED_ATTEMPTS.min(ctx.max_attempts)
        } else {
            ctx.max_attempts
        };
        let later: Vec<SamplingConfig> = (ctx.attempt + 1..=phase_end)
            .take(CANDIDATES as usize - 1)
            .map(|attempt| self.sampling(attempt))
            .collect();
        let request = RepairRequest {
            root: ctx.worktree,
            title: &ctx.task.title,
            description: &ctx.task.description,
            inputs: &ctx.task.inputs,
            failure: ctx.baseline_failure,
            // Shown, never edited (the loop drops such edits anyway).
            test_files: ctx.test_files,
            // Every attempt is asked the same (cached) prompt and only the sampling differs:
            // on the suite, fresh samples of the first prompt fixed more per second than
            // prompts that also showed the earlier attempts' failed changes (which small
            // models tend to copy back). A candidate repeating a failed change is resampled.
            previous: &[],
            sampling: self.sampling(ctx.attempt),
            later: &later,
            // Asking later attempts to explain first fixed 0 of the 8 tasks that direct
            // attempts missed (and broke one a direct retry had fixed): off until it helps.
            explain: false,
            avoid: &self.tried,
            // The first attempts edit only the files the user named (when named); later
            // ones may edit every file tied to the task, in case the named one was not
            // where the fault is.
            focus_inputs: ctx.attempt <= FOCUSED_ATTEMPTS,
        };
        let _ = writeln!(
            log,
            "repair attempt {} with {} ({})",
            ctx.attempt,
            self.model.display(),
            if ctx.attempt <= 1 {
                "greedy"
            } else {
                "sampled"
            }
        );
        let mut stream = |text: &str| {
            let _ = log.write_all(text.as_bytes());
        };
        if ctx.attempt == SWEEP_ATTEMPT {
            let (outcome, usage) = sweep(&repairer, &request, ctx, &mut stream)?;
            self.usage += usage;
            if let Some((outcome, change)) = outcome {
                self.tried.extend(change);
                return Ok(outcome);
            }
        }
        let result = repairer.attempt(&request, ctx.cancel, &mut stream);
        let _ = writeln!(log);
        if ctx.cancel.load(std::sync::atomic::Ordering::Relaxed) {
            return Ok(AttemptOutcome::Cancelled);
        }
        let (report, outcome) = match result {
            Ok(report) => {
                let summary = format!("edited {}", report.written.join(", "));
                (Some(report), AttemptOutcome::Finished { summary })
            }
            Err(RepairError::NoFiles) => {
                let _ = writeln!(
                    log,
                    "no file could be tied to the task: the tool-calling agent explores instead"
                );
                return self.explorer.attempt(ctx);
            }
            Err(RepairError::Edit { report, error }) => (
                Some(*report),
                AttemptOutcome::GaveUp {
                    reason: format!("the model's edits could not be used: {error}"),
                },
            ),
            Err(other) => (
                None,
                AttemptOutcome::GaveUp {
                    reason: other.to_string(),
                },
            ),
        };
        if let Some(report) = report {
            if !report.changes.is_empty() {
                self.tried.push(report.changes.clone());
            }
            self.usage += usage(report.prompt_tokens, report.generated_tokens);
            let json = json_line(&report, "a repair report")?;
            writeln!(log, "{json}").map_err(|e| io_error(ctx.transcript, e))?;
        }
        Ok(outcome)
    }

    fn starts_from_base(&self) -> bool {
        true
    }

    fn take_usage(&mut self) -> TokenUsage {
        std::mem::take(&mut self.usage)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_model_or_a_bad_setting_is_a_clear_error() {
        let roots = vec![PathBuf::from("/nonexistent-ouro-root")];
        let persona = PersonaConfig {
            model: Some("/nonexistent/model.gguf".into()),
            ..PersonaConfig::default()
        };
        let err = build(&persona, &roots).err().expect("missing model");
        assert!(err.contains("/nonexistent/model.gguf"), "{err}");
        let dir = tempfile::tempdir().expect("tempdir");
        let model = dir.path().join("m.gguf");
        std::fs::write(&model, b"GGUF").expect("write");
        for (persona, needle) in [
            (
                PersonaConfig {
                    format: Some("poem".into()),
                    ..PersonaConfig::default()
                },
                "poem",
            ),
            (
                PersonaConfig {
                    provider: Some("openai".into()),
                    ..PersonaConfig::default()
                },
                "kind = \"agent\"",
            ),
            (
                PersonaConfig {
                    temperature: Some(9.0),
                    ..PersonaConfig::default()
                },
                "temperature",
            ),
        ] {
            let persona = PersonaConfig {
                model: Some(model.to_string_lossy().into_owned()),
                ..persona
            };
            let err = build(&persona, &roots).err().expect(needle);
            assert!(err.contains(needle), "{err}");
        }
    }
}
