//! GGUF files: reading (memory-mapped) and writing.
