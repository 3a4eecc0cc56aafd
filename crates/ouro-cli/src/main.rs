//! The `ouro` command line: parses arguments and calls into the library crates.

use clap::Parser;

/// ouro: a self-hosted, GPU-native, self-improving coding agent runtime.
#[derive(Parser)]
#[command(name = "ouro", version, about)]
struct Cli {}

fn main() -> anyhow::Result<()> {
    let _cli = Cli::parse();
    Ok(())
}
