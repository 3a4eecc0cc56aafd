//! `ouro eval SUITE`: argument parsing and the coder strategies; the work is in `ouro_eval`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::{Args, ValueEnum};
use ouro_loop::config::PersonaConfig;
use ouro_loop::{LoopConfig, Personas};

/// Run each task of a suite through `ouro loop` in a fresh repository, then its hidden
/// test on the target branch; report what was fixed, attempts, time, tokens and files
/// touched beyond the fix (format of a suite: docs/eval-suite.md).
#[derive(Args)]
pub struct EvalArgs {
    /// The suite folder (default: suites/bundled).
    #[arg(default_value = "suites/bundled")]
    suite: PathBuf,
    /// Only these tasks (ids, comma-separated or repeated).
    #[arg(long, value_delimiter = ',')]
    tasks: Vec<String>,
    /// How the coder works: repair (ouro's default coder: located files, exact edits under
    /// a grammar, up to --attempts tries), one-shot (the task and its files in one prompt,
    /// the whole corrected file back, greedy, one try), agent (the tool-calling agent), or
    /// command (--coder-command).
    #[arg(long, value_enum, default_value_t = Strategy::Repair)]
    strategy: Strategy,
    /// The model: a GGUF path for the local engine (default: the default coding model), or
    /// the name sent to the server with --provider openai.
    #[arg(long)]
    model: Option<String>,
    /// The agent's provider with --strategy agent: local or openai.
    #[arg(long)]
    provider: Option<String>,
    /// The shell command of --strategy command (run in the worktree, as `[loop.coder]
    /// command`).
    #[arg(long, value_name = "CMD")]
    coder_command: Option<String>,
    /// Coder attempts per task (one-shot: always 1).
    #[arg(long, default_value_t = 4)]
    attempts: u32,
    /// Keep each task's repository and run folder under DIR/<task>.
    #[arg(long, value_name = "DIR")]
    keep: Option<PathBuf>,
    /// Also write the JSON report to FILE.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Print the JSON report instead of the table (progress goes to stderr).
    #[arg(long)]
    json: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Strategy {
    Repair,
    OneShot,
    Agent,
    Command,
}

/// Runs `ouro eval ...`; exits 0 when the suite ran (whatever was fixed).
pub fn run(args: EvalArgs) -> anyhow::Result<ExitCode> {
    let suite = ouro_eval::Suite::load(&args.suite)?.select(&args.tasks)?;
    let mut config = LoopConfig {
        max_attempts: args.attempts.max(1),
        ..LoopConfig::default()
    };
    let mut coder = PersonaConfig {
        model: args.model.clone(),
        ..PersonaConfig::default()
    };
    let label = match args.strategy {
        Strategy::Repair => {
            coder.kind = Some("repair".into());
            format!("repair, {} attempt(s)", config.max_attempts)
        }
        Strategy::OneShot => {
            coder.kind = Some("repair".into());
            coder.format = Some("whole-file".into());
            config.max_attempts = 1;
            config.baseline_tests = false;
            "one-shot (whole file, greedy, one try)".into()
        }
        Strategy::Agent => {
            coder.kind = Some("agent".into());
            coder.provider = Some(args.provider.clone().unwrap_or_else(|| "local".into()));
            if coder.provider.as_deref() == Some("local") && coder.model.is_none() {
                let roots = ouro_core::paths::search_roots(&[]);
                let path = ouro_core::paths::resolve_coder_model(None, &roots)
                    .map_err(anyhow::Error::msg)?;
                coder.model = Some(path.to_string_lossy().into_owned());
            }
            format!(
                "agent ({}), {} attempt(s)",
                coder.provider.as_deref().unwrap_or_default(),
                config.max_attempts
            )
        }
        Strategy::Command => {
            let command = args
                .coder_command
                .clone()
                .ok_or_else(|| anyhow::anyhow!("--strategy command needs --coder-command CMD"))?;
            coder.kind = Some("command".into());
            coder.command = Some(command.clone());
            format!("command `{command}`, {} attempt(s)", config.max_attempts)
        }
    };
    let model = match (&args.strategy, &args.model) {
        (Strategy::Command, _) => String::new(),
        (_, Some(model)) => format!(", model {model}"),
        (_, None) => format!(", model {}", ouro_core::paths::DEFAULT_CODER_MODEL_FILE),
    };
    config.coder = coder;
    let origin = PathBuf::from("ouro eval");
    let kinds = crate::repair_coder::coder_kinds(ouro_core::paths::search_roots(&[]));
    let personas = Personas::from_config_with(&config, &origin, &kinds)?;
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    ctrlc::set_handler(move || flag.store(true, Ordering::Relaxed))?;
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir)
        .join("ouro/suite-src");
    let options = ouro_eval::EvalOptions {
        config,
        personas,
        coder: format!("{label}{model}"),
        cache,
        keep: args.keep.clone(),
        stop,
    };
    let total = suite.tasks.len();
    eprintln!(
        "ouro eval: {total} task(s) of {}, coder {}",
        suite.dir.display(),
        options.coder
    );
    eprintln!("{}", ouro_eval::report::HEADER);
    let mut done = 0;
    let report = ouro_eval::run_suite(&suite, &options, &mut |result| {
        done += 1;
        eprintln!("{}   [{done}/{total}]", result.row());
    })?;
    let json = serde_json::to_string_pretty(&report)?;
    if let Some(out) = &args.out {
        std::fs::write(out, format!("{json}\n"))
            .map_err(|e| anyhow::anyhow!("write {}: {e}", out.display()))?;
    }
    if args.json {
        println!("{json}");
    } else {
        print!("{}", report.render());
    }
    Ok(ExitCode::SUCCESS)
}
