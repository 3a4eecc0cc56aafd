//! Helpers shared by the integration tests: locating the default model.

use std::path::PathBuf;

/// The default model (SmolLM2-135M-Instruct Q4_1), or `None` with a printed reason when it has
/// not been fetched (`scripts/fetch-models.sh`). CI fetches it, so there these tests always run.
pub fn default_model() -> Option<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let path = ouro_core::paths::default_model(&root);
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
