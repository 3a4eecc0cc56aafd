//! ouro-core: the foundation every other ouro crate builds on.
//!
//! It knows where ouro keeps its files ([`paths`]) and provides the crash-safe event
//! journal (write-ahead log + checkpoints) that sessions and the autonomous loop
//! resume from ([`journal`]), and the live engine figures that running engines publish
//! for the dashboard ([`engine_status`]).

pub mod engine_status;
pub mod journal;
pub mod paths;
