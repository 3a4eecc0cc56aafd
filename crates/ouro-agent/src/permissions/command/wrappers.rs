//! Programs that run other programs: what a simple command really runs.
//!
//! `sudo rm`, `env -i rm`, `timeout 5 rm`, `xargs rm`, `find . -exec rm {} ;` run `rm`;
//! `bash -c 'rm x'`, `eval 'rm x'`, `su -c 'rm x'`, `watch rm x`, `env -S 'rm x'`,
//! `trap 'rm x' EXIT`, `alias r='rm x'` and `git -c core.fsmonitor='rm x' status` run shell
//! code given as text. [`inner`] names what
//! such a command runs, so the caller can judge it like any other command. Options are read
//! the way `getopt` reads them (clusters such as `-Eu root`, `--opt=value`, `--`); an option
//! word that is not a literal makes the command unresolvable, since it might be the program.

use super::words::Word;

/// Something a simple command runs besides itself.
#[derive(Debug, PartialEq, Eq)]
pub enum Inner {
    /// Another simple command (its words; the first is the program as written).
    Command(Vec<Word>),
    /// Shell code given as text.
    Script(String),
    /// A shell that reads its commands from standard input.
    Stdin,
    /// Something whose target cannot be known from the text; the reason.
    Unresolvable(String),
}

/// How a wrapper's options are read.
struct Options {
    /// Short options that take an argument (`-u root`, `-uroot`).
    short_with_arg: &'static str,
    /// Long options that take an argument (`--user root`, `--user=root`).
    long_with_arg: &'static [&'static str],
    /// Operands before the wrapped program (`timeout DURATION prog`).
    operands: usize,
    /// Whether `NAME=VALUE` words may come before the program (`env`, `sudo`).
    assignments: bool,
}

const fn opts(short_with_arg: &'static str, long_with_arg: &'static [&'static str]) -> Options {
    Options {
        short_with_arg,
        long_with_arg,
        operands: 0,
        assignments: false,
    }
}

/// Wrappers that run the program named after their options.
fn wrapper(program: &str) -> Option<Options> {
    Some(match program {
        "command" | "builtin" | "nohup" | "setsid" | "unbuffer" | "busybox" | "catchsegv"
        | "nocache" => opts("", &[]),
        "exec" => opts("a", &[]),
        "nice" => opts("n", &["--adjustment"]),
        "stdbuf" => opts("ioe", &["--input", "--output", "--error"]),
        "time" => opts("fo", &["--format", "--output"]),
        "ionice" => opts(
            "cnpPu",
            &["--class", "--classdata", "--pid", "--pgid", "--uid"],
        ),
        "strace" => opts("abeEIoOpPsSuX", &["--output", "--signal", "--trace"]),
        "doas" => opts("uC", &[]),
        "pkexec" => opts("", &["--user"]),
        "xargs" => opts(
            "adEILnPs",
            &[
                "--arg-file",
                "--delimiter",
                "--max-lines",
                "--max-args",
                "--max-procs",
                "--max-chars",
                "--process-slot-var",
            ],
        ),
        "timeout" => Options {
            operands: 1,
            ..opts("sk", &["--signal", "--kill-after"])
        },
        "taskset" => Options {
            operands: 1,
            ..opts("", &[])
        },
        "chrt" => Options {
            operands: 1,
            ..opts(
                "TPD",
                &["--sched-runtime", "--sched-period", "--sched-deadline"],
            )
        },
        "chroot" => Options {
            operands: 1,
            ..opts("", &["--userspec", "--groups"])
        },
        "flock" => Options {
            operands: 1,
            ..opts("wE", &["--timeout", "--wait", "--conflict-exit-code"])
        },
        "sudo" => Options {
            assignments: true,
            ..opts(
                "ugCDhprtUTR",
                &[
                    "--user",
                    "--group",
                    "--close-from",
                    "--chdir",
                    "--host",
                    "--prompt",
                    "--role",
                    "--type",
                    "--other-user",
                    "--command-timeout",
                    "--chroot",
                ],
            )
        },
        "env" => Options {
            assignments: true,
            ..opts("uCS", &["--unset", "--chdir", "--split-string"])
        },
        _ => return None,
    })
}

/// Shells that take `-c STRING`.
const SHELLS: [&str; 12] = [
    "sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", "yash", "posh", "rbash", "fish", "tcsh",
];

/// What the simple command `words` (program first, as its base name) runs besides itself.
pub fn inner(words: &[Word]) -> Vec<Inner> {
    let Some(program) = words.first().and_then(Word::literal) else {
        return Vec::new();
    };
    let args = &words[1..];
    if let Some(options) = wrapper(program) {
        return wrapped(program, args, &options);
    }
    match program {
        p if SHELLS.contains(&p) => shell(args).into_iter().collect(),
        "eval" => vec![joined(args, "eval")],
        "watch" => match skip_options(args, &opts("n", &["--interval"])) {
            Ok(start) => vec![joined(&args[start..], "watch")],
            Err(why) => vec![Inner::Unresolvable(why)],
        },
        "su" | "runuser" | "script" => option_scripts(program, args),
        "trap" => trap(args),
        "alias" => args.iter().filter_map(alias_value).collect(),
        "find" => find_exec(args),
        "git" => git_config_commands(args),
        _ => Vec::new(),
    }
}

/// `wrapper [options] [operands] [NAME=VALUE...] program args...`.
fn wrapped(program: &str, args: &[Word], options: &Options) -> Vec<Inner> {
    let mut found = Vec::new();
    if program == "env" {
        found.extend(
            option_values(args, "S", &["--split-string"])
                .into_iter()
                .map(script),
        );
    }
    if program == "flock" {
        found.extend(
            option_values(args, "c", &["--command"])
                .into_iter()
                .map(script),
        );
        if !found.is_empty() {
            return found;
        }
    }
    let mut i = match skip_options(args, options) {
        Ok(i) => i + options.operands,
        Err(why) => return vec![Inner::Unresolvable(why)],
    };
    if options.assignments {
        while let Some(w) = args.get(i) {
            match w.literal() {
                Some(l) if is_assignment(l) => i += 1,
                Some(_) => break,
                None => {
                    return vec![Inner::Unresolvable(format!(
                        "`{program}`: cannot tell whether `{}` is the program",
                        w.shown()
                    ))];
                }
            }
        }
    }
    if i < args.len() {
        found.push(Inner::Command(args[i..].to_vec()));
    }
    found
}

/// The index of the first operand after the options, or why it cannot be known.
fn skip_options(args: &[Word], options: &Options) -> Result<usize, String> {
    let mut i = 0;
    while let Some(word) = args.get(i) {
        let Some(text) = word.literal() else {
            return Err(format!(
                "cannot tell whether `{}` is an option or the program",
                word.shown()
            ));
        };
        if text == "--" {
            return Ok(i + 1);
        }
        if let Some(long) = text.strip_prefix("--") {
            i += 1;
            let takes_arg = options
                .long_with_arg
                .iter()
                .any(|o| o.trim_start_matches('-') == long);
            if takes_arg {
                i += 1;
            }
            continue;
        }
        match text.strip_prefix('-') {
            Some(cluster) if !cluster.is_empty() => {
                i += 1;
                if let Some(pos) = cluster.find(|c| options.short_with_arg.contains(c))
                    && pos + 1 == cluster.len()
                {
                    i += 1;
                }
            }
            _ => return Ok(i),
        }
    }
    Ok(i)
}

/// Values of an option wherever it appears (`-c CMD`, `-cCMD`, `--command=CMD`).
fn option_values(args: &[Word], short: &str, long: &[&str]) -> Vec<Option<String>> {
    let mut values = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let text = args[i].literal().unwrap_or_default();
        let next = || args.get(i + 1).map(|w| w.literal().map(str::to_string));
        if let Some((name, value)) = text.split_once('=')
            && long.contains(&name)
        {
            values.push(Some(value.to_string()));
        } else if long.contains(&text) {
            values.extend(next());
            i += 1;
        } else if let Some(cluster) = text.strip_prefix('-').filter(|c| !c.starts_with('-'))
            && let Some(pos) = cluster.find(|c| short.contains(c))
        {
            let rest = &cluster[pos + 1..];
            if rest.is_empty() {
                values.extend(next());
                i += 1;
            } else {
                values.push(Some(rest.to_string()));
            }
        }
        i += 1;
    }
    values
}

fn script(text: Option<String>) -> Inner {
    match text {
        Some(t) => Inner::Script(t),
        None => Inner::Unresolvable("the command string is decided at run time".to_string()),
    }
}

/// `sh [options] [-c STRING | FILE | (stdin)]`.
fn shell(args: &[Word]) -> Option<Inner> {
    let mut command_mode = false;
    let mut stdin_mode = false;
    let mut i = 0;
    while let Some(word) = args.get(i) {
        let Some(text) = word.literal() else {
            return Some(Inner::Unresolvable(format!(
                "shell argument `{}` is decided at run time",
                word.shown()
            )));
        };
        if text == "--" || text == "-" {
            i += 1;
            break;
        }
        if matches!(text, "--rcfile" | "--init-file") {
            i += 2;
            continue;
        }
        if text.starts_with("--") {
            i += 1;
            continue;
        }
        match text.strip_prefix(['-', '+']) {
            Some(cluster) if !cluster.is_empty() => {
                command_mode |= text.starts_with('-') && cluster.contains('c');
                stdin_mode |= text.starts_with('-') && cluster.contains('s');
                // -o/-O take an option name.
                i += if cluster.ends_with(['o', 'O']) { 2 } else { 1 };
            }
            _ => break,
        }
    }
    match (command_mode, args.get(i)) {
        (true, Some(w)) => Some(script(w.literal().map(str::to_string))),
        (true, None) => Some(Inner::Unresolvable(
            "`-c` without a command string".to_string(),
        )),
        (false, None) => Some(Inner::Stdin),
        (false, Some(_)) if stdin_mode => Some(Inner::Stdin),
        // A script file: it runs whatever the file holds, like `./script`.
        (false, Some(_)) => None,
    }
}

/// `eval` and `watch` join their arguments with spaces and run them as shell code.
fn joined(args: &[Word], program: &str) -> Inner {
    let parts: Option<Vec<&str>> = args.iter().map(Word::literal).collect();
    match parts {
        Some(p) => Inner::Script(p.join(" ")),
        None => Inner::Unresolvable(format!("`{program}` runs text decided at run time")),
    }
}

/// `su -c CMD`, `su -s SHELL`, `runuser -c CMD`, `script -c CMD`.
fn option_scripts(program: &str, args: &[Word]) -> Vec<Inner> {
    let mut found: Vec<Inner> = option_values(args, "c", &["--command", "--session-command"])
        .into_iter()
        .map(script)
        .collect();
    if program != "script" {
        for shell in option_values(args, "s", &["--shell"]) {
            found.push(match shell {
                Some(s) => Inner::Command(vec![Word::Literal(s)]),
                None => Inner::Unresolvable(format!("`{program}`: shell decided at run time")),
            });
        }
    }
    found
}

/// `trap [--] ACTION SIGNAL...`: the action is shell code.
fn trap(args: &[Word]) -> Vec<Inner> {
    let args = match args.first().and_then(Word::literal) {
        Some("--") => &args[1..],
        Some(flag) if flag.starts_with('-') => return Vec::new(),
        _ => args,
    };
    match args {
        [action, _, ..] => vec![script(action.literal().map(str::to_string))],
        _ => Vec::new(),
    }
}

/// `alias NAME=VALUE`: the value is shell code (aliases can be expanded in later lines).
fn alias_value(word: &Word) -> Option<Inner> {
    match word {
        Word::Literal(text) => text
            .split_once('=')
            .map(|(_, value)| Inner::Script(value.to_string())),
        Word::Dynamic(shown) => Some(Inner::Unresolvable(format!(
            "alias `{shown}` is decided at run time"
        ))),
    }
}

/// `find ... -exec PROG ARGS ;` (also `-execdir`, `-ok`, `-okdir`, ending with `;` or `+`).
fn find_exec(args: &[Word]) -> Vec<Inner> {
    let mut found = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let action = args[i].literal();
        i += 1;
        if !matches!(action, Some("-exec" | "-execdir" | "-ok" | "-okdir")) {
            continue;
        }
        let start = i;
        while i < args.len() && !matches!(args[i].literal(), Some(";" | "+")) {
            i += 1;
        }
        found.push(Inner::Command(args[start..i].to_vec()));
    }
    found
}

/// Keys (or key endings) of git configuration whose value is a command git runs.
const GIT_COMMAND_KEYS: [&str; 14] = [
    "editor",
    "pager",
    "sshcommand",
    "fsmonitor",
    "askpass",
    "helper",
    "external",
    "textconv",
    "command",
    "program",
    "clean",
    "smudge",
    "process",
    "cmd",
];

/// `git -c KEY=VALUE ...` where the value is a command (`core.fsmonitor`, `alias.x=!cmd`...).
fn git_config_commands(args: &[Word]) -> Vec<Inner> {
    option_values(args, "c", &[])
        .into_iter()
        .filter_map(|setting| {
            let Some(setting) = setting else {
                return Some(Inner::Unresolvable(
                    "`git -c` setting decided at run time".to_string(),
                ));
            };
            let (key, value) = setting.split_once('=')?;
            let key = key.to_ascii_lowercase();
            let runs = key.starts_with("alias.") && value.starts_with('!')
                || GIT_COMMAND_KEYS.iter().any(|k| key.ends_with(k));
            runs.then(|| Inner::Script(value.trim_start_matches('!').to_string()))
        })
        .collect()
}

/// `NAME=VALUE` with a valid variable name.
fn is_assignment(word: &str) -> bool {
    word.split_once('=').is_some_and(|(name, _)| {
        !name.is_empty()
            && !name.starts_with(|c: char| c.is_ascii_digit())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<Word> {
        line.split(' ')
            .map(|w| Word::Literal(w.to_string()))
            .collect()
    }

    fn command(line: &str) -> Inner {
        Inner::Command(words(line))
    }

    #[test]
    fn wrappers_name_the_program() {
        for (line, runs) in [
            ("sudo -Eu root rm -rf x", "rm -rf x"),
            ("sudo --user=root -- rm x", "rm x"),
            ("env -i A=1 B=2 rm x", "rm x"),
            ("timeout -s KILL 5 rm x", "rm x"),
            ("nice -n 5 rm x", "rm x"),
            ("xargs -I {} rm {}", "rm {}"),
            ("exec -a name rm x", "rm x"),
            ("flock /tmp/l rm x", "rm x"),
        ] {
            assert_eq!(inner(&words(line)), [command(runs)], "{line}");
        }
    }

    #[test]
    fn shells_and_eval_run_text() {
        let script = |s: &str| Inner::Script(s.to_string());
        assert_eq!(inner(&words("bash -xc rm")), [script("rm")]);
        assert_eq!(inner(&words("sh -o errexit -c rm")), [script("rm")]);
        assert_eq!(inner(&words("eval rm x")), [script("rm x")]);
        assert_eq!(inner(&words("env -S rm")), [script("rm")]);
        assert_eq!(inner(&words("su -c rm root")), [script("rm")]);
        assert_eq!(inner(&words("bash")), [Inner::Stdin]);
        assert_eq!(
            inner(&words("git -c core.fsmonitor=rm status")),
            [script("rm")]
        );
        assert_eq!(inner(&words("git -c user.name=rm status")), []);
        assert_eq!(inner(&words("bash -s")), [Inner::Stdin]);
        assert_eq!(
            inner(&words("find . -name x -exec rm {} ;")),
            [command("rm {}")]
        );
    }

    #[test]
    fn dynamic_option_words_are_unresolvable() {
        let line = vec![Word::Literal("sudo".into()), Word::Dynamic("$X".into())];
        assert!(matches!(inner(&line)[..], [Inner::Unresolvable(_)]));
    }
}
