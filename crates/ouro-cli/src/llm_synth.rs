//! `ouro llm synth`: arguments and progress bar for writing a random-weight GGUF model
//! with [`ouro_llm::synth::write_synth_model`].

use std::path::PathBuf;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use ouro_llm::GgmlType;
use ouro_llm::synth::{QuantMix, SynthArch, SynthSpec, write_synth_model};

/// Write a random-weight llama or qwen2 model (for tests and benchmarks).
#[derive(clap::Args, Debug)]
pub struct SynthArgs {
    /// Architecture: llama or qwen2 (qwen2 adds Q/K/V biases).
    #[arg(long, default_value = "llama", value_parser = parse_arch)]
    arch: SynthArch,
    /// Shape preset: tiny, 135m, 1b, 7b or 8b; the options below override single values.
    #[arg(long, default_value = "tiny")]
    shape: String,
    /// Type of the weight matrices: f32, f16, bf16, q4_0, q4_1, q5_0, q5_1, q8_0, q4_K, q5_K,
    /// q6_K, or the mix q4_K_M (llama.cpp's: Q4_K with Q6_K on some attn_v and ffn_down
    /// matrices and on the output projection).
    #[arg(long = "type", default_value = "q4_0", value_parser = parse_type)]
    ty: (GgmlType, QuantMix),
    /// Seed of the weights and of the vocabulary's merges.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Output GGUF file.
    #[arg(short = 'o', long)]
    output: PathBuf,
    #[arg(long)]
    n_embd: Option<u64>,
    #[arg(long)]
    n_layer: Option<u64>,
    #[arg(long)]
    n_head: Option<u64>,
    #[arg(long)]
    n_head_kv: Option<u64>,
    #[arg(long)]
    n_ff: Option<u64>,
    #[arg(long)]
    n_vocab: Option<u64>,
    #[arg(long)]
    n_ctx: Option<u64>,
    #[arg(long)]
    rope_base: Option<f32>,
    #[arg(long)]
    rms_eps: Option<f32>,
    /// Standard deviation of the matrix weights.
    #[arg(long)]
    std: Option<f32>,
    /// Tie the output projection to the token embedding (true) or write output.weight (false).
    #[arg(long)]
    tied: Option<bool>,
    /// Print a JSON summary instead of a sentence.
    #[arg(long)]
    json: bool,
}

fn parse_arch(s: &str) -> Result<SynthArch, String> {
    SynthArch::from_name(s).map_err(|e| e.to_string())
}

fn parse_type(s: &str) -> Result<(GgmlType, QuantMix), String> {
    if let Some(mix) = QuantMix::from_name(s) {
        return Ok((GgmlType::Q4K, mix));
    }
    GgmlType::from_name(s)
        .map(|t| (t, QuantMix::Uniform))
        .ok_or_else(|| format!("unknown tensor type '{s}'"))
}

/// Runs `ouro llm synth`.
pub fn run(args: SynthArgs) -> anyhow::Result<()> {
    let mut spec = SynthSpec::preset(args.arch, &args.shape)?;
    spec.ty = args.ty.0;
    spec.set_mix(args.ty.1);
    spec.seed = args.seed;
    let set = |field: &mut u64, v: Option<u64>| *field = v.unwrap_or(*field);
    set(&mut spec.n_embd, args.n_embd);
    set(&mut spec.n_layer, args.n_layer);
    set(&mut spec.n_head, args.n_head);
    set(&mut spec.n_head_kv, args.n_head_kv);
    set(&mut spec.n_ff, args.n_ff);
    set(&mut spec.n_vocab, args.n_vocab);
    set(&mut spec.n_ctx, args.n_ctx);
    spec.rope_base = args.rope_base.unwrap_or(spec.rope_base);
    spec.rms_eps = args.rms_eps.unwrap_or(spec.rms_eps);
    spec.std = args.std.unwrap_or(spec.std);
    spec.tied_embeddings = args.tied.unwrap_or(spec.tied_embeddings);

    let bar = ProgressBar::new(0).with_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] [{wide_bar}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        )
        .context("progress bar template")?,
    );
    let summary = write_synth_model(&spec, &args.output, &mut |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })
    .with_context(|| format!("writing {}", args.output.display()))?;
    bar.finish_and_clear();

    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        println!(
            "wrote {}: {} {} with {} tensors, {} parameters, {:.1} MiB in {:.1} s",
            summary.path.display(),
            spec.arch,
            spec.type_name(),
            summary.n_tensors,
            summary.n_params,
            summary.file_bytes as f64 / (1 << 20) as f64,
            summary.seconds
        );
    }
    Ok(())
}
