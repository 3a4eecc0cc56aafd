//! ouro-core: the foundation every other ouro crate builds on.
//!
//! For now it knows where ouro keeps its files ([`paths`]).

pub mod paths;
