//! The `[agent]` table of `ouro.toml`: provider, model, loop limits and session settings.
//! Every key is optional; command-line flags override it, and the defaults apply last.
//!
//! ```toml
//! [agent]
//! provider = "openai"                  # openai | local
//! base_url = "http://127.0.0.1:8080"   # any OpenAI-compatible server
//! model = "default"
//! api_key_env = "OPENAI_API_KEY"       # read the bearer token from this variable
//! tool_calls = "native"                # native | text
//! max_iterations = 50
//! context_tokens = 32000               # compaction starts above this estimate
//! keep_turns = 4                       # turns kept whole when compacting
//! temperature = 0.2
//! max_tokens = 2048
//! fsync = "always"                     # always | never | every:<n> | interval:<ms>
//! connect_timeout_secs = 10
//! read_timeout_secs = 300
//! max_retries = 4
//! ```
//!
//! Unknown keys are errors, so a misspelt key is never silently ignored.

use std::path::Path;

use serde::Deserialize;

use crate::provider::ToolCallMode;

/// Which provider runs the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderKind {
    /// An OpenAI-compatible HTTP server.
    #[default]
    Openai,
    /// ouro's own engine, in process.
    Local,
}

impl std::str::FromStr for ProviderKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "openai" => Ok(Self::Openai),
            "local" => Ok(Self::Local),
            other => Err(format!(
                "unknown provider `{other}` (expected openai or local)"
            )),
        }
    }
}

/// The `[agent]` table.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AgentFileConfig {
    /// Which provider.
    pub provider: Option<ProviderKind>,
    /// The server's base URL.
    pub base_url: Option<String>,
    /// The model name.
    pub model: Option<String>,
    /// The environment variable holding the API key.
    pub api_key_env: Option<String>,
    /// Native or text tool calls.
    pub tool_calls: Option<ToolCallMode>,
    /// Model replies per task.
    pub max_iterations: Option<u32>,
    /// Context budget in tokens.
    pub context_tokens: Option<u64>,
    /// Turns kept whole when compacting.
    pub keep_turns: Option<usize>,
    /// Sampling temperature.
    pub temperature: Option<f32>,
    /// Tokens per reply.
    pub max_tokens: Option<u32>,
    /// The journal's fsync policy.
    pub fsync: Option<String>,
    /// Connection timeout.
    pub connect_timeout_secs: Option<u64>,
    /// Read (idle) timeout.
    pub read_timeout_secs: Option<u64>,
    /// Retries of 429/5xx/connection failures.
    pub max_retries: Option<u32>,
}

/// The configuration file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Reading failed.
    #[error("config `{path}`: {source}")]
    Io {
        /// The file.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The TOML is invalid or has unknown keys.
    #[error("config `{origin}`: {message}")]
    Toml {
        /// The file.
        origin: String,
        /// What is wrong.
        message: String,
    },
}

#[derive(Deserialize)]
struct File {
    #[serde(default)]
    agent: AgentFileConfig,
}

impl AgentFileConfig {
    /// Parses the `[agent]` table out of TOML text (other tables are ignored).
    pub fn from_toml(text: &str, origin: &str) -> Result<Self, ConfigError> {
        toml::from_str::<File>(text)
            .map(|f| f.agent)
            .map_err(|e| ConfigError::Toml {
                origin: origin.to_string(),
                message: e.to_string(),
            })
    }

    /// Reads the `[agent]` table of the file at `path`.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_toml(&text, &path.display().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_agent_table_and_ignores_others() {
        let c = AgentFileConfig::from_toml(
            "[permissions]\nmode = \"read-only\"\n[agent]\nprovider = \"local\"\ntool_calls = \"text\"\nmax_iterations = 7\nfsync = \"every:4\"\n",
            "t",
        )
        .unwrap();
        assert_eq!(c.provider, Some(ProviderKind::Local));
        assert_eq!(c.tool_calls, Some(ToolCallMode::Text));
        assert_eq!(c.max_iterations, Some(7));
        assert_eq!(
            AgentFileConfig::from_toml("", "t").unwrap(),
            AgentFileConfig::default()
        );
    }

    #[test]
    fn unknown_keys_and_values_are_errors() {
        let err =
            AgentFileConfig::from_toml("[agent]\nmax_iteration = 3\n", "ouro.toml").unwrap_err();
        assert!(err.to_string().contains("max_iteration") && err.to_string().contains("ouro.toml"));
        assert!(AgentFileConfig::from_toml("[agent]\nprovider = \"x\"\n", "t").is_err());
        assert!("remote".parse::<ProviderKind>().is_err());
    }
}
