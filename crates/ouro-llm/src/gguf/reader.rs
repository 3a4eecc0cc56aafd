//! Reading GGUF files: header, metadata and tensor infos, all bounds-checked.

use std::collections::HashSet;
use std::fs::File;
use std::ops::Deref;
use std::path::{Path, PathBuf};

use memmap2::Mmap;

use super::{DEFAULT_ALIGNMENT, GGUF_MAGIC, GgufError, MetaType, MetaValue};
use crate::GgmlType;

/// Largest tensor rank GGUF allows.
const MAX_DIMS: u32 = 4;

/// One tensor's description from the header.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorInfo {
    pub name: String,
    /// Dimensions, innermost (contiguous) first, as in ggml's `ne`.
    pub dims: Vec<u64>,
    pub ty: GgmlType,
    /// Offset of the tensor's data from the start of the data section.
    pub offset: u64,
}

impl TensorInfo {
    /// Number of elements.
    pub fn n_elements(&self) -> u64 {
        self.dims.iter().product()
    }

    /// Number of bytes of the tensor's data.
    pub fn n_bytes(&self) -> u64 {
        // Checked when the file was read.
        self.ty.bytes_for(self.n_elements()).unwrap_or(0)
    }
}

/// The bytes a GGUF file was read from.
#[derive(Debug)]
enum Storage {
    Mapped(Mmap),
    Owned(Vec<u8>),
}

impl Deref for Storage {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Storage::Mapped(m) => m,
            Storage::Owned(v) => v,
        }
    }
}

/// A parsed GGUF file whose tensor data stays in the (memory-mapped) bytes.
#[derive(Debug)]
pub struct GgufFile {
    path: Option<PathBuf>,
    bytes: Storage,
    version: u32,
    alignment: u64,
    data_offset: u64,
    metadata: Vec<(String, MetaValue)>,
    tensors: Vec<TensorInfo>,
}

impl GgufFile {
    /// Opens and memory-maps a GGUF file, then parses its header.
    pub fn open(path: impl AsRef<Path>) -> Result<GgufFile, GgufError> {
        let path = path.as_ref();
        let io = |source| GgufError::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = File::open(path).map_err(io)?;
        // SAFETY: the map is read-only; ouro never writes a model file while it is open.
        let map = unsafe { Mmap::map(&file) }.map_err(io)?;
        let mut parsed = Self::parse(Storage::Mapped(map))?;
        parsed.path = Some(path.to_path_buf());
        Ok(parsed)
    }

    /// Parses a GGUF file held in memory.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<GgufFile, GgufError> {
        Self::parse(Storage::Owned(bytes))
    }

    fn parse(bytes: Storage) -> Result<GgufFile, GgufError> {
        let mut cur = Cursor {
            bytes: &bytes,
            pos: 0,
        };
        let magic: [u8; 4] = cur.take(4, "magic")?.try_into().unwrap_or_default();
        if magic != GGUF_MAGIC {
            return Err(GgufError::BadMagic { found: magic });
        }
        let version = cur.u32("version")?;
        if version != 2 && version != 3 {
            return Err(GgufError::UnsupportedVersion(version));
        }
        let n_tensors = cur.u64("tensor count")?;
        let n_kv = cur.u64("metadata count")?;
        cur.check_count(n_kv, 8 + 4 + 1, "metadata count")?;
        cur.check_count(n_tensors, 8 + 4 + 8 + 4 + 8, "tensor count")?;

        let mut metadata = Vec::with_capacity(n_kv as usize);
        let mut keys = HashSet::new();
        for i in 0..n_kv {
            let at = cur.pos;
            let key = cur.string(&format!("key of metadata entry {i}"))?;
            let ty = cur.meta_type(&format!("type of metadata '{key}'"))?;
            let value = cur.value(ty, &key, 0)?;
            if !keys.insert(key.clone()) {
                return Err(GgufError::Malformed {
                    what: format!("metadata entry {i}"),
                    offset: at as u64,
                    reason: format!("duplicate key '{key}'"),
                });
            }
            metadata.push((key, value));
        }

        let alignment = match metadata.iter().find(|(k, _)| k == "general.alignment") {
            None => DEFAULT_ALIGNMENT,
            Some((_, v)) => match v.as_u64() {
                Some(a) if a > 0 && a.is_power_of_two() => a,
                _ => {
                    return Err(GgufError::BadMetadata {
                        key: "general.alignment".into(),
                        reason: format!("{v} is not a power of two"),
                    });
                }
            },
        };

        let mut tensors = Vec::with_capacity(n_tensors as usize);
        let mut names = HashSet::new();
        for i in 0..n_tensors {
            let info = cur.tensor_info(i, alignment)?;
            if !names.insert(info.name.clone()) {
                return Err(GgufError::BadTensor {
                    name: info.name,
                    reason: "appears twice in the file".into(),
                });
            }
            tensors.push(info);
        }

        let data_offset = align_up(cur.pos as u64, alignment);
        let len = bytes.len() as u64;
        for t in &tensors {
            let end = data_offset
                .checked_add(t.offset)
                .and_then(|s| s.checked_add(t.n_bytes()));
            match end {
                Some(end) if end <= len => {}
                _ => {
                    return Err(GgufError::Truncated {
                        what: format!("data of tensor '{}'", t.name),
                        offset: data_offset.saturating_add(t.offset),
                        needed: t.n_bytes(),
                        len,
                    });
                }
            }
        }

        Ok(GgufFile {
            path: None,
            bytes,
            version,
            alignment,
            data_offset,
            metadata,
            tensors,
        })
    }

    /// The file's path, when it was opened from one.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// GGUF format version (2 or 3).
    pub fn version(&self) -> u32 {
        self.version
    }

    /// Alignment of tensor data.
    pub fn alignment(&self) -> u64 {
        self.alignment
    }

    /// Offset of the data section from the start of the file.
    pub fn data_offset(&self) -> u64 {
        self.data_offset
    }

    /// Size of the whole file in bytes.
    pub fn file_size(&self) -> u64 {
        self.bytes.len() as u64
    }

    /// All metadata entries, in file order.
    pub fn metadata(&self) -> &[(String, MetaValue)] {
        &self.metadata
    }

    /// All tensor infos, in file order.
    pub fn tensors(&self) -> &[TensorInfo] {
        &self.tensors
    }

    /// The metadata value under `key`.
    pub fn get(&self, key: &str) -> Option<&MetaValue> {
        self.metadata.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// The string under `key`, if present and a string.
    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(MetaValue::as_str)
    }

    /// The non-negative integer under `key`, if present and one.
    pub fn get_u64(&self, key: &str) -> Option<u64> {
        self.get(key).and_then(MetaValue::as_u64)
    }

    /// The number under `key`, if present and one.
    pub fn get_f64(&self, key: &str) -> Option<f64> {
        self.get(key).and_then(MetaValue::as_f64)
    }

    /// The integer under `key`, or an error naming the key when it is missing or not an integer.
    pub fn require_u64(&self, key: &str) -> Result<u64, GgufError> {
        let v = self.get(key).ok_or_else(|| GgufError::BadMetadata {
            key: key.into(),
            reason: "missing".into(),
        })?;
        v.as_u64().ok_or_else(|| GgufError::BadMetadata {
            key: key.into(),
            reason: format!("expected a non-negative integer, found {v}"),
        })
    }

    /// The string under `key`, or an error naming the key when it is missing or not a string.
    pub fn require_str(&self, key: &str) -> Result<&str, GgufError> {
        let v = self.get(key).ok_or_else(|| GgufError::BadMetadata {
            key: key.into(),
            reason: "missing".into(),
        })?;
        v.as_str().ok_or_else(|| GgufError::BadMetadata {
            key: key.into(),
            reason: format!("expected a string, found {v}"),
        })
    }

    /// The array of strings under `key` (borrowed), or an error naming the key.
    pub fn require_str_array(&self, key: &str) -> Result<Vec<&str>, GgufError> {
        let bad = |reason: String| GgufError::BadMetadata {
            key: key.into(),
            reason,
        };
        let v = self.get(key).ok_or_else(|| bad("missing".into()))?;
        let items = v
            .as_array()
            .ok_or_else(|| bad(format!("expected an array of strings, found {v}")))?;
        items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                item.as_str()
                    .ok_or_else(|| bad(format!("element {i} is {item}, not a string")))
            })
            .collect()
    }

    /// The model architecture (`general.architecture`), e.g. "llama" or "qwen2".
    pub fn architecture(&self) -> Result<&str, GgufError> {
        self.require_str("general.architecture")
    }

    /// The tensor info named `name`.
    pub fn tensor(&self, name: &str) -> Option<&TensorInfo> {
        self.tensors.iter().find(|t| t.name == name)
    }

    /// The raw bytes of a tensor's data (bounds were checked at parse time).
    pub fn tensor_data(&self, info: &TensorInfo) -> &[u8] {
        let start = (self.data_offset + info.offset) as usize;
        let end = start + info.n_bytes() as usize;
        self.bytes.get(start..end).unwrap_or(&[])
    }
}

/// Rounds `x` up to a multiple of `align` (a power of two).
pub(crate) fn align_up(x: u64, align: u64) -> u64 {
    x.div_ceil(align).saturating_mul(align)
}

/// A bounds-checked little-endian reader over the file's bytes.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: u64, what: &str) -> Result<&'a [u8], GgufError> {
        let remaining = (self.bytes.len() - self.pos) as u64;
        if n > remaining {
            return Err(GgufError::Truncated {
                what: what.into(),
                offset: self.pos as u64,
                needed: n,
                len: self.bytes.len() as u64,
            });
        }
        let start = self.pos;
        self.pos += n as usize;
        Ok(&self.bytes[start..self.pos])
    }

    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], GgufError> {
        let s = self.take(N as u64, what)?;
        let mut out = [0u8; N];
        out.copy_from_slice(s);
        Ok(out)
    }

    fn u32(&mut self, what: &str) -> Result<u32, GgufError> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }

    fn u64(&mut self, what: &str) -> Result<u64, GgufError> {
        Ok(u64::from_le_bytes(self.array(what)?))
    }

    /// Fails when `count` items of at least `min_size` bytes cannot fit in the rest of the file,
    /// so that a hostile count never causes a huge allocation.
    fn check_count(&self, count: u64, min_size: u64, what: &str) -> Result<(), GgufError> {
        let remaining = (self.bytes.len() - self.pos) as u64;
        if count.saturating_mul(min_size) > remaining {
            return Err(GgufError::Malformed {
                what: what.into(),
                offset: self.pos as u64,
                reason: format!("{count} entries cannot fit in the {remaining} bytes left"),
            });
        }
        Ok(())
    }

    fn string(&mut self, what: &str) -> Result<String, GgufError> {
        let at = self.pos as u64;
        let len = self.u64(what)?;
        let raw = self.take(len, what)?;
        String::from_utf8(raw.to_vec()).map_err(|e| GgufError::Malformed {
            what: what.into(),
            offset: at,
            reason: format!("not valid UTF-8: {e}"),
        })
    }

    fn meta_type(&mut self, what: &str) -> Result<MetaType, GgufError> {
        let at = self.pos as u64;
        let id = self.u32(what)?;
        MetaType::from_id(id).ok_or_else(|| GgufError::Malformed {
            what: what.into(),
            offset: at,
            reason: format!("unknown value type {id}"),
        })
    }

    fn value(&mut self, ty: MetaType, key: &str, depth: u32) -> Result<MetaValue, GgufError> {
        let what = |kind: &str| format!("{kind} of metadata '{key}'");
        Ok(match ty {
            MetaType::U8 => MetaValue::U8(u8::from_le_bytes(self.array(&what("value"))?)),
            MetaType::I8 => MetaValue::I8(i8::from_le_bytes(self.array(&what("value"))?)),
            MetaType::U16 => MetaValue::U16(u16::from_le_bytes(self.array(&what("value"))?)),
            MetaType::I16 => MetaValue::I16(i16::from_le_bytes(self.array(&what("value"))?)),
            MetaType::U32 => MetaValue::U32(u32::from_le_bytes(self.array(&what("value"))?)),
            MetaType::I32 => MetaValue::I32(i32::from_le_bytes(self.array(&what("value"))?)),
            MetaType::F32 => MetaValue::F32(f32::from_le_bytes(self.array(&what("value"))?)),
            MetaType::U64 => MetaValue::U64(u64::from_le_bytes(self.array(&what("value"))?)),
            MetaType::I64 => MetaValue::I64(i64::from_le_bytes(self.array(&what("value"))?)),
            MetaType::F64 => MetaValue::F64(f64::from_le_bytes(self.array(&what("value"))?)),
            MetaType::Bool => {
                let at = self.pos as u64;
                match self.array::<1>(&what("value"))?[0] {
                    0 => MetaValue::Bool(false),
                    1 => MetaValue::Bool(true),
                    b => {
                        return Err(GgufError::Malformed {
                            what: what("value"),
                            offset: at,
                            reason: format!("boolean byte is {b}, not 0 or 1"),
                        });
                    }
                }
            }
            MetaType::String => MetaValue::String(self.string(&what("value"))?),
            MetaType::Array => {
                let at = self.pos as u64;
                if depth > 0 {
                    return Err(GgufError::Malformed {
                        what: what("value"),
                        offset: at,
                        reason: "nested arrays are not supported".into(),
                    });
                }
                let elem = self.meta_type(&what("array element type"))?;
                let n = self.u64(&what("array length"))?;
                self.check_count(n, elem.min_size(), &what("array length"))?;
                let mut items = Vec::with_capacity(n as usize);
                for _ in 0..n {
                    items.push(self.value(elem, key, depth + 1)?);
                }
                MetaValue::Array(elem, items)
            }
        })
    }

    fn tensor_info(&mut self, index: u64, alignment: u64) -> Result<TensorInfo, GgufError> {
        let name = self.string(&format!("name of tensor {index}"))?;
        let bad = |reason: String| GgufError::BadTensor {
            name: name.clone(),
            reason,
        };
        let n_dims = self.u32(&format!("rank of tensor '{name}'"))?;
        if n_dims == 0 || n_dims > MAX_DIMS {
            return Err(bad(format!("rank {n_dims} is outside 1..={MAX_DIMS}")));
        }
        let mut dims = Vec::with_capacity(n_dims as usize);
        for d in 0..n_dims {
            dims.push(self.u64(&format!("dimension {d} of tensor '{name}'"))?);
        }
        let type_id = self.u32(&format!("type of tensor '{name}'"))?;
        let offset = self.u64(&format!("offset of tensor '{name}'"))?;
        let ty = GgmlType::from_id(type_id)
            .ok_or_else(|| bad(format!("unknown ggml type id {type_id}")))?;
        let n = dims
            .iter()
            .try_fold(1u64, |acc, &d| acc.checked_mul(d))
            .ok_or_else(|| bad(format!("dimensions {dims:?} overflow")))?;
        if dims[0] % ty.block_size() as u64 != 0 {
            return Err(bad(format!(
                "first dimension {} is not a multiple of the {} block size {}",
                dims[0],
                ty,
                ty.block_size()
            )));
        }
        if ty.bytes_for(n).is_none() {
            return Err(bad(format!("size of {n} {ty} elements overflows")));
        }
        if offset % alignment != 0 {
            return Err(bad(format!(
                "data offset {offset} is not a multiple of the alignment {alignment}"
            )));
        }
        Ok(TensorInfo {
            name,
            dims,
            ty,
            offset,
        })
    }
}
