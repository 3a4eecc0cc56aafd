//! `ouro gpu list` and `ouro gpu watch`: argument parsing and printing for ouro-compute's
//! device discovery and telemetry.

use std::time::Duration;

use anyhow::{Context, Result};
use clap::Subcommand;
use ouro_compute::devices::{self, Inventory};
use ouro_compute::telemetry::{Sample, Sampler};

#[derive(Subcommand)]
pub enum GpuCommand {
    /// List every device (NVIDIA GPUs, CUDA, wgpu adapters, the CPU) with its figures.
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Print utilization, memory, temperature and power periodically.
    Watch {
        /// Milliseconds between samples.
        #[arg(long, default_value_t = 1000)]
        interval: u64,
        /// Stop after this many samples (0: until interrupted).
        #[arg(long, default_value_t = 0)]
        count: u64,
        /// Print one JSON object per line.
        #[arg(long)]
        json: bool,
    },
    /// Measure a CUDA device's memory bandwidth with a device-to-device copy.
    Bandwidth {
        /// CUDA device ordinal.
        #[arg(long, default_value_t = 0)]
        device: usize,
        /// MiB copied per repetition.
        #[arg(long, default_value_t = 1024)]
        mib: usize,
        #[arg(short = 'r', long, default_value_t = 10)]
        repetitions: usize,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Runs one `ouro gpu` subcommand.
pub fn run(cmd: GpuCommand) -> Result<()> {
    match cmd {
        GpuCommand::List { json } => list(json),
        GpuCommand::Watch {
            interval,
            count,
            json,
        } => watch(interval, count, json),
        GpuCommand::Bandwidth {
            device,
            mib,
            repetitions,
            json,
        } => bandwidth(device, mib, repetitions, json),
    }
}

fn gib(bytes: Option<u64>) -> String {
    bytes.map_or("-".into(), |b| {
        format!("{:.1}", b as f64 / (1u64 << 30) as f64)
    })
}

fn opt<T: std::fmt::Display>(v: Option<T>, unit: &str) -> String {
    v.map_or("-".into(), |v| format!("{v}{unit}"))
}

fn list(json: bool) -> Result<()> {
    let inv: Inventory = devices::discover();
    if json {
        println!("{}", serde_json::to_string_pretty(&inv)?);
        return Ok(());
    }
    println!(
        "{:<3}{:<8} {:<40} {:<8} {:>9} {:>9} {:>7}  details",
        "", "id", "name", "backend", "mem GiB", "used GiB", "score"
    );
    for (i, d) in inv.devices.iter().enumerate() {
        let mark = if i == inv.default { "*" } else { "" };
        let mut details = Vec::new();
        if let Some(c) = &d.cuda {
            details.push(format!(
                "cc {}.{}, {} SMs",
                c.compute_capability.0, c.compute_capability.1, c.sm_count
            ));
        }
        if let Some(n) = &d.nvml {
            details.push(format!(
                "util {} mem-util {} temp {} power {}/{} SM clock {} mem clock {} PCIe gen{} x{} {}",
                opt(n.utilization_gpu, "%"),
                opt(n.utilization_memory, "%"),
                opt(n.temperature_c, "C"),
                opt(n.power_w.map(|w| format!("{w:.0}")), "W"),
                opt(n.power_limit_w.map(|w| format!("{w:.0}")), "W"),
                opt(n.clock_sm_mhz, "MHz"),
                opt(n.clock_memory_mhz, "MHz"),
                opt(n.pcie_gen, ""),
                opt(n.pcie_width, ""),
                n.uuid
            ));
        }
        if let Some(w) = &d.wgpu {
            details.push(format!(
                "{} ({}) {}",
                w.device_type, w.driver, w.driver_info
            ));
        }
        if let Some(c) = &d.cpu {
            details.push(format!("{} cores, {}", c.cores, c.simd.join(" ")));
        }
        println!(
            "{:<3}{:<8} {:<40} {:<8} {:>9} {:>9} {:>7.0}  {}",
            mark,
            d.id,
            d.name,
            d.backend,
            gib(d.memory_total),
            gib(d.memory_used),
            d.score,
            details.join("; ")
        );
    }
    if let Some(v) = &inv.driver_version {
        println!("NVIDIA driver {v}");
    }
    for note in &inv.notes {
        println!("note: {note}");
    }
    println!("default device: {}", inv.devices[inv.default].id);
    Ok(())
}

fn print_sample(s: &Sample, json: bool) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string(s)?);
        return Ok(());
    }
    let cpu = format!(
        "cpu {} mem {}/{} GiB",
        opt(s.cpu.utilization.map(|u| format!("{u:.0}")), "%"),
        gib(s
            .cpu
            .memory_total
            .zip(s.cpu.memory_available)
            .map(|(t, a)| t.saturating_sub(a))),
        gib(s.cpu.memory_total)
    );
    let gpus: Vec<String> = s
        .gpus
        .iter()
        .map(|g| {
            format!(
                "gpu{} {} mem {}/{} GiB {} {}",
                g.index,
                opt(g.utilization_gpu, "%"),
                gib(Some(g.memory_used)),
                gib(Some(g.memory_total)),
                opt(g.temperature_c, "C"),
                opt(g.power_w.map(|w| format!("{w:.0}")), "W")
            )
        })
        .collect();
    println!(
        "{:>8.1}s  {cpu}  {}",
        s.elapsed_ms as f64 / 1000.0,
        gpus.join("  ")
    );
    Ok(())
}

fn watch(interval_ms: u64, count: u64, json: bool) -> Result<()> {
    let interval = Duration::from_millis(interval_ms.max(10));
    let sampler = Sampler::start(interval, 1024).context("starting the telemetry thread")?;
    if let Some(note) = sampler.gpu_note() {
        eprintln!("note: {note}; showing the CPU only");
    }
    let mut last = None;
    let mut shown = 0;
    while count == 0 || shown < count {
        let s = sampler
            .wait_after(last, interval * 10 + Duration::from_secs(5))
            .context("no telemetry sample arrived")?;
        last = Some(s.seq);
        print_sample(&s, json)?;
        shown += 1;
    }
    Ok(())
}

fn bandwidth(device: usize, mib: usize, repetitions: usize, json: bool) -> Result<()> {
    let dev = ouro_compute::cuda::CudaDevice::open(device)
        .with_context(|| format!("opening CUDA device {device}"))?;
    let bw = ouro_compute::cuda::bandwidth::measure_copy(&dev, mib << 20, repetitions.max(1))?;
    if json {
        println!("{}", serde_json::to_string_pretty(&bw)?);
    } else {
        println!(
            "{}: device-to-device copy of {} MiB, read + written: best {:.1} GB/s, median {:.1} GB/s",
            bw.device,
            mib,
            bw.best_bytes_per_s / 1e9,
            bw.median_bytes_per_s / 1e9
        );
    }
    Ok(())
}
