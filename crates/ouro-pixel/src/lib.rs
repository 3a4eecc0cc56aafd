//! Pixel programs: small JSON programs of drawing operations (see docs/pixel-programs.md)
//! that ouro validates, renders on the CPU or the GPU (bit-identical), writes as PNG and
//! previews in the terminal.
//!
//! The pipeline: [`parse_program`] (JSON text to a validated [`Program`]), [`lower()`] (to
//! primitive records shared by both renderers), then [`cpu::render`] or
//! [`gpu::GpuRenderer::render`] to an [`Image`]. [`generate`] has a language model write programs
//! under a grammar, so that they always validate.

pub mod artifacts;
pub mod color;
pub mod commands;
pub mod coverage;
pub mod cpu;
pub mod error;
pub mod font;
pub mod generate;
pub mod gpu;
pub mod image;
pub mod limits;
pub mod lower;
pub mod parse;
pub mod preview;
pub mod program;

pub use color::Rgba;
pub use error::{PixelError, ValidationError};
pub use image::Image;
pub use lower::{Compiled, lower};
pub use parse::{parse_program, program_from_value};
pub use program::{Direction, Op, Program};

/// Parses, validates and renders JSON text on the CPU.
pub fn render_cpu(text: &str) -> Result<Image, ValidationError> {
    Ok(cpu::render(&lower(&parse_program(text)?)))
}
