//! Whose settings count: the session's rights come from the user (the user-level config,
//! `--policy FILE`, `--mode`); the workspace's `ouro.toml` lies where the agent writes, so
//! on its own it may only restrict them: the narrower mode, the stricter sandbox, secrets
//! protected if either says so, and its deny and ask rules added. Whatever in it would widen
//! the session (a wider mode, a weaker sandbox, `protect_secrets = false`, allow rules,
//! `pass_env` names the user did not pass) is ignored and reported, unless the user passes
//! `--trust-workspace-config`.

use super::{PermissionsConfig, Verdict};

impl PermissionsConfig {
    /// `self` (the user's settings) restricted by `workspace` (the workspace's, from
    /// `origin`), with one line for each widening setting of `workspace` that was ignored.
    pub fn restricted_by(
        &self,
        workspace: &PermissionsConfig,
        origin: &str,
    ) -> (PermissionsConfig, Vec<String>) {
        let mut ignored = Vec::new();
        if workspace.mode > self.mode {
            ignored.push(format!(
                "mode = \"{}\" (wider than \"{}\")",
                workspace.mode.as_str(),
                self.mode.as_str()
            ));
        }
        if workspace.sandbox < self.sandbox {
            ignored.push(format!(
                "sandbox = \"{}\" (weaker than \"{}\")",
                workspace.sandbox.as_str(),
                self.sandbox.as_str()
            ));
        }
        if self.protect_secrets && !workspace.protect_secrets {
            ignored.push("protect_secrets = false".to_string());
        }
        let (kept, allows): (Vec<_>, Vec<_>) = workspace
            .rules
            .iter()
            .cloned()
            .partition(|r| r.decision != Verdict::Allow);
        if !allows.is_empty() {
            let shown: Vec<String> = allows
                .iter()
                .map(|r| format!("{} \"{}\"", r.action, r.pattern))
                .collect();
            ignored.push(format!("allow rule(s) {}", shown.join(", ")));
        }
        let extra_env: Vec<&String> = workspace
            .pass_env
            .iter()
            .filter(|name| !self.pass_env.contains(name))
            .collect();
        if !extra_env.is_empty() {
            let shown: Vec<String> = extra_env.iter().map(|n| format!("\"{n}\"")).collect();
            ignored.push(format!("pass_env {}", shown.join(", ")));
        }
        let merged = PermissionsConfig {
            mode: self.mode.min(workspace.mode),
            sandbox: self.sandbox.max(workspace.sandbox),
            protect_secrets: self.protect_secrets || workspace.protect_secrets,
            pass_env: self.pass_env.clone(),
            rules: self.rules.iter().cloned().chain(kept).collect(),
        };
        let ignored = ignored
            .into_iter()
            .map(|what| {
                format!(
                    "{origin}: ignoring {what}: the workspace's config may only restrict the \
                     session (pass --trust-workspace-config to accept it)"
                )
            })
            .collect();
        (merged, ignored)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Action, Mode, RuleConfig, SandboxRequirement};
    use super::*;

    fn rule(action: Action, decision: Verdict) -> RuleConfig {
        RuleConfig {
            action,
            pattern: "x".into(),
            decision,
        }
    }

    #[test]
    fn the_workspace_restricts_but_never_widens() {
        let user = PermissionsConfig::default();
        let widening = PermissionsConfig {
            mode: Mode::FullAccess,
            sandbox: SandboxRequirement::Off,
            protect_secrets: false,
            pass_env: vec!["RUST_LOG".into()],
            rules: vec![
                rule(Action::Network, Verdict::Allow),
                rule(Action::Read, Verdict::Deny),
            ],
        };
        let (merged, ignored) = user.restricted_by(&widening, "ws/ouro.toml");
        assert_eq!(merged.mode, Mode::WorkspaceWrite);
        assert_eq!(merged.sandbox, SandboxRequirement::Required);
        assert!(merged.protect_secrets);
        assert_eq!(merged.rules, [rule(Action::Read, Verdict::Deny)]);
        assert!(merged.pass_env.is_empty());
        assert_eq!(ignored.len(), 5, "{ignored:?}");
        assert!(
            ignored
                .iter()
                .all(|l| l.starts_with("ws/ouro.toml: ignoring"))
        );

        let narrowing = PermissionsConfig {
            mode: Mode::ReadOnly,
            ..PermissionsConfig::default()
        };
        let (merged, ignored) = user.restricted_by(&narrowing, "t");
        assert_eq!(merged.mode, Mode::ReadOnly);
        assert!(ignored.is_empty());
    }
}
