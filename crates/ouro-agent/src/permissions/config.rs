//! The `[permissions]` table of ouro's TOML configuration.
//!
//! ```toml
//! [permissions]
//! # read-only | workspace-write (default) | full-access
//! mode = "workspace-write"
//! # required (default): bash refuses to run when the kernel cannot confine it;
//! # best-effort: run with whatever protection the kernel offers (and say so);
//! # off: run bash unconfined (the policy still checks every call).
//! sandbox = "required"
//! # Deny reading secret files: .env*, .envrc, *.pem, *.key, SSH private keys, .netrc,
//! # .npmrc, .pypirc, cloud credentials, ~/.ssh, ~/.aws, ~/.gnupg... (default true).
//! protect_secrets = true
//! # Environment variables bash commands get besides PATH, HOME, LANG, LC_*, TERM, USER,
//! # SHELL, TMPDIR, TZ (default none). Names that look like secrets are refused.
//! pass_env = ["RUST_LOG"]
//!
//! # Rules: action = read | write | execute | network | gpu | database,
//! # decision = allow | ask | deny, pattern = path glob, command prefix or host glob.
//! [[permissions.rules]]
//! action = "execute"
//! pattern = "cargo test"
//! decision = "allow"
//!
//! [[permissions.rules]]
//! action = "read"
//! pattern = "secrets/**"
//! decision = "deny"
//!
//! [[permissions.rules]]
//! action = "network"
//! pattern = "*.crates.io"
//! decision = "allow"
//! ```
//!
//! Unknown keys are errors, so a misspelt key cannot silently weaken the policy. Rules are
//! numbered from 0 in the order written; the audit log names the rule that decided.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{Action, Mode, Policy, PolicyError, Rule, SECRET_PATTERNS, Verdict};

pub use ouro_sandbox::SandboxRequirement;

/// One rule as written in TOML.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleConfig {
    /// The action governed.
    pub action: Action,
    /// Path glob, command prefix or host glob (see [`super`]).
    pub pattern: String,
    /// allow, ask or deny.
    pub decision: Verdict,
}

/// The `[permissions]` table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PermissionsConfig {
    /// Default verdicts.
    pub mode: Mode,
    /// Sandbox strictness.
    pub sandbox: SandboxRequirement,
    /// Add the built-in secret-file deny rules ([`SECRET_PATTERNS`]).
    pub protect_secrets: bool,
    /// Environment variables passed to bash commands besides the built-in allowlist.
    pub pass_env: Vec<String>,
    /// The rules, in order.
    pub rules: Vec<RuleConfig>,
}

impl Default for PermissionsConfig {
    fn default() -> Self {
        Self {
            mode: Mode::default(),
            sandbox: SandboxRequirement::default(),
            protect_secrets: true,
            pass_env: Vec::new(),
            rules: Vec::new(),
        }
    }
}

/// A whole config file: only the `[permissions]` table is read here, other tables are ignored.
#[derive(Debug, Deserialize)]
struct File {
    #[serde(default)]
    permissions: PermissionsConfig,
}

impl PermissionsConfig {
    /// Parses the `[permissions]` table out of TOML text; `origin` names it in errors.
    pub fn from_toml(text: &str, origin: &str) -> Result<Self, PolicyError> {
        toml::from_str::<File>(text)
            .map(|f| f.permissions)
            .map_err(|e| PolicyError::Toml {
                origin: origin.to_string(),
                message: e.to_string(),
            })
    }

    /// Reads and parses a TOML file.
    pub fn load(path: &Path) -> Result<Self, PolicyError> {
        let text = std::fs::read_to_string(path).map_err(|source| PolicyError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_toml(&text, &path.display().to_string())
    }

    /// Compiles the configuration into a [`Policy`] for the workspace at `workspace`.
    pub fn compile(&self, workspace: &Path) -> Result<Policy, PolicyError> {
        let mut rules = Vec::new();
        // Built in, whatever the configuration: see [`ouro_sandbox::protected`].
        for pattern in ouro_sandbox::protected::PROTECTED_PATTERNS {
            rules.push(Rule::new(Action::Write, pattern, Verdict::Deny, None)?);
        }
        if self.protect_secrets {
            for pattern in SECRET_PATTERNS {
                match Rule::new(Action::Read, pattern, Verdict::Deny, None) {
                    Ok(rule) => rules.push(rule),
                    // Without HOME the `~/` patterns have nothing to protect.
                    Err(PolicyError::NoHome { .. }) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        for (i, r) in self.rules.iter().enumerate() {
            rules.push(Rule::new(r.action, &r.pattern, r.decision, Some(i))?);
        }
        if let Some(name) = self
            .pass_env
            .iter()
            .find(|n| crate::sandbox::env::looks_secret(n))
        {
            return Err(PolicyError::SecretEnv { name: name.clone() });
        }
        Ok(Policy::new(self.mode, self.sandbox, rules, workspace).with_pass_env(&self.pass_env))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_text_gives_defaults() {
        let c = PermissionsConfig::from_toml("", "test").unwrap();
        assert_eq!(c, PermissionsConfig::default());
        assert_eq!(c.mode, Mode::WorkspaceWrite);
    }

    #[test]
    fn parses_full_table() {
        let text = r#"
            [model]
            name = "ignored"
            [permissions]
            mode = "read-only"
            sandbox = "best-effort"
            protect_secrets = false
            [[permissions.rules]]
            action = "execute"
            pattern = "cargo test"
            decision = "allow"
            [[permissions.rules]]
            action = "read"
            pattern = "secrets/**"
            decision = "deny"
        "#;
        let c = PermissionsConfig::from_toml(text, "test").unwrap();
        assert_eq!(c.mode, Mode::ReadOnly);
        assert_eq!(c.sandbox, SandboxRequirement::BestEffort);
        assert_eq!(c.rules.len(), 2);
        let p = c.compile(Path::new("/ws")).unwrap();
        // The built-in protected paths come first, then the configured rules.
        let protected = ouro_sandbox::protected::PROTECTED_PATTERNS.len();
        assert_eq!(p.rules().len(), protected + 2);
        let d = p.check_path(Action::Read, Path::new("/ws/secrets/k"));
        assert_eq!(d.verdict, Verdict::Deny);
        assert_eq!(d.rule, "rule 1: deny read \"secrets/**\"");
    }

    #[test]
    fn secrets_are_protected_by_default() {
        let p = PermissionsConfig::default()
            .compile(Path::new("/ws"))
            .unwrap();
        let d = p.check_path(Action::Read, Path::new("/ws/.env"));
        assert_eq!(d.verdict, Verdict::Deny);
        assert!(d.rule.starts_with("built-in rule"), "{}", d.rule);
    }

    #[test]
    fn protected_paths_are_write_denied_whatever_the_config() {
        let c = PermissionsConfig {
            mode: Mode::FullAccess,
            rules: vec![RuleConfig {
                action: Action::Write,
                pattern: "**".into(),
                decision: Verdict::Allow,
            }],
            ..PermissionsConfig::default()
        };
        let p = c.compile(Path::new("/ws")).unwrap();
        for path in [
            "/ws/.git/hooks/pre-commit",
            "/ws/ouro.toml",
            "/ws/AGENTS.md",
            "/ws/.ouro/x",
        ] {
            let d = p.check_path(Action::Write, Path::new(path));
            assert_eq!(d.verdict, Verdict::Deny, "{path}");
        }
        let d = p.check_path(Action::Write, Path::new("/ws/src/main.rs"));
        assert_eq!(d.verdict, Verdict::Allow);
    }

    #[test]
    fn errors_name_the_problem() {
        let err = PermissionsConfig::from_toml("[permissions]\nmode = \"yolo\"\n", "cfg.toml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("cfg.toml") && err.contains("yolo"), "{err}");
        let err = PermissionsConfig::from_toml("[permissions]\nmod = \"read-only\"\n", "c")
            .unwrap_err()
            .to_string();
        assert!(err.contains("mod"), "{err}");
        let text =
            "[[permissions.rules]]\naction = \"read\"\npattern = \"a[\"\ndecision = \"deny\"\n";
        let c = PermissionsConfig::from_toml(text, "c").unwrap();
        assert!(c.compile(Path::new("/ws")).is_err());
    }
}
