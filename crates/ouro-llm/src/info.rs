//! A summary of a GGUF file for people and scripts: metadata, tensors and sizes
//! (`ouro llm info`).

use std::collections::BTreeMap;
use std::fmt;

use crate::gguf::GgufFile;

/// One tensor in the summary.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TensorSummary {
    pub name: String,
    pub dims: Vec<u64>,
    pub ty: String,
    pub bytes: u64,
}

/// What `ouro llm info` shows.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ModelInfo {
    pub path: Option<String>,
    pub version: u32,
    pub file_bytes: u64,
    pub architecture: Option<String>,
    pub n_params: u64,
    pub tensor_bytes: u64,
    /// Number of tensors per ggml type.
    pub types: BTreeMap<String, usize>,
    /// Metadata rendered as short strings (long arrays elided).
    pub metadata: Vec<(String, String)>,
    pub tensors: Vec<TensorSummary>,
}

impl ModelInfo {
    /// Summarizes a parsed GGUF file.
    pub fn from_gguf(file: &GgufFile) -> ModelInfo {
        let mut types = BTreeMap::new();
        for t in file.tensors() {
            *types.entry(t.ty.name().to_string()).or_insert(0) += 1;
        }
        ModelInfo {
            path: file.path().map(|p| p.display().to_string()),
            version: file.version(),
            file_bytes: file.file_size(),
            architecture: file.get_str("general.architecture").map(str::to_string),
            n_params: file.tensors().iter().map(|t| t.n_elements()).sum(),
            tensor_bytes: file.tensors().iter().map(|t| t.n_bytes()).sum(),
            types,
            metadata: file
                .metadata()
                .iter()
                .map(|(k, v)| (k.clone(), v.to_string()))
                .collect(),
            tensors: file
                .tensors()
                .iter()
                .map(|t| TensorSummary {
                    name: t.name.clone(),
                    dims: t.dims.clone(),
                    ty: t.ty.name().into(),
                    bytes: t.n_bytes(),
                })
                .collect(),
        }
    }
}

/// Formats a byte count with binary units (`94.0 MiB`).
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = bytes as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{v:.2} {}", UNITS[unit])
    }
}

impl fmt::Display for ModelInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(p) = &self.path {
            writeln!(f, "file:         {p}")?;
        }
        writeln!(
            f,
            "format:       GGUF v{}, {}",
            self.version,
            human_bytes(self.file_bytes)
        )?;
        writeln!(
            f,
            "architecture: {}",
            self.architecture.as_deref().unwrap_or("(none)")
        )?;
        writeln!(
            f,
            "parameters:   {} ({:.1}M)",
            self.n_params,
            self.n_params as f64 / 1e6
        )?;
        let types: Vec<String> = self
            .types
            .iter()
            .map(|(t, n)| format!("{t}: {n}"))
            .collect();
        writeln!(
            f,
            "tensors:      {} ({}), {}",
            self.tensors.len(),
            types.join(", "),
            human_bytes(self.tensor_bytes)
        )?;
        writeln!(f, "\nmetadata ({} keys):", self.metadata.len())?;
        let width = self
            .metadata
            .iter()
            .map(|(k, _)| k.len())
            .max()
            .unwrap_or(0);
        for (k, v) in &self.metadata {
            writeln!(f, "  {k:width$}  {v}")?;
        }
        writeln!(f, "\ntensors:")?;
        let width = self.tensors.iter().map(|t| t.name.len()).max().unwrap_or(0);
        for t in &self.tensors {
            let dims: Vec<String> = t.dims.iter().map(u64::to_string).collect();
            writeln!(
                f,
                "  {:width$}  {:6}  {:>16}  {}",
                t.name,
                t.ty,
                dims.join(" x "),
                human_bytes(t.bytes)
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::human_bytes;

    #[test]
    fn bytes_are_human() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(1536), "1.50 KiB");
        assert_eq!(human_bytes(3 << 30), "3.00 GiB");
    }
}
