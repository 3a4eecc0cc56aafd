//! Frame render time of the whole dashboard at 200x60 on ratatui's TestBackend, from real
//! readings of this machine (histories filled with 100 readings 10 ms apart). Target: under
//! 2 ms a frame. Run: `cargo bench -p ouro-tui`.

use std::path::Path;
use std::time::Duration;

use ouro_tui::snapshot::{Size, bench};
use ouro_tui::sources::LocalSources;

fn main() {
    let mut sources = LocalSources::start(Path::new("."), Duration::from_millis(100));
    for size in [
        Size { cols: 80, rows: 24 },
        Size {
            cols: 200,
            rows: 60,
        },
    ] {
        let r = bench(&mut sources, 100, 2000, size);
        println!(
            "render {}x{}: {} frames, mean {:.3} ms, median {:.3} ms, max {:.3} ms",
            r.size.cols,
            r.size.rows,
            r.frames,
            r.mean.as_secs_f64() * 1e3,
            r.median.as_secs_f64() * 1e3,
            r.max.as_secs_f64() * 1e3
        );
    }
}
