//! cargo-fuzz target: arbitrary bytes through parse, validate, lower and the CPU renderer
//! (only small canvases are rendered, to keep each run fast). Run from the repository
//! root with `cargo +nightly fuzz run parse_render`.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(program) = ouro_pixel::parse_program(text)
        && u64::from(program.width) * u64::from(program.height) <= 256 * 256
    {
        let image = ouro_pixel::cpu::render(&ouro_pixel::lower(&program));
        assert_eq!(image.pixels.len() as u64, u64::from(program.width) * u64::from(program.height));
    }
});
