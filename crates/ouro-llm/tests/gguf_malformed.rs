//! The GGUF reader on hostile input: every truncation and thousands of seeded mutations of a
//! valid file give errors (or a valid parse), never a panic and never a huge allocation;
//! specific malformed headers give the expected error variant.

mod gguf_sample;

use std::alloc::{GlobalAlloc, Layout, System};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};

use gguf_sample::sample_bytes;
use ouro_llm::gguf::{GgufError, GgufFile};

/// The system allocator, recording the largest single request so that tests can check
/// that no input makes the reader allocate far more than the input's size.
struct PeakAlloc;

static LARGEST: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards every call to the system allocator unchanged.
unsafe impl GlobalAlloc for PeakAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        // SAFETY: the caller's contract is passed on.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract is passed on.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LARGEST.fetch_max(new_size, Ordering::Relaxed);
        // SAFETY: the caller's contract is passed on.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: PeakAlloc = PeakAlloc;

/// No single allocation while parsing may exceed this (the sample is about 1.5 KiB).
const ALLOC_LIMIT: usize = 1 << 20;

/// Parses `bytes`, failing the test (with `what`) on a panic or an oversized allocation, and
/// touches everything a successful parse exposes.
fn parse_safely(bytes: Vec<u8>, what: &dyn Fn() -> String) -> Result<(), GgufError> {
    let result = catch_unwind(AssertUnwindSafe(|| {
        GgufFile::from_bytes(bytes).map(|f| {
            for (_, v) in f.metadata() {
                let _ = v.to_string();
            }
            for t in f.tensors() {
                assert_eq!(f.tensor_data(t).len() as u64, t.n_bytes());
            }
        })
    }));
    let largest = LARGEST.load(Ordering::Relaxed);
    assert!(
        largest <= ALLOC_LIMIT,
        "{}: an allocation of {largest} bytes",
        what()
    );
    match result {
        Ok(r) => r,
        Err(_) => panic!("the reader panicked on {}", what()),
    }
}

#[test]
fn every_truncation_is_an_error() {
    for alignment in [None, Some(64)] {
        let bytes = sample_bytes(alignment);
        GgufFile::from_bytes(bytes.clone()).unwrap();
        let last = GgufFile::from_bytes(bytes.clone()).unwrap();
        let t = last.tensors().last().unwrap();
        let data_end = (last.data_offset() + t.offset + t.n_bytes()) as usize;
        for len in 0..data_end {
            let r = parse_safely(bytes[..len].to_vec(), &|| format!("truncation to {len}"));
            assert!(r.is_err(), "truncation to {len} bytes parsed");
        }
    }
}

/// A small deterministic generator (SplitMix64) for the mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Values that tend to break length and offset arithmetic.
const INTERESTING_U64: [u64; 8] = [
    u64::MAX,
    u64::MAX - 1,
    1 << 63,
    (1 << 63) - 1,
    1 << 32,
    u32::MAX as u64,
    0,
    1 << 40,
];
const INTERESTING_U8: [u8; 6] = [0xFF, 0x00, 0x7F, 0x80, 0x01, 0xFE];

/// Applies one to four random mutations; returns a description.
fn mutate(bytes: &mut [u8], rng: &mut Rng) -> String {
    let mut done = Vec::new();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(bytes.len());
        match rng.below(4) {
            0 => {
                let bit = rng.below(8);
                bytes[at] ^= 1 << bit;
                done.push(format!("flip bit {bit} at {at}"));
            }
            1 => {
                let v = INTERESTING_U8[rng.below(INTERESTING_U8.len())];
                bytes[at] = v;
                done.push(format!("byte {v:#x} at {at}"));
            }
            2 => {
                // Length, count and offset fields are u64s at 8-byte-unaligned places; any
                // position can be one.
                let v = INTERESTING_U64[rng.below(INTERESTING_U64.len())];
                let end = (at + 8).min(bytes.len());
                bytes[at..end].copy_from_slice(&v.to_le_bytes()[..end - at]);
                done.push(format!("u64 {v:#x} at {at}"));
            }
            _ => {
                let v = rng.next() as u8;
                bytes[at] = v;
                done.push(format!("random byte {v:#x} at {at}"));
            }
        }
    }
    done.join(", ")
}

#[test]
fn seeded_mutations_never_panic() {
    let original = sample_bytes(None);
    let mut rng = Rng(0x5EED_6767);
    let (mut ok, mut err) = (0, 0);
    for case in 0..8000 {
        let mut bytes = original.clone();
        // Most mutations land in the header, where the parsing happens.
        let header = bytes.len().min(1200);
        let what = mutate(&mut bytes[..header], &mut rng);
        match parse_safely(bytes, &|| format!("mutation case {case}: {what}")) {
            Ok(()) => ok += 1,
            Err(_) => err += 1,
        }
    }
    // Both outcomes occur: the mutations reach past the parser's first checks.
    eprintln!("{ok} mutations parsed, {err} rejected");
    assert!(ok > 100 && err > 1000, "{ok} parsed, {err} rejected");
}

/// Builds GGUF bytes field by field.
#[derive(Default)]
struct Raw(Vec<u8>);

impl Raw {
    fn header(version: u32, n_tensors: u64, n_kv: u64) -> Raw {
        Raw::default()
            .bytes(b"GGUF")
            .u32(version)
            .u64(n_tensors)
            .u64(n_kv)
    }
    fn bytes(mut self, b: &[u8]) -> Raw {
        self.0.extend_from_slice(b);
        self
    }
    fn u32(self, v: u32) -> Raw {
        self.bytes(&v.to_le_bytes())
    }
    fn u64(self, v: u64) -> Raw {
        self.bytes(&v.to_le_bytes())
    }
    fn str(self, s: &str) -> Raw {
        self.u64(s.len() as u64).bytes(s.as_bytes())
    }
    /// A U32 metadata entry.
    fn kv_u32(self, key: &str, v: u32) -> Raw {
        self.str(key).u32(4).u32(v)
    }
    /// A tensor info: name, 1-D dims, type id, offset.
    fn tensor(self, name: &str, n: u64, ty: u32, offset: u64) -> Raw {
        self.str(name).u32(1).u64(n).u32(ty).u64(offset)
    }
    fn pad_to(mut self, align: usize) -> Raw {
        while !self.0.len().is_multiple_of(align) {
            self.0.push(0);
        }
        self
    }
    fn parse(self) -> GgufError {
        match GgufFile::from_bytes(self.0) {
            Ok(_) => panic!("malformed input parsed"),
            Err(e) => e,
        }
    }
}

#[test]
fn malformed_headers_give_the_expected_errors() {
    let e = Raw::default().bytes(b"GGML").u32(3).u64(0).u64(0).parse();
    assert!(matches!(e, GgufError::BadMagic { found } if &found == b"GGML"));

    let e = Raw::header(1, 0, 0).parse();
    assert!(matches!(e, GgufError::UnsupportedVersion(1)));

    let e = Raw::header(3, 0, 1).str("k").u32(13).u32(0).parse();
    assert!(
        matches!(&e, GgufError::Malformed { reason, .. } if reason == "unknown value type 13"),
        "{e}"
    );

    // An array of u64::MAX strings: refused before anything is allocated.
    let e = Raw::header(3, 0, 1)
        .str("k")
        .u32(9)
        .u32(8)
        .u64(u64::MAX)
        .parse();
    assert!(
        matches!(&e, GgufError::Malformed { what, .. } if what.contains("array length")),
        "{e}"
    );

    let e = Raw::header(3, 1, 0)
        .tensor("t", 4, 4, 0)
        .pad_to(32)
        .bytes(&[0; 32])
        .parse();
    assert!(
        matches!(&e, GgufError::BadTensor { name, reason } if name == "t" && reason.contains("unknown ggml type id 4")),
        "{e}"
    );

    let e = Raw::header(3, 1, 0)
        .tensor("t", 4, 0, 16)
        .pad_to(32)
        .bytes(&[0; 64])
        .parse();
    assert!(
        matches!(&e, GgufError::BadTensor { reason, .. } if reason.contains("not a multiple of the alignment 32")),
        "{e}"
    );

    // With general.alignment = 16 the same offset is fine.
    let ok = Raw::header(3, 1, 1)
        .kv_u32("general.alignment", 16)
        .tensor("t", 4, 0, 16)
        .pad_to(16)
        .bytes(&[0; 32]);
    GgufFile::from_bytes(ok.0).unwrap();

    let e = Raw::header(3, 1, 0)
        .tensor("t", 64, 0, 0)
        .pad_to(32)
        .bytes(&[0; 255])
        .parse();
    assert!(
        matches!(&e, GgufError::Truncated { what, needed: 256, .. } if what == "data of tensor 't'"),
        "{e}"
    );

    let e = Raw::header(3, 0, 2).kv_u32("k", 1).kv_u32("k", 2).parse();
    assert!(
        matches!(&e, GgufError::Malformed { reason, .. } if reason == "duplicate key 'k'"),
        "{e}"
    );

    let e = Raw::header(3, 2, 0)
        .tensor("t", 4, 0, 0)
        .tensor("t", 4, 0, 32)
        .pad_to(32)
        .bytes(&[0; 64])
        .parse();
    assert!(
        matches!(&e, GgufError::BadTensor { reason, .. } if reason.contains("twice")),
        "{e}"
    );

    let e = Raw::header(3, 0, 1).kv_u32("general.alignment", 48).parse();
    assert!(
        matches!(&e, GgufError::BadMetadata { key, .. } if key == "general.alignment"),
        "{e}"
    );

    let e = Raw::header(3, u64::MAX, 0).parse();
    assert!(
        matches!(&e, GgufError::Malformed { what, .. } if what == "tensor count"),
        "{e}"
    );
}
