//! GGUF writer round trips: ouro writes and ouro reads the same; ouro writes and gguf-py
//! (an independent reader) reads the same; chunked and streamed data give identical files.

mod gguf_sample;

use std::path::PathBuf;
use std::process::Command;

use gguf_sample::{sample_bytes, sample_data, sample_metadata, sample_tensors, sample_writer};
use ouro_llm::gguf::{GgufFile, MetaType, MetaValue};
use serde_json::Value;

fn check_reads_back(alignment: Option<u32>) {
    let bytes = sample_bytes(alignment);
    let f = GgufFile::from_bytes(bytes).unwrap();
    let align = u64::from(alignment.unwrap_or(32));
    assert_eq!(f.version(), 3);
    assert_eq!(f.alignment(), align);
    assert_eq!(f.data_offset() % align, 0);
    let mut want = sample_metadata();
    if let Some(a) = alignment {
        want.push(("general.alignment".into(), MetaValue::U32(a)));
    }
    assert_eq!(f.metadata(), want.as_slice());
    let data = sample_data();
    assert_eq!(f.tensors().len(), sample_tensors().len());
    for ((t, (name, dims, ty)), bytes) in f.tensors().iter().zip(sample_tensors()).zip(&data) {
        assert_eq!((t.name.as_str(), &t.dims, t.ty), (name, &dims, ty));
        assert_eq!(t.offset % align, 0, "{name}");
        assert_eq!(f.tensor_data(t), bytes.as_slice(), "{name}");
    }
    // The file ends with the last tensor's padded data.
    let last = f.tensors().last().unwrap();
    let end = f.data_offset() + last.offset + last.n_bytes();
    assert_eq!(f.file_size(), end.div_ceil(align) * align);
}

#[test]
fn ouro_reads_what_ouro_writes() {
    check_reads_back(None);
    check_reads_back(Some(64));
    check_reads_back(Some(8));
    check_reads_back(Some(1));
    check_reads_back(Some(4096));
}

#[test]
fn chunked_and_streamed_data_give_the_same_file() {
    let whole = sample_bytes(Some(16));
    let stream: Vec<u8> = sample_data().concat();
    for chunk in [1, 7, 100, stream.len()] {
        let mut w = sample_writer(Some(16)).write_header(Vec::new()).unwrap();
        for piece in stream.chunks(chunk) {
            w.write_chunk(piece).unwrap();
        }
        assert!(w.current_tensor().is_none());
        assert_eq!(w.finish().unwrap(), whole, "chunks of {chunk}");
    }
    let mut w = sample_writer(Some(16)).write_header(Vec::new()).unwrap();
    for data in sample_data() {
        w.copy_tensor_from(&mut data.as_slice()).unwrap();
    }
    assert_eq!(w.bytes_written(), whole.len() as u64);
    assert_eq!(w.finish().unwrap(), whole);
}

/// The name gguf-py gives a metadata type.
fn py_type_name(ty: MetaType) -> &'static str {
    match ty {
        MetaType::U8 => "UINT8",
        MetaType::I8 => "INT8",
        MetaType::U16 => "UINT16",
        MetaType::I16 => "INT16",
        MetaType::U32 => "UINT32",
        MetaType::I32 => "INT32",
        MetaType::F32 => "FLOAT32",
        MetaType::Bool => "BOOL",
        MetaType::String => "STRING",
        MetaType::Array => "ARRAY",
        MetaType::U64 => "UINT64",
        MetaType::I64 => "INT64",
        MetaType::F64 => "FLOAT64",
    }
}

/// A metadata value as gguf-py's `contents()` renders it in JSON.
fn py_value(v: &MetaValue) -> Value {
    match v {
        MetaValue::F32(x) => Value::from(f64::from(*x)),
        MetaValue::F64(x) => Value::from(*x),
        MetaValue::Bool(b) => Value::from(*b),
        MetaValue::String(s) => Value::from(s.as_str()),
        MetaValue::Array(_, items) => Value::Array(items.iter().map(py_value).collect()),
        other => match (other.as_u64(), other.as_i64()) {
            (Some(u), _) => Value::from(u),
            (None, Some(i)) => Value::from(i),
            (None, None) => unreachable!("every other variant is an integer"),
        },
    }
}

/// Runs gguf-py on `path`, or returns `None` with a printed reason when it cannot run.
fn gguf_py_dump(path: &std::path::Path) -> Option<Value> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/gguf_py_dump.py");
    let out = match Command::new("python3").arg(&script).arg(path).output() {
        Ok(out) => out,
        Err(e) => {
            eprintln!("skipped: cannot run python3: {e}");
            return None;
        }
    };
    if out.status.code() == Some(3) {
        eprintln!(
            "skipped: {}",
            String::from_utf8_lossy(&out.stderr).trim_end()
        );
        return None;
    }
    assert!(
        out.status.success(),
        "gguf-py failed on {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

#[test]
fn gguf_py_reads_what_ouro_writes() {
    for alignment in [None, Some(64)] {
        let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("gguf_py_sample_{}.gguf", alignment.unwrap_or(32)));
        std::fs::write(&path, sample_bytes(alignment)).unwrap();
        let Some(dump) = gguf_py_dump(&path) else {
            return;
        };
        let ours = GgufFile::open(&path).unwrap();
        assert_eq!(dump["alignment"], ours.alignment());
        assert_eq!(dump["data_offset"], ours.data_offset());

        let meta = dump["metadata"].as_array().unwrap();
        assert_eq!(meta.len(), ours.metadata().len());
        for (py, (key, value)) in meta.iter().zip(ours.metadata()) {
            assert_eq!(py["key"], key.as_str());
            assert_eq!(py["type"], py_type_name(value.meta_type()), "{key}");
            if let MetaValue::Array(elem, _) = value {
                assert_eq!(py["elem_type"], py_type_name(*elem), "{key}");
            }
            assert_eq!(py["value"], py_value(value), "{key}");
        }

        let tensors = dump["tensors"].as_array().unwrap();
        assert_eq!(tensors.len(), ours.tensors().len());
        for (py, t) in tensors.iter().zip(ours.tensors()) {
            assert_eq!(py["name"], t.name.as_str());
            assert_eq!(py["dims"], serde_json::json!(t.dims));
            assert_eq!(py["type"], t.ty.name().to_uppercase(), "{}", t.name);
            assert_eq!(
                py["data_offset"],
                ours.data_offset() + t.offset,
                "{}",
                t.name
            );
            assert_eq!(py["n_bytes"], t.n_bytes(), "{}", t.name);
            let hex: String = ours
                .tensor_data(t)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            assert_eq!(py["data"], hex, "{}", t.name);
        }
    }
}
