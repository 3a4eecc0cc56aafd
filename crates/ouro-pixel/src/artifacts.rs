//! The loop's pixel artifacts: `*.pixel.json` files in a folder (by default
//! `.ouro/artifacts`), listed newest first.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::error::PixelError;

/// The default artifacts folder, relative to the working directory.
pub const DEFAULT_DIR: &str = ".ouro/artifacts";
/// The file name suffix of pixel-program artifacts.
pub const SUFFIX: &str = ".pixel.json";

/// One artifact file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    /// The file.
    pub path: PathBuf,
    /// Its modification time.
    pub modified: SystemTime,
}

/// The `*.pixel.json` files directly in `dir`, newest first (ties by name).
pub fn list(dir: &Path) -> Result<Vec<Artifact>, PixelError> {
    let io = |source| PixelError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let path = entry.path();
        let is_artifact = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.ends_with(SUFFIX));
        let meta = entry.metadata().map_err(|source| PixelError::Io {
            path: path.clone(),
            source,
        })?;
        if is_artifact && meta.is_file() {
            let modified = meta.modified().map_err(|source| PixelError::Io {
                path: path.clone(),
                source,
            })?;
            out.push(Artifact { path, modified });
        }
    }
    out.sort_by(|a, b| {
        b.modified
            .cmp(&a.modified)
            .then_with(|| a.path.cmp(&b.path))
    });
    Ok(out)
}

/// The newest artifact in `dir`.
pub fn latest(dir: &Path) -> Result<Artifact, PixelError> {
    list(dir)?
        .into_iter()
        .next()
        .ok_or_else(|| PixelError::NoArtifacts {
            dir: dir.to_path_buf(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs::{File, FileTimes};
    use std::time::Duration;

    #[test]
    fn lists_only_pixel_programs_newest_first() -> Result<(), Box<dyn std::error::Error>> {
        let dir = std::env::temp_dir().join(format!("ouro-pixel-artifacts-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let base = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        for (name, age) in [
            ("old.pixel.json", 20),
            ("new.pixel.json", 0),
            ("mid.pixel.json", 10),
            ("notes.json", 0),
        ] {
            let f = File::create(dir.join(name))?;
            f.set_times(FileTimes::new().set_modified(base - Duration::from_secs(age)))?;
        }
        let names: Vec<_> = list(&dir)?
            .iter()
            .map(|a| a.path.file_name().unwrap_or_default().to_owned())
            .collect();
        assert_eq!(
            names,
            ["new.pixel.json", "mid.pixel.json", "old.pixel.json"]
        );
        assert_eq!(latest(&dir)?.path, dir.join("new.pixel.json"));
        std::fs::remove_dir_all(&dir)?;
        let empty = std::env::temp_dir().join(format!("ouro-pixel-empty-{}", std::process::id()));
        std::fs::create_dir_all(&empty)?;
        assert!(matches!(
            latest(&empty),
            Err(PixelError::NoArtifacts { .. })
        ));
        std::fs::remove_dir_all(&empty)?;
        Ok(())
    }
}
