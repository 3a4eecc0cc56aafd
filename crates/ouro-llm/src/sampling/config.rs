//! Sampling settings ([`SamplingConfig`], [`Mirostat`]), their defaults (llama.cpp's) and
//! their validation ([`SamplingError`]).

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The seed [`SamplingConfig::default`] uses. ouro always seeds its generator from the
/// config, so the same config and logits give the same tokens; pick another seed (for
/// example from the clock) for varied output. (llama.cpp's default draws a random seed.)
pub const DEFAULT_SEED: u64 = 0;

/// Mirostat: adaptive truncation that steers the surprise of the sampled tokens towards
/// `tau` (bits), learning at rate `eta`. When on, it replaces the filter chain: the logits
/// are scaled by the temperature and then mirostat alone picks the token (as in llama.cpp,
/// where no penalties or other filters run in mirostat mode).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mirostat {
    /// The ordinary chain (penalties, top-k, typical, top-p, min-p, temperature).
    #[default]
    Off,
    /// Mirostat 1.0: estimates the Zipf exponent from the 100 most likely tokens and keeps
    /// the top k that reach the target surprise.
    V1 { tau: f32, eta: f32 },
    /// Mirostat 2.0: keeps the tokens whose surprise is at most `mu`.
    V2 { tau: f32, eta: f32 },
}

/// Why a sampling setting or a sampler could not be accepted.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum SamplingError {
    #[error("sampling setting `{name}` is {value}, but it must be {expected}")]
    InvalidSetting {
        name: &'static str,
        value: f32,
        expected: &'static str,
    },
    #[error("the vocabulary is empty: a sampler needs at least one token")]
    EmptyVocabulary,
    #[error("the vocabulary has {0} tokens, more than u32 token ids can number")]
    VocabularyTooLarge(usize),
}

/// How to pick the next token from a logits vector. The defaults are llama.cpp's
/// (`common_params_sampling`), except for the seed ([`DEFAULT_SEED`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SamplingConfig {
    /// Divides the logits; `<= 0.0` means greedy (argmax, ties go to the lowest id).
    pub temperature: f32,
    /// Keep only the `top_k` most likely tokens; 0 = off.
    pub top_k: usize,
    /// Keep the smallest set of most likely tokens whose probability reaches `top_p`; 1 = off.
    pub top_p: f32,
    /// Drop tokens less likely than `min_p` times the most likely one; 0 = off.
    pub min_p: f32,
    /// Locally typical sampling: keep the tokens whose surprise is closest to the entropy
    /// until their probability exceeds `typical_p`; 1 = off.
    pub typical_p: f32,
    /// Divides positive logits and multiplies negative ones of recently seen tokens; 1 = off.
    pub repeat_penalty: f32,
    /// How many of the last accepted tokens the penalties look at; 0 = off.
    pub repeat_last_n: usize,
    /// Subtracted from a recent token's logit once per occurrence; 0 = off.
    pub frequency_penalty: f32,
    /// Subtracted once from the logit of every recent token; 0 = off.
    pub presence_penalty: f32,
    /// Adaptive (mirostat) sampling instead of the filter chain.
    pub mirostat: Mirostat,
    /// Seeds the ChaCha20 generator that draws the tokens.
    pub seed: u64,
}

impl Default for SamplingConfig {
    fn default() -> Self {
        Self {
            temperature: 0.8,
            top_k: 40,
            top_p: 0.95,
            min_p: 0.05,
            typical_p: 1.0,
            repeat_penalty: 1.0,
            repeat_last_n: 64,
            frequency_penalty: 0.0,
            presence_penalty: 0.0,
            mirostat: Mirostat::Off,
            seed: DEFAULT_SEED,
        }
    }
}

/// Checks one setting: `Ok` when `ok`, else an error naming it, its value and the rule.
fn check(
    name: &'static str,
    value: f32,
    ok: bool,
    expected: &'static str,
) -> Result<(), SamplingError> {
    if ok {
        Ok(())
    } else {
        Err(SamplingError::InvalidSetting {
            name,
            value,
            expected,
        })
    }
}

/// Checks a probability-like setting: a number in `[0, 1]` (NaN fails).
fn check_unit(name: &'static str, value: f32) -> Result<(), SamplingError> {
    check(name, value, (0.0..=1.0).contains(&value), "between 0 and 1")
}

impl SamplingConfig {
    /// Always the most likely token: temperature 0, every filter and penalty off (the
    /// penalty window keeps its default length, so setting a penalty is enough to use it).
    pub fn greedy() -> Self {
        Self {
            temperature: 0.0,
            top_k: 0,
            top_p: 1.0,
            min_p: 0.0,
            ..SamplingConfig::default()
        }
    }

    /// Rejects settings the chain cannot use: non-finite numbers, probabilities outside
    /// `[0, 1]`, a repeat penalty that is not positive, negative mirostat parameters.
    pub fn validate(&self) -> Result<(), SamplingError> {
        check(
            "temperature",
            self.temperature,
            self.temperature.is_finite(),
            "a finite number (0 or less means greedy)",
        )?;
        check_unit("top_p", self.top_p)?;
        check_unit("min_p", self.min_p)?;
        check_unit("typical_p", self.typical_p)?;
        check(
            "repeat_penalty",
            self.repeat_penalty,
            self.repeat_penalty.is_finite()
                && self.repeat_penalty > 0.0
                && self.repeat_penalty.recip().is_finite(),
            "finite and greater than 0 (1 = off)",
        )?;
        check(
            "frequency_penalty",
            self.frequency_penalty,
            self.frequency_penalty.is_finite(),
            "a finite number",
        )?;
        check(
            "presence_penalty",
            self.presence_penalty,
            self.presence_penalty.is_finite(),
            "a finite number",
        )?;
        if let Mirostat::V1 { tau, eta } | Mirostat::V2 { tau, eta } = self.mirostat {
            let rule = "a finite number, 0 or more";
            check("mirostat.tau", tau, tau.is_finite() && tau >= 0.0, rule)?;
            check("mirostat.eta", eta, eta.is_finite() && eta >= 0.0, rule)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rejected(config: SamplingConfig, name: &str) {
        match config.validate() {
            Err(SamplingError::InvalidSetting { name: got, .. }) => assert_eq!(got, name),
            other => panic!("expected `{name}` to be rejected, got {other:?}"),
        }
    }

    #[test]
    fn defaults_are_llama_cpp_and_valid() {
        let d = SamplingConfig::default();
        assert_eq!(d.temperature, 0.8);
        assert_eq!(d.top_k, 40);
        assert_eq!(d.top_p, 0.95);
        assert_eq!(d.min_p, 0.05);
        assert_eq!(d.typical_p, 1.0);
        assert_eq!(d.repeat_penalty, 1.0);
        assert_eq!(d.repeat_last_n, 64);
        assert_eq!(d.mirostat, Mirostat::Off);
        assert_eq!(d.validate(), Ok(()));
        assert_eq!(SamplingConfig::greedy().validate(), Ok(()));
    }

    #[test]
    fn validate_rejects_bad_settings() {
        let base = SamplingConfig::default;
        rejected(
            SamplingConfig {
                temperature: f32::NAN,
                ..base()
            },
            "temperature",
        );
        rejected(
            SamplingConfig {
                temperature: f32::INFINITY,
                ..base()
            },
            "temperature",
        );
        rejected(
            SamplingConfig {
                top_p: 1.5,
                ..base()
            },
            "top_p",
        );
        rejected(
            SamplingConfig {
                top_p: -0.1,
                ..base()
            },
            "top_p",
        );
        rejected(
            SamplingConfig {
                min_p: f32::NAN,
                ..base()
            },
            "min_p",
        );
        rejected(
            SamplingConfig {
                typical_p: 2.0,
                ..base()
            },
            "typical_p",
        );
        rejected(
            SamplingConfig {
                repeat_penalty: 0.0,
                ..base()
            },
            "repeat_penalty",
        );
        rejected(
            SamplingConfig {
                repeat_penalty: -1.1,
                ..base()
            },
            "repeat_penalty",
        );
        rejected(
            SamplingConfig {
                repeat_penalty: 1e-45,
                ..base()
            },
            "repeat_penalty",
        );
        rejected(
            SamplingConfig {
                frequency_penalty: f32::INFINITY,
                ..base()
            },
            "frequency_penalty",
        );
        rejected(
            SamplingConfig {
                presence_penalty: f32::NAN,
                ..base()
            },
            "presence_penalty",
        );
        rejected(
            SamplingConfig {
                mirostat: Mirostat::V2 {
                    tau: -1.0,
                    eta: 0.1,
                },
                ..base()
            },
            "mirostat.tau",
        );
        rejected(
            SamplingConfig {
                mirostat: Mirostat::V1 {
                    tau: 5.0,
                    eta: f32::NAN,
                },
                ..base()
            },
            "mirostat.eta",
        );
    }

    #[test]
    fn validate_accepts_edge_values() {
        let base = SamplingConfig::default;
        for config in [
            SamplingConfig {
                temperature: -1.0,
                ..base()
            },
            SamplingConfig {
                top_p: 0.0,
                min_p: 1.0,
                typical_p: 0.0,
                ..base()
            },
            SamplingConfig {
                frequency_penalty: -0.5,
                presence_penalty: 2.0,
                ..base()
            },
            SamplingConfig {
                mirostat: Mirostat::V2 { tau: 0.0, eta: 0.0 },
                ..base()
            },
        ] {
            assert_eq!(config.validate(), Ok(()), "{config:?}");
        }
    }

    #[test]
    fn error_message_names_the_setting_and_rule() {
        let err = SamplingConfig {
            top_p: 3.0,
            ..SamplingConfig::default()
        }
        .validate()
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "sampling setting `top_p` is 3, but it must be between 0 and 1"
        );
    }

    #[test]
    fn serde_round_trip_and_partial_input() {
        let config = SamplingConfig {
            mirostat: Mirostat::V2 { tau: 4.0, eta: 0.2 },
            seed: 7,
            ..SamplingConfig::default()
        };
        let json = serde_json::to_string(&config).unwrap();
        let back: SamplingConfig = serde_json::from_str(&json).unwrap();
        assert_eq!(back, config);

        let partial: SamplingConfig =
            serde_json::from_str(r#"{"temperature": 0.0, "mirostat": "off"}"#).unwrap();
        assert_eq!(
            partial,
            SamplingConfig {
                temperature: 0.0,
                ..SamplingConfig::default()
            }
        );

        assert!(serde_json::from_str::<SamplingConfig>(r#"{"temprature": 1.0}"#).is_err());
    }
}
