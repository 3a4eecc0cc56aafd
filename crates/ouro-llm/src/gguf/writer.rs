//! Writing GGUF v3 files.
//!
//! A [`GgufWriter`] collects metadata and tensor descriptions (checked as they are added),
//! then [`GgufWriter::write_header`] writes the header and returns a [`TensorDataWriter`]
//! that takes the tensor data in file order, whole or in chunks of any size, padding each
//! tensor to the file's alignment (`general.alignment`, else 32). Only the header is ever
//! held in memory, so a multi-gigabyte model streams straight to disk.

use std::collections::HashSet;
use std::io::{Read, Write};

use super::reader::align_up;
use super::{DEFAULT_ALIGNMENT, GGUF_MAGIC, GgufWriteError, MetaType, MetaValue, TensorInfo};
use crate::GgmlType;

/// The GGUF version ouro writes.
pub const GGUF_WRITE_VERSION: u32 = 3;
/// Largest tensor rank GGUF allows.
const MAX_DIMS: usize = 4;
/// ggml's `GGML_MAX_NAME`: tensor names must be shorter than this many bytes.
const MAX_TENSOR_NAME: usize = 64;
/// The key whose value sets the alignment of tensor data.
const ALIGNMENT_KEY: &str = "general.alignment";

/// Collects a GGUF file's metadata and tensor descriptions before they are written.
#[derive(Debug, Default)]
pub struct GgufWriter {
    metadata: Vec<(String, MetaValue)>,
    keys: HashSet<String>,
    tensors: Vec<TensorInfo>,
    names: HashSet<String>,
}

impl GgufWriter {
    /// An empty file: no metadata, no tensors.
    pub fn new() -> GgufWriter {
        GgufWriter::default()
    }

    /// Adds a metadata entry. Fails on a duplicate key, an array whose elements do not all
    /// have its element type, a nested array, or a `general.alignment` that is not a `U32`
    /// power of two (llama.cpp accepts no other).
    pub fn add_metadata(
        &mut self,
        key: impl Into<String>,
        value: MetaValue,
    ) -> Result<(), GgufWriteError> {
        let key = key.into();
        let bad = |reason: String| GgufWriteError::BadMetadata {
            key: key.clone(),
            reason,
        };
        if self.keys.contains(&key) {
            return Err(bad("added twice".into()));
        }
        if let MetaValue::Array(elem, items) = &value {
            if *elem == MetaType::Array {
                return Err(bad("nested arrays are not supported".into()));
            }
            if let Some((i, item)) = items
                .iter()
                .enumerate()
                .find(|(_, item)| item.meta_type() != *elem)
            {
                return Err(bad(format!(
                    "element {i} is a {:?}, but the array holds {elem:?}",
                    item.meta_type()
                )));
            }
        }
        if key == ALIGNMENT_KEY && !matches!(value, MetaValue::U32(a) if a.is_power_of_two()) {
            return Err(bad(format!("{value} is not a U32 power of two")));
        }
        self.keys.insert(key.clone());
        self.metadata.push((key, value));
        Ok(())
    }

    /// Declares a tensor (its data comes later, in declaration order, through the
    /// [`TensorDataWriter`]). `dims` are innermost first, as in ggml's `ne`.
    pub fn add_tensor(
        &mut self,
        name: impl Into<String>,
        dims: &[u64],
        ty: GgmlType,
    ) -> Result<(), GgufWriteError> {
        let name = name.into();
        let bad = |reason: String| GgufWriteError::BadTensor {
            name: name.clone(),
            reason,
        };
        if name.is_empty() || name.len() >= MAX_TENSOR_NAME {
            return Err(bad(format!(
                "name is {} bytes long; it must be 1 to {} bytes",
                name.len(),
                MAX_TENSOR_NAME - 1
            )));
        }
        if self.names.contains(&name) {
            return Err(bad("added twice".into()));
        }
        if dims.is_empty() || dims.len() > MAX_DIMS {
            return Err(bad(format!(
                "rank {} is outside 1..={MAX_DIMS}",
                dims.len()
            )));
        }
        if !dims[0].is_multiple_of(ty.block_size() as u64) {
            return Err(bad(format!(
                "first dimension {} is not a multiple of the {ty} block size {}",
                dims[0],
                ty.block_size()
            )));
        }
        let size = dims
            .iter()
            .try_fold(1u64, |acc, &d| acc.checked_mul(d))
            .filter(|&n| i64::try_from(n).is_ok())
            .and_then(|n| ty.bytes_for(n));
        if size.is_none() {
            return Err(bad(format!("dimensions {dims:?} overflow")));
        }
        self.names.insert(name.clone());
        self.tensors.push(TensorInfo {
            name,
            dims: dims.to_vec(),
            ty,
            offset: 0,
        });
        Ok(())
    }

    /// The alignment the file will use.
    pub fn alignment(&self) -> u64 {
        self.metadata
            .iter()
            .find(|(k, _)| k == ALIGNMENT_KEY)
            .and_then(|(_, v)| v.as_u64())
            .unwrap_or(DEFAULT_ALIGNMENT)
    }

    /// Writes the header (magic, version, metadata, tensor infos, padding) to `out`, which
    /// must be at the start of the file, and returns the writer for the tensor data.
    pub fn write_header<W: Write>(self, out: W) -> Result<TensorDataWriter<W>, GgufWriteError> {
        let alignment = self.alignment();
        let mut tensors = self.tensors;
        let mut offset = 0u64;
        for t in &mut tensors {
            t.offset = offset;
            offset = t
                .n_bytes()
                .checked_add(offset)
                .map(|end| align_up(end, alignment))
                .filter(|&end| end < u64::MAX / 2)
                .ok_or_else(|| GgufWriteError::BadTensor {
                    name: t.name.clone(),
                    reason: "the data section would exceed 2^63 bytes".into(),
                })?;
        }

        let mut w = TensorDataWriter {
            out,
            pos: 0,
            alignment,
            tensors,
            current: 0,
            written: 0,
        };
        let mut header = Vec::new();
        header.extend_from_slice(&GGUF_MAGIC);
        header.extend_from_slice(&GGUF_WRITE_VERSION.to_le_bytes());
        header.extend_from_slice(&(w.tensors.len() as u64).to_le_bytes());
        header.extend_from_slice(&(self.metadata.len() as u64).to_le_bytes());
        for (key, value) in &self.metadata {
            put_string(&mut header, key);
            header.extend_from_slice(&value.meta_type().id().to_le_bytes());
            put_value(&mut header, value);
        }
        for t in &w.tensors {
            put_string(&mut header, &t.name);
            header.extend_from_slice(&(t.dims.len() as u32).to_le_bytes());
            for d in &t.dims {
                header.extend_from_slice(&d.to_le_bytes());
            }
            header.extend_from_slice(&t.ty.id().to_le_bytes());
            header.extend_from_slice(&t.offset.to_le_bytes());
        }
        w.put(&header, "header")?;
        w.pad("header padding")?;
        Ok(w)
    }

    /// Writes the whole file to `out`: the header, then `data[i]` for the i-th tensor.
    pub fn write_with_data<W: Write>(self, out: W, data: &[&[u8]]) -> Result<W, GgufWriteError> {
        let mut w = self.write_header(out)?;
        for bytes in data {
            w.write_tensor(bytes)?;
        }
        w.finish()
    }
}

/// Appends a GGUF string: a u64 length and the UTF-8 bytes.
fn put_string(buf: &mut Vec<u8>, s: &str) {
    buf.extend_from_slice(&(s.len() as u64).to_le_bytes());
    buf.extend_from_slice(s.as_bytes());
}

/// Appends a metadata value (without its type tag, which the caller writes).
fn put_value(buf: &mut Vec<u8>, value: &MetaValue) {
    match value {
        MetaValue::U8(v) => buf.push(*v),
        MetaValue::I8(v) => buf.extend_from_slice(&v.to_le_bytes()),
        MetaValue::U16(v) => buf.extend_from_slice(&v.to_le_bytes()),
        MetaValue::I16(v) => buf.extend_from_slice(&v.to_le_bytes()),
        MetaValue::U32(v) => buf.extend_from_slice(&v.to_le_bytes()),
        MetaValue::I32(v) => buf.extend_from_slice(&v.to_le_bytes()),
        MetaValue::F32(v) => buf.extend_from_slice(&v.to_le_bytes()),
        MetaValue::U64(v) => buf.extend_from_slice(&v.to_le_bytes()),
        MetaValue::I64(v) => buf.extend_from_slice(&v.to_le_bytes()),
        MetaValue::F64(v) => buf.extend_from_slice(&v.to_le_bytes()),
        MetaValue::Bool(v) => buf.push(u8::from(*v)),
        MetaValue::String(s) => put_string(buf, s),
        MetaValue::Array(elem, items) => {
            buf.extend_from_slice(&elem.id().to_le_bytes());
            buf.extend_from_slice(&(items.len() as u64).to_le_bytes());
            for item in items {
                put_value(buf, item);
            }
        }
    }
}

/// Takes the tensor data of a file whose header has been written, in declaration order.
#[derive(Debug)]
pub struct TensorDataWriter<W: Write> {
    out: W,
    /// Bytes written to `out` so far.
    pos: u64,
    alignment: u64,
    tensors: Vec<TensorInfo>,
    /// Index of the tensor being written.
    current: usize,
    /// Bytes of the current tensor written so far.
    written: u64,
}

impl<W: Write> TensorDataWriter<W> {
    /// All tensors, with their data offsets as written in the header.
    pub fn tensors(&self) -> &[TensorInfo] {
        &self.tensors
    }

    /// The tensor whose data comes next, or `None` when all are complete.
    pub fn current_tensor(&self) -> Option<&TensorInfo> {
        self.tensors.get(self.current)
    }

    /// Bytes written to the output so far (header included).
    pub fn bytes_written(&self) -> u64 {
        self.pos
    }

    /// Writes the next tensor's data in one piece; `bytes` must be exactly its size.
    pub fn write_tensor(&mut self, bytes: &[u8]) -> Result<(), GgufWriteError> {
        match self.current_tensor() {
            None => Err(GgufWriteError::TooMuchData {
                supplied: bytes.len() as u64,
            }),
            Some(t) if self.written != 0 || t.n_bytes() != bytes.len() as u64 => {
                Err(GgufWriteError::DataSize {
                    name: t.name.clone(),
                    expected: t.n_bytes(),
                    got: self.written + bytes.len() as u64,
                })
            }
            Some(_) if bytes.is_empty() => {
                self.current += 1;
                Ok(())
            }
            Some(_) => self.write_chunk(bytes),
        }
    }

    /// Appends bytes to the data stream: they continue the current tensor and run on into
    /// the following ones (passing over tensors with no data), each padded to the alignment
    /// once complete.
    pub fn write_chunk(&mut self, mut bytes: &[u8]) -> Result<(), GgufWriteError> {
        while !bytes.is_empty() {
            self.skip_empty();
            let Some(t) = self.tensors.get(self.current) else {
                return Err(GgufWriteError::TooMuchData {
                    supplied: bytes.len() as u64,
                });
            };
            let size = t.n_bytes();
            let n = (size - self.written).min(bytes.len() as u64) as usize;
            let what = format!("data of tensor '{}'", t.name);
            self.put(&bytes[..n], &what)?;
            self.written += n as u64;
            bytes = &bytes[n..];
            if self.written == size {
                self.pad(&what)?;
                self.current += 1;
                self.written = 0;
            }
        }
        Ok(())
    }

    /// Streams the next tensor's data from `src`, which must yield exactly its size.
    pub fn copy_tensor_from(&mut self, src: &mut impl Read) -> Result<(), GgufWriteError> {
        let Some(t) = self.current_tensor() else {
            return Err(GgufWriteError::TooMuchData { supplied: 0 });
        };
        let (name, expected) = (t.name.clone(), t.n_bytes());
        if self.written != 0 {
            return Err(GgufWriteError::DataSize {
                name,
                expected,
                got: self.written,
            });
        }
        let mut buf = vec![0u8; 1 << 20];
        let mut got = 0u64;
        loop {
            let n = src.read(&mut buf).map_err(|source| GgufWriteError::Io {
                what: format!("source of tensor '{name}'"),
                source,
            })?;
            if n == 0 {
                break;
            }
            got += n as u64;
            if got > expected {
                return Err(GgufWriteError::DataSize {
                    name,
                    expected,
                    got,
                });
            }
            self.write_chunk(&buf[..n])?;
        }
        if got != expected {
            return Err(GgufWriteError::DataSize {
                name,
                expected,
                got,
            });
        }
        if expected == 0 {
            self.current += 1;
        }
        Ok(())
    }

    /// Checks that every tensor is complete, flushes, and gives the output back.
    pub fn finish(mut self) -> Result<W, GgufWriteError> {
        self.skip_empty();
        if let Some(t) = self.current_tensor() {
            return Err(GgufWriteError::Incomplete {
                name: t.name.clone(),
                written: self.written,
                expected: t.n_bytes(),
            });
        }
        self.out.flush().map_err(|source| GgufWriteError::Io {
            what: "file (flush)".into(),
            source,
        })?;
        Ok(self.out)
    }

    /// Moves past tensors with no data, which are complete as soon as they start.
    fn skip_empty(&mut self) {
        while self.current_tensor().is_some_and(|t| t.n_bytes() == 0) {
            self.current += 1;
        }
    }

    fn put(&mut self, bytes: &[u8], what: &str) -> Result<(), GgufWriteError> {
        self.out
            .write_all(bytes)
            .map_err(|source| GgufWriteError::Io {
                what: what.into(),
                source,
            })?;
        self.pos += bytes.len() as u64;
        Ok(())
    }

    /// Writes zeros up to the next multiple of the alignment.
    fn pad(&mut self, what: &str) -> Result<(), GgufWriteError> {
        let n = align_up(self.pos, self.alignment) - self.pos;
        let zeros = [0u8; 256];
        let mut left = n as usize;
        while left > 0 {
            let k = left.min(zeros.len());
            self.put(&zeros[..k], what)?;
            left -= k;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gguf::GgufFile;

    fn one_tensor(ty: GgmlType, dims: &[u64]) -> GgufWriter {
        let mut w = GgufWriter::new();
        w.add_tensor("t", dims, ty).unwrap();
        w
    }

    #[test]
    fn rejects_bad_metadata() {
        let mut w = GgufWriter::new();
        w.add_metadata("a", MetaValue::U8(1)).unwrap();
        let dup = w.add_metadata("a", MetaValue::U8(2));
        assert!(matches!(dup, Err(GgufWriteError::BadMetadata { key, .. }) if key == "a"));
        let mixed = MetaValue::Array(MetaType::U8, vec![MetaValue::U8(1), MetaValue::I8(1)]);
        let err = w.add_metadata("b", mixed).unwrap_err().to_string();
        assert!(err.contains("element 1 is a I8"), "{err}");
        let nested = MetaValue::Array(MetaType::Array, vec![]);
        assert!(w.add_metadata("c", nested).is_err());
        for bad in [MetaValue::U32(0), MetaValue::U32(48), MetaValue::U64(64)] {
            assert!(w.add_metadata(ALIGNMENT_KEY, bad).is_err());
        }
        w.add_metadata(ALIGNMENT_KEY, MetaValue::U32(128)).unwrap();
        assert_eq!(w.alignment(), 128);
    }

    #[test]
    fn rejects_bad_tensors() {
        let mut w = GgufWriter::new();
        let cases: [(&str, &[u64], GgmlType); 6] = [
            ("", &[4], GgmlType::F32),
            (&"x".repeat(64), &[4], GgmlType::F32),
            ("rank0", &[], GgmlType::F32),
            ("rank5", &[1, 1, 1, 1, 1], GgmlType::F32),
            ("block", &[48], GgmlType::Q4_0),
            ("huge", &[1 << 32, 1 << 32], GgmlType::F32),
        ];
        for (name, dims, ty) in cases {
            let r = w.add_tensor(name, dims, ty);
            assert!(
                matches!(r, Err(GgufWriteError::BadTensor { .. })),
                "{name}: {r:?}"
            );
        }
        w.add_tensor("x".repeat(63), &[4], GgmlType::F32).unwrap();
        w.add_tensor("q", &[64], GgmlType::Q4_0).unwrap();
        assert!(w.add_tensor("q", &[64], GgmlType::Q4_0).is_err());
    }

    #[test]
    fn checks_data_sizes() {
        let mut w = one_tensor(GgmlType::F32, &[2])
            .write_header(Vec::new())
            .unwrap();
        let short = w.write_tensor(&[0; 7]);
        assert!(matches!(
            short,
            Err(GgufWriteError::DataSize {
                expected: 8,
                got: 7,
                ..
            })
        ));
        w.write_chunk(&[0; 3]).unwrap();
        // A whole tensor cannot follow a partial one.
        assert!(w.write_tensor(&[0; 8]).is_err());
        let w_err = one_tensor(GgmlType::F32, &[2])
            .write_header(Vec::new())
            .unwrap()
            .finish();
        assert!(matches!(
            w_err,
            Err(GgufWriteError::Incomplete {
                written: 0,
                expected: 8,
                ..
            })
        ));
        w.write_chunk(&[0; 5]).unwrap();
        assert!(matches!(
            w.write_chunk(&[1]),
            Err(GgufWriteError::TooMuchData { supplied: 1 })
        ));
        let mut long: &[u8] = &[0; 9];
        let mut w2 = one_tensor(GgmlType::F32, &[2])
            .write_header(Vec::new())
            .unwrap();
        assert!(matches!(
            w2.copy_tensor_from(&mut long),
            Err(GgufWriteError::DataSize { got: 9, .. })
        ));
        let bytes = w.finish().unwrap();
        let f = GgufFile::from_bytes(bytes).unwrap();
        assert_eq!(f.tensor_data(&f.tensors()[0]), &[0; 8]);
    }

    #[test]
    fn reports_io_errors() {
        #[derive(Debug)]
        struct Full;
        impl Write for Full {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Err(std::io::Error::new(
                    std::io::ErrorKind::StorageFull,
                    "disk full",
                ))
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let err = one_tensor(GgmlType::F32, &[2])
            .write_header(Full)
            .unwrap_err();
        assert!(
            err.to_string().contains("writing GGUF header: disk full"),
            "{err}"
        );
    }

    #[test]
    fn file_without_tensors_is_padded_header_only() {
        let mut w = GgufWriter::new();
        w.add_metadata("k", MetaValue::String("v".into())).unwrap();
        let bytes = w.write_header(Vec::new()).unwrap().finish().unwrap();
        assert_eq!(bytes.len() % 32, 0);
        let f = GgufFile::from_bytes(bytes).unwrap();
        assert_eq!(f.get_str("k"), Some("v"));
        assert!(f.tensors().is_empty());
    }
}
