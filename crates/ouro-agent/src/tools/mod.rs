//! The tools the agent can call, the [`Tool`] trait they share and the [`ToolRegistry`].
//!
//! A tool declares a JSON schema for its arguments, the [`Access`]es a call needs (checked by
//! the permission policy before it runs, see [`crate::runner`]) and runs against a
//! [`ToolContext`] that holds the workspace, the policy, the sandbox and the limits.

pub mod apply_patch;
pub mod bash;
pub mod edit_file;
pub mod fetch_url;
pub mod finish;
pub mod grep;
pub mod list;
pub mod plan;
pub mod read_file;
pub mod schema;
pub mod write_file;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::audit::{AuditError, AuditLog};
use crate::permissions::{Action, Policy, Verdict};
use crate::sandbox::{Sandbox, SandboxError};
use crate::workspace::{PathError, Workspace};

/// Why a tool call failed. Every message names the tool argument, path or command involved.
#[derive(Debug, thiserror::Error)]
pub enum ToolError {
    /// No tool has this name.
    #[error("unknown tool `{0}`")]
    UnknownTool(String),
    /// The arguments do not fit the tool's schema or make no sense.
    #[error("invalid arguments for `{tool}`: {message}")]
    InvalidArgs {
        /// The tool.
        tool: &'static str,
        /// What is wrong.
        message: String,
    },
    /// A path was refused or could not be resolved.
    #[error(transparent)]
    Path(#[from] PathError),
    /// A file-system operation failed.
    #[error("{op} `{path}`: {source}")]
    Io {
        /// What was being done (`read`, `write`, ...).
        op: &'static str,
        /// The workspace-relative path.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// A tool-specific failure (no match for an edit, a rejected hunk, a bad regex, ...).
    #[error("{tool}: {message}")]
    Failed {
        /// The tool.
        tool: &'static str,
        /// What went wrong.
        message: String,
    },
    /// The permission policy (or the approver) refused the call.
    #[error("permission denied: {action} `{resource}` ({rule})")]
    Denied {
        /// The action refused.
        action: Action,
        /// The resource it was refused on.
        resource: String,
        /// The rule, mode default or approver that refused.
        rule: String,
    },
    /// The sandbox could not be set up.
    #[error(transparent)]
    Sandbox(#[from] SandboxError),
    /// The decision could not be recorded, so the call did not run.
    #[error(transparent)]
    Audit(#[from] AuditError),
}

impl ToolError {
    /// A tool-specific failure.
    pub fn failed(tool: &'static str, message: impl Into<String>) -> Self {
        Self::Failed {
            tool,
            message: message.into(),
        }
    }
}

/// A resource a call touches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resource {
    /// An absolute path inside the workspace.
    Path(PathBuf),
    /// A shell command line.
    Command(String),
    /// A device or database name.
    Name(String),
    /// A network host, with the addresses the tool will connect to.
    Host(crate::permissions::network::Target),
    /// The whole network (a command that may connect anywhere).
    AnyHost,
}

/// One permission a call needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    /// What it does.
    pub action: Action,
    /// To what.
    pub resource: Resource,
}

impl Access {
    /// Reading a path.
    pub fn read(path: PathBuf) -> Self {
        Self {
            action: Action::Read,
            resource: Resource::Path(path),
        }
    }

    /// Writing a path.
    pub fn write(path: PathBuf) -> Self {
        Self {
            action: Action::Write,
            resource: Resource::Path(path),
        }
    }
}

/// A step of the agent's plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanStep {
    /// What to do.
    pub step: String,
    /// `pending`, `in_progress` or `done`.
    pub status: StepStatus,
}

/// The state of a plan step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    /// Not started.
    Pending,
    /// Being worked on.
    InProgress,
    /// Finished.
    Done,
}

/// Something a call asks of the agent loop besides showing its output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToolEffect {
    /// The plan is now these steps.
    Plan(Vec<PlanStep>),
    /// The task is done; the loop ends with this summary.
    Finish {
        /// What was done.
        summary: String,
    },
}

/// What a call returns to the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolOutput {
    /// Text for the model (already cut to the output limit).
    pub content: String,
    /// An effect on the agent loop, if any.
    pub effect: Option<ToolEffect>,
}

impl ToolOutput {
    /// Plain text output, cut to `ctx`'s output limit with a marker.
    pub fn text(ctx: &ToolContext, content: &str) -> Self {
        Self {
            content: crate::text::truncate(content, ctx.limits.max_output_bytes),
            effect: None,
        }
    }
}

/// Size and time limits for tool calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The most bytes of output any call returns.
    pub max_output_bytes: usize,
    /// The largest file `read_file`, `edit_file` and `grep` will load.
    pub max_file_bytes: u64,
    /// bash's timeout when the call gives none.
    pub default_timeout: Duration,
    /// The longest timeout a call may ask for.
    pub max_timeout: Duration,
    /// The most bytes `fetch_url` downloads.
    pub max_fetch_bytes: u64,
    /// The most entries one `list` or `grep` walk visits (then it stops with a note).
    pub max_walk_entries: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_output_bytes: 32 * 1024,
            max_file_bytes: 8 * 1024 * 1024,
            default_timeout: Duration::from_secs(120),
            max_timeout: Duration::from_secs(1800),
            max_fetch_bytes: 2 * 1024 * 1024,
            max_walk_entries: crate::walk::MAX_WALK_ENTRIES,
        }
    }
}

/// Everything a tool call runs against.
pub struct ToolContext {
    /// The workspace all paths resolve in.
    pub workspace: Workspace,
    /// The permission policy (tools consult it to skip denied files while searching).
    pub policy: Arc<Policy>,
    /// What the kernel can confine (bash uses it).
    pub sandbox: Sandbox,
    /// Where decisions and sandbox blocks are recorded.
    pub audit: Arc<AuditLog>,
    /// Output and time limits.
    pub limits: Limits,
}

impl ToolContext {
    /// The workspace-relative form of `abs` for messages.
    pub fn rel(&self, abs: &Path) -> String {
        self.workspace.relative(abs)
    }

    /// An I/O error on `abs`, named relative to the workspace.
    pub fn io_error(&self, op: &'static str, abs: &Path, source: std::io::Error) -> ToolError {
        ToolError::Io {
            op,
            path: self.rel(abs),
            source,
        }
    }

    /// Refuses to use `abs` when the policy denies `action` on it. The runner checked the path
    /// a call named as it resolved then; a tool resolves it again when it runs, and a link
    /// swapped in between (by a process an earlier command left running) could make that a
    /// denied path such as `.env`. So the use is checked too, on exactly the path that is then
    /// opened without following links (see [`crate::beneath`]); the refusal is audited.
    fn check_use(&self, action: Action, abs: &Path) -> Result<(), ToolError> {
        let decision = self.policy.check_path(action, abs);
        if decision.verdict != Verdict::Deny {
            return Ok(());
        }
        let resource = self.rel(abs);
        let rule = format!("{} (checked again at use)", decision.rule);
        self.audit
            .record("file", action.as_str(), &resource, "deny", &rule)?;
        Err(ToolError::Denied {
            action,
            resource,
            rule,
        })
    }

    /// Reads a UTF-8 text file, refusing denied paths, files over the size limit, binary files
    /// and any path whose use would follow a symbolic link.
    pub fn read_text(&self, abs: &Path) -> Result<String, ToolError> {
        self.check_use(Action::Read, abs)?;
        let bytes = self
            .workspace
            .read_file(abs, self.limits.max_file_bytes)
            .map_err(|e| self.io_error("read", abs, e))?;
        String::from_utf8(bytes).map_err(|_| {
            self.io_error(
                "read",
                abs,
                std::io::Error::other("binary or non-UTF-8 file"),
            )
        })
    }

    /// Writes a file, creating its parent directories; refuses denied paths and follows no
    /// symbolic link.
    pub fn write_text(&self, abs: &Path, content: &str) -> Result<(), ToolError> {
        self.check_use(Action::Write, abs)?;
        self.workspace
            .write_file(abs, content.as_bytes())
            .map_err(|e| self.io_error("write", abs, e))
    }

    /// Removes a file; refuses denied paths and follows no symbolic link.
    pub fn remove_file(&self, abs: &Path) -> Result<(), ToolError> {
        self.check_use(Action::Write, abs)?;
        self.workspace
            .remove_file(abs)
            .map_err(|e| self.io_error("delete", abs, e))
    }
}

/// Deserializes already-validated arguments into a tool's argument struct.
pub fn parse_args<T: DeserializeOwned>(tool: &'static str, args: &Value) -> Result<T, ToolError> {
    T::deserialize(args).map_err(|e| ToolError::InvalidArgs {
        tool,
        message: e.to_string(),
    })
}

/// Checks `args` against `tool`'s schema with ouro-llm's validator, the one that also checks
/// what the constrained decoder produced; the error names the offending argument.
pub fn validate_args(tool: &dyn Tool, args: &Value) -> Result<(), ToolError> {
    ouro_llm::constrained::validate(&tool.schema(), args, "arguments").map_err(|violation| {
        ToolError::InvalidArgs {
            tool: tool.name(),
            message: violation.to_string(),
        }
    })
}

/// A tool the agent can call.
pub trait Tool: Send + Sync {
    /// The name the model calls it by.
    fn name(&self) -> &'static str;
    /// One paragraph for the model.
    fn description(&self) -> &'static str;
    /// The JSON schema of its arguments (see [`schema`]).
    fn schema(&self) -> Value;
    /// The permissions a call with `args` needs (args are already schema-validated).
    fn accesses(&self, ctx: &ToolContext, args: &Value) -> Result<Vec<Access>, ToolError>;
    /// Runs the call; the caller has checked [`Tool::accesses`] against the policy.
    fn run(&self, ctx: &ToolContext, args: Value) -> Result<ToolOutput, ToolError>;
}

/// A tool's name, description and schema, as offered to a model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ToolSpec {
    /// The name.
    pub name: String,
    /// The description.
    pub description: String,
    /// The argument schema.
    pub parameters: Value,
}

/// All tools by name.
pub struct ToolRegistry {
    tools: Vec<Box<dyn Tool>>,
}

impl ToolRegistry {
    /// The standard set: read_file, write_file, edit_file, apply_patch, list, grep, bash,
    /// fetch_url, plan, finish.
    pub fn standard() -> Self {
        Self {
            tools: vec![
                Box::new(read_file::ReadFile),
                Box::new(write_file::WriteFile),
                Box::new(edit_file::EditFile),
                Box::new(apply_patch::ApplyPatch),
                Box::new(list::List),
                Box::new(grep::Grep),
                Box::new(bash::Bash),
                Box::new(fetch_url::FetchUrl),
                Box::new(plan::Plan),
                Box::new(finish::Finish),
            ],
        }
    }

    /// The tool called `name`.
    pub fn get(&self, name: &str) -> Option<&dyn Tool> {
        self.tools.iter().find(|t| t.name() == name).map(|t| &**t)
    }

    /// The names, in registration order.
    pub fn names(&self) -> Vec<&'static str> {
        self.tools.iter().map(|t| t.name()).collect()
    }

    /// Name, description and schema of every tool.
    pub fn specs(&self) -> Vec<ToolSpec> {
        self.tools
            .iter()
            .map(|t| ToolSpec {
                name: t.name().to_string(),
                description: t.description().to_string(),
                parameters: t.schema(),
            })
            .collect()
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! A workspace, policy and context for tool tests.

    use super::*;
    use crate::permissions::{PermissionsConfig, SandboxRequirement};

    /// A temporary workspace with a context over it (sandbox best-effort, small limits).
    pub struct Fixture {
        pub dir: tempfile::TempDir,
        pub ctx: ToolContext,
    }

    impl Fixture {
        pub fn new() -> Self {
            let dir = tempfile::tempdir().unwrap();
            let ws_path = dir.path().join("ws");
            std::fs::create_dir(&ws_path).unwrap();
            let workspace = Workspace::new(&ws_path).unwrap();
            let config = PermissionsConfig {
                sandbox: SandboxRequirement::BestEffort,
                ..PermissionsConfig::default()
            };
            let policy = Arc::new(config.compile(workspace.root()).unwrap());
            let audit = Arc::new(AuditLog::open(&dir.path().join("audit.jsonl"), "test").unwrap());
            let ctx = ToolContext {
                workspace,
                policy,
                sandbox: Sandbox::probe(),
                audit,
                limits: Limits {
                    max_output_bytes: 4096,
                    ..Limits::default()
                },
            };
            Self { dir, ctx }
        }

        pub fn write(&self, rel: &str, content: &str) {
            let p = self.ctx.workspace.root().join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, content).unwrap();
        }

        pub fn read(&self, rel: &str) -> String {
            std::fs::read_to_string(self.ctx.workspace.root().join(rel)).unwrap()
        }

        /// Validates and runs `tool` (no permission check: tools are tested alone here).
        pub fn run(&self, tool: &dyn Tool, args: Value) -> Result<ToolOutput, ToolError> {
            validate_args(tool, &args)?;
            tool.accesses(&self.ctx, &args)?;
            tool.run(&self.ctx, args)
        }
    }
}
