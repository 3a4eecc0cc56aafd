//! Parsing and validation: JSON text to a [`Program`], with errors that name the op, the
//! field and the reason, and with every limit of [`crate::limits`] enforced.

use serde_json::{Map, Value};

use crate::color::Rgba;
use crate::error::ValidationError;
use crate::font;
use crate::limits::*;
use crate::lower;
use crate::program::{Direction, OP_KINDS, Op, Program};

type Result<T> = std::result::Result<T, ValidationError>;

fn invalid(path: impl Into<String>, reason: impl Into<String>) -> ValidationError {
    ValidationError {
        path: path.into(),
        reason: reason.into(),
    }
}

/// Parses and validates a pixel program from JSON text.
pub fn parse_program(text: &str) -> Result<Program> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| invalid("$", format!("not valid JSON: {e}")))?;
    program_from_value(&value)
}

/// Validates an already parsed JSON value as a pixel program.
pub fn program_from_value(value: &Value) -> Result<Program> {
    let top = Obj::new(value, "$".to_string())?;
    top.only(&["kind", "version", "name", "canvas", "palette", "ops"])?;
    let kind = top.string("kind")?;
    if kind != "pixel_program" {
        return Err(invalid(
            "kind",
            format!("must be \"pixel_program\", found {kind:?}"),
        ));
    }
    let version = top.req("version")?;
    if version.as_u64() != Some(1) {
        return Err(invalid("version", format!("must be 1, found {version}")));
    }
    let name = top.string("name")?;
    check_name("name", name)?;

    let canvas = Obj::new(top.req("canvas")?, "canvas".to_string())?;
    canvas.only(&["width", "height"])?;
    let width = canvas.int("width", 1, MAX_CANVAS_SIDE as i64)? as u32;
    let height = canvas.int("height", 1, MAX_CANVAS_SIDE as i64)? as u32;

    let palette = match top.map.get("palette") {
        None => Vec::new(),
        Some(v) => parse_palette(v)?,
    };

    let ops_value = top.req("ops")?;
    let ops_array = ops_value.as_array().ok_or_else(|| {
        invalid(
            "ops",
            format!("must be an array, found {}", type_name(ops_value)),
        )
    })?;
    if ops_array.len() > MAX_OPS {
        return Err(invalid(
            "ops",
            format!(
                "has {} ops, more than the limit of {MAX_OPS}",
                ops_array.len()
            ),
        ));
    }
    let ctx = Ctx { palette: &palette };
    let mut ops = Vec::with_capacity(ops_array.len());
    let (mut text_chars, mut polygon_points, mut work) = (0usize, 0usize, 0u64);
    for (i, v) in ops_array.iter().enumerate() {
        let path = format!("ops[{i}]");
        let op = ctx.op(v, &path)?;
        match &op {
            Op::Text { text, .. } => {
                text_chars += text.chars().count();
                if text_chars > MAX_TOTAL_TEXT_CHARS {
                    return Err(invalid(
                        path,
                        format!("text of all ops exceeds {MAX_TOTAL_TEXT_CHARS} characters"),
                    ));
                }
            }
            Op::Polygon { points, .. } => {
                polygon_points += points.len();
                if polygon_points > MAX_TOTAL_POLYGON_POINTS {
                    return Err(invalid(
                        path,
                        format!("polygons exceed {MAX_TOTAL_POLYGON_POINTS} points in all"),
                    ));
                }
            }
            _ => {}
        }
        work += lower::work(&op, width, height);
        if work > MAX_WORK {
            return Err(invalid(
                path,
                format!("the program costs more than {MAX_WORK} pixel tests (the work limit)"),
            ));
        }
        ops.push(op);
    }
    Ok(Program {
        name: name.to_string(),
        width,
        height,
        palette,
        ops,
    })
}

fn check_name(path: &str, name: &str) -> Result<()> {
    let n = name.chars().count();
    if n == 0 || n > MAX_NAME_CHARS {
        return Err(invalid(
            path,
            format!("must have 1 to {MAX_NAME_CHARS} characters, has {n}"),
        ));
    }
    Ok(())
}

fn parse_palette(v: &Value) -> Result<Vec<(String, Rgba)>> {
    let map = v.as_object().ok_or_else(|| {
        invalid(
            "palette",
            format!("must be an object, found {}", type_name(v)),
        )
    })?;
    if map.len() > MAX_PALETTE {
        return Err(invalid(
            "palette",
            format!(
                "has {} colours, more than the limit of {MAX_PALETTE}",
                map.len()
            ),
        ));
    }
    let mut out = Vec::with_capacity(map.len());
    for (name, c) in map {
        let path = format!("palette.{name}");
        let valid_name = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !valid_name || name.len() > 32 {
            return Err(invalid(
                path,
                "palette names are 1 to 32 of [A-Za-z0-9_-], starting with a letter or _",
            ));
        }
        out.push((name.clone(), rgba_array(c, &path)?));
    }
    // Sorted whatever order the JSON map keeps its keys in (serde_json's `preserve_order`
    // feature, which llguidance turns on, keeps the document's order).
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

fn rgba_array(v: &Value, path: &str) -> Result<Rgba> {
    let arr = v.as_array().ok_or_else(|| {
        invalid(
            path,
            format!(
                "a colour is [r, g, b] or [r, g, b, a], found {}",
                type_name(v)
            ),
        )
    })?;
    if arr.len() != 3 && arr.len() != 4 {
        return Err(invalid(
            path,
            format!("a colour has 3 or 4 components, found {}", arr.len()),
        ));
    }
    let mut c = [0, 0, 0, 255];
    for (i, x) in arr.iter().enumerate() {
        c[i] = x.as_u64().filter(|&n| n <= 255).ok_or_else(|| {
            invalid(
                format!("{path}[{i}]"),
                format!("a colour component is an integer 0 to 255, found {x}"),
            )
        })? as u8;
    }
    Ok(Rgba(c))
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A JSON object being read, with its path for error messages.
struct Obj<'a> {
    map: &'a Map<String, Value>,
    path: String,
}

impl<'a> Obj<'a> {
    fn new(v: &'a Value, path: String) -> Result<Self> {
        match v.as_object() {
            Some(map) => Ok(Obj { map, path }),
            None => Err(invalid(
                path,
                format!("must be an object, found {}", type_name(v)),
            )),
        }
    }

    fn field(&self, key: &str) -> String {
        if self.path == "$" {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    /// Rejects keys outside `allowed` (typos would otherwise be silently ignored).
    fn only(&self, allowed: &[&str]) -> Result<()> {
        match self.map.keys().find(|k| !allowed.contains(&k.as_str())) {
            Some(k) => Err(invalid(
                self.field(k),
                format!("unknown field (expected one of: {})", allowed.join(", ")),
            )),
            None => Ok(()),
        }
    }

    fn req(&self, key: &str) -> Result<&'a Value> {
        self.map
            .get(key)
            .ok_or_else(|| invalid(self.field(key), "missing required field"))
    }

    fn string(&self, key: &str) -> Result<&'a str> {
        let v = self.req(key)?;
        v.as_str().ok_or_else(|| {
            invalid(
                self.field(key),
                format!("must be a string, found {}", type_name(v)),
            )
        })
    }

    fn int(&self, key: &str, min: i64, max: i64) -> Result<i64> {
        let v = self.req(key)?;
        let n = v
            .as_i64()
            .ok_or_else(|| invalid(self.field(key), format!("must be an integer, found {v}")))?;
        if n < min || n > max {
            return Err(invalid(
                self.field(key),
                format!("{n} is out of range {min} to {max}"),
            ));
        }
        Ok(n)
    }

    fn opt_int(&self, key: &str, default: i64, min: i64, max: i64) -> Result<i64> {
        if self.map.contains_key(key) {
            self.int(key, min, max)
        } else {
            Ok(default)
        }
    }

    fn coord(&self, key: &str) -> Result<i32> {
        Ok(self.int(key, -(MAX_COORD as i64), MAX_COORD as i64)? as i32)
    }

    fn extent(&self, key: &str) -> Result<u32> {
        Ok(self.int(key, 0, MAX_EXTENT as i64)? as u32)
    }
}

/// What op parsing needs from the rest of the program.
struct Ctx<'p> {
    palette: &'p [(String, Rgba)],
}

impl Ctx<'_> {
    fn color(&self, o: &Obj, key: &str) -> Result<Rgba> {
        let path = o.field(key);
        match o.req(key)? {
            Value::String(name) => self
                .palette
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, c)| *c)
                .ok_or_else(|| {
                    invalid(
                        &path,
                        format!(
                            "unknown palette colour {name:?} (the palette has: {})",
                            self.names()
                        ),
                    )
                }),
            v => rgba_array(v, &path),
        }
    }

    fn names(&self) -> String {
        if self.palette.is_empty() {
            return "no colours".to_string();
        }
        self.palette
            .iter()
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn op(&self, v: &Value, path: &str) -> Result<Op> {
        let o = Obj::new(v, path.to_string())?;
        let kind = o.string("op")?;
        let op = match kind {
            "FILL" => {
                o.only(&["op", "color"])?;
                Op::Fill {
                    color: self.color(&o, "color")?,
                }
            }
            "PIXEL" => {
                o.only(&["op", "x", "y", "color"])?;
                Op::Pixel {
                    x: o.coord("x")?,
                    y: o.coord("y")?,
                    color: self.color(&o, "color")?,
                }
            }
            "RECT" => {
                o.only(&["op", "x", "y", "width", "height", "color", "stroke"])?;
                Op::Rect {
                    x: o.coord("x")?,
                    y: o.coord("y")?,
                    width: o.extent("width")?,
                    height: o.extent("height")?,
                    color: self.color(&o, "color")?,
                    stroke: o.opt_int("stroke", 0, 0, MAX_EXTENT as i64)? as u32,
                }
            }
            "LINE" => {
                o.only(&["op", "x0", "y0", "x1", "y1", "color", "width"])?;
                Op::Line {
                    x0: o.coord("x0")?,
                    y0: o.coord("y0")?,
                    x1: o.coord("x1")?,
                    y1: o.coord("y1")?,
                    color: self.color(&o, "color")?,
                    width: o.opt_int("width", 1, 1, MAX_LINE_WIDTH as i64)? as u32,
                }
            }
            "CIRCLE" => {
                o.only(&["op", "cx", "cy", "radius", "color", "stroke"])?;
                Op::Circle {
                    cx: o.coord("cx")?,
                    cy: o.coord("cy")?,
                    radius: o.extent("radius")?,
                    color: self.color(&o, "color")?,
                    stroke: o.opt_int("stroke", 0, 0, MAX_EXTENT as i64)? as u32,
                }
            }
            "POLYGON" => {
                o.only(&["op", "points", "color"])?;
                Op::Polygon {
                    points: self.points(&o)?,
                    color: self.color(&o, "color")?,
                }
            }
            "GRADIENT" => {
                o.only(&["op", "x", "y", "width", "height", "from", "to", "direction"])?;
                let direction = match o.map.get("direction") {
                    None => Direction::Horizontal,
                    Some(Value::String(s)) if s == "horizontal" => Direction::Horizontal,
                    Some(Value::String(s)) if s == "vertical" => Direction::Vertical,
                    Some(v) => {
                        return Err(invalid(
                            o.field("direction"),
                            format!("must be \"horizontal\" or \"vertical\", found {v}"),
                        ));
                    }
                };
                Op::Gradient {
                    x: o.coord("x")?,
                    y: o.coord("y")?,
                    width: o.extent("width")?,
                    height: o.extent("height")?,
                    from: self.color(&o, "from")?,
                    to: self.color(&o, "to")?,
                    direction,
                }
            }
            "WRITE_TEXT" => {
                o.only(&["op", "x", "y", "text", "color", "scale"])?;
                let text = o.string("text")?;
                let n = text.chars().count();
                if n > MAX_TEXT_CHARS {
                    return Err(invalid(
                        o.field("text"),
                        format!("has {n} characters, more than the limit of {MAX_TEXT_CHARS}"),
                    ));
                }
                if let Some((i, c)) = text
                    .chars()
                    .enumerate()
                    .find(|(_, c)| !font::is_drawable(*c))
                {
                    return Err(invalid(
                        o.field("text"),
                        format!(
                            "character {c:?} (U+{:04X}) at index {i} is not in the built-in font (printable ASCII and \\n)",
                            c as u32
                        ),
                    ));
                }
                Op::Text {
                    x: o.coord("x")?,
                    y: o.coord("y")?,
                    text: text.to_string(),
                    color: self.color(&o, "color")?,
                    scale: o.opt_int("scale", 1, 1, MAX_TEXT_SCALE as i64)? as u32,
                }
            }
            other => {
                return Err(invalid(
                    o.field("op"),
                    format!(
                        "unknown op {other:?} (expected one of: {})",
                        OP_KINDS.join(", ")
                    ),
                ));
            }
        };
        Ok(op)
    }

    fn points(&self, o: &Obj) -> Result<Vec<(i32, i32)>> {
        let path = o.field("points");
        let v = o.req("points")?;
        let arr = v.as_array().ok_or_else(|| {
            invalid(
                &path,
                format!("must be an array of [x, y], found {}", type_name(v)),
            )
        })?;
        if arr.len() < 3 || arr.len() > MAX_POLYGON_POINTS {
            return Err(invalid(
                &path,
                format!(
                    "a polygon has 3 to {MAX_POLYGON_POINTS} points, found {}",
                    arr.len()
                ),
            ));
        }
        arr.iter()
            .enumerate()
            .map(|(i, p)| {
                let pp = format!("{path}[{i}]");
                let pair = p
                    .as_array()
                    .filter(|a| a.len() == 2)
                    .ok_or_else(|| invalid(&pp, format!("must be [x, y], found {p}")))?;
                let mut xy = [0i32; 2];
                for (j, c) in pair.iter().enumerate() {
                    xy[j] = c
                        .as_i64()
                        .filter(|n| n.abs() <= MAX_COORD as i64)
                        .ok_or_else(|| {
                            invalid(
                                format!("{pp}[{j}]"),
                                format!(
                                    "must be an integer -{MAX_COORD} to {MAX_COORD}, found {c}"
                                ),
                            )
                        })? as i32;
                }
                Ok((xy[0], xy[1]))
            })
            .collect()
    }
}
