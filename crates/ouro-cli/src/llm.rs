//! `ouro llm ...`: argument parsing for the engine's commands, each calling ouro-llm.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use ouro_llm::bench::{self, BenchKind};
use ouro_llm::chat_template::ChatMessage;
use ouro_llm::device::DeviceChoice;
use ouro_llm::engine::{Engine, GenerateOptions};
use ouro_llm::gguf::GgufFile;
use ouro_llm::info::{ModelInfo, human_bytes};
use ouro_llm::lookup::Lookup;
use ouro_llm::sampling::{Mirostat, SamplingConfig};

#[derive(Subcommand)]
pub enum LlmCommand {
    /// Show a GGUF file's metadata, tensors and sizes.
    Info {
        /// The GGUF file.
        model: PathBuf,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Generate text from a prompt.
    Generate(GenerateArgs),
    /// Chat interactively with streaming replies (Ctrl-C stops a reply, Ctrl-D quits).
    Chat(ChatArgs),
    /// Measure prompt processing (ppN) and generation (tgN) speed, like llama-bench.
    Bench(BenchArgs),
    /// Write a random-weight llama or qwen2 model of a chosen shape and quant type.
    Synth(crate::llm_synth::SynthArgs),
    /// Compare the engine on a GPU with the CPU: logits error and greedy-token agreement.
    Compare(CompareArgs),
    /// Score a text: each token's log-probability after the text before it, and the token
    /// the model expected there.
    Score(ScoreArgs),
}

/// Where the model is and how many threads run it.
#[derive(Args)]
pub struct ModelArgs {
    /// The GGUF model (default: the default model under models/, see scripts/fetch-models.sh).
    #[arg(short, long)]
    model: Option<PathBuf>,
    /// Worker threads (default: all cores).
    #[arg(short, long, default_value_t = 0)]
    threads: usize,
    /// Context size in tokens.
    #[arg(short = 'c', long, default_value_t = 2048)]
    ctx: usize,
    /// Where to run: auto (a CUDA GPU when usable, else the CPU), cpu, or cuda:N.
    #[arg(long, default_value = "auto")]
    device: DeviceChoice,
}

impl ModelArgs {
    fn path(&self) -> Result<PathBuf> {
        let roots = [std::env::current_dir()?];
        ouro_core::paths::resolve_model(self.model.as_deref(), &roots).map_err(anyhow::Error::msg)
    }

    fn load(&self) -> Result<Engine> {
        let path = self.path()?;
        let (engine, note) = Engine::load_on(&path, self.threads, self.device)
            .with_context(|| format!("loading {} on {:?}", path.display(), self.device))?;
        if let Some(note) = note {
            eprintln!("{note}");
        }
        Ok(engine)
    }
}

/// Sampling settings (defaults are llama.cpp's).
#[derive(Args)]
pub struct SamplingArgs {
    /// Temperature; 0 means greedy decoding.
    #[arg(long, default_value_t = 0.8)]
    temp: f32,
    /// Keep only the k most likely tokens (0: off).
    #[arg(long, default_value_t = 40)]
    top_k: usize,
    /// Nucleus sampling threshold (1: off).
    #[arg(long, default_value_t = 0.95)]
    top_p: f32,
    /// Drop tokens below this fraction of the top probability (0: off).
    #[arg(long, default_value_t = 0.05)]
    min_p: f32,
    /// Locally typical sampling (1: off).
    #[arg(long, default_value_t = 1.0)]
    typical: f32,
    /// Penalty for repeating recent tokens (1: off).
    #[arg(long, default_value_t = 1.0)]
    repeat_penalty: f32,
    /// How many recent tokens the penalties look at.
    #[arg(long, default_value_t = 64)]
    repeat_last_n: usize,
    /// Subtracted per occurrence of a recent token.
    #[arg(long, default_value_t = 0.0)]
    frequency_penalty: f32,
    /// Subtracted once for any recent token.
    #[arg(long, default_value_t = 0.0)]
    presence_penalty: f32,
    /// Mirostat version (0: off, 1 or 2).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=2))]
    mirostat: u8,
    /// Mirostat target entropy.
    #[arg(long, default_value_t = 5.0)]
    mirostat_tau: f32,
    /// Mirostat learning rate.
    #[arg(long, default_value_t = 0.1)]
    mirostat_eta: f32,
    /// Random seed (sampling is reproducible for a given seed).
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Greedy decoding (same as --temp 0).
    #[arg(long)]
    greedy: bool,
}

impl SamplingArgs {
    fn config(&self) -> Result<SamplingConfig> {
        let (tau, eta) = (self.mirostat_tau, self.mirostat_eta);
        let config = SamplingConfig {
            temperature: if self.greedy { 0.0 } else { self.temp },
            top_k: self.top_k,
            top_p: self.top_p,
            min_p: self.min_p,
            typical_p: self.typical,
            repeat_penalty: self.repeat_penalty,
            repeat_last_n: self.repeat_last_n,
            frequency_penalty: self.frequency_penalty,
            presence_penalty: self.presence_penalty,
            mirostat: match self.mirostat {
                1 => Mirostat::V1 { tau, eta },
                2 => Mirostat::V2 { tau, eta },
                _ => Mirostat::Off,
            },
            seed: self.seed,
        };
        config.validate()?;
        Ok(config)
    }
}

#[derive(Args)]
pub struct GenerateArgs {
    /// The prompt text.
    prompt: String,
    #[command(flatten)]
    model: ModelArgs,
    #[command(flatten)]
    sampling: SamplingArgs,
    /// Most tokens to generate.
    #[arg(short = 'n', long, default_value_t = 128)]
    max_tokens: usize,
    /// Treat the prompt as a user message and apply the model's chat template.
    #[arg(long)]
    chat: bool,
    /// A system message (with --chat).
    #[arg(long, requires = "chat")]
    system: Option<String>,
    /// Stop before this string (repeatable).
    #[arg(long)]
    stop: Vec<String>,
    /// Keep generating past end-of-generation tokens.
    #[arg(long)]
    ignore_eos: bool,
    /// Speculative decoding with prompt-lookup drafts of up to N tokens (0: off): faster
    /// when the reply copies text from the prompt, same sampling.
    #[arg(long, default_value_t = 0, value_name = "N")]
    lookup: usize,
    /// Print one JSON object (text, token ids, timings) instead of streaming text.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct ChatArgs {
    #[command(flatten)]
    model: ModelArgs,
    #[command(flatten)]
    sampling: SamplingArgs,
    /// A system message.
    #[arg(long)]
    system: Option<String>,
    /// Most tokens per reply.
    #[arg(short = 'n', long, default_value_t = 512)]
    max_tokens: usize,
}

#[derive(Args)]
pub struct BenchArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// Prompt sizes to test (ppN), comma-separated; 0 skips.
    #[arg(short = 'p', long, value_delimiter = ',', default_value = "512")]
    prompt: Vec<usize>,
    /// Generation lengths to test (tgN), comma-separated; 0 skips.
    #[arg(
        short = 'n',
        long = "n-gen",
        value_delimiter = ',',
        default_value = "128"
    )]
    n_gen: Vec<usize>,
    /// Sequences decoded side by side in the generation tests (tgNxB: B sequences of N
    /// tokens each, their tokens per second counted together; CPU only), comma-separated;
    /// 1 is the plain tgN.
    #[arg(short = 'b', long, value_delimiter = ',', default_value = "1")]
    batch: Vec<usize>,
    /// Repetitions of each test (after one warm-up).
    #[arg(short = 'r', long, default_value_t = 5)]
    repetitions: usize,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct CompareArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// The prompt whose logits are compared at every position (the default is long enough,
    /// 64 tokens or more, for the CPU's batched path to differ from its token-by-token one,
    /// which measures the model's noise floor).
    #[arg(
        long,
        default_value = "The quick brown fox jumps over the lazy dog. Once upon a time, in a village by the sea, there lived an old fisherman who went out every morning before dawn. He knew the tides, the winds and the moods of the water better than anyone, and the children of the village gathered around him every evening to hear his stories."
    )]
    prompt: String,
    /// Greedy decoding steps compared after the prompt.
    #[arg(short = 'n', long, default_value_t = 64)]
    steps: usize,
    /// Print JSON instead of a summary.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct ScoreArgs {
    /// The text to score (`-` reads standard input).
    text: String,
    #[command(flatten)]
    model: ModelArgs,
    /// Context before the text, not scored (special tokens in it are parsed).
    #[arg(long, default_value = "")]
    context: String,
    /// Print JSON (one object per token) instead of a table.
    #[arg(long)]
    json: bool,
}

/// Runs one `ouro llm` subcommand.
pub fn run(cmd: LlmCommand) -> Result<()> {
    match cmd {
        LlmCommand::Info { model, json } => info(model, json),
        LlmCommand::Generate(args) => generate(args),
        LlmCommand::Score(args) => score(args),
        LlmCommand::Chat(args) => chat(args),
        LlmCommand::Bench(args) => run_bench(args),
        LlmCommand::Synth(args) => crate::llm_synth::run(args),
        LlmCommand::Compare(args) => compare(args),
    }
}

fn info(path: PathBuf, json: bool) -> Result<()> {
    let file = GgufFile::open(&path)?;
    let info = ModelInfo::from_gguf(&file);
    if json {
        println!("{}", serde_json::to_string_pretty(&info)?);
    } else {
        print!("{info}");
    }
    Ok(())
}

/// A flag set by Ctrl-C, so that a running generation stops cleanly.
pub(crate) fn cancel_on_ctrl_c() -> Result<Arc<AtomicBool>> {
    let flag = Arc::new(AtomicBool::new(false));
    let f = flag.clone();
    ctrlc::set_handler(move || f.store(true, Ordering::Relaxed))
        .context("installing the Ctrl-C handler")?;
    Ok(flag)
}

fn generate(args: GenerateArgs) -> Result<()> {
    let sampling = args.sampling.config()?;
    let engine = args.model.load()?;
    let prompt = if args.chat {
        let mut messages = Vec::new();
        if let Some(system) = &args.system {
            messages.push(ChatMessage {
                role: "system".into(),
                content: system.clone(),
            });
        }
        messages.push(ChatMessage {
            role: "user".into(),
            content: args.prompt.clone(),
        });
        engine.chat_prompt(&messages)?
    } else {
        args.prompt.clone()
    };
    let tokens = engine.tokenize_prompt(&prompt);
    let opts = GenerateOptions {
        max_tokens: args.max_tokens,
        sampling,
        stop: args.stop,
        ignore_eos: args.ignore_eos,
        grammar: None,
        lookup: (args.lookup > 0).then(|| Lookup {
            max_draft: args.lookup,
            ..Lookup::default()
        }),
        logprobs: None,
    };
    let cancel = cancel_on_ctrl_c()?;
    let mut stdout = std::io::stdout();
    let json = args.json;
    let result = engine.generate(&tokens, args.model.ctx, &opts, &cancel, &mut |piece| {
        if !json {
            let _ = stdout.write_all(piece.as_bytes());
            let _ = stdout.flush();
        }
    })?;
    if json {
        let out = serde_json::json!({
            "prompt": prompt,
            "prompt_token_ids": tokens,
            "generation": result,
            "prompt_tokens_per_second": result.prompt_tokens_per_second(),
            "tokens_per_second": result.tokens_per_second(),
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!();
        let drafts = if opts.lookup.is_some() {
            format!(
                ", {} of {} drafted tokens taken",
                result.accepted, result.drafted
            )
        } else {
            String::new()
        };
        eprintln!(
            "[{} prompt tokens at {:.1} tok/s, {} generated at {:.1} tok/s{drafts}, stop: {:?}]",
            result.prompt_tokens,
            result.prompt_tokens_per_second(),
            result.tokens.len(),
            result.tokens_per_second(),
            result.stop_reason
        );
    }
    Ok(())
}

fn chat(args: ChatArgs) -> Result<()> {
    let sampling = args.sampling.config()?;
    let engine = args.model.load()?;
    let cancel = cancel_on_ctrl_c()?;
    let mut messages = Vec::new();
    if let Some(system) = &args.system {
        messages.push(ChatMessage {
            role: "system".into(),
            content: system.clone(),
        });
    }
    let opts = GenerateOptions {
        max_tokens: args.max_tokens,
        sampling,
        ..GenerateOptions::default()
    };
    let mut session = engine.session(args.model.ctx)?;
    eprintln!(
        "chatting with {} (Ctrl-C stops a reply, Ctrl-D or /exit quits)",
        args.model.path()?.display()
    );
    let stdin = std::io::stdin();
    let mut stdout = std::io::stdout();
    loop {
        eprint!("> ");
        let mut line = String::new();
        if stdin.lock().read_line(&mut line)? == 0 {
            break;
        }
        let line = line.trim();
        if line == "/exit" {
            break;
        }
        if line.is_empty() {
            continue;
        }
        messages.push(ChatMessage {
            role: "user".into(),
            content: line.to_string(),
        });
        let prompt = engine.chat_prompt(&messages)?;
        cancel.store(false, Ordering::Relaxed);
        let result = session.generate(&engine, &prompt, &opts, &cancel, &mut |piece| {
            let _ = stdout.write_all(piece.as_bytes());
            let _ = stdout.flush();
        })?;
        println!();
        eprintln!(
            "[{} tokens at {:.1} tok/s]",
            result.tokens.len(),
            result.tokens_per_second()
        );
        messages.push(ChatMessage {
            role: "assistant".into(),
            content: result.text,
        });
    }
    Ok(())
}

fn run_bench(args: BenchArgs) -> Result<()> {
    let path = args.model.path()?;
    let engine = args.model.load()?;
    let model = &engine.model;
    let kinds = args
        .prompt
        .iter()
        .filter(|&&n| n > 0)
        .map(|&n| BenchKind::Prompt(n))
        .chain(args.n_gen.iter().filter(|&&n| n > 0).flat_map(|&n| {
            args.batch
                .iter()
                .filter(|&&b| b > 0)
                .map(move |&b| match b {
                    1 => BenchKind::Generate(n),
                    sequences => BenchKind::Batched {
                        tokens: n,
                        sequences,
                    },
                })
        }));
    let name = path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let size = human_bytes(
        engine
            .model
            .file()
            .tensors()
            .iter()
            .map(|t| t.n_bytes())
            .sum(),
    );
    let params = engine
        .model
        .file()
        .tensors()
        .iter()
        .map(|t| t.n_elements())
        .sum::<u64>() as f64
        / 1e6;
    let backend = engine.placement.describe();
    let mut results = Vec::new();
    if !args.json {
        println!("| model | size | params | backend | threads | test | t/s |");
        println!("| --- | ---: | ---: | --- | ---: | ---: | ---: |");
    }
    for kind in kinds {
        let r = bench::run(&engine, kind, args.repetitions)?;
        if !args.json {
            println!(
                "| {name} | {size} | {params:.2} M | {backend} | {} | {} | {:.2} ± {:.2} |",
                r.threads, r.test, r.mean_tps, r.stddev_tps
            );
        }
        results.push(r);
    }
    if args.json {
        let out = serde_json::json!({ "model": path, "backend": backend, "size_bytes": model.weight_bytes(), "results": results });
        println!("{}", serde_json::to_string_pretty(&out)?);
    }
    Ok(())
}

fn compare(args: CompareArgs) -> Result<()> {
    if args.model.device == DeviceChoice::Cpu {
        bail!("compare runs the model on a GPU against the CPU: pass --device cuda:N or auto");
    }
    let engine = args.model.load()?;
    if !matches!(engine.placement, ouro_llm::device::Placement::Cuda(_)) {
        bail!("no usable CUDA GPU to compare with the CPU");
    }
    let tokens = engine.tokenize_prompt(&args.prompt);
    let report = ouro_llm::compare::compare(&engine, &tokens, args.steps)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!(
            "{} ({}): prompt {} tokens, rel. logit error {:.2e} (element-wise max {:.2e}); {} greedy steps, rel. error {:.2e} against the CPU's batched logits ({:.2e} against its token-by-token ones, element-wise max {:.2e}), argmax agrees with the batched logits' {}/{} and with the CPU's greedy tokens {}/{}{}; tolerance {:.0e}: {}; CPU noise floor (batched vs token by token) {:.2e}, {} argmax flips: {}",
            report.device,
            report.weight_type,
            report.prompt_tokens,
            report.rel_error_prompt,
            report.max_rel_error_prompt,
            report.steps,
            report.rel_error_decode_batched,
            report.rel_error_decode,
            report.max_rel_error_decode,
            report.argmax_agreement_batched,
            report.steps,
            report.greedy_agreement,
            report.steps,
            report.first_divergence.map_or(String::new(), |i| format!(
                " (first difference at step {i})"
            )),
            report.tolerance,
            if report.passed { "PASS" } else { "FAIL" },
            report.cpu_floor_prompt,
            report.cpu_floor_argmax_flips,
            if report.within_cpu_floor {
                "within the floor"
            } else {
                "BEYOND the floor"
            }
        );
    }
    if !report.within_cpu_floor {
        bail!("GPU and CPU disagree beyond the tolerance and beyond the CPU's own noise floor");
    }
    Ok(())
}

fn score(args: ScoreArgs) -> Result<()> {
    let text = if args.text == "-" {
        std::io::read_to_string(std::io::stdin()).context("reading the text from stdin")?
    } else {
        args.text.clone()
    };
    let engine = args.model.load()?;
    let context = engine.tokenize_prompt(&args.context);
    let mut tokens = context.clone();
    tokens.extend(engine.tokenizer.encode(&text, false, false));
    let cancel = cancel_on_ctrl_c()?;
    let scores = engine.score(&tokens, context.len().max(1), &cancel)?;
    let piece = |t: u32| String::from_utf8_lossy(&engine.tokenizer.token_to_piece(t)).into_owned();
    let mut stdout = std::io::stdout().lock();
    for s in &scores {
        if args.json {
            let row = serde_json::json!({
                "token": s.token, "text": piece(s.token), "logprob": s.logprob,
                "top": s.top, "top_text": piece(s.top), "top_logprob": s.top_logprob,
            });
            writeln!(stdout, "{row}")?;
        } else {
            writeln!(
                stdout,
                "{:>9.3}  {:<20} {:>9.3}  {:?}",
                s.logprob,
                format!("{:?}", piece(s.token)),
                s.top_logprob,
                piece(s.top)
            )?;
        }
    }
    let total: f32 = scores.iter().map(|s| s.logprob).sum();
    eprintln!(
        "{} tokens scored, mean log-probability {:.3}",
        scores.len(),
        total / scores.len().max(1) as f32
    );
    Ok(())
}
