//! ouro-tui: the live terminal dashboard (`ouro tui`). Panels for the GPUs, the system, the
//! development loop, the agent and the engine, drawn with ratatui from plain data
//! ([`data`]) that [`sources`] read from the machine and the repository.
//!
//! - [`event_loop::run`]: the interactive dashboard on the terminal.
//! - [`snapshot::once`]: one frame as text; [`snapshot::bench`]: render timings.
//! - [`app::update`]: the pure key handling; [`ui::render`]: the pure drawing.

pub mod app;
pub mod data;
pub mod error;
pub mod event_loop;
pub mod history;
pub mod model;
pub mod panels;
pub mod snapshot;
pub mod sources;
pub mod terminal;
pub mod theme;
pub mod ui;
pub mod usage;

pub use error::TuiError;
