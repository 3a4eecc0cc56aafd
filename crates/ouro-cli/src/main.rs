//! The `ouro` command line: parses arguments and calls into the library crates.

mod pixel;

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
    /// Pixel programs: validate, render (CPU or GPU) and preview.
    Pixel(pixel::PixelArgs),
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Pixel(args) => pixel::run(args),
    }
}
