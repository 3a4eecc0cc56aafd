//! What the `ouro pixel ...` subcommands do, one function each; the CLI only parses
//! arguments, calls these and prints the returned text.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use crate::artifacts;
use crate::cpu;
use crate::error::PixelError;
use crate::generate::{self, GenOptions, ProgramGenerator};
use crate::gpu::GpuRenderer;
use crate::image::Image;
use crate::limits::MAX_FILE_BYTES;
use crate::lower::lower;
use crate::parse::parse_program;
use crate::preview;
use crate::program::Program;

/// Reads and validates a pixel program file (at most [`MAX_FILE_BYTES`]).
pub fn load(path: &Path) -> Result<Program, PixelError> {
    let io = |source| PixelError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut text = String::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(io)?;
    if text.len() as u64 > MAX_FILE_BYTES {
        return Err(PixelError::TooLarge {
            path: path.to_path_buf(),
            size: text.len() as u64,
            limit: MAX_FILE_BYTES,
        });
    }
    parse_program(&text).map_err(|e| {
        PixelError::Invalid(crate::ValidationError {
            path: format!("{}: {}", path.display(), e.path),
            reason: e.reason,
        })
    })
}

fn summary(p: &Program) -> String {
    format!(
        "{:?}: {}x{} canvas, {} ops",
        p.name,
        p.width,
        p.height,
        p.ops.len()
    )
}

/// `ouro pixel validate FILE`: the summary of a valid program.
pub fn validate(path: &Path) -> Result<String, PixelError> {
    Ok(format!(
        "{}: valid, {}",
        path.display(),
        summary(&load(path)?)
    ))
}

/// Which renderer to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Renderer {
    /// The CPU renderer.
    Cpu,
    /// The wgpu renderer; an error when the machine has no adapter.
    Gpu,
}

/// Renders a program file with the chosen renderer; also returns a description of it.
pub fn render_file(path: &Path, renderer: Renderer) -> Result<(Image, String), PixelError> {
    let compiled = lower(&load(path)?);
    match renderer {
        Renderer::Cpu => Ok((cpu::render(&compiled), "CPU".to_string())),
        Renderer::Gpu => {
            let gpu = GpuRenderer::new()?;
            let image = gpu.render(&compiled)?;
            Ok((image, format!("GPU {}", gpu.adapter())))
        }
    }
}

/// `ouro pixel render FILE --png OUT [--gpu]`: renders and writes the PNG.
pub fn render(path: &Path, png: &Path, renderer: Renderer) -> Result<String, PixelError> {
    let (image, by) = render_file(path, renderer)?;
    image.write_png(png)?;
    Ok(format!(
        "{}: rendered {}x{} on {by} to {}",
        path.display(),
        image.width,
        image.height,
        png.display()
    ))
}

/// How `view` shows an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preview {
    /// Truecolor half-blocks.
    Truecolor,
    /// Plain ASCII.
    Ascii,
}

/// What `view` shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ViewTarget<'a> {
    /// The newest artifact in the folder.
    Latest(&'a Path),
    /// One program file.
    File(&'a Path),
    /// The list of artifacts in the folder, newest first.
    List(&'a Path),
}

/// `ouro pixel view`: a terminal preview (CPU render) or the list of artifacts.
pub fn view(target: ViewTarget, preview: Preview, max_cols: u32) -> Result<String, PixelError> {
    let path = match target {
        ViewTarget::List(dir) => {
            let list = artifacts::list(dir)?;
            if list.is_empty() {
                return Err(PixelError::NoArtifacts {
                    dir: dir.to_path_buf(),
                });
            }
            let mut out = String::new();
            for a in list {
                let status = match load(&a.path) {
                    Ok(p) => summary(&p),
                    Err(e) => format!("invalid: {e}"),
                };
                out.push_str(&format!("{}  {status}\n", a.path.display()));
            }
            return Ok(out);
        }
        ViewTarget::Latest(dir) => artifacts::latest(dir)?.path,
        ViewTarget::File(f) => f.to_path_buf(),
    };
    let program = load(&path)?;
    let image = cpu::render(&lower(&program));
    let body = match preview {
        Preview::Truecolor => preview::truecolor(&image, max_cols),
        Preview::Ascii => preview::ascii(&image, max_cols),
    };
    Ok(format!("{}  {}\n{body}", path.display(), summary(&program)))
}

/// What `ouro pixel gen` asks for.
#[derive(Debug, Clone)]
pub struct GenRequest<'a> {
    /// What to draw.
    pub prompt: &'a str,
    /// Where to write the program (numbered `-1`, `-2`, ... when `count > 1`); `None` prints
    /// the programs instead.
    pub out: Option<&'a Path>,
    /// Also render each written program to a PNG beside it (needs `out`).
    pub png: bool,
    /// The model (`None`: the default model under `models/`).
    pub model: Option<&'a Path>,
    /// Worker threads (0: all cores).
    pub threads: usize,
    /// The seed of the first program; program `i` uses `seed + i`.
    pub seed: u64,
    /// How many programs.
    pub count: usize,
    /// One JSON object per program instead of text.
    pub json: bool,
}

/// `file.pixel.json` -> `file.png`.
fn png_path(program: &Path) -> PathBuf {
    let name = program
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = match name.find('.') {
        Some(dot) if dot > 0 => &name[..dot],
        _ => name.as_str(),
    };
    program.with_file_name(format!("{stem}.png"))
}

/// `ouro pixel gen "PROMPT"`: generates `count` programs with the model under the pixel
/// program grammar, validates them, writes them (and their PNGs) or returns them as text.
pub fn generate(req: &GenRequest, cancel: &AtomicBool) -> Result<String, PixelError> {
    let engine = generate::load_engine(req.model, req.threads)?;
    let mut generator = ProgramGenerator::new(&engine, 2048)?;
    let mut out = String::new();
    for i in 0..req.count {
        let opts = GenOptions {
            seed: req.seed.wrapping_add(i as u64),
            ..GenOptions::default()
        };
        let generated = generator.generate(req.prompt, &opts, cancel)?;
        let file = req.out.map(|path| {
            if req.count > 1 {
                generate::numbered(path, i + 1)
            } else {
                path.to_path_buf()
            }
        });
        if let Some(file) = &file {
            std::fs::write(file, format!("{}\n", generated.text)).map_err(|source| {
                PixelError::Io {
                    path: file.clone(),
                    source,
                }
            })?;
        }
        let png = match (&file, req.png) {
            (Some(file), true) => {
                let png = png_path(file);
                cpu::render(&lower(&generated.program)).write_png(&png)?;
                Some(png)
            }
            _ => None,
        };
        if req.json {
            let program: serde_json::Value =
                serde_json::from_str(&generated.text).unwrap_or(serde_json::Value::Null);
            let record = serde_json::json!({
                "prompt": req.prompt,
                "seed": generated.seed,
                "file": file,
                "png": png,
                "tokens": generated.tokens,
                "seconds": generated.seconds,
                "program": program,
            });
            out.push_str(&format!("{record}\n"));
        } else if let Some(file) = &file {
            out.push_str(&format!(
                "{}: {} ({} tokens, {:.1}s, seed {}){}\n",
                file.display(),
                summary(&generated.program),
                generated.tokens,
                generated.seconds,
                generated.seed,
                png.map(|p| format!(", PNG {}", p.display()))
                    .unwrap_or_default()
            ));
        } else {
            out.push_str(&format!("{}\n", generated.text));
        }
    }
    Ok(out)
}
