//! What the `ouro pixel ...` subcommands do, one function each; the CLI only parses
//! arguments, calls these and prints the returned text.

use std::io::Read;
use std::path::Path;

use crate::artifacts;
use crate::cpu;
use crate::error::PixelError;
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
