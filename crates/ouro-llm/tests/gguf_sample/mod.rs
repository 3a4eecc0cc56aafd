//! A small GGUF file exercising every metadata type and several tensor types, shared by the
//! writer round-trip, gguf-py and malformed-input tests.

use ouro_llm::GgmlType;
use ouro_llm::gguf::{GgufWriter, MetaType, MetaValue};

/// The sample's metadata, in file order (without `general.alignment`).
pub fn sample_metadata() -> Vec<(String, MetaValue)> {
    use MetaValue as V;
    let arr = |ty, items: Vec<MetaValue>| V::Array(ty, items);
    vec![
        ("general.architecture".into(), V::String("llama".into())),
        ("test.u8".into(), V::U8(200)),
        ("test.i8".into(), V::I8(-100)),
        ("test.u16".into(), V::U16(60000)),
        ("test.i16".into(), V::I16(-30000)),
        ("test.u32".into(), V::U32(4_000_000_000)),
        ("test.i32".into(), V::I32(-2_000_000_000)),
        ("test.f32".into(), V::F32(1.5e-3)),
        ("test.bool".into(), V::Bool(true)),
        ("test.string".into(), V::String("héllo, wörld ✓".into())),
        ("test.u64".into(), V::U64(u64::MAX - 1)),
        ("test.i64".into(), V::I64(i64::MIN + 1)),
        ("test.f64".into(), V::F64(-2.25e100)),
        (
            "test.arr.u8".into(),
            arr(MetaType::U8, vec![V::U8(0), V::U8(255)]),
        ),
        (
            "test.arr.i32".into(),
            arr(MetaType::I32, (-3..4).map(V::I32).collect()),
        ),
        (
            "test.arr.f32".into(),
            arr(MetaType::F32, vec![V::F32(0.5), V::F32(-1e10)]),
        ),
        (
            "test.arr.bool".into(),
            arr(MetaType::Bool, vec![V::Bool(false), V::Bool(true)]),
        ),
        (
            "test.arr.str".into(),
            arr(
                MetaType::String,
                ["a", "", "Ġthe", "<|im_end|>"]
                    .iter()
                    .map(|s| V::String((*s).into()))
                    .collect(),
            ),
        ),
        (
            "test.arr.u64".into(),
            arr(MetaType::U64, vec![V::U64(1 << 40)]),
        ),
        (
            "test.arr.f64".into(),
            arr(MetaType::F64, vec![V::F64(3.25)]),
        ),
        ("test.arr.empty".into(), arr(MetaType::I16, vec![])),
    ]
}

/// The sample's tensors: name, dims and type.
pub fn sample_tensors() -> Vec<(&'static str, Vec<u64>, GgmlType)> {
    vec![
        ("f32.weight", vec![4, 3], GgmlType::F32),
        ("f16.weight", vec![8], GgmlType::F16),
        ("empty", vec![0, 4], GgmlType::F32),
        ("q4_0.weight", vec![64, 2], GgmlType::Q4_0),
        ("q8_0.weight", vec![32], GgmlType::Q8_0),
        ("q6_k.weight", vec![256, 1, 2], GgmlType::Q6K),
        ("bf16.weight", vec![3, 1, 2, 1], GgmlType::BF16),
        ("i32.weight", vec![5], GgmlType::I32),
    ]
}

/// Deterministic data bytes for the i-th sample tensor.
pub fn sample_data() -> Vec<Vec<u8>> {
    sample_tensors()
        .iter()
        .enumerate()
        .map(|(i, (_, dims, ty))| {
            let n = ty.bytes_for(dims.iter().product()).unwrap_or(0) as usize;
            (0..n).map(|j| ((j * 31 + i * 7 + 5) % 251) as u8).collect()
        })
        .collect()
}

/// A writer holding the sample, with `general.alignment` set when `alignment` is given.
pub fn sample_writer(alignment: Option<u32>) -> GgufWriter {
    let mut w = GgufWriter::new();
    for (k, v) in sample_metadata() {
        w.add_metadata(k, v).unwrap();
    }
    if let Some(a) = alignment {
        w.add_metadata("general.alignment", MetaValue::U32(a))
            .unwrap();
    }
    for (name, dims, ty) in sample_tensors() {
        w.add_tensor(name, &dims, ty).unwrap();
    }
    w
}

/// The sample file's bytes.
pub fn sample_bytes(alignment: Option<u32>) -> Vec<u8> {
    let data = sample_data();
    let refs: Vec<&[u8]> = data.iter().map(Vec::as_slice).collect();
    sample_writer(alignment)
        .write_with_data(Vec::new(), &refs)
        .unwrap()
}
