//! ouro-core: the foundation every other ouro crate builds on.
//!
//! It knows where ouro keeps its files ([`paths`]) and provides the crash-safe event
//! journal (write-ahead log + checkpoints) that sessions and the autonomous loop
//! resume from ([`journal`]).

pub mod journal;
pub mod paths;
