//! ouro-agent: the coding agent. Its tool layer (the tools, the permission policy that checks
//! every call, the audit log that records every decision, the Linux sandbox that confines
//! shell commands), the model providers, the agent loop and its journaled sessions.
//!
//! Entry points:
//! - [`provider::Provider`] and [`provider::OpenAiProvider`] (any OpenAI-compatible server);
//! - [`agent::Agent`], the loop, reporting [`agent::AgentEvent`]s;
//! - [`session::Session`], the journal a session is rebuilt from on `--resume`;
//! - [`app::run`], everything `ouro agent` does, configured by [`app::AgentOptions`];
//! - [`tools::ToolRegistry::standard`] and the [`tools::Tool`] trait (schemas for the model);
//! - [`permissions::PermissionsConfig`] (the `[permissions]` TOML table) compiled into a
//!   [`permissions::Policy`];
//! - [`audit::AuditLog`];
//! - [`sandbox::Sandbox::probe`] (what the kernel can enforce);
//! - [`runner::ToolRunner::call`], which ties them together for the agent loop;
//! - [`repair::Repairer`], direct repair for small models: located files, exact edits under a
//!   grammar, no tool calls.

pub mod agent;
pub mod app;
pub mod audit;
pub mod beneath;
pub mod config;
pub mod permissions;
pub mod provider;
mod random;
pub mod repair;
pub mod runner;
pub mod sandbox;
pub mod session;
#[cfg(feature = "test-server")]
pub mod testing;
pub mod text;
pub mod tools;
pub mod walk;
pub mod workspace;

pub use runner::ToolRunner;
pub use workspace::{PathError, Workspace};
