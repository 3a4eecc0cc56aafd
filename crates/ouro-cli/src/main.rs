//! The `ouro` command line: parses arguments and calls into the library crates.

mod agent;
mod eval;
mod gpu;
mod llm;
mod llm_synth;
mod loop_cmd;
mod pixel;
mod repair_coder;
mod serve;
mod tasks;
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
    /// Run the coding agent: headless with -p "task" [--json], or interactively.
    Agent(agent::AgentArgs),
    /// Run language models: inspect, generate, chat, benchmark, synthesize.
    #[command(subcommand)]
    Llm(llm::LlmCommand),
    /// Pixel programs: validate, render (CPU or GPU) and preview.
    Pixel(pixel::PixelArgs),
    /// The development loop's task queue: add, list, show, retry, cancel, import, export.
    Tasks(tasks::TasksArgs),
    /// Run the development loop on the task queue, or show its status.
    Loop(loop_cmd::LoopArgs),
    /// Measure the development loop on a suite of tasks with hidden tests.
    Eval(eval::EvalArgs),
    /// Devices: list GPUs and the CPU with their figures, watch their load.
    #[command(subcommand)]
    Gpu(gpu::GpuCommand),
    /// The live dashboard: GPUs, system, loop, agent and engine.
    Tui(tui::TuiArgs),
    /// Serve a model over an OpenAI-compatible HTTP API (chat, completions, tools, metrics).
    Serve(serve::ServeArgs),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Agent(args) => agent::main(args),
        Command::Llm(cmd) => llm::run(cmd).map(|()| std::process::ExitCode::SUCCESS),
        Command::Pixel(args) => pixel::run(args).map(|()| std::process::ExitCode::SUCCESS),
        Command::Tasks(args) => tasks::run(args).map(|()| std::process::ExitCode::SUCCESS),
        Command::Loop(args) => loop_cmd::run(args).map(|()| std::process::ExitCode::SUCCESS),
        Command::Eval(args) => eval::run(args),
        Command::Gpu(cmd) => gpu::run(cmd).map(|()| std::process::ExitCode::SUCCESS),
        Command::Tui(args) => tui::run(args).map(|()| std::process::ExitCode::SUCCESS),
        Command::Serve(args) => serve::run(args).map(|()| std::process::ExitCode::SUCCESS),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
