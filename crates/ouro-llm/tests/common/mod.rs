//! Helpers shared by the integration tests: locating the default model.

use std::path::PathBuf;

/// The default model (SmolLM2-135M-Instruct Q4_1), or `None` with a printed reason when it has
/// not been fetched (`scripts/fetch-models.sh`). CI fetches it, so there these tests always run.
pub fn default_model() -> Option<PathBuf> {
    ouro_core::paths::default_model_for_tests(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.."),
    )
}
