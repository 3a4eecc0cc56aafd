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

/// The model a command should load: `explicit` if given, else the default model in the models
/// folder under the first of `roots` that has it. The error says where it looked and how to
/// get the model.
pub fn resolve_model(explicit: Option<&Path>, roots: &[PathBuf]) -> Result<PathBuf, String> {
    if let Some(path) = explicit {
        return if path.is_file() {
            Ok(path.to_path_buf())
        } else {
            Err(format!("model file {} not found", path.display()))
        };
    }
    let candidates: Vec<PathBuf> = roots.iter().map(|r| default_model(r)).collect();
    candidates.iter().find(|p| p.is_file()).cloned().ok_or_else(|| {
        let looked: Vec<String> = candidates.iter().map(|p| p.display().to_string()).collect();
        format!(
            "the default model is not at {} (run scripts/fetch-models.sh, or pass --model PATH)",
            looked.join(" or ")
        )
    })
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
    fn resolve_model_takes_the_explicit_path_or_the_first_root_with_the_default() {
        let dir = std::env::temp_dir().join(format!("ouro-paths-{}", std::process::id()));
        let (a, b) = (dir.join("a"), dir.join("b"));
        std::fs::create_dir_all(b.join("models")).unwrap();
        std::fs::create_dir_all(&a).unwrap();
        std::fs::write(b.join("models").join(DEFAULT_MODEL_FILE), b"gguf").unwrap();
        if std::env::var_os("OURO_MODELS").is_none() {
            let roots = [a.clone(), b.clone()];
            assert_eq!(resolve_model(None, &roots).unwrap(), default_model(&b));
            let err = resolve_model(None, &roots[..1]).unwrap_err();
            assert!(err.contains("fetch-models.sh"), "{err}");
        }
        let missing = dir.join("nope.gguf");
        assert!(
            resolve_model(Some(&missing), &[])
                .unwrap_err()
                .contains("nope.gguf")
        );
        let explicit = b.join("models").join(DEFAULT_MODEL_FILE);
        assert_eq!(resolve_model(Some(&explicit), &[]).unwrap(), explicit);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn default_model_is_under_models_dir() {
        let root = Path::new("/repo");
        assert!(default_model(root).ends_with(DEFAULT_MODEL_FILE));
        assert!(default_model(root).starts_with(models_dir(root)));
    }
}
