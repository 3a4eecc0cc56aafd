//! The `ouro` command line: parses arguments and calls into the library crates.

mod llm_synth;

use clap::{Parser, Subcommand};

/// ouro: a self-hosted, GPU-native, self-improving coding agent runtime.
#[derive(Parser)]
#[command(name = "ouro", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The local LLM engine: models and tools.
    #[command(subcommand)]
    Llm(LlmCommand),
}

#[derive(Subcommand)]
enum LlmCommand {
    Synth(llm_synth::SynthArgs),
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Llm(LlmCommand::Synth(args)) => llm_synth::run(args),
    }
}
