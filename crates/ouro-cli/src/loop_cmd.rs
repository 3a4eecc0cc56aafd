//! `ouro loop ...`: argument parsing for the development loop; the work is in `ouro_loop`.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::{Args, Subcommand};
use ouro_loop::{LoopConfig, LoopOptions, Mode, Notice, Personas, open_store, report, run_loop};

/// Work through the task queue: each task in a shadow worktree, tested, judged, promoted.
#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct LoopArgs {
    #[command(subcommand)]
    command: Option<LoopCommand>,
    /// The repository (default: the current directory).
    #[arg(long, global = true, default_value = ".")]
    repo: PathBuf,
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    /// The config file (default: `<repo>/ouro.toml` if present).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Run one task, then stop.
    #[arg(long, conflicts_with_all = ["max_tasks", "forever"])]
    once: bool,
    /// Run at most N tasks, then stop.
    #[arg(long, value_name = "N", conflicts_with = "forever")]
    max_tasks: Option<usize>,
    /// Never stop: poll an empty queue every interval (Ctrl-C stops).
    #[arg(long)]
    forever: bool,
    /// Seconds between polls of an empty queue (overrides `[loop] interval_s`).
    #[arg(long, value_name = "S")]
    interval: Option<f64>,
    /// A task file whose new tasks are imported while the loop runs.
    #[arg(long, value_name = "FILE")]
    watch: Option<PathBuf>,
}

#[derive(Subcommand)]
enum LoopCommand {
    /// Queue counts, the running task, recent runs with their folders, the recovery time.
    Status {
        /// How many recent runs to show.
        #[arg(long, default_value_t = 10)]
        recent: u32,
    },
}

/// Runs `ouro loop ...`.
pub fn run(args: LoopArgs) -> anyhow::Result<()> {
    if let Some(LoopCommand::Status { recent }) = args.command {
        let (state, store) = open_store(&args.repo)?;
        let status = report::loop_status(&store, state.root(), recent)?;
        if args.json {
            println!("{}", serde_json::to_string_pretty(&status)?);
        } else {
            print!("{}", status.render());
        }
        return Ok(());
    }
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("OURO_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
    let origin = args
        .config
        .clone()
        .unwrap_or_else(|| args.repo.join(ouro_loop::config::CONFIG_FILE));
    let mut config = LoopConfig::load(&args.repo, args.config.as_deref())?;
    if let Some(interval) = args.interval {
        config.interval_s = interval;
    }
    let repo_root = std::fs::canonicalize(&args.repo).unwrap_or_else(|_| args.repo.clone());
    let kinds = crate::repair_coder::coder_kinds(ouro_core::paths::search_roots(&[repo_root]));
    let personas = Personas::from_config_with(&config, &origin, &kinds)?;
    let mode = if args.forever {
        Mode::Forever
    } else if args.once {
        Mode::Drain { max_tasks: Some(1) }
    } else {
        Mode::Drain {
            max_tasks: args.max_tasks,
        }
    };
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    ctrlc::set_handler(move || flag.store(true, Ordering::Relaxed))?;
    let json = args.json;
    let summary = run_loop(
        LoopOptions {
            repo: args.repo,
            config,
            mode,
            watch: args.watch,
            stop,
            notify: Arc::new(move |notice: &Notice| {
                if json {
                    if let Ok(line) = serde_json::to_string(notice) {
                        println!("{line}");
                    }
                } else {
                    println!("{}", notice.describe());
                }
            }),
        },
        personas,
    )?;
    if !json {
        println!("{} run(s) finished", summary.processed);
    }
    Ok(())
}
