//! A rendered RGBA8 image, and its PNG encoding and decoding.

use std::fs::File;
use std::io::{BufWriter, Read};
use std::path::Path;

use crate::color::Rgba;
use crate::error::PixelError;

/// A rendered canvas: `width * height` packed RGBA pixels (see [`Rgba::pack`]), row-major,
/// top row first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Packed pixels.
    pub pixels: Vec<u32>,
}

impl Image {
    /// A transparent black image, the state of every canvas before its first op.
    pub fn transparent(width: u32, height: u32) -> Self {
        Image {
            width,
            height,
            pixels: vec![0; width as usize * height as usize],
        }
    }

    /// The pixel at (x, y); `None` outside the image.
    pub fn get(&self, x: u32, y: u32) -> Option<Rgba> {
        if x >= self.width || y >= self.height {
            return None;
        }
        self.pixels
            .get(y as usize * self.width as usize + x as usize)
            .map(|p| Rgba::unpack(*p))
    }

    /// The pixels as RGBA bytes.
    pub fn to_rgba_bytes(&self) -> Vec<u8> {
        self.pixels.iter().flat_map(|p| p.to_le_bytes()).collect()
    }

    /// Encodes the image as an RGBA8 PNG.
    pub fn encode_png(&self, out: impl std::io::Write) -> Result<(), png::EncodingError> {
        let mut enc = png::Encoder::new(out, self.width, self.height);
        enc.set_color(png::ColorType::Rgba);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc.write_header()?;
        writer.write_image_data(&self.to_rgba_bytes())?;
        writer.finish()
    }

    /// Writes the image as a PNG file.
    pub fn write_png(&self, path: &Path) -> Result<(), PixelError> {
        let file = File::create(path).map_err(|source| PixelError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        self.encode_png(BufWriter::new(file))
            .map_err(|e| PixelError::Png {
                path: path.to_path_buf(),
                reason: e.to_string(),
            })
    }

    /// Reads an 8-bit RGBA PNG file (as written by [`Image::write_png`]).
    pub fn read_png(path: &Path) -> Result<Self, PixelError> {
        let png_err = |reason: String| PixelError::Png {
            path: path.to_path_buf(),
            reason,
        };
        let mut bytes = Vec::new();
        File::open(path)
            .and_then(|mut f| f.read_to_end(&mut bytes))
            .map_err(|source| PixelError::Io {
                path: path.to_path_buf(),
                source,
            })?;
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let mut reader = decoder.read_info().map_err(|e| png_err(e.to_string()))?;
        let info = reader.info();
        if info.color_type != png::ColorType::Rgba || info.bit_depth != png::BitDepth::Eight {
            return Err(png_err(format!(
                "expected 8-bit RGBA, found {:?} {:?}",
                info.color_type, info.bit_depth
            )));
        }
        let (width, height) = (info.width, info.height);
        let size = reader
            .output_buffer_size()
            .ok_or_else(|| png_err("image too large".to_string()))?;
        let mut buf = vec![0; size];
        let frame = reader
            .next_frame(&mut buf)
            .map_err(|e| png_err(e.to_string()))?;
        let pixels = buf[..frame.buffer_size()]
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        Ok(Image {
            width,
            height,
            pixels,
        })
    }
}
