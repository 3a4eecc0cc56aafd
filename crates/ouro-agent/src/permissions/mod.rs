//! The permission policy: which actions on which resources are allowed, asked about or denied.
//!
//! A [`Policy`] is a [`Mode`] (the default verdict per [`Action`]) plus a list of [`Rule`]s,
//! each matching one action and a resource pattern:
//! - `read` / `write`: path globs (`globset` syntax, `**` crosses directories, `*` does not).
//!   Relative patterns match paths relative to the workspace root; patterns starting with `/`
//!   or `~/` match absolute paths (the sandbox uses them to hide files outside the workspace).
//! - `execute`: command prefixes matched on whole words (`cargo test` matches
//!   `cargo test -p x`, not `cargo testx`), judged on every simple command the line runs,
//!   however it is spelled (see [`command`]); the program is compared by base name, so
//!   `rm` also matches `/bin/rm`.
//! - `network`: host globs (`*.crates.io`, `localhost`), addresses in any spelling
//!   (`127.0.0.1`, `::1`) and address ranges (`10.0.0.0/8`), judged by address (see
//!   [`network`]).
//! - `gpu`, `database`: globs over device or database names.
//!
//! Among the rules that match, the most restrictive wins: deny over ask over allow. When no
//! rule matches, the mode decides. The TOML format is described in [`config`].

pub mod approver;
pub mod command;
pub mod config;
pub mod git_secrets;
mod layers;
pub mod network;

use std::fmt;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobBuilder, GlobMatcher};
use serde::{Deserialize, Serialize};

pub use approver::{Approval, ApprovalRequest, Approver, HeadlessApprover, TerminalApprover};
pub use config::{PermissionsConfig, RuleConfig, SandboxRequirement};

/// What a tool call wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Read a file or list a directory.
    Read,
    /// Create, change or delete a file.
    Write,
    /// Run a shell command.
    Execute,
    /// Reach a host over the network.
    Network,
    /// Use a GPU.
    Gpu,
    /// Use a database.
    Database,
}

impl Action {
    /// Every action, in a fixed order.
    pub const ALL: [Action; 6] = [
        Action::Read,
        Action::Write,
        Action::Execute,
        Action::Network,
        Action::Gpu,
        Action::Database,
    ];

    /// The lowercase name used in TOML and in the audit log.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Read => "read",
            Action::Write => "write",
            Action::Execute => "execute",
            Action::Network => "network",
            Action::Gpu => "gpu",
            Action::Database => "database",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A rule's or a mode's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Go ahead.
    Allow,
    /// Ask the [`Approver`].
    Ask,
    /// Refuse.
    Deny,
}

impl Verdict {
    /// The lowercase name used in TOML and in the audit log.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Allow => "allow",
            Verdict::Ask => "ask",
            Verdict::Deny => "deny",
        }
    }
}

/// How much the agent may do when no rule says otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Read anything in the workspace; no writes; commands and GPU need approval; no network.
    ReadOnly,
    /// Read and write inside the workspace, run sandboxed commands; network and databases
    /// need approval.
    #[default]
    WorkspaceWrite,
    /// Everything allowed (deny rules still apply); bash is not confined to the workspace and
    /// may use the network.
    FullAccess,
}

impl Mode {
    /// The verdict for `action` when no rule matches.
    pub fn default_verdict(self, action: Action) -> Verdict {
        use Action::*;
        use Verdict::*;
        match (self, action) {
            (Mode::FullAccess, _) => Allow,
            (_, Read) => Allow,
            (Mode::ReadOnly, Write | Network) => Deny,
            (Mode::ReadOnly, Execute | Gpu | Database) => Ask,
            (Mode::WorkspaceWrite, Write | Execute | Gpu) => Allow,
            (Mode::WorkspaceWrite, Network | Database) => Ask,
        }
    }

    /// The kebab-case name used in TOML.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::ReadOnly => "read-only",
            Mode::WorkspaceWrite => "workspace-write",
            Mode::FullAccess => "full-access",
        }
    }
}

/// A policy rule that could not be compiled.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// A glob pattern is malformed.
    #[error("permission rule {index} (`{pattern}`): bad pattern: {source}")]
    Pattern {
        /// Position of the rule in the list (0-based).
        index: usize,
        /// The pattern as written.
        pattern: String,
        /// The glob error.
        source: globset::Error,
    },
    /// An execute rule has an empty command prefix.
    #[error("permission rule {index}: empty command prefix")]
    EmptyCommand {
        /// Position of the rule in the list (0-based).
        index: usize,
    },
    /// A pattern uses `~/` but no home directory is known.
    #[error("permission rule {index} (`{pattern}`): `~` used but HOME is not set")]
    NoHome {
        /// Position of the rule in the list (0-based).
        index: usize,
        /// The pattern as written.
        pattern: String,
    },
    /// A network rule's pattern is malformed.
    #[error("permission rule {index} (`{pattern}`): bad host pattern: {message}")]
    Host {
        /// Position of the rule in the list (0-based).
        index: usize,
        /// The pattern as written.
        pattern: String,
        /// What is wrong.
        message: String,
    },
    /// `pass_env` names a variable that looks like a credential.
    #[error(
        "permissions.pass_env: `{name}` looks like a secret; ouro never passes secrets to commands"
    )]
    SecretEnv {
        /// The variable name.
        name: String,
    },
    /// The TOML text could not be parsed.
    #[error("permissions config `{origin}`: {message}")]
    Toml {
        /// Where the text came from.
        origin: String,
        /// The parser's message (with line and column).
        message: String,
    },
    /// The config file could not be read.
    #[error("permissions config `{path}`: {source}")]
    Io {
        /// The file.
        path: String,
        /// What went wrong.
        source: std::io::Error,
    },
}

/// How a rule matches its resource.
#[derive(Debug, Clone)]
enum Matcher {
    /// A path glob against the workspace-relative path.
    RelativePath(GlobMatcher),
    /// A path glob against the absolute path.
    AbsolutePath(GlobMatcher),
    /// A command prefix, matched on whole words (the first reduced to its base name).
    Command(Vec<String>),
    /// A host name glob, an address or an address range.
    Host(network::HostPattern),
    /// A glob over a name.
    Name(GlobMatcher),
}

/// How an execute rule fits one simple command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fit {
    No,
    /// It would match if a word decided at run time took the rule's value.
    Maybe,
    Yes,
}

/// One compiled rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Which action it governs.
    pub action: Action,
    /// The pattern as written (absolute form after `~` expansion).
    pub pattern: String,
    /// What it says.
    pub verdict: Verdict,
    /// Its position in the configured list, or `None` for a built-in rule.
    pub index: Option<usize>,
    matcher: Matcher,
}

impl Rule {
    /// Compiles a rule; `index` is its position in the configuration (for messages).
    pub fn new(
        action: Action,
        pattern: &str,
        verdict: Verdict,
        index: Option<usize>,
    ) -> Result<Self, PolicyError> {
        let at = index.unwrap_or(usize::MAX);
        let glob = |p: &str, literal_separator: bool| -> Result<GlobMatcher, PolicyError> {
            GlobBuilder::new(p)
                .literal_separator(literal_separator)
                .build()
                .map(|g: Glob| g.compile_matcher())
                .map_err(|source| PolicyError::Pattern {
                    index: at,
                    pattern: pattern.to_string(),
                    source,
                })
        };
        let (pattern, matcher) = match action {
            Action::Read | Action::Write => {
                let expanded = expand_home(pattern).ok_or_else(|| PolicyError::NoHome {
                    index: at,
                    pattern: pattern.to_string(),
                })?;
                if expanded.starts_with('/') {
                    let m = glob(&expanded, true)?;
                    (expanded, Matcher::AbsolutePath(m))
                } else {
                    let m = glob(&expanded, true)?;
                    (expanded, Matcher::RelativePath(m))
                }
            }
            Action::Execute => {
                let mut words: Vec<String> =
                    pattern.split_whitespace().map(str::to_string).collect();
                let Some(first) = words.first_mut() else {
                    return Err(PolicyError::EmptyCommand { index: at });
                };
                *first = command::base_name(first).to_string();
                (words.join(" "), Matcher::Command(words))
            }
            Action::Network => {
                let host =
                    network::HostPattern::new(pattern).map_err(|message| PolicyError::Host {
                        index: at,
                        pattern: pattern.to_string(),
                        message,
                    })?;
                (pattern.to_string(), Matcher::Host(host))
            }
            Action::Gpu | Action::Database => {
                (pattern.to_string(), Matcher::Name(glob(pattern, false)?))
            }
        };
        Ok(Self {
            action,
            pattern,
            verdict,
            index,
            matcher,
        })
    }

    /// A short description for the audit log: `rule 3: deny read "**/.env"`.
    pub fn describe(&self) -> String {
        let origin = match self.index {
            Some(i) => format!("rule {i}"),
            None => "built-in rule".to_string(),
        };
        format!(
            "{origin}: {} {} \"{}\"",
            self.verdict.as_str(),
            self.action,
            self.pattern
        )
    }

    /// Whether this rule's pattern covers a workspace path (`rel`) or absolute path (`abs`).
    fn matches_path(&self, rel: Option<&str>, abs: &Path) -> bool {
        match &self.matcher {
            Matcher::RelativePath(m) => rel.is_some_and(|r| m.is_match(r)),
            Matcher::AbsolutePath(m) => m.is_match(abs),
            _ => false,
        }
    }

    /// How this rule fits one simple command (its words, the program as a base name).
    fn fit_command(&self, words: &[command::Word]) -> Fit {
        let Matcher::Command(prefix) = &self.matcher else {
            return Fit::No;
        };
        if prefix.len() == 1 && prefix[0] == "*" {
            return Fit::Yes;
        }
        let mut fit = Fit::Yes;
        for (i, want) in prefix.iter().enumerate() {
            match words.get(i) {
                None => return Fit::No,
                Some(command::Word::Literal(w)) if w != want => return Fit::No,
                Some(command::Word::Literal(_)) => {}
                Some(command::Word::Dynamic(_)) => fit = Fit::Maybe,
            }
        }
        fit
    }

    /// Whether this network rule covers `target` (deny and ask rules also by the addresses
    /// their literal host names resolve to).
    fn matches_host(&self, target: &network::Target) -> bool {
        match &self.matcher {
            Matcher::Host(h) => h.matches(target, self.verdict > Verdict::Allow),
            _ => false,
        }
    }

    fn matches_name(&self, name: &str) -> bool {
        match &self.matcher {
            Matcher::Name(m) => m.is_match(name),
            _ => false,
        }
    }
}

/// A simple command's words as one line, for messages.
fn shown(words: &[command::Word]) -> String {
    words
        .iter()
        .map(command::Word::shown)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Expands a leading `~/` with `$HOME`; `None` if `~` is used and HOME is unset.
fn expand_home(pattern: &str) -> Option<String> {
    match pattern.strip_prefix("~/") {
        Some(rest) => {
            let home = std::env::var_os("HOME")?;
            Some(format!("{}/{rest}", Path::new(&home).display()))
        }
        None => Some(pattern.to_string()),
    }
}

/// The outcome of evaluating one action on one resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The verdict (before any approver is asked).
    pub verdict: Verdict,
    /// Which rule decided, in words (for the audit log).
    pub rule: String,
}

/// Files hidden by default when `protect_secrets` is on (reads denied, in tools, in bash and
/// through git, see [`git_secrets`]). SSH private keys are named by key type (`id_rsa`,
/// `id_ed25519`...) rather than `id_*`, which would also hide source files such as
/// `id_map.rs`; public keys (`id_*.pub`) stay readable.
pub const SECRET_PATTERNS: [&str; 22] = [
    "**/.env",
    "**/.env.*",
    "**/.envrc",
    "**/*.pem",
    "**/*.key",
    "**/id_{rsa,dsa,ecdsa,ed25519,ecdsa_sk,ed25519_sk,xmss}",
    "**/.netrc",
    "**/.npmrc",
    "**/.pypirc",
    "**/.aws/credentials",
    "**/.config/gcloud/**",
    "**/.kube/config",
    "**/.docker/config.json",
    "~/.ssh/**",
    "~/.aws/**",
    "~/.gnupg/**",
    "~/.config/gh/**",
    "~/.config/gcloud/**",
    "~/.kube/config",
    "~/.docker/config.json",
    "~/.netrc",
    "~/.git-credentials",
];

/// A compiled policy bound to a workspace root.
#[derive(Debug, Clone)]
pub struct Policy {
    mode: Mode,
    sandbox: SandboxRequirement,
    rules: Vec<Rule>,
    workspace: PathBuf,
    pass_env: Vec<String>,
}

impl Policy {
    /// A policy from its parts. `workspace` must be canonical (see [`crate::Workspace`]).
    pub fn new(
        mode: Mode,
        sandbox: SandboxRequirement,
        rules: Vec<Rule>,
        workspace: &Path,
    ) -> Self {
        Self {
            mode,
            sandbox,
            rules,
            workspace: workspace.to_path_buf(),
            pass_env: Vec::new(),
        }
    }

    /// The policy passing these environment variables to commands besides the built-in
    /// allowlist (see [`crate::sandbox::env`]).
    pub fn with_pass_env(mut self, names: &[String]) -> Self {
        self.pass_env = names.to_vec();
        self
    }

    /// Environment variables passed to commands besides the built-in allowlist.
    pub fn pass_env(&self) -> &[String] {
        &self.pass_env
    }

    /// The mode.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// How strictly the sandbox is required.
    pub fn sandbox_requirement(&self) -> SandboxRequirement {
        self.sandbox
    }

    /// The workspace root this policy is bound to.
    pub fn workspace(&self) -> &Path {
        &self.workspace
    }

    /// The rules, built-in ones first.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Evaluates a read or write of the absolute path `abs`.
    pub fn check_path(&self, action: Action, abs: &Path) -> Decision {
        let rel = abs
            .strip_prefix(&self.workspace)
            .ok()
            .map(|r| r.to_string_lossy().into_owned());
        let rel = rel.map(|r| if r.is_empty() { ".".to_string() } else { r });
        self.decide(action, |rule| rule.matches_path(rel.as_deref(), abs))
    }

    /// Whether reading `abs` is denied outright (used to skip files while searching).
    pub fn read_denied(&self, abs: &Path) -> bool {
        self.check_path(Action::Read, abs).verdict == Verdict::Deny
    }

    /// Evaluates running a shell command, judged on every simple command it runs (see
    /// [`command::analyse`]): a deny rule matching any of them denies, one that might match
    /// a word decided at run time asks; an allow rule counts only if allow rules match every
    /// command and the line has no substitutions. A line that cannot be fully resolved is
    /// asked about whenever any execute rule exists. Commands that could print a read-denied
    /// file that git holds are denied (see [`git_secrets`]).
    pub fn check_command(&self, cmd: &str) -> Decision {
        let analysis = command::analyse(cmd);
        let rules: Vec<&Rule> = self
            .rules
            .iter()
            .filter(|r| r.action == Action::Execute)
            .collect();
        let mut worst: Option<Decision> = None;
        let mut raise = |verdict: Verdict, rule: String| {
            if worst.as_ref().is_none_or(|w| verdict > w.verdict) {
                worst = Some(Decision { verdict, rule });
            }
        };
        let mut all_allowed = !analysis.commands.is_empty()
            && !analysis.has_substitution
            && analysis.unresolved.is_empty();
        let mut allow_rule = None;
        for words in &analysis.commands {
            let mut allowed = false;
            for rule in &rules {
                match (rule.fit_command(words), rule.verdict) {
                    (Fit::No, _) => {}
                    (Fit::Yes, Verdict::Allow) => {
                        allowed = true;
                        allow_rule.get_or_insert_with(|| rule.describe());
                    }
                    (Fit::Maybe, Verdict::Allow) => {}
                    (Fit::Yes, v) => raise(v, rule.describe()),
                    (Fit::Maybe, _) => raise(
                        Verdict::Ask,
                        format!(
                            "{} may match `{}` (a word is decided at run time)",
                            rule.describe(),
                            shown(words)
                        ),
                    ),
                }
            }
            all_allowed &= allowed;
        }
        if let Some(why) = analysis.unresolved.first()
            && !rules.is_empty()
        {
            raise(
                Verdict::Ask,
                format!("execute rules cannot be checked: {why}"),
            );
        }
        if let Some(why) = self.git_leak(&analysis.commands) {
            raise(Verdict::Deny, why);
        }
        if let Some(decision) = worst {
            return decision;
        }
        if all_allowed && let Some(rule) = allow_rule {
            return Decision {
                verdict: Verdict::Allow,
                rule,
            };
        }
        self.mode_default(Action::Execute)
    }

    /// Why one of `commands` would let git print a read-denied file, if it would.
    fn git_leak(&self, commands: &[Vec<command::Word>]) -> Option<String> {
        let sub = commands
            .iter()
            .filter(|w| w.first().and_then(command::Word::literal) == Some("git"))
            .find_map(|w| git_secrets::prints_contents(w))?;
        let path = git_secrets::tracked_denied_path(&self.workspace, |p| self.read_denied(p))?;
        let rule = self.check_path(Action::Read, &path).rule;
        let shown = path
            .strip_prefix(&self.workspace)
            .unwrap_or(&path)
            .display()
            .to_string();
        Some(format!(
            "{rule}: the repository holds `{shown}` and `git {sub}` can print stored file contents"
        ))
    }

    /// Evaluates reaching a network target, by name and by every address it resolves to.
    pub fn check_host(&self, target: &network::Target) -> Decision {
        self.decide(Action::Network, |rule| rule.matches_host(target))
    }

    /// Evaluates giving a command the whole network (bash with `network: true`). When any
    /// rule names particular hosts the answer is deny: the sandbox can only switch the network
    /// on or off, and ouro has no filtering proxy that could hold bash to those hosts.
    pub fn check_any_host(&self) -> Decision {
        let network = || self.rules.iter().filter(|r| r.action == Action::Network);
        if let Some(rule) = network().find(|r| r.pattern != "*") {
            let rule = if let Some(deny) = network().find(|r| r.verdict == Verdict::Deny) {
                deny
            } else {
                rule
            };
            return Decision {
                verdict: Verdict::Deny,
                rule: format!(
                    "{} limits the network to particular hosts, and bash cannot be held to \
                     them (ouro has no filtering proxy), so bash gets no network; use fetch_url",
                    rule.describe()
                ),
            };
        }
        self.decide(Action::Network, |_| true)
    }

    /// Evaluates a GPU or database action on a named resource (device, database name), or a
    /// network action on a host written as text, without resolving it (tools that connect
    /// use [`Policy::check_host`] with the addresses they will connect to).
    pub fn check_name(&self, action: Action, name: &str) -> Decision {
        if action == Action::Network {
            return self.check_host(&network::Target::unresolved(name));
        }
        self.decide(action, |rule| rule.matches_name(name))
    }

    fn decide(&self, action: Action, matches: impl Fn(&Rule) -> bool) -> Decision {
        self.rules
            .iter()
            .filter(|r| r.action == action && matches(r))
            .max_by_key(|r| r.verdict)
            .map(|r| Decision {
                verdict: r.verdict,
                rule: r.describe(),
            })
            .unwrap_or_else(|| self.mode_default(action))
    }

    fn mode_default(&self, action: Action) -> Decision {
        Decision {
            verdict: self.mode.default_verdict(action),
            rule: format!("mode {} default for {action}", self.mode.as_str()),
        }
    }

    /// Patterns of `action` rules whose verdict is deny (used by the sandbox).
    pub fn deny_path_patterns(&self, action: Action) -> impl Iterator<Item = &Rule> {
        self.rules
            .iter()
            .filter(move |r| r.action == action && r.verdict == Verdict::Deny)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(mode: Mode, rules: &[(Action, &str, Verdict)]) -> Policy {
        let rules = rules
            .iter()
            .enumerate()
            .map(|(i, (a, p, v))| Rule::new(*a, p, *v, Some(i)).unwrap())
            .collect();
        Policy::new(mode, SandboxRequirement::Required, rules, Path::new("/ws"))
    }

    #[test]
    fn mode_defaults_apply_without_rules() {
        let p = policy(Mode::ReadOnly, &[]);
        assert_eq!(
            p.check_path(Action::Write, Path::new("/ws/a")).verdict,
            Verdict::Deny
        );
        assert_eq!(
            p.check_path(Action::Read, Path::new("/ws/a")).verdict,
            Verdict::Allow
        );
        let p = policy(Mode::WorkspaceWrite, &[]);
        assert_eq!(
            p.check_path(Action::Write, Path::new("/ws/a")).verdict,
            Verdict::Allow
        );
        assert_eq!(
            p.check_name(Action::Network, "example.com").verdict,
            Verdict::Ask
        );
        let d = p.check_name(Action::Database, "x");
        assert_eq!(d.rule, "mode workspace-write default for database");
    }

    #[test]
    fn deny_wins_over_allow_regardless_of_order() {
        let p = policy(
            Mode::FullAccess,
            &[
                (Action::Read, "**", Verdict::Allow),
                (Action::Read, "**/.env", Verdict::Deny),
                (Action::Read, "src/**", Verdict::Ask),
            ],
        );
        let d = p.check_path(Action::Read, Path::new("/ws/sub/.env"));
        assert_eq!(d.verdict, Verdict::Deny);
        assert_eq!(d.rule, "rule 1: deny read \"**/.env\"");
        assert_eq!(
            p.check_path(Action::Read, Path::new("/ws/.env")).verdict,
            Verdict::Deny
        );
        assert_eq!(
            p.check_path(Action::Read, Path::new("/ws/src/a")).verdict,
            Verdict::Ask
        );
        assert_eq!(
            p.check_path(Action::Read, Path::new("/ws/b")).verdict,
            Verdict::Allow
        );
    }

    #[test]
    fn absolute_patterns_match_absolute_paths() {
        let p = policy(
            Mode::FullAccess,
            &[(Action::Read, "/etc/shadow", Verdict::Deny)],
        );
        assert_eq!(
            p.check_path(Action::Read, Path::new("/etc/shadow")).verdict,
            Verdict::Deny
        );
        assert_eq!(
            p.check_path(Action::Read, Path::new("/ws/etc/shadow"))
                .verdict,
            Verdict::Allow
        );
    }

    #[test]
    fn command_prefixes_match_whole_words_and_every_part() {
        let p = policy(
            Mode::ReadOnly,
            &[
                (Action::Execute, "cargo test", Verdict::Allow),
                (Action::Execute, "git status", Verdict::Allow),
                (Action::Execute, "rm", Verdict::Deny),
            ],
        );
        assert_eq!(p.check_command("cargo test -p x").verdict, Verdict::Allow);
        assert_eq!(p.check_command("cargo testx").verdict, Verdict::Ask);
        assert_eq!(
            p.check_command("git status && cargo test").verdict,
            Verdict::Allow
        );
        assert_eq!(
            p.check_command("git status && curl x").verdict,
            Verdict::Ask
        );
        assert_eq!(
            p.check_command("cargo test; rm -rf /").verdict,
            Verdict::Deny
        );
        assert_eq!(
            p.check_command("cargo test $(rm -rf /)").verdict,
            Verdict::Deny
        );
        assert_eq!(
            p.check_command("cargo test $(git status)").verdict,
            Verdict::Ask
        );
    }

    #[test]
    fn hosts_match_globs() {
        let p = policy(
            Mode::WorkspaceWrite,
            &[(Action::Network, "*.crates.io", Verdict::Allow)],
        );
        assert_eq!(
            p.check_name(Action::Network, "index.crates.io").verdict,
            Verdict::Allow
        );
        assert_eq!(
            p.check_name(Action::Network, "evil.com").verdict,
            Verdict::Ask
        );
    }

    #[test]
    fn bad_patterns_are_reported_with_their_index() {
        let err = Rule::new(Action::Read, "a[", Verdict::Deny, Some(4)).unwrap_err();
        assert!(err.to_string().contains("rule 4"), "{err}");
        assert!(Rule::new(Action::Execute, "  ", Verdict::Deny, Some(0)).is_err());
    }
}
