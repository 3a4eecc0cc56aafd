//! `ouro pixel ...`: argument parsing for pixel programs; the work is in `ouro_pixel::commands`.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use ouro_pixel::artifacts::DEFAULT_DIR;
use ouro_pixel::commands::{self, GenRequest, Preview, Renderer, ViewTarget};

/// Validate, render and preview pixel programs.
#[derive(Args)]
pub struct PixelArgs {
    #[command(subcommand)]
    command: PixelCommand,
}

#[derive(Subcommand)]
enum PixelCommand {
    /// Check a program and print a summary, or the first error (op, field, reason).
    Validate {
        /// The program (`*.pixel.json`).
        file: PathBuf,
    },
    /// Render a program to a PNG file.
    Render {
        /// The program (`*.pixel.json`).
        file: PathBuf,
        /// Where to write the PNG.
        #[arg(long)]
        png: PathBuf,
        /// Render with wgpu compute shaders instead of the CPU (fails if there is no adapter).
        #[arg(long)]
        gpu: bool,
    },
    /// Preview a program in the terminal, or list the loop's artifacts.
    View {
        #[command(flatten)]
        target: ViewWhat,
        /// The artifacts folder.
        #[arg(long, default_value = DEFAULT_DIR)]
        dir: PathBuf,
        /// Plain ASCII instead of truecolor half-blocks.
        #[arg(long)]
        ascii: bool,
        /// Widest preview, in terminal columns.
        #[arg(long, default_value_t = 80)]
        cols: u32,
    },
    /// Have the model write programs for a request, decoded under the program grammar so
    /// that they always validate.
    Gen {
        /// What to draw.
        prompt: String,
        /// Where to write the program (numbered -1, -2, ... with --count); default: print it.
        #[arg(short, long)]
        out: Option<PathBuf>,
        /// Also render each program to a PNG beside it.
        #[arg(long, requires = "out")]
        png: bool,
        /// The GGUF model (default: the default model under models/).
        #[arg(short, long)]
        model: Option<PathBuf>,
        /// Worker threads (default: all cores).
        #[arg(short, long, default_value_t = 0)]
        threads: usize,
        /// Sampling seed of the first program (program i uses seed + i).
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// How many programs to write.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..))]
        count: u64,
        /// One JSON object per program (file, seed, tokens, seconds, program).
        #[arg(long)]
        json: bool,
    },
}

/// Exactly one of what `view` shows.
#[derive(Args)]
#[group(required = true, multiple = false)]
struct ViewWhat {
    /// The newest artifact in --dir.
    #[arg(long)]
    latest: bool,
    /// A program file.
    #[arg(long)]
    file: Option<PathBuf>,
    /// List the artifacts in --dir, newest first.
    #[arg(long)]
    list: bool,
}

/// Runs `ouro pixel ...`.
pub fn run(args: PixelArgs) -> anyhow::Result<()> {
    let out = match args.command {
        PixelCommand::Gen {
            prompt,
            out,
            png,
            model,
            threads,
            seed,
            count,
            json,
        } => {
            let cancel = crate::llm::cancel_on_ctrl_c()?;
            let request = GenRequest {
                prompt: &prompt,
                out: out.as_deref(),
                png,
                model: model.as_deref(),
                threads,
                seed,
                count: usize::try_from(count)?,
                json,
            };
            commands::generate(&request, &cancel)?
        }
        PixelCommand::Validate { file } => commands::validate(&file)?,
        PixelCommand::Render { file, png, gpu } => {
            commands::render(&file, &png, if gpu { Renderer::Gpu } else { Renderer::Cpu })?
        }
        PixelCommand::View {
            target: ViewWhat { file, list, .. },
            dir,
            ascii,
            cols,
        } => {
            let target = match (&file, list) {
                (Some(f), _) => ViewTarget::File(f),
                (None, true) => ViewTarget::List(&dir),
                (None, false) => ViewTarget::Latest(&dir),
            };
            commands::view(
                target,
                if ascii {
                    Preview::Ascii
                } else {
                    Preview::Truecolor
                },
                cols,
            )?
        }
    };
    print!("{}", if out.ends_with('\n') { out } else { out + "\n" });
    Ok(())
}
