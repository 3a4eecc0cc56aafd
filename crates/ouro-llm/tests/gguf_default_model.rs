//! Reads the default model's GGUF header and checks it against what gguf-py reports.

mod common;

use ouro_llm::GgmlType;
use ouro_llm::gguf::GgufFile;

#[test]
fn reads_smollm2_header() {
    let Some(path) = common::default_model() else {
        return;
    };
    let f = GgufFile::open(&path).unwrap();
    assert_eq!(f.version(), 3);
    assert_eq!(f.metadata().len(), 33);
    assert_eq!(f.tensors().len(), 272);
    assert_eq!(f.architecture().unwrap(), "llama");
    assert_eq!(f.require_u64("llama.block_count").unwrap(), 30);
    assert_eq!(f.require_u64("llama.embedding_length").unwrap(), 576);
    assert_eq!(f.require_str("tokenizer.ggml.pre").unwrap(), "smollm");
    assert_eq!(
        f.require_str_array("tokenizer.ggml.tokens").unwrap().len(),
        49152
    );
    let embd = f.tensor("token_embd.weight").unwrap();
    assert_eq!(embd.dims, vec![576, 49152]);
    assert_eq!(embd.ty, GgmlType::Q8_0);
    assert_eq!(f.data_offset() + embd.offset, 1785664);
    assert_eq!(f.tensor_data(embd).len() as u64, 49152 * 576 / 32 * 34);
    let q4 = f
        .tensors()
        .iter()
        .filter(|t| t.ty == GgmlType::Q4_1)
        .count();
    assert_eq!(q4, 210);
}
