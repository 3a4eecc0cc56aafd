//! `ouro tui ...`: argument parsing for the live dashboard; the work is in `ouro_tui`.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use ouro_tui::event_loop::{self, LoopControl, Unattached};
use ouro_tui::snapshot::{self, Size};
use ouro_tui::sources::LocalSources;
use ouro_tui::sources::loop_store::StoreControl;
use ouro_tui::sources::repo::task_store;

/// Watch GPUs, the system, the loop, the agent and the engine live.
#[derive(Args)]
pub struct TuiArgs {
    /// The repository whose loop and agent sessions to show.
    #[arg(long, default_value = ".")]
    repo: PathBuf,
    /// Milliseconds between samples and redraws.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u64).range(20..=60_000))]
    refresh_ms: u64,
    /// Render one frame to stdout as text and exit.
    #[arg(long, conflicts_with = "bench_frames")]
    once: bool,
    /// Time N off-screen renders and print the figures, then exit.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    bench_frames: Option<u32>,
    /// Size for --once and --bench-frames, COLSxROWS (default: this terminal, or 120x40;
    /// 200x60 for --bench-frames).
    #[arg(long)]
    size: Option<Size>,
}

/// This terminal's size, if stdout is one.
fn terminal_size() -> Option<Size> {
    if !std::io::stdout().is_terminal() {
        return None;
    }
    let (cols, rows) = ouro_tui::terminal::size().ok()?;
    Some(Size { cols, rows })
}

/// Runs `ouro tui ...`.
pub fn run(args: TuiArgs) -> anyhow::Result<()> {
    let refresh = Duration::from_millis(args.refresh_ms);
    if !args.repo.is_dir() {
        anyhow::bail!("--repo {}: not a directory", args.repo.display());
    }
    let mut sources = LocalSources::start(&args.repo, refresh);
    if let Some(frames) = args.bench_frames {
        let size = args.size.unwrap_or(Size {
            cols: 200,
            rows: 60,
        });
        let r = snapshot::bench(&mut sources, 100, frames, size);
        println!(
            "ouro tui bench: {} frames at {}x{}: mean {:.3} ms, median {:.3} ms, max {:.3} ms",
            r.frames,
            r.size.cols,
            r.size.rows,
            r.mean.as_secs_f64() * 1e3,
            r.median.as_secs_f64() * 1e3,
            r.max.as_secs_f64() * 1e3
        );
        return Ok(());
    }
    if args.once {
        let size = args.size.or_else(terminal_size).unwrap_or(Size {
            cols: 120,
            rows: 40,
        });
        print!("{}", snapshot::once(&mut sources, refresh, size));
        return Ok(());
    }
    let repo = std::fs::canonicalize(&args.repo).unwrap_or(args.repo);
    let store = task_store(&repo);
    // With a task store, r and x retry and cancel its tasks; without one they say why not.
    let mut control: Box<dyn LoopControl> = if store.is_file() {
        Box::new(StoreControl { store })
    } else {
        Box::new(Unattached { repo })
    };
    let summary = event_loop::run(&mut sources, control.as_mut(), refresh)?;
    let cpu = match (summary.cpu, summary.cpu_pct()) {
        (Some(cpu), Some(pct)) => {
            format!("; CPU {:.3} s ({pct:.2}% of one core)", cpu.as_secs_f64())
        }
        _ => String::new(),
    };
    eprintln!(
        "ouro tui: {} frames in {:.1} s{cpu}",
        summary.frames,
        summary.elapsed.as_secs_f64()
    );
    Ok(())
}
