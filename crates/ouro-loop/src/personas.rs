//! Building the coder and judge from `[loop.coder]` and `[loop.judge]`, as factories so
//! each worker gets its own (and so other crates can plug in agent-backed ones).

use std::path::Path;
use std::sync::Arc;

use crate::LoopError;
use crate::coder::{Coder, CommandCoder};
use crate::config::{LoopConfig, PersonaConfig};
use crate::judge::{AutoJudge, CommandJudge, Judge};

/// Makes a coder for one worker.
pub type CoderFactory = Arc<dyn Fn() -> Result<Box<dyn Coder>, LoopError> + Send + Sync>;
/// Makes a judge for one worker.
pub type JudgeFactory = Arc<dyn Fn() -> Result<Box<dyn Judge>, LoopError> + Send + Sync>;

/// Builds a coder factory from its persona's settings (an error says what is wrong).
pub type CoderBuilder = Arc<dyn Fn(&PersonaConfig) -> Result<CoderFactory, String> + Send + Sync>;

/// Coder kinds that other crates provide (ouro's in-process repair coder, for one), and the
/// kind used when `[loop.coder]` names none.
#[derive(Clone, Default)]
pub struct CoderKinds {
    kinds: Vec<(String, CoderBuilder)>,
    default: Option<String>,
}

impl CoderKinds {
    /// Adds kind `name`.
    pub fn with(mut self, name: &str, builder: CoderBuilder) -> CoderKinds {
        self.kinds.push((name.to_string(), builder));
        self
    }

    /// Makes `name` the kind of a `[loop.coder]` that sets neither `kind` nor `command`.
    pub fn default_kind(mut self, name: &str) -> CoderKinds {
        self.default = Some(name.to_string());
        self
    }

    fn get(&self, name: &str) -> Option<&CoderBuilder> {
        self.kinds.iter().find(|(n, _)| n == name).map(|(_, b)| b)
    }

    fn names(&self) -> String {
        let mut names = vec!["\"agent\"".to_string(), "\"command\"".to_string()];
        names.extend(self.kinds.iter().map(|(n, _)| format!("{n:?}")));
        names.join(", ")
    }
}

/// The coder and judge factories a loop runs with.
#[derive(Clone)]
pub struct Personas {
    /// The coder.
    pub coder: CoderFactory,
    /// The judge.
    pub judge: JudgeFactory,
}

impl std::fmt::Debug for Personas {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Personas")
    }
}

impl Personas {
    /// The personas `config` describes (`origin` names the config file in errors).
    ///
    /// Coder kinds: `command` (the default when `command` is set) and `agent` (ouro's own
    /// coding agent, `ouro agent`, run headless in the worktree with the persona's provider
    /// and model; its JSONL transcript is the attempt's log). Judge kinds: `auto` (the
    /// default) and `command`.
    pub fn from_config(config: &LoopConfig, origin: &Path) -> Result<Personas, LoopError> {
        Personas::from_config_with(config, origin, &CoderKinds::default())
    }

    /// As [`Personas::from_config`], with the coder kinds of `kinds` too.
    pub fn from_config_with(
        config: &LoopConfig,
        origin: &Path,
        kinds: &CoderKinds,
    ) -> Result<Personas, LoopError> {
        let bad = |reason: String| LoopError::Config {
            path: origin.to_path_buf(),
            reason,
        };
        let coder: CoderFactory = match persona_kind(&config.coder, kinds.default.as_deref()) {
            Some("command") => {
                let (command, timeout) = command_of(&config.coder, "coder").map_err(bad)?;
                Arc::new(move || Ok(Box::new(CommandCoder::new(command.clone(), timeout)) as _))
            }
            Some("agent") => {
                let command = agent_command(&config.coder).map_err(bad)?;
                let timeout = config.coder.timeout();
                Arc::new(move || Ok(Box::new(CommandCoder::new(command.clone(), timeout)) as _))
            }
            None => {
                return Err(bad(
                    "no coder configured: set [loop.coder] kind = \"agent\" (or \"command\" with command = \"...\")"
                        .into(),
                ));
            }
            Some(other) => match kinds.get(other) {
                Some(build) => build(&config.coder).map_err(bad)?,
                None => {
                    return Err(bad(format!(
                        "[loop.coder] kind = {other:?} is unknown (known: {})",
                        kinds.names()
                    )));
                }
            },
        };
        let judge: JudgeFactory = match persona_kind(&config.judge, Some("auto")) {
            Some("auto") => Arc::new(|| Ok(Box::new(AutoJudge) as _)),
            Some("command") => {
                let (command, timeout) = command_of(&config.judge, "judge").map_err(bad)?;
                Arc::new(move || Ok(Box::new(CommandJudge::new(command.clone(), timeout)) as _))
            }
            other => {
                return Err(bad(format!(
                    "[loop.judge] kind = {:?} is unknown (known: \"auto\", \"command\")",
                    other.unwrap_or_default()
                )));
            }
        };
        Ok(Personas { coder, judge })
    }
}

/// The persona's kind: as set, else `command` when a command is set, else `default`.
fn persona_kind<'a>(persona: &'a PersonaConfig, default: Option<&'a str>) -> Option<&'a str> {
    match (&persona.kind, &persona.command) {
        (Some(kind), _) => Some(kind.as_str()),
        (None, Some(_)) => Some("command"),
        (None, None) => default,
    }
}

/// The shell command of an agent-backed coder: this `ouro` binary (or `$OURO_BIN`) running
/// `ouro agent` headless in the worktree, on the task and, after a failed attempt, on the
/// fed-back errors.
pub fn agent_command(persona: &PersonaConfig) -> Result<String, String> {
    let exe = match std::env::var_os("OURO_BIN") {
        Some(bin) => std::path::PathBuf::from(bin),
        None => std::env::current_exe().map_err(|e| {
            format!("[loop.coder] kind = \"agent\": cannot find the ouro binary: {e}")
        })?,
    };
    let mut args = vec![
        shell_quote(&exe.to_string_lossy()),
        "agent --json --workspace \"$OURO_WORKTREE\"".to_string(),
    ];
    if let Some(provider) = &persona.provider {
        args.push(format!("--provider {}", shell_quote(provider)));
    }
    if let Some(model) = &persona.model {
        args.push(format!("--model {}", shell_quote(model)));
    }
    if let Some(n) = persona.max_iterations {
        args.push(format!("--max-iterations {n}"));
    }
    args.push(
        "-p \"$OURO_TASK_TITLE\n\n$OURO_TASK_DESCRIPTION${OURO_BASELINE_FAILURE:+\n\nThe tests \
         fail now:\n$OURO_BASELINE_FAILURE}${OURO_FEEDBACK:+\n\nThe previous attempt failed; fix \
         this:\n$OURO_FEEDBACK}\""
            .to_string(),
    );
    Ok(args.join(" "))
}

/// `text` quoted for `sh`.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

fn command_of(
    persona: &PersonaConfig,
    role: &str,
) -> Result<(String, std::time::Duration), String> {
    match &persona.command {
        Some(command) if !command.trim().is_empty() => Ok((command.clone(), persona.timeout())),
        _ => Err(format!(
            "[loop.{role}] kind = \"command\" needs command = \"...\""
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> LoopConfig {
        LoopConfig::from_toml(text, Path::new("ouro.toml")).expect("parse")
    }

    #[test]
    fn builds_command_coder_and_auto_judge() {
        let personas = Personas::from_config(
            &config("[loop.coder]\ncommand = \"true\""),
            Path::new("ouro.toml"),
        )
        .expect("personas");
        assert!((personas.coder)().is_ok());
        assert!((personas.judge)().is_ok());
    }

    #[test]
    fn agent_coder_runs_ouro_agent_in_the_worktree() {
        let persona = PersonaConfig {
            kind: Some("agent".into()),
            provider: Some("local".into()),
            model: Some("it's.gguf".into()),
            max_iterations: Some(4),
            ..PersonaConfig::default()
        };
        let command = agent_command(&persona).expect("command");
        assert!(command.contains(" agent --json --workspace \"$OURO_WORKTREE\""));
        assert!(command.contains("--provider 'local' --model 'it'\\''s.gguf' --max-iterations 4"));
        assert!(command.contains("$OURO_FEEDBACK"));
    }

    #[test]
    fn other_crates_add_coder_kinds_and_the_default() {
        let seen = Arc::new(std::sync::Mutex::new(None));
        let record = seen.clone();
        let kinds = CoderKinds::default()
            .with(
                "repair",
                Arc::new(move |persona: &PersonaConfig| {
                    *record.lock().expect("lock") = persona.model.clone();
                    let factory: CoderFactory = Arc::new(|| {
                        Ok(
                            Box::new(CommandCoder::new("true", std::time::Duration::from_secs(5)))
                                as _,
                        )
                    });
                    Ok(factory)
                }),
            )
            .default_kind("repair");
        let personas = Personas::from_config_with(
            &config("[loop.coder]\nmodel = \"m.gguf\""),
            Path::new("ouro.toml"),
            &kinds,
        )
        .expect("the default kind is used");
        assert!((personas.coder)().is_ok());
        assert_eq!(seen.lock().expect("lock").as_deref(), Some("m.gguf"));
        let err = Personas::from_config_with(
            &config("[loop.coder]\nkind = \"robot\""),
            Path::new("ouro.toml"),
            &kinds,
        )
        .expect_err("unknown");
        assert!(err.to_string().contains("\"repair\""), "{err}");
    }

    #[test]
    fn explains_missing_or_unknown_personas() {
        for (text, needle) in [
            ("", "no coder configured"),
            ("[loop.coder]\nkind = \"robot\"", "robot"),
            ("[loop.coder]\nkind = \"command\"", "needs command"),
            (
                "[loop.coder]\ncommand = \"x\"\n[loop.judge]\nkind = \"gut\"",
                "gut",
            ),
        ] {
            let err = Personas::from_config(&config(text), Path::new("ouro.toml")).expect_err(text);
            assert!(err.to_string().contains(needle), "{err}");
        }
    }
}
