//! Fuzz target: `GgufFile::from_bytes` on arbitrary bytes must return, never panic, and a
//! successful parse must give in-bounds tensor data.

#![no_main]

use libfuzzer_sys::fuzz_target;
use ouro_llm::gguf::GgufFile;

fuzz_target!(|data: &[u8]| {
    if let Ok(f) = GgufFile::from_bytes(data.to_vec()) {
        for (_, v) in f.metadata() {
            let _ = v.to_string();
        }
        for t in f.tensors() {
            assert_eq!(f.tensor_data(t).len() as u64, t.n_bytes());
        }
    }
});
