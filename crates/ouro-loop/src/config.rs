//! The `[loop]` table of `ouro.toml`: the loop's settings and its coder and judge personas.
//!
//! Every key has a default; the README lists them. Other tables of the file belong to
//! other parts of ouro and are ignored here.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::LoopError;

/// Name of the config file in a repository.
pub const CONFIG_FILE: &str = "ouro.toml";

/// The `[loop]` table.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LoopConfig {
    /// Branch that accepted work is promoted to (default: the repository's current branch).
    pub target_branch: Option<String>,
    /// The repository's own test command, run in the worktree after the task's tests.
    pub test_command: Option<String>,
    /// Timeout of each test command, seconds.
    pub test_timeout_s: f64,
    /// Coder attempts per run (each failing attempt's errors are fed to the next).
    pub max_attempts: u32,
    /// Run the tests on the untouched worktree first and show the first attempt their
    /// failing output.
    pub baseline_tests: bool,
    /// Keep the branches of failed and rejected runs (with their work committed).
    pub keep_branches: bool,
    /// Worker threads.
    pub workers: usize,
    /// With `--forever`: seconds between polls of an empty queue.
    pub interval_s: f64,
    /// Lease length, seconds; heartbeats renew it every third of that.
    pub lease_s: f64,
    /// Bytes of failing test output fed back to the coder.
    pub feedback_bytes: usize,
    /// A task file (`auto_tasks.json`) whose new tasks are imported while the loop runs.
    pub watch_file: Option<PathBuf>,
    /// Supervisor: worker restarts allowed within `restart_period_s` before giving up.
    pub max_restarts: usize,
    /// Supervisor: the period, seconds.
    pub restart_period_s: f64,
    /// The coder persona (`[loop.coder]`).
    pub coder: PersonaConfig,
    /// The judge persona (`[loop.judge]`).
    pub judge: PersonaConfig,
    /// How strictly the task's tests, the test command and the judge's command (which run
    /// the agent's code) must be sandboxed: `required` (the default: refuse to run them
    /// unconfined), `best-effort` (say on stderr what is missing) or `off`.
    pub sandbox: ouro_sandbox::SandboxRequirement,
}

impl Default for LoopConfig {
    fn default() -> Self {
        LoopConfig {
            target_branch: None,
            test_command: None,
            test_timeout_s: 600.0,
            max_attempts: 4,
            baseline_tests: true,
            keep_branches: false,
            workers: 1,
            interval_s: 5.0,
            lease_s: 30.0,
            feedback_bytes: 4000,
            watch_file: None,
            max_restarts: 5,
            restart_period_s: 60.0,
            coder: PersonaConfig::default(),
            judge: PersonaConfig::default(),
            sandbox: ouro_sandbox::SandboxRequirement::default(),
        }
    }
}

/// A persona: `[loop.coder]` or `[loop.judge]`.
///
/// `kind = "command"` runs `command` with `sh -c` in the task's worktree (see
/// [`crate::coder::CommandCoder`] and [`crate::judge::CommandJudge`]); the judge also has
/// `kind = "auto"` (the default: accept when the tests pass). `provider`, `model`,
/// `temperature` and `system_prompt` describe the model of agent-backed personas.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PersonaConfig {
    /// Which implementation.
    pub kind: Option<String>,
    /// The shell command of `kind = "command"`.
    pub command: Option<String>,
    /// Timeout of one coder attempt or review, seconds.
    pub timeout_s: f64,
    /// The model provider of an agent-backed persona.
    pub provider: Option<String>,
    /// Its model.
    pub model: Option<String>,
    /// Its sampling temperature.
    pub temperature: Option<f32>,
    /// Its system prompt.
    pub system_prompt: Option<String>,
    /// Most model replies per attempt of an agent-backed coder.
    pub max_iterations: Option<u32>,
    /// The reply format of the repair coder: `auto` (the default: the whole file when the files
    /// to edit are small and shown whole, else SEARCH/REPLACE), `search-replace` or `whole-file`.
    pub format: Option<String>,
}

impl Default for PersonaConfig {
    fn default() -> Self {
        PersonaConfig {
            kind: None,
            command: None,
            timeout_s: 1800.0,
            provider: None,
            model: None,
            temperature: None,
            system_prompt: None,
            max_iterations: None,
            format: None,
        }
    }
}

#[derive(Deserialize)]
struct File {
    #[serde(default, rename = "loop")]
    loop_: Option<LoopConfig>,
}

impl LoopConfig {
    /// Parses the `[loop]` table of a config file's text (`origin` names it in errors).
    pub fn from_toml(text: &str, origin: &Path) -> Result<LoopConfig, LoopError> {
        let file: File = toml::from_str(text).map_err(|e| LoopError::Config {
            path: origin.to_path_buf(),
            reason: e.to_string(),
        })?;
        let config = file.loop_.unwrap_or_default();
        config.validate(origin)?;
        Ok(config)
    }

    /// Loads `explicit` if given (it must exist), else `<repo>/ouro.toml` if it exists,
    /// else the defaults.
    pub fn load(repo: &Path, explicit: Option<&Path>) -> Result<LoopConfig, LoopError> {
        let path = match explicit {
            Some(path) => path.to_path_buf(),
            None => {
                let path = repo.join(CONFIG_FILE);
                if !path.exists() {
                    return Ok(LoopConfig::default());
                }
                path
            }
        };
        let text = fs::read_to_string(&path).map_err(|e| LoopError::io("read", &path, e))?;
        LoopConfig::from_toml(&text, &path)
    }

    fn validate(&self, origin: &Path) -> Result<(), LoopError> {
        let bad = |reason: String| {
            Err(LoopError::Config {
                path: origin.to_path_buf(),
                reason,
            })
        };
        let seconds = [
            ("test_timeout_s", self.test_timeout_s),
            ("interval_s", self.interval_s),
            ("lease_s", self.lease_s),
            ("restart_period_s", self.restart_period_s),
            ("coder.timeout_s", self.coder.timeout_s),
            ("judge.timeout_s", self.judge.timeout_s),
        ];
        for (key, value) in seconds {
            if !(value.is_finite() && value > 0.0 && value < 1e9) {
                return bad(format!(
                    "[loop] {key} = {value} must be a positive number of seconds"
                ));
            }
        }
        if self.max_attempts == 0 {
            return bad("[loop] max_attempts must be at least 1".into());
        }
        if self.workers == 0 {
            return bad("[loop] workers must be at least 1".into());
        }
        if let Some(branch) = &self.target_branch
            && (branch.is_empty()
                || branch.starts_with('-')
                || branch.contains(char::is_whitespace))
        {
            return bad(format!(
                "[loop] target_branch {branch:?} is not a branch name"
            ));
        }
        Ok(())
    }

    /// `test_timeout_s` as a duration.
    pub fn test_timeout(&self) -> Duration {
        Duration::from_secs_f64(self.test_timeout_s)
    }

    /// `lease_s` as a duration.
    pub fn lease(&self) -> Duration {
        Duration::from_secs_f64(self.lease_s)
    }

    /// `interval_s` as a duration.
    pub fn interval(&self) -> Duration {
        Duration::from_secs_f64(self.interval_s)
    }
}

impl PersonaConfig {
    /// `timeout_s` as a duration.
    pub fn timeout(&self) -> Duration {
        Duration::from_secs_f64(self.timeout_s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_without_a_loop_table() {
        let config = LoopConfig::from_toml("[permissions]\nx = 1\n", Path::new("ouro.toml"))
            .expect("other tables are ignored");
        assert_eq!(config, LoopConfig::default());
        assert_eq!(config.max_attempts, 4);
    }

    #[test]
    fn reads_keys_and_personas() {
        let text = r#"
            [loop]
            target_branch = "main"
            test_command = "cargo test"
            max_attempts = 2
            keep_branches = true
            [loop.coder]
            kind = "command"
            command = "./agent.sh"
            model = "smollm2"
            temperature = 0.2
            [loop.judge]
            kind = "auto"
        "#;
        let config = LoopConfig::from_toml(text, Path::new("ouro.toml")).expect("parse");
        assert_eq!(config.target_branch.as_deref(), Some("main"));
        assert_eq!(config.max_attempts, 2);
        assert!(config.keep_branches);
        assert_eq!(config.coder.command.as_deref(), Some("./agent.sh"));
        assert_eq!(config.coder.temperature, Some(0.2));
        assert_eq!(config.judge.kind.as_deref(), Some("auto"));
    }

    #[test]
    fn bad_values_name_the_file_and_key() {
        for (text, needle) in [
            ("[loop]\nmax_attempts = 0", "max_attempts"),
            ("[loop]\nlease_s = -1", "lease_s"),
            ("[loop]\nbogus = 1", "bogus"),
            ("[loop.coder]\ntimeout_s = 0", "coder.timeout_s"),
        ] {
            let err = LoopConfig::from_toml(text, Path::new("/r/ouro.toml")).expect_err(text);
            let msg = err.to_string();
            assert!(
                msg.contains("/r/ouro.toml") && msg.contains(needle),
                "{msg}"
            );
        }
    }
}
