//! The `ouro` command line: parses arguments and calls into the library crates.

mod llm;
mod llm_synth;
mod pixel;
mod tui;

use clap::{Parser, Subcommand};

/// ouro: a self-hosted, GPU-native, self-improving coding agent runtime.
///
/// Runs language models locally from GGUF files with its own engine.
#[derive(Parser)]
#[command(name = "ouro", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run language models: inspect, generate, chat, benchmark, synthesize.
    #[command(subcommand)]
    Llm(llm::LlmCommand),
    /// Pixel programs: validate, render (CPU or GPU) and preview.
    Pixel(pixel::PixelArgs),
    /// The live dashboard: GPUs, system, loop, agent and engine.
    Tui(tui::TuiArgs),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Llm(cmd) => llm::run(cmd),
        Command::Pixel(args) => pixel::run(args),
        Command::Tui(args) => tui::run(args),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
