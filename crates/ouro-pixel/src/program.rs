//! The typed form of a validated pixel program (see docs/pixel-programs.md). Colours are
//! already resolved (palette names looked up); every value is within [`crate::limits`].

use crate::color::Rgba;

/// A validated pixel program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Program {
    /// The program's name.
    pub name: String,
    /// Canvas width in pixels (1 to [`crate::limits::MAX_CANVAS_SIDE`]).
    pub width: u32,
    /// Canvas height in pixels (1 to [`crate::limits::MAX_CANVAS_SIDE`]).
    pub height: u32,
    /// The palette, sorted by name.
    pub palette: Vec<(String, Rgba)>,
    /// The drawing operations, applied in order.
    pub ops: Vec<Op>,
}

/// Direction of a linear gradient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// From the left column (`from`) to the right column (`to`).
    Horizontal,
    /// From the top row (`from`) to the bottom row (`to`).
    Vertical,
}

/// One drawing operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// Every pixel of the canvas.
    Fill { color: Rgba },
    /// The single pixel (x, y).
    Pixel { x: i32, y: i32, color: Rgba },
    /// The rectangle `[x, x + width) × [y, y + height)`; with `stroke > 0` only its border
    /// of that thickness.
    Rect {
        x: i32,
        y: i32,
        width: u32,
        height: u32,
        color: Rgba,
        stroke: u32,
    },
    /// A line from (x0, y0) to (x1, y1), both ends included, `width` pixels thick.
    Line {
        x0: i32,
        y0: i32,
        x1: i32,
        y1: i32,
        color: Rgba,
        width: u32,
    },
    /// The disc (or, with `stroke > 0`, the ring) of the given radius around (cx, cy).
    Circle {
        cx: i32,
        cy: i32,
        radius: u32,
        color: Rgba,
        stroke: u32,
    },
    /// A filled polygon (even-odd rule, tested at pixel centres).
    Polygon {
        points: Vec<(i32, i32)>,
        color: Rgba,
    },
    /// A linear gradient filling the rectangle `[x, x + width) × [y, y + height)`.
    Gradient {
        x: i32,
        y: i32,
        width: u32,
        height: u32,
        from: Rgba,
        to: Rgba,
        direction: Direction,
    },
    /// Text in the built-in font, top-left corner at (x, y), each font pixel `scale`² pixels.
    Text {
        x: i32,
        y: i32,
        text: String,
        color: Rgba,
        scale: u32,
    },
}

impl Op {
    /// The op's name as written in JSON (`"FILL"`, `"RECT"`, ...).
    pub fn kind(&self) -> &'static str {
        match self {
            Op::Fill { .. } => "FILL",
            Op::Pixel { .. } => "PIXEL",
            Op::Rect { .. } => "RECT",
            Op::Line { .. } => "LINE",
            Op::Circle { .. } => "CIRCLE",
            Op::Polygon { .. } => "POLYGON",
            Op::Gradient { .. } => "GRADIENT",
            Op::Text { .. } => "WRITE_TEXT",
        }
    }
}

/// Every op name, in the order of the spec.
pub const OP_KINDS: [&str; 8] = [
    "FILL",
    "PIXEL",
    "RECT",
    "LINE",
    "CIRCLE",
    "POLYGON",
    "GRADIENT",
    "WRITE_TEXT",
];
