//! The environment a command gets: a short allowlist, never ouro's secrets.
//!
//! bash must not inherit ouro's whole environment: it holds the provider's API key,
//! `GITHUB_TOKEN`, cloud credentials. A command gets only the variables that locate things
//! and set the locale ([`ALLOWED`], `LC_*`), plus the names the configuration passes
//! (`permissions.pass_env`), and never a name that looks like a secret ([`looks_secret`]),
//! whichever list it comes from. [`scrub`] gives a command that environment: the agent's
//! `bash` and the loop's confined commands (task tests, judges, hidden tests) both use it.

use std::ffi::OsString;
use std::process::Command;

/// Variables every command gets when ouro has them (toolchain locators included so that
/// `cargo` and `rustup` find their installation).
pub const ALLOWED: [&str; 13] = [
    "PATH",
    "HOME",
    "LANG",
    "LANGUAGE",
    "TERM",
    "USER",
    "LOGNAME",
    "SHELL",
    "TMPDIR",
    "TZ",
    "CARGO_HOME",
    "RUSTUP_HOME",
    "RUSTUP_TOOLCHAIN",
];

/// Words that mark a variable as a credential.
const SECRET_WORDS: [&str; 9] = [
    "KEY",
    "TOKEN",
    "SECRET",
    "PASSWORD",
    "PASSWD",
    "CREDENTIAL",
    "AUTH",
    "SESSION",
    "COOKIE",
];

/// Prefixes of variables that belong to cloud credentials.
const SECRET_PREFIXES: [&str; 4] = ["AWS_", "AZURE_", "GOOGLE_", "GCP_"];

/// Whether a variable name looks like it holds a credential (`OPENAI_API_KEY`, `GH_TOKEN`,
/// `AWS_*`, `DB_PASSWORD`...).
pub fn looks_secret(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    SECRET_PREFIXES.iter().any(|p| upper.starts_with(p))
        || upper
            .split(|c: char| !c.is_ascii_alphanumeric())
            .any(|part| SECRET_WORDS.iter().any(|w| secret_part(part, w)))
}

/// `KEY`, `APIKEY`, `KEYS` are secret parts of a name; `AUTHOR` is not `AUTH`.
fn secret_part(part: &str, word: &str) -> bool {
    part.ends_with(word) || (part.starts_with(word) && part.len() <= word.len() + 1)
}

/// Whether a command may get the variable `name`, given the names the configuration passes.
pub fn passes(name: &str, pass: &[String]) -> bool {
    !looks_secret(name)
        && (ALLOWED.contains(&name) || name.starts_with("LC_") || pass.iter().any(|p| p == name))
}

/// The variables of this process that a command may get.
fn command_env(pass: &[String]) -> Vec<(OsString, OsString)> {
    std::env::vars_os()
        .filter(|(name, _)| name.to_str().is_some_and(|n| passes(n, pass)))
        .collect()
}

/// Variables every confined command gets whatever ouro's environment holds:
/// `PYTHONDONTWRITEBYTECODE`, since Python trusts a cached `.pyc` whose source has the same
/// size and modification second, and a test run right after an edit such as `>` to `<`
/// would run the old code (seen with a fix applied within a second of the failing run).
pub const FIXED: [(&str, &str); 1] = [("PYTHONDONTWRITEBYTECODE", "1")];

/// Replaces `cmd`'s environment with the variables of this process that it may get (`pass`:
/// the names the configuration passes besides [`ALLOWED`]) and [`FIXED`]. Variables the
/// caller sets on `cmd` afterwards are its own, deliberate choice and are kept.
pub fn scrub(cmd: &mut Command, pass: &[String]) {
    cmd.env_clear().envs(command_env(pass)).envs(FIXED);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scrubbed_command_writes_no_python_bytecode() {
        let mut cmd = Command::new("env");
        scrub(&mut cmd, &[]);
        let vars: Vec<_> = cmd.get_envs().collect();
        assert!(vars.contains(&(
            std::ffi::OsStr::new("PYTHONDONTWRITEBYTECODE"),
            Some(std::ffi::OsStr::new("1"))
        )));
    }

    #[test]
    fn secrets_never_pass() {
        let pass = vec!["MY_SETTING".to_string(), "GITHUB_TOKEN".to_string()];
        for name in ["PATH", "HOME", "LC_ALL", "MY_SETTING"] {
            assert!(!looks_secret("GIT_AUTHOR_NAME"));
            assert!(passes(name, &pass), "{name}");
        }
        for name in [
            "OPENAI_API_KEY",
            "GITHUB_TOKEN",
            "AWS_ACCESS_KEY_ID",
            "AWS_REGION",
            "DB_PASSWORD",
            "ANTHROPIC_AUTH_TOKEN",
            "OTHER",
        ] {
            assert!(!passes(name, &pass), "{name}");
        }
    }
}
