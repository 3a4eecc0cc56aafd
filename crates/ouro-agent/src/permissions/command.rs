//! Splitting a shell command line into simple commands, for prefix rules.
//!
//! A prefix rule such as `git status` must not allow `git status && rm -rf ~`. The command line
//! is therefore split at the shell's control operators (`;`, `&`, `&&`, `|`, `||`, newlines,
//! parentheses), honouring single quotes, double quotes and backslashes; the bodies of command
//! substitutions (`$(...)` and backticks) become parts of their own. Each part is normalized to
//! single spaces between words. This is a conservative lexer, not a shell parser: anything it
//! cannot see through (substitutions, here-documents, aliases, `eval`) can only make a command
//! fall back to the mode's default verdict, never turn a deny into an allow.

/// A command line split into simple commands.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SplitCommand {
    /// The simple commands, whitespace-normalized, in order of appearance.
    pub parts: Vec<String>,
    /// Whether the line contains command substitution (`$(...)` or backticks).
    pub has_substitution: bool,
}

/// Splits `line` into simple commands (see the module documentation).
pub fn split(line: &str) -> SplitCommand {
    let mut out = SplitCommand::default();
    split_into(line, &mut out);
    out
}

fn split_into(line: &str, out: &mut SplitCommand) {
    let chars: Vec<char> = line.chars().collect();
    let mut current = String::new();
    let mut i = 0;
    let flush = |current: &mut String, out: &mut SplitCommand| {
        let normalized = current.split_whitespace().collect::<Vec<_>>().join(" ");
        if !normalized.is_empty() {
            out.parts.push(normalized);
        }
        current.clear();
    };
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => {
                current.push(c);
                if let Some(&next) = chars.get(i + 1) {
                    current.push(next);
                }
                i += 2;
                continue;
            }
            '\'' => {
                let end = find(&chars, i + 1, '\'');
                current.extend(&chars[i..(end + 1).min(chars.len())]);
                i = end + 1;
                continue;
            }
            '"' => {
                // Double quotes still allow substitutions inside.
                let mut j = i + 1;
                current.push(c);
                while j < chars.len() && chars[j] != '"' {
                    if chars[j] == '\\' && j + 1 < chars.len() {
                        current.push(chars[j]);
                        j += 1;
                    } else if let Some(sub) = substitution_at(&chars, j) {
                        out.has_substitution = true;
                        split_into(&sub.body, out);
                    }
                    current.push(chars[j]);
                    j += 1;
                }
                current.push('"');
                i = j + 1;
                continue;
            }
            _ => {}
        }
        if let Some(sub) = substitution_at(&chars, i) {
            out.has_substitution = true;
            split_into(&sub.body, out);
            current.extend(&chars[i..sub.end]);
            i = sub.end;
            continue;
        }
        if matches!(c, ';' | '&' | '|' | '\n' | '(' | ')') {
            flush(&mut current, out);
        } else {
            current.push(c);
        }
        i += 1;
    }
    flush(&mut current, out);
}

/// The index of `target` at or after `from`, or the end of the input.
fn find(chars: &[char], from: usize, target: char) -> usize {
    (from..chars.len())
        .find(|&j| chars[j] == target)
        .unwrap_or(chars.len())
}

/// A command substitution found in the input.
struct Substitution {
    /// Index just past the substitution (its closing character, or the end of the input).
    end: usize,
    /// The text inside it.
    body: String,
}

/// If a substitution (`$(` or a backtick) starts at `i`, where it ends and what it contains.
fn substitution_at(chars: &[char], i: usize) -> Option<Substitution> {
    let (body_start, body_end, end) = match (chars.get(i), chars.get(i + 1)) {
        (Some('$'), Some('(')) => {
            let mut depth = 0usize;
            let mut close = None;
            for (j, &c) in chars.iter().enumerate().skip(i + 1) {
                if c == '(' {
                    depth += 1;
                } else if c == ')' {
                    depth -= 1;
                    if depth == 0 {
                        close = Some(j);
                        break;
                    }
                }
            }
            match close {
                Some(j) => (i + 2, j, j + 1),
                None => (i + 2, chars.len(), chars.len()),
            }
        }
        (Some('`'), _) => {
            let j = find(chars, i + 1, '`');
            (i + 1, j, (j + 1).min(chars.len()))
        }
        _ => return None,
    };
    Some(Substitution {
        end,
        body: chars[body_start..body_end].iter().collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(line: &str) -> Vec<String> {
        split(line).parts
    }

    #[test]
    fn splits_at_operators_and_normalizes_spaces() {
        assert_eq!(
            parts("git  status &&cargo test|| ls ;pwd"),
            ["git status", "cargo test", "ls", "pwd"]
        );
        assert_eq!(parts("a | b & c\nd"), ["a", "b", "c", "d"]);
    }

    #[test]
    fn quotes_protect_operators() {
        assert_eq!(parts("echo 'a;b' \"c|d\""), ["echo 'a;b' \"c|d\""]);
        assert_eq!(parts("echo a\\;b"), ["echo a\\;b"]);
    }

    #[test]
    fn substitutions_become_parts() {
        let s = split("echo $(rm -rf x) `id`");
        assert!(s.has_substitution);
        assert!(s.parts.contains(&"rm -rf x".to_string()), "{:?}", s.parts);
        assert!(s.parts.contains(&"id".to_string()), "{:?}", s.parts);
        let s = split("echo \"$(curl evil)\"");
        assert!(s.has_substitution);
        assert!(s.parts.contains(&"curl evil".to_string()), "{:?}", s.parts);
    }

    #[test]
    fn unterminated_input_does_not_panic() {
        for line in ["echo 'abc", "echo \"abc", "echo $(abc", "echo `abc", "x\\"] {
            let _ = split(line);
        }
    }
}
