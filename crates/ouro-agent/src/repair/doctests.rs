//! A module's documented examples as regression tests: a candidate change that passes the
//! task's tests but breaks an example of its file's docstrings (`>>> ordinalize(1002)` /
//! `'1002nd'`) that held before is no fix.
//!
//! Why: a task's tests check the case the bug report names; the examples a library documents
//! check the cases around it. A mechanical edit on the wrong line (`.get(number % 100, "th")`
//! where `if number % 100 in (11, 12, 13)` was meant) passes the first and breaks the second.
//! Examples that already failed before the change are not counted against it.

use std::collections::BTreeSet;

/// The prefix of each failing example's line in the command's output.
pub const FAILED: &str = "DOCTEST-FAILED ";

/// The Python module `path` (relative, `/`-separated) is imported as, when its `text` holds
/// documented examples and it is not a test file: `pkg/__init__.py` is `pkg`,
/// `pkg/more.py` is `pkg.more`.
pub fn module_of(path: &str, text: &str) -> Option<String> {
    let stem = path.strip_suffix(".py")?;
    if !text.contains(">>> ") || super::localize::is_test_file(path) {
        return None;
    }
    let stem = stem.strip_suffix("/__init__").unwrap_or(stem);
    let valid = stem.split('/').all(|part| {
        !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    });
    valid.then(|| stem.replace('/', "."))
}

/// The script: imports each module named on its command line and runs its doctests,
/// printing [`FAILED`] and `module.name#k` for every failing example (an import that fails
/// is `module#import`) and nothing else of doctest's; exits 1 when any failed.
const SCRIPT: &str = r##"
import doctest, importlib, sys
failed = []
class Quiet(doctest.DocTestRunner):
    def report_start(self, out, test, example): pass
    def report_success(self, out, test, example, got): pass
    def report_failure(self, out, test, example, got):
        failed.append("%s#%d" % (test.name, test.examples.index(example)))
    def report_unexpected_exception(self, out, test, example, exc_info):
        failed.append("%s#%d" % (test.name, test.examples.index(example)))
sys.path.insert(0, ".")
for name in sys.argv[1:]:
    try:
        module = importlib.import_module(name)
    except BaseException:
        failed.append(name + "#import")
        continue
    runner = Quiet(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in doctest.DocTestFinder().find(module):
        runner.run(test, out=lambda text: None)
for f in sorted(set(failed)):
    print("FAILED_MARK" + f)
sys.exit(1 if failed else 0)
"##;

/// The shell command that runs the doctests of `module` from the workspace root.
pub fn command(module: &str) -> String {
    let script = SCRIPT.replace("FAILED_MARK", FAILED);
    format!("python3 -c '{script}' {module}")
}

/// The failing examples the command's `output` names.
pub fn failures(output: &str) -> BTreeSet<String> {
    output
        .lines()
        .filter_map(|l| l.trim().strip_prefix(FAILED.trim_end()))
        .map(|id| id.trim().to_string())
        .filter(|id| !id.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modules_are_named_as_python_imports_them() {
        let doc = "def f():\n    \"\"\"\n    >>> f()\n    1\n    \"\"\"\n    return 1\n";
        assert_eq!(
            module_of("inflection/__init__.py", doc).as_deref(),
            Some("inflection")
        );
        assert_eq!(
            module_of("more_itertools/more.py", doc).as_deref(),
            Some("more_itertools.more")
        );
        assert_eq!(
            module_of("calc.py", "def f(): return 1\n"),
            None,
            "no examples"
        );
        assert_eq!(module_of("tests/test_calc.py", doc), None);
        assert_eq!(module_of("my-pkg/calc.py", doc), None, "not importable");
        assert_eq!(module_of("calc.js", doc), None);
    }

    #[test]
    fn the_script_reports_each_failing_example_and_an_unimportable_module() {
        let Ok(status) = std::process::Command::new("python3")
            .arg("--version")
            .status()
        else {
            eprintln!("python3 not found: the script is not run");
            return;
        };
        assert!(status.success());
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join("pkg")).expect("mkdir");
        std::fs::write(
            dir.path().join("pkg/__init__.py"),
            "def ordinal(n):\n    \"\"\"\n    >>> ordinal(1)\n    'st'\n    >>> ordinal(22)\n    'nd'\n    >>> ordinal(11)\n    'th'\n    \"\"\"\n    if n % 100 in (11, 12, 13):\n        return 'th'\n    return {1: 'st', 2: 'nd'}.get(n % 100, 'th')\n",
        )
        .expect("write");
        std::fs::write(dir.path().join("broken.py"), "def f(:\n    '''>>> f()'''\n")
            .expect("write");
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("{} ; {}", command("pkg"), command("broken")))
            .current_dir(dir.path())
            .output()
            .expect("run");
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            failures(&text),
            BTreeSet::from(["pkg.ordinal#1".to_string(), "broken#import".to_string()]),
            "{text}"
        );
    }
}
