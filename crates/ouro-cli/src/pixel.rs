//! `ouro pixel ...`: argument parsing for pixel programs; the work is in `ouro_pixel::commands`.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use ouro_pixel::artifacts::DEFAULT_DIR;
use ouro_pixel::commands::{self, Preview, Renderer, ViewTarget};

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
