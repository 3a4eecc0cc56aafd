//! Checked tool calls: validate arguments, ask the policy (and the approver) about every
//! access, record each decision in the audit log, and only then run the tool.

use std::collections::HashSet;
use std::sync::Mutex;

use serde_json::Value;

use crate::audit::AuditRecord;
use crate::permissions::{Action, Approval, ApprovalRequest, Approver, Verdict};
use crate::tools::{Resource, ToolContext, ToolError, ToolOutput, ToolRegistry, validate_args};
use crate::workspace::PathError;

/// Runs tool calls for one agent session under its policy.
pub struct ToolRunner {
    registry: ToolRegistry,
    ctx: ToolContext,
    approver: Box<dyn Approver>,
    /// (action, resource) pairs the approver allowed for the whole session.
    granted: Mutex<HashSet<(Action, String)>>,
}

impl ToolRunner {
    /// A runner over `registry` with context `ctx`, asking `approver` on `ask` verdicts.
    pub fn new(registry: ToolRegistry, ctx: ToolContext, approver: Box<dyn Approver>) -> Self {
        Self {
            registry,
            ctx,
            approver,
            granted: Mutex::new(HashSet::new()),
        }
    }

    /// The tools.
    pub fn registry(&self) -> &ToolRegistry {
        &self.registry
    }

    /// The context calls run against.
    pub fn context(&self) -> &ToolContext {
        &self.ctx
    }

    /// Validates, checks, audits and runs one call.
    pub fn call(&self, name: &str, args: Value) -> Result<ToolOutput, ToolError> {
        self.call_observed(name, args, &mut |_| {})
    }

    /// Like [`call`](Self::call), and shows each permission decision to `on_decision` once
    /// it is in the audit log (the agent loop journals them).
    pub fn call_observed(
        &self,
        name: &str,
        args: Value,
        on_decision: &mut dyn FnMut(&AuditRecord),
    ) -> Result<ToolOutput, ToolError> {
        let tool = self
            .registry
            .get(name)
            .ok_or_else(|| ToolError::UnknownTool(name.to_string()))?;
        validate_args(tool, &args)?;
        let accesses = match tool.accesses(&self.ctx, &args) {
            Ok(a) => a,
            Err(ToolError::Path(e)) => {
                if let PathError::Escape { path, .. } = &e {
                    let record =
                        self.ctx
                            .audit
                            .record(name, "path", path, "deny", "workspace boundary")?;
                    on_decision(&record);
                }
                return Err(ToolError::Path(e));
            }
            Err(e) => return Err(e),
        };
        for access in accesses {
            let (decision, shown) = match &access.resource {
                Resource::Path(p) => (
                    self.ctx.policy.check_path(access.action, p),
                    self.ctx.rel(p),
                ),
                Resource::Command(c) => (self.ctx.policy.check_command(c), c.clone()),
                Resource::Name(n) => (self.ctx.policy.check_name(access.action, n), n.clone()),
                Resource::Host(t) => (self.ctx.policy.check_host(t), t.to_string()),
                Resource::AnyHost => (self.ctx.policy.check_any_host(), "*".to_string()),
            };
            let (verdict, rule) = match decision.verdict {
                Verdict::Ask => self.ask(name, access.action, &shown, &decision.rule),
                v => (v, decision.rule),
            };
            let record = self.ctx.audit.record(
                name,
                access.action.as_str(),
                &shown,
                verdict.as_str(),
                &rule,
            )?;
            on_decision(&record);
            if verdict != Verdict::Allow {
                return Err(ToolError::Denied {
                    action: access.action,
                    resource: shown,
                    rule,
                });
            }
        }
        tool.run(&self.ctx, args)
    }

    /// Resolves an `ask` verdict through session grants or the approver.
    fn ask(&self, tool: &str, action: Action, resource: &str, why: &str) -> (Verdict, String) {
        let key = (action, resource.to_string());
        if self.granted.lock().is_ok_and(|g| g.contains(&key)) {
            return (
                Verdict::Allow,
                format!(
                    "{why}; approved earlier this session ({})",
                    self.approver.name()
                ),
            );
        }
        let request = ApprovalRequest {
            tool: tool.to_string(),
            action,
            resource: resource.to_string(),
        };
        let answer = self.approver.approve(&request);
        let who = self.approver.name();
        match answer {
            Approval::AllowOnce => (Verdict::Allow, format!("{why}; approved once ({who})")),
            Approval::AllowSession => {
                if let Ok(mut g) = self.granted.lock() {
                    g.insert(key);
                }
                (
                    Verdict::Allow,
                    format!("{why}; approved for the session ({who})"),
                )
            }
            Approval::Deny => (Verdict::Deny, format!("{why}; refused ({who})")),
        }
    }
}
