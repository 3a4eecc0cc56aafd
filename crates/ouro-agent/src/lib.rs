//! ouro-agent, tool layer: the tools a coding agent calls, the permission policy that checks
//! every call, the audit log that records every decision, and the Linux sandbox that confines
//! shell commands.
//!
//! Entry points:
//! - [`tools::ToolRegistry::standard`] and the [`tools::Tool`] trait (schemas for the model);
//! - [`permissions::PermissionsConfig`] (the `[permissions]` TOML table) compiled into a
//!   [`permissions::Policy`];
//! - [`audit::AuditLog`];
//! - [`sandbox::Sandbox::probe`] (what the kernel can enforce);
//! - [`runner::ToolRunner::call`], which ties them together for the agent loop.

pub mod audit;
pub mod permissions;
pub mod runner;
pub mod sandbox;
pub mod text;
pub mod tools;
pub mod workspace;

pub use runner::ToolRunner;
pub use workspace::{PathError, Workspace};
