//! Seeded random pixel programs and JSON mutations, for the fuzz, equivalence and
//! benchmark programs (a small xorshift generator: reproducible, no dependency).

#![allow(dead_code)]

use serde_json::{Value, json};

/// xorshift64* pseudo-random numbers.
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed (any value).
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// The next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo + 1) as u64) as i64
    }

    /// One of `items`.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.next() as usize % items.len()]
    }
}

fn color(rng: &mut Rng) -> Value {
    let c = [rng.range(0, 255), rng.range(0, 255), rng.range(0, 255)];
    match rng.range(0, 3) {
        0 => json!(c),
        1 => json!([c[0], c[1], c[2], 255]),
        _ => json!([c[0], c[1], c[2], rng.range(0, 255)]),
    }
}

/// One random op on a `w`×`h` canvas, shapes about `size` pixels across, often crossing the
/// canvas edges.
pub fn op(rng: &mut Rng, w: i64, h: i64, size: i64) -> Value {
    let x0 = rng.range(-size / 2, w + size / 2);
    let y0 = rng.range(-size / 2, h + size / 2);
    let s = rng.range(0, size);
    let t = rng.range(0, size);
    match rng.range(0, 8) {
        0 => {
            json!({"op": "FILL", "color": [rng.range(0, 255), 0, rng.range(0, 255), rng.range(0, 40)]})
        }
        1 => json!({"op": "PIXEL", "x": x0, "y": y0, "color": color(rng)}),
        2 => {
            json!({"op": "RECT", "x": x0, "y": y0, "width": s, "height": t, "color": color(rng), "stroke": rng.range(0, 4)})
        }
        3 => {
            json!({"op": "LINE", "x0": x0, "y0": y0, "x1": x0 + s - size / 2, "y1": y0 + t - size / 2, "color": color(rng), "width": rng.range(1, 5)})
        }
        4 => {
            json!({"op": "CIRCLE", "cx": x0, "cy": y0, "radius": s / 2, "color": color(rng), "stroke": rng.range(0, 4)})
        }
        5 => {
            let n = rng.range(3, 7);
            let pts: Vec<Value> = (0..n)
                .map(|_| {
                    json!([
                        x0 + rng.range(0, size) - size / 2,
                        y0 + rng.range(0, size) - size / 2
                    ])
                })
                .collect();
            json!({"op": "POLYGON", "points": pts, "color": color(rng)})
        }
        6 => {
            json!({"op": "GRADIENT", "x": x0, "y": y0, "width": s, "height": t, "from": color(rng), "to": color(rng),
                    "direction": if rng.range(0, 1) == 0 { "horizontal" } else { "vertical" }})
        }
        _ => {
            let text: String = (0..rng.range(0, 12))
                .map(|_| {
                    if rng.range(0, 9) == 0 {
                        '\n'
                    } else {
                        (rng.range(32, 126) as u8) as char
                    }
                })
                .collect();
            json!({"op": "WRITE_TEXT", "x": x0, "y": y0, "text": text, "color": color(rng), "scale": rng.range(1, 3)})
        }
    }
}

/// A random program of `ops` ops on a `w`×`h` canvas.
pub fn program(rng: &mut Rng, w: i64, h: i64, ops: usize, size: i64) -> Value {
    let ops: Vec<Value> = (0..ops).map(|_| op(rng, w, h, size)).collect();
    wrap(w, h, ops)
}

/// A random program like [`program`] but without `FILL` ops, whose cost does not scale
/// with the shape size (for benchmarks of many ops).
pub fn program_without_fills(rng: &mut Rng, w: i64, h: i64, ops: usize, size: i64) -> Value {
    let mut out = Vec::with_capacity(ops);
    while out.len() < ops {
        let o = op(rng, w, h, size);
        if o["op"] != "FILL" {
            out.push(o);
        }
    }
    wrap(w, h, out)
}

fn wrap(w: i64, h: i64, ops: Vec<Value>) -> Value {
    json!({"kind": "pixel_program", "version": 1, "name": "random", "canvas": {"width": w, "height": h}, "ops": ops})
}

/// Replaces one random scalar somewhere in `v` with a random (often hostile) value.
pub fn mutate_value(rng: &mut Rng, v: &mut Value) {
    match v {
        Value::Object(map) if !map.is_empty() => {
            let i = rng.next() as usize % map.len();
            if let Some((_, child)) = map.iter_mut().nth(i) {
                mutate_value(rng, child);
            }
        }
        Value::Array(arr) if !arr.is_empty() => {
            let i = rng.next() as usize % arr.len();
            match rng.range(0, 9) {
                0 => {
                    arr.remove(i);
                }
                1 => {
                    let dup = arr[i].clone();
                    arr.insert(i, dup);
                }
                _ => mutate_value(rng, &mut arr[i]),
            }
        }
        _ => {
            *v = rng
                .pick(&[
                    json!(0),
                    json!(-1),
                    json!(1),
                    json!(255),
                    json!(256),
                    json!(8192),
                    json!(-8192),
                    json!(8193),
                    json!(4096),
                    json!(i64::MAX),
                    json!(i64::MIN),
                    json!(u64::MAX),
                    json!(1.5),
                    json!(-0.0),
                    json!(1e300),
                    json!(null),
                    json!(true),
                    json!(""),
                    json!("red"),
                    json!("FILL"),
                    json!("\n\u{e9}"),
                    json!([]),
                    json!({}),
                    json!([1, 2, 3]),
                    json!([[0, 0], [1, 1], [2, 0]]),
                ])
                .clone();
        }
    }
}

/// Flips, inserts or deletes a few random bytes of `text` (the result may not be UTF-8
/// anymore; invalid sequences are replaced).
pub fn mutate_text(rng: &mut Rng, text: &str) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for _ in 0..rng.range(1, 4) {
        if bytes.is_empty() {
            break;
        }
        let i = rng.next() as usize % bytes.len();
        match rng.range(0, 2) {
            0 => bytes[i] = rng.next() as u8,
            1 => bytes.insert(i, *rng.pick(b"{}[],:\"-09e.")),
            _ => {
                bytes.remove(i);
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}
