//! RGBA colours, their packing into one `u32` (the layout the GPU buffers use) and the
//! integer alpha blending rule every renderer applies.

/// A straight (not premultiplied) RGBA colour with 8 bits per channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgba(pub [u8; 4]);

impl Rgba {
    /// Packs the colour as `r | g << 8 | b << 16 | a << 24` (RGBA bytes in little endian).
    pub fn pack(self) -> u32 {
        u32::from_le_bytes(self.0)
    }

    /// The inverse of [`Rgba::pack`].
    pub fn unpack(v: u32) -> Self {
        Rgba(v.to_le_bytes())
    }
}

/// Blends the packed colour `src` over the packed pixel `dst`, channel by channel:
/// `out = (src * a + dst * (255 - a) + 127) / 255` for r, g and b, and
/// `out_a = (255 * a + dst_a * (255 - a) + 127) / 255`, where `a` is the source alpha and
/// `/` is integer division. An opaque source replaces the pixel; a transparent one keeps it.
#[inline]
pub fn blend(src: u32, dst: u32) -> u32 {
    let a = src >> 24;
    if a == 255 {
        return src;
    }
    let inv = 255 - a;
    let mut out = 0;
    for shift in [0, 8, 16] {
        let s = (src >> shift) & 255;
        let d = (dst >> shift) & 255;
        out |= ((s * a + d * inv + 127) / 255) << shift;
    }
    let da = dst >> 24;
    out | (((255 * a + da * inv + 127) / 255) << 24)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pack_is_rgba_little_endian() {
        assert_eq!(Rgba([1, 2, 3, 4]).pack(), 0x0403_0201);
        assert_eq!(Rgba::unpack(0x0403_0201), Rgba([1, 2, 3, 4]));
    }

    #[test]
    fn opaque_replaces_and_transparent_keeps() {
        let dst = Rgba([10, 20, 30, 40]).pack();
        assert_eq!(
            blend(Rgba([200, 100, 50, 255]).pack(), dst),
            Rgba([200, 100, 50, 255]).pack()
        );
        assert_eq!(blend(Rgba([200, 100, 50, 0]).pack(), dst), dst);
    }

    #[test]
    fn half_alpha_rounds_as_specified() {
        // (255*128 + 0*127 + 127) / 255 = 128; alpha: (255*128 + 255*127 + 127)/255 = 255.
        let out = blend(
            Rgba([255, 0, 100, 128]).pack(),
            Rgba([0, 255, 0, 255]).pack(),
        );
        assert_eq!(Rgba::unpack(out), Rgba([128, 127, 50, 255]));
        // Onto transparent black: colour darkens, alpha becomes the source alpha.
        let out = blend(Rgba([255, 255, 255, 64]).pack(), 0);
        assert_eq!(Rgba::unpack(out), Rgba([64, 64, 64, 64]));
    }
}
