//! Bounded walks of the workspace (`list`, `grep`, the repair localizer).
//!
//! A workspace may hold a huge `node_modules/` or a generated tree of 10^5 files; an unbounded
//! walk over it makes every later call slow or runs the agent out of memory. [`Bounded`] stops
//! after a fixed number of entries and says so, so the caller can print a plain "truncated"
//! note and the model can narrow its path or pattern.

use std::path::Path;

use ignore::{DirEntry, WalkBuilder};

/// The most entries one walk visits unless the caller asks for another cap.
pub const MAX_WALK_ENTRIES: usize = 20_000;

/// The walk the tools share: hidden files included, `.gitignore` honoured without a git
/// repository, `.git/` skipped, entries sorted by name. Ignore files above `root` do not apply
/// (a loop worktree sits inside its repository's ignored `.ouro/`).
pub fn builder(root: &Path) -> WalkBuilder {
    let mut walk = WalkBuilder::new(root);
    walk.hidden(false)
        .require_git(false)
        .parents(false)
        .filter_entry(|e| e.file_name() != ".git")
        .sort_by_file_name(|a, b| a.cmp(b));
    walk
}

/// A walk that ends after `cap` entries (errors count as entries).
pub struct Bounded {
    walk: ignore::Walk,
    left: usize,
    cap: usize,
    truncated: bool,
}

impl Bounded {
    /// Walks what `builder` describes, visiting at most `cap` entries.
    pub fn new(builder: &WalkBuilder, cap: usize) -> Self {
        Self {
            walk: builder.build(),
            left: cap,
            cap,
            truncated: false,
        }
    }

    /// Whether the walk stopped at its cap with entries left unvisited.
    pub fn truncated(&self) -> bool {
        self.truncated
    }

    /// The note to print when the walk was cut short.
    pub fn note(&self) -> Option<String> {
        self.truncated.then(|| {
            format!(
                "[... walk truncated after {} entries: narrow the path or pattern ...]",
                self.cap
            )
        })
    }
}

impl Iterator for Bounded {
    type Item = Result<DirEntry, ignore::Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let next = self.walk.next()?;
        if self.left == 0 {
            self.truncated = true;
            return None;
        }
        self.left -= 1;
        Some(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stops_at_the_cap_and_says_so() {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..50 {
            std::fs::write(dir.path().join(format!("f{i:02}")), "").unwrap();
        }
        let mut walk = Bounded::new(&builder(dir.path()), 10);
        assert_eq!(walk.by_ref().count(), 10);
        assert!(walk.truncated());
        assert!(walk.note().unwrap().contains("truncated after 10 entries"));
        let mut whole = Bounded::new(&builder(dir.path()), 100);
        assert_eq!(whole.by_ref().count(), 51);
        assert!(!whole.truncated() && whole.note().is_none());
    }
}
