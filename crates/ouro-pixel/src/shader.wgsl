// The GPU renderer of pixel programs: one dispatch per primitive record, one invocation
// per pixel of the record's clipped bounding box. Mirrors src/coverage.rs and
// src/color.rs operation for operation, in i32/u32 arithmetic only, so that the CPU and
// the GPU produce identical pixels. Record layout: see src/lower.rs.

struct Params {
    prim: u32,
    width: u32,
    pad0: u32,
    pad1: u32,
}

@group(0) @binding(0) var<storage, read_write> pixels: array<u32>;
@group(0) @binding(1) var<storage, read> prims: array<u32>;
@group(0) @binding(2) var<storage, read> data: array<u32>;
@group(0) @binding(3) var<uniform> params: Params;

fn param(base: u32, i: u32) -> i32 {
    return bitcast<i32>(prims[base + 7u + i]);
}

fn floor_div(n: i32, d: i32) -> i32 {
    let q = n / d;
    if (n % d != 0 && n < 0) {
        return q - 1;
    }
    return q;
}

fn blend(src: u32, dst: u32) -> u32 {
    let a = src >> 24u;
    if (a == 255u) {
        return src;
    }
    let inv = 255u - a;
    var out = 0u;
    for (var shift = 0u; shift < 24u; shift += 8u) {
        let s = (src >> shift) & 255u;
        let d = (dst >> shift) & 255u;
        out |= ((s * a + d * inv + 127u) / 255u) << shift;
    }
    let da = dst >> 24u;
    return out | (((255u * a + da * inv + 127u) / 255u) << 24u);
}

fn rect(b: u32, px: i32, py: i32) -> bool {
    return !(px >= param(b, 0u) && px < param(b, 2u) && py >= param(b, 1u) && py < param(b, 3u));
}

fn line(b: u32, px: i32, py: i32) -> bool {
    let a0 = param(b, 0u);
    let b0 = param(b, 1u);
    let da = param(b, 2u);
    let db = param(b, 3u);
    let lo = param(b, 4u);
    let hi = param(b, 5u);
    var a = px;
    var m = py;
    if (param(b, 6u) != 0) {
        a = py;
        m = px;
    }
    var bc = b0;
    if (da != 0) {
        bc = b0 + floor_div(2 * (a - a0) * db + da, 2 * da);
    }
    return m - bc >= -lo && m - bc <= hi;
}

fn circle(b: u32, px: i32, py: i32) -> bool {
    let dx = px - param(b, 0u);
    let dy = py - param(b, 1u);
    let d2 = dx * dx + dy * dy;
    return d2 <= param(b, 2u) && d2 > param(b, 3u);
}

fn polygon(b: u32, px: i32, py: i32) -> bool {
    let off = u32(param(b, 0u));
    let n = u32(param(b, 1u));
    if (n == 0u) {
        return false;
    }
    let qx = 2 * px + 1;
    let qy = 2 * py + 1;
    var inside = false;
    var j = n - 1u;
    for (var i = 0u; i < n; i++) {
        let ax = bitcast<i32>(data[off + 2u * j]);
        let ay = bitcast<i32>(data[off + 2u * j + 1u]);
        let bx = bitcast<i32>(data[off + 2u * i]);
        let by = bitcast<i32>(data[off + 2u * i + 1u]);
        if ((ay > qy) != (by > qy)) {
            let lhs = (qx - ax) * (by - ay);
            let rhs = (qy - ay) * (bx - ax);
            if ((by > ay && lhs < rhs) || (by < ay && lhs > rhs)) {
                inside = !inside;
            }
        }
        j = i;
    }
    return inside;
}

fn gradient(b: u32, px: i32, py: i32) -> u32 {
    let c_from = prims[b + 5u];
    let c_to = prims[b + 6u];
    let origin = param(b, 0u);
    let n = u32(param(b, 1u));
    var pos = px;
    if (param(b, 2u) != 0) {
        pos = py;
    }
    if (n == 0u) {
        return c_from;
    }
    let i = u32(pos - origin);
    var out = 0u;
    for (var shift = 0u; shift < 32u; shift += 8u) {
        let f = (c_from >> shift) & 255u;
        let t = (c_to >> shift) & 255u;
        out |= ((2u * (f * (n - i) + t * i) + n) / (2u * n)) << shift;
    }
    return out;
}

fn text(b: u32, px: i32, py: i32) -> bool {
    let x = param(b, 0u);
    let y = param(b, 1u);
    let scale = u32(param(b, 2u));
    let off = u32(param(b, 3u));
    let fx = u32(px - x) / scale;
    let fy = u32(py - y) / scale;
    let col = fx / 6u;
    let gx = fx % 6u;
    let ln = fy / 8u;
    let gy = fy % 8u;
    let nlines = data[off];
    if (ln >= nlines || gx >= 5u || gy >= 7u) {
        return false;
    }
    let l = off + 1u + 2u * ln;
    let start = data[l];
    let len = data[l + 1u];
    if (col >= len) {
        return false;
    }
    let code = data[off + 1u + 2u * nlines + start + col];
    let glyph = code - 32u;
    let bit = gy * 5u + gx;
    let word = data[2u * glyph + bit / 32u];
    return ((word >> (bit % 32u)) & 1u) == 1u;
}

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let b = params.prim * 16u;
    let x = prims[b + 1u] + gid.x;
    let y = prims[b + 2u] + gid.y;
    if (x >= prims[b + 3u] || y >= prims[b + 4u]) {
        return;
    }
    let px = i32(x);
    let py = i32(y);
    var color = prims[b + 5u];
    var covered = false;
    switch prims[b] {
        case 0u: { covered = rect(b, px, py); }
        case 1u: { covered = line(b, px, py); }
        case 2u: { covered = circle(b, px, py); }
        case 3u: { covered = polygon(b, px, py); }
        case 4u: {
            color = gradient(b, px, py);
            covered = true;
        }
        case 5u: { covered = text(b, px, py); }
        default: {}
    }
    if (covered) {
        let i = y * params.width + x;
        pixels[i] = blend(color, pixels[i]);
    }
}
