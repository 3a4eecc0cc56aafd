//! Where ouro keeps its files: the models folder, the default model, the default coding
//! model and the user-level config.

use std::path::{Path, PathBuf};

/// File name of the default model, SmolLM2-135M-Instruct quantized to Q4_1.
pub const DEFAULT_MODEL_FILE: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";

/// File name of the default coding model, Qwen2.5-Coder-1.5B-Instruct quantized to Q4_K_M
/// (the README says why it is the default).
pub const DEFAULT_CODER_MODEL_FILE: &str = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf";

/// Where a command looks for the models folder: `first`, then the current directory, then
/// each ancestor of the running binary (so a build under a checkout's `target/` finds the
/// checkout's `models/` from any directory).
pub fn search_roots(first: &[PathBuf]) -> Vec<PathBuf> {
    let mut roots: Vec<PathBuf> = first.to_vec();
    roots.extend(std::env::current_dir().ok());
    if let Ok(exe) = std::env::current_exe() {
        roots.extend(exe.ancestors().skip(1).map(Path::to_path_buf));
    }
    let mut unique = Vec::new();
    for root in roots {
        if !unique.contains(&root) {
            unique.push(root);
        }
    }
    unique
}

/// The user-level config file: `$OURO_CONFIG` if set, else `$XDG_CONFIG_HOME/ouro/config.toml`,
/// else `~/.config/ouro/config.toml` (`None` without a home directory). Unlike a workspace's
/// `ouro.toml`, the agent cannot write it, so it may grant what the workspace may not.
pub fn user_config() -> Option<PathBuf> {
    let var = |name| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(path) = var("OURO_CONFIG") {
        return Some(path);
    }
    let base = var("XDG_CONFIG_HOME").or_else(|| var("HOME").map(|home| home.join(".config")))?;
    Some(base.join("ouro").join("config.toml"))
}

/// The models folder: `$OURO_MODELS` if set, else `models/` under `root`.
pub fn models_dir(root: &Path) -> PathBuf {
    match std::env::var_os("OURO_MODELS") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => root.join("models"),
    }
}

/// Path of the default model inside the models folder under `root`.
pub fn default_model(root: &Path) -> PathBuf {
    models_dir(root).join(DEFAULT_MODEL_FILE)
}

/// The model a command should load: `explicit` if given, else the default model in the models
/// folder under the first of `roots` that has it. The error says where it looked and how to
/// get the model.
pub fn resolve_model(explicit: Option<&Path>, roots: &[PathBuf]) -> Result<PathBuf, String> {
    resolve_in(explicit, DEFAULT_MODEL_FILE, "the default model", "", roots)
}

/// The coding model a command should load: `explicit` if given, else the default coding
/// model in the models folder under the first of `roots` that has it.
pub fn resolve_coder_model(explicit: Option<&Path>, roots: &[PathBuf]) -> Result<PathBuf, String> {
    resolve_in(
        explicit,
        DEFAULT_CODER_MODEL_FILE,
        "the default coding model",
        " qwen2.5-coder-1.5b",
        roots,
    )
}

fn resolve_in(
    explicit: Option<&Path>,
    file: &str,
    what: &str,
    fetch_args: &str,
    roots: &[PathBuf],
) -> Result<PathBuf, String> {
    if let Some(path) = explicit {
        return if path.is_file() {
            Ok(path.to_path_buf())
        } else {
            Err(format!("model file {} not found", path.display()))
        };
    }
    let mut candidates: Vec<PathBuf> = roots.iter().map(|r| models_dir(r).join(file)).collect();
    candidates.dedup();
    candidates.iter().find(|p| p.is_file()).cloned().ok_or_else(|| {
        let looked: Vec<String> = candidates.iter().map(|p| p.display().to_string()).collect();
        format!(
            "{what} is not at {} (run scripts/fetch-models.sh{fetch_args}, or pass --model PATH)",
            looked.join(" or ")
        )
    })
}

/// For tests that need the default model: its path under `root` if it exists; `None` with
/// a printed reason when it has not been fetched (`scripts/fetch-models.sh`), unless
/// `OURO_REQUIRE_MODELS` is set (as in CI), in which case a missing model is a failure.
pub fn default_model_for_tests(root: &Path) -> Option<PathBuf> {
    let path = default_model(root);
    if path.exists() {
        Some(path)
    } else if std::env::var_os("OURO_REQUIRE_MODELS").is_some() {
        panic!(
            "OURO_REQUIRE_MODELS is set but {} is missing",
            path.display()
        );
    } else {
        eprintln!(
            "skipped: {} is missing (run scripts/fetch-models.sh)",
            path.display()
        );
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_model_takes_the_explicit_path_or_the_first_root_with_the_default() {
        let dir = std::env::temp_dir().join(format!("ouro-paths-{}", std::process::id()));
        let (a, b) = (dir.join("a"), dir.join("b"));
        std::fs::create_dir_all(b.join("models")).unwrap();
        std::fs::create_dir_all(&a).unwrap();
        std::fs::write(b.join("models").join(DEFAULT_MODEL_FILE), b"gguf").unwrap();
        if std::env::var_os("OURO_MODELS").is_none() {
            let roots = [a.clone(), b.clone()];
            assert_eq!(resolve_model(None, &roots).unwrap(), default_model(&b));
            let err = resolve_model(None, &roots[..1]).unwrap_err();
            assert!(err.contains("fetch-models.sh"), "{err}");
        }
        let missing = dir.join("nope.gguf");
        assert!(
            resolve_model(Some(&missing), &[])
                .unwrap_err()
                .contains("nope.gguf")
        );
        let explicit = b.join("models").join(DEFAULT_MODEL_FILE);
        assert_eq!(resolve_model(Some(&explicit), &[]).unwrap(), explicit);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn search_roots_start_with_the_given_ones_and_have_no_repeats() {
        let roots = search_roots(&[PathBuf::from("/repo"), PathBuf::from("/repo")]);
        assert_eq!(roots[0], PathBuf::from("/repo"));
        assert_eq!(
            roots
                .iter()
                .filter(|r| r.as_path() == Path::new("/repo"))
                .count(),
            1
        );
        let exe = std::env::current_exe().unwrap();
        assert!(roots.contains(&exe.parent().unwrap().to_path_buf()));
        if std::env::var_os("OURO_MODELS").is_none() {
            let err = resolve_coder_model(None, &[PathBuf::from("/nonexistent")]).unwrap_err();
            assert!(err.contains(DEFAULT_CODER_MODEL_FILE) && err.contains("qwen2.5-coder-1.5b"));
        }
    }

    #[test]
    fn default_model_is_under_models_dir() {
        let root = Path::new("/repo");
        assert!(default_model(root).ends_with(DEFAULT_MODEL_FILE));
        assert!(default_model(root).starts_with(models_dir(root)));
    }
}

/// Programs that run the script they are given first (`python3 repro.py`, `node test.js`).
const INTERPRETERS: &[&str] = &[
    "python", "python3", "python2", "node", "nodejs", "deno", "bun", "bash", "sh", "dash", "zsh",
    "ksh", "ruby", "perl", "php", "lua", "Rscript", "tsx", "ts-node",
];

/// Test runners that run every file they are given (`pytest tests/a.py tests/b.py`).
const RUNNERS: &[&str] = &[
    "pytest", "py.test", "jest", "mocha", "vitest", "bats", "rspec", "ava", "tap",
];

/// Words that run the command after them (`env X=1 cmd`, `time cmd`).
const WRAPPERS: &[&str] = &["env", "time", "exec", "nice", "command", "xvfb-run"];

/// The scripts of `root` that the shell command lines `commands` run: the program of each
/// simple command when it is a file of `root` (`./check.sh`), the script an interpreter is
/// given (`python3 repro.py`, `node test.js`, `bash tests/run.sh`) and the files a test runner
/// is given (`pytest tests/test_a.py::test_b`, `python3 -m pytest tests/test_a.py`). Files a
/// command only reads (`grep -q x conf.txt`, `test -f a`) are data, not scripts. These are a
/// task's tests: the loop never lets a change edit them. Relative, sorted, without repeats.
pub fn test_scripts_in(commands: &[String], root: &Path) -> Vec<String> {
    let Ok(root) = root.canonicalize() else {
        return Vec::new();
    };
    let is_file = |word: &str| {
        !word.is_empty()
            && !word.starts_with('/')
            && root
                .join(word)
                .canonicalize()
                .is_ok_and(|p| p.starts_with(&root) && p.is_file())
    };
    let clean = |word: &str| -> String {
        let word = word.trim_matches(|ch| ch == '\'' || ch == '"');
        let word = word.split("::").next().unwrap_or(word);
        word.strip_prefix("./").unwrap_or(word).to_string()
    };
    let mut files = Vec::new();
    for simple in commands
        .iter()
        .flat_map(|c| c.split(|ch: char| ";|&()`\n".contains(ch)))
    {
        let words: Vec<String> = simple.split_whitespace().map(clean).collect();
        let mut rest = words
            .iter()
            .skip_while(|w| w.contains('=') || WRAPPERS.contains(&w.as_str()));
        let Some(program) = rest.next() else {
            continue;
        };
        if is_file(program) {
            files.push(program.clone());
            continue;
        }
        let name = program.rsplit('/').next().unwrap_or(program);
        let args: Vec<&String> = rest.collect();
        let runner = RUNNERS.contains(&name)
            || (INTERPRETERS.contains(&name)
                && args
                    .windows(2)
                    .any(|w| w[0] == "-m" && RUNNERS.contains(&w[1].as_str())));
        if runner {
            files.extend(args.iter().filter(|a| is_file(a)).map(|a| a.to_string()));
        } else if INTERPRETERS.contains(&name)
            && let Some(script) = args.iter().find(|a| !a.starts_with('-'))
            && is_file(script)
        {
            files.push(script.to_string());
        }
    }
    files.sort();
    files.dedup();
    files
}

#[cfg(test)]
mod files_named_tests {
    use super::*;

    #[test]
    fn the_scripts_a_test_command_runs_are_found_and_data_files_are_not() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir(root.join("tests")).unwrap();
        for f in [
            "repro.py",
            "test.js",
            "tests/test_a.py",
            "tests/run.sh",
            "check.sh",
            "conf.txt",
            "keep.txt",
            "t2.py",
        ] {
            std::fs::write(root.join(f), "").unwrap();
        }
        let commands = [
            "python3 repro.py".to_string(),
            "node ./test.js && echo ok".into(),
            "pytest -q 'tests/test_a.py::test_b'".into(),
            "bash tests/run.sh; ./check.sh".into(),
            "env CI=1 python3 -m pytest t2.py".into(),
            "grep -q version conf.txt || test -f keep.txt".into(),
            "cargo test --quiet".into(),
            "cat /etc/passwd ../outside.py tests".into(),
        ];
        assert_eq!(
            test_scripts_in(&commands, root),
            [
                "check.sh",
                "repro.py",
                "t2.py",
                "test.js",
                "tests/run.sh",
                "tests/test_a.py"
            ]
        );
        assert!(test_scripts_in(&commands, &root.join("missing")).is_empty());
    }
}
