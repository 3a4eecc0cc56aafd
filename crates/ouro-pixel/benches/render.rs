//! CPU against GPU render throughput: random programs of 1k and 100k ops at 256², 1024²
//! and 4096², shapes scaled with the canvas. Run with `cargo bench -p ouro-pixel`; prints a
//! Markdown table (median of several renders, one for the largest cases; GPU time includes
//! upload and read-back). Programs hold no FILL ops, so the cost follows the shape sizes.

#[path = "../tests/common/random.rs"]
mod random;

use std::time::{Duration, Instant};

use ouro_pixel::gpu::GpuRenderer;
use ouro_pixel::{Compiled, cpu, lower, program_from_value};

fn median(mut f: impl FnMut(), runs: usize) -> Duration {
    if runs > 1 {
        f(); // warm-up
    }
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

fn mpix(c: &Compiled, d: Duration) -> f64 {
    c.width as f64 * c.height as f64 / d.as_secs_f64() / 1e6
}

fn main() {
    let gpu = match GpuRenderer::new() {
        Ok(g) => Some(g),
        Err(e) => {
            println!("GPU column skipped: {e}");
            None
        }
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "CPU threads: {threads}; GPU: {}",
        gpu.as_ref().map_or("none", |g| g.adapter())
    );
    println!();
    println!(
        "| canvas | ops | prims drawn | CPU ms | GPU ms | CPU Mpx/s | GPU Mpx/s | GPU/CPU speed |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    let mut rng = random::Rng::new(2026);
    for side in [256i64, 1024, 4096] {
        for ops in [1_000usize, 100_000] {
            // Shapes about side/8 across for 1k ops, side/64 for 100k ops (both well
            // inside the work limit), crossing the edges at times.
            let size = if ops == 1_000 {
                side / 8
            } else {
                (side / 64).max(4)
            };
            let v = random::program_without_fills(&mut rng, side, side, ops, size);
            let c = match program_from_value(&v) {
                Ok(p) => lower(&p),
                Err(e) => {
                    println!("| {side}² | {ops} | invalid benchmark program: {e} |");
                    continue;
                }
            };
            let runs = if side == 4096 || ops == 100_000 { 1 } else { 5 };
            let t_cpu = median(|| drop(cpu::render(&c)), runs);
            let t_gpu = gpu.as_ref().map(|g| {
                median(
                    || {
                        if let Err(e) = g.render(&c) {
                            eprintln!("GPU render failed: {e}");
                        }
                    },
                    runs,
                )
            });
            let ms = |d: Duration| format!("{:.1}", d.as_secs_f64() * 1e3);
            println!(
                "| {side}² | {ops} | {} | {} | {} | {:.0} | {} | {} |",
                c.prims.len(),
                ms(t_cpu),
                t_gpu.map_or("-".into(), ms),
                mpix(&c, t_cpu),
                t_gpu.map_or("-".into(), |d| format!("{:.0}", mpix(&c, d))),
                t_gpu.map_or("-".into(), |d| format!(
                    "{:.2}x",
                    t_cpu.as_secs_f64() / d.as_secs_f64()
                )),
            );
        }
    }
}
