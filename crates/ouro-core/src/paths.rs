//! Where ouro keeps its files: the models folder and the default model.

use std::path::{Path, PathBuf};

/// File name of the default model, SmolLM2-135M-Instruct quantized to Q4_1.
pub const DEFAULT_MODEL_FILE: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";

/// The models folder: `$OURO_MODELS` if set, else `models/` under `root`.
pub fn models_dir(root: &Path) -> PathBuf {
    match std::env::var_os("OURO_MODELS") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => root.join("models"),
    }
}

/// Path of the default model inside the models folder under `root`.
pub fn default_model(root: &Path) -> PathBuf {
    models_dir(root).join(DEFAULT_MODEL_FILE)
}

/// For tests that need the default model: its path under `root` if it exists; `None` with
/// a printed reason when it has not been fetched (`scripts/fetch-models.sh`), unless
/// `OURO_REQUIRE_MODELS` is set (as in CI), in which case a missing model is a failure.
pub fn default_model_for_tests(root: &Path) -> Option<PathBuf> {
    let path = default_model(root);
    if path.exists() {
        Some(path)
    } else if std::env::var_os("OURO_REQUIRE_MODELS").is_some() {
        panic!(
            "OURO_REQUIRE_MODELS is set but {} is missing",
            path.display()
        );
    } else {
        eprintln!(
            "skipped: {} is missing (run scripts/fetch-models.sh)",
            path.display()
        );
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_model_is_under_models_dir() {
        let root = Path::new("/repo");
        assert!(default_model(root).ends_with(DEFAULT_MODEL_FILE));
        assert!(default_model(root).starts_with(models_dir(root)));
    }
}
