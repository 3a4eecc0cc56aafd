//! Golden tests: every program in tests/golden renders on the CPU to exactly the PNG kept
//! beside it, and on the GPU (wgpu; llvmpipe in CI) to exactly the same pixels.
//! Run with `OURO_BLESS=1` to rewrite the PNGs after a deliberate change of the spec
//! (then look at every changed PNG before committing it).

mod common;

use ouro_pixel::{Image, commands};

fn png_of(program: &std::path::Path) -> std::path::PathBuf {
    let s = program.to_string_lossy();
    std::path::PathBuf::from(s.trim_end_matches(".pixel.json").to_string() + ".png")
}

fn first_difference(a: &Image, b: &Image) -> Option<(u32, u32)> {
    if (a.width, a.height) != (b.width, b.height) {
        return Some((u32::MAX, u32::MAX));
    }
    let i = a.pixels.iter().zip(&b.pixels).position(|(x, y)| x != y)?;
    Some((i as u32 % a.width, i as u32 / a.width))
}

#[test]
fn cpu_renders_match_golden_pngs() -> Result<(), Box<dyn std::error::Error>> {
    let bless = std::env::var_os("OURO_BLESS").is_some();
    for program in common::golden_programs() {
        let (image, _) = commands::render_file(&program, commands::Renderer::Cpu)?;
        let png = png_of(&program);
        if bless {
            image.write_png(&png)?;
            continue;
        }
        let golden = Image::read_png(&png)?;
        assert_eq!(
            first_difference(&image, &golden),
            None,
            "{} differs from {}",
            program.display(),
            png.display()
        );
    }
    Ok(())
}

#[test]
fn cpu_result_does_not_depend_on_thread_count() -> Result<(), Box<dyn std::error::Error>> {
    for program in common::golden_programs() {
        let compiled = ouro_pixel::lower(&commands::load(&program)?);
        let one = ouro_pixel::cpu::render_with_threads(&compiled, 1);
        for threads in [2, 3, 7, 64] {
            let many = ouro_pixel::cpu::render_with_threads(&compiled, threads);
            assert_eq!(
                first_difference(&one, &many),
                None,
                "{} with {threads} threads",
                program.display()
            );
        }
    }
    Ok(())
}

#[test]
fn gpu_renders_equal_cpu_renders_bit_for_bit() -> Result<(), Box<dyn std::error::Error>> {
    let Some(gpu) = common::gpu() else {
        return Ok(());
    };
    for program in common::golden_programs() {
        let compiled = ouro_pixel::lower(&commands::load(&program)?);
        let cpu = ouro_pixel::cpu::render(&compiled);
        let on_gpu = gpu.render(&compiled)?;
        assert_eq!(
            first_difference(&cpu, &on_gpu),
            None,
            "{}: GPU differs from CPU",
            program.display()
        );
    }
    Ok(())
}
