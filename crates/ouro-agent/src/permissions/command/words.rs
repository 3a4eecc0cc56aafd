//! Quote removal for one shell word: what a word's value is, when the text alone decides it.
//!
//! A word is [`Word::Literal`] when its value after quote removal is fixed by the text: plain
//! text, `'single'`, `"double"` and `$'ANSI-C'` quotes (escapes decoded: `$'\x72m'` is `rm`),
//! backslash escapes. It is [`Word::Dynamic`] when the shell decides its value at run time:
//! parameter expansion (`$X`, `${X}`), command substitution (`$(...)`, backticks),
//! arithmetic, unquoted glob characters (`r?`, `[r]m`, `r*`), brace expansion (`{r,x}m`) and
//! `~user`. The bodies of command substitutions are handed back so the caller can judge
//! the commands inside them.

use brush_parser::ParserOptions;
use brush_parser::word::{TildeExpr, WordPiece, WordPieceWithSource};

/// One word after quote removal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Word {
    /// The word's value, fixed by its text.
    Literal(String),
    /// A word whose value is decided at run time; holds the text as written.
    Dynamic(String),
}

impl Word {
    /// The literal value, if there is one.
    pub fn literal(&self) -> Option<&str> {
        match self {
            Word::Literal(s) => Some(s),
            Word::Dynamic(_) => None,
        }
    }

    /// The word as it is shown in messages: the value, or the text as written.
    pub fn shown(&self) -> &str {
        match self {
            Word::Literal(s) | Word::Dynamic(s) => s,
        }
    }
}

/// A word resolved, with the shell code that its expansion would run.
#[derive(Debug, Default)]
pub struct Resolved {
    /// The value if literal (`None`: dynamic).
    pub value: Option<String>,
    /// Bodies of command substitutions and arithmetic expressions inside the word.
    pub nested: Vec<String>,
}

/// Resolves `text` (one word as written) with the parser's word grammar.
pub fn resolve(text: &str, options: &ParserOptions) -> Resolved {
    let mut out = Resolved::default();
    match brush_parser::word::parse(text, options) {
        Ok(pieces) => {
            let mut value = Some(String::new());
            pieces_into(&pieces, false, options, &mut value, &mut out.nested);
            out.value = value;
        }
        // The word grammar failed: nothing can be said about its value, and whatever it
        // hides must be judged as code.
        Err(_) => out.nested.push(text.to_string()),
    }
    out
}

/// The shell code run by expanding a here-document's body (its command substitutions).
pub fn heredoc_code(body: &str, options: &ParserOptions) -> Resolved {
    let mut out = Resolved::default();
    match brush_parser::word::parse_heredoc(body, options) {
        Ok(pieces) => {
            let mut value = Some(String::new());
            pieces_into(&pieces, true, options, &mut value, &mut out.nested);
            out.value = value;
        }
        Err(_) => out.nested.push(body.to_string()),
    }
    out
}

/// Appends the value of `pieces` to `value` (set to `None` once anything is dynamic).
fn pieces_into(
    pieces: &[WordPieceWithSource],
    quoted: bool,
    options: &ParserOptions,
    value: &mut Option<String>,
    nested: &mut Vec<String>,
) {
    for piece in pieces {
        let literal: Option<String> = match &piece.piece {
            WordPiece::Text(s) if !quoted && is_pattern(s) => None,
            WordPiece::Text(s) | WordPiece::SingleQuotedText(s) => Some(s.clone()),
            WordPiece::AnsiCQuotedText(s) => Some(decode_ansi_c(s)),
            WordPiece::DoubleQuotedSequence(inner)
            | WordPiece::GettextDoubleQuotedSequence(inner) => {
                pieces_into(inner, true, options, value, nested);
                continue;
            }
            WordPiece::TildeExpansion(TildeExpr::Home) => Some("~".to_string()),
            WordPiece::TildeExpansion(_) | WordPiece::ParameterExpansion(_) => None,
            WordPiece::CommandSubstitution(body) => {
                nested.push(body.clone());
                None
            }
            WordPiece::BackquotedCommandSubstitution(body) => {
                nested.push(unescape_backquoted(body));
                None
            }
            WordPiece::ArithmeticExpression(expr) => {
                nested.extend(resolve(&expr.value, options).nested);
                None
            }
            WordPiece::EscapeSequence(s) => Some(unescape(s)),
        };
        match (literal, value.as_mut()) {
            (Some(text), Some(v)) => v.push_str(&text),
            (None, _) => *value = None,
            (Some(_), None) => {}
        }
    }
}

/// Whether unquoted text would undergo pathname or brace expansion.
fn is_pattern(text: &str) -> bool {
    if text.contains(['*', '?', '[']) {
        return true;
    }
    // extglob: `@(a|b)`, `!(x)`, `+(x)`.
    if text.contains('(') {
        return true;
    }
    text.find('{')
        .is_some_and(|i| text[i..].contains(',') || text[i..].contains(".."))
}

/// The character after a backslash (`\m` is `m`); a line continuation is nothing.
fn unescape(s: &str) -> String {
    let rest = s.strip_prefix('\\').unwrap_or(s);
    if rest == "\n" {
        String::new()
    } else {
        rest.to_string()
    }
}

/// Inside backticks, `\$`, `` \` `` and `\\` stand for the character itself.
fn unescape_backquoted(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\'
            && let Some(&next) = chars.peek()
            && matches!(next, '$' | '`' | '\\')
        {
            out.push(next);
            chars.next();
        } else {
            out.push(c);
        }
    }
    out
}

/// Decodes the body of `$'...'` as bash does.
pub fn decode_ansi_c(body: &str) -> String {
    let chars: Vec<char> = body.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        if c != '\\' || i >= chars.len() {
            out.push(c);
            continue;
        }
        let e = chars[i];
        i += 1;
        let simple = match e {
            'a' => Some('\x07'),
            'b' => Some('\x08'),
            'e' | 'E' => Some('\x1b'),
            'f' => Some('\x0c'),
            'n' => Some('\n'),
            'r' => Some('\r'),
            't' => Some('\t'),
            'v' => Some('\x0b'),
            '\\' | '\'' | '"' | '?' => Some(e),
            _ => None,
        };
        if let Some(s) = simple {
            out.push(s);
            continue;
        }
        let (radix, max) = match e {
            '0'..='7' => {
                i -= 1;
                (8, 3)
            }
            'x' => (16, 2),
            'u' => (16, 4),
            'U' => (16, 8),
            'c' => {
                if let Some(&ctl) = chars.get(i) {
                    out.push(char::from((ctl as u32 & 0x1f) as u8));
                    i += 1;
                }
                continue;
            }
            other => {
                out.push('\\');
                out.push(other);
                continue;
            }
        };
        let digits: String = chars[i..]
            .iter()
            .take(max)
            .take_while(|d| d.is_digit(radix))
            .collect();
        if digits.is_empty() {
            out.push('\\');
            out.push(e);
            continue;
        }
        i += digits.len();
        let code = u32::from_str_radix(&digits, radix).unwrap_or(0);
        match e {
            // Octal and \x escapes give bytes; as text they are Latin-1 characters.
            '0'..='7' | 'x' => out.push(char::from((code & 0xff) as u8)),
            _ => out.push(char::from_u32(code).unwrap_or('\u{fffd}')),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(text: &str) -> Option<String> {
        resolve(text, &ParserOptions::default()).value
    }

    #[test]
    fn quote_removal_gives_the_value() {
        for text in [
            "rm",
            "'rm'",
            "\"rm\"",
            "r'm'",
            "r\\m",
            "\\rm",
            "r\"\"m",
            "$'rm'",
            "$'\\x72m'",
            "$'\\162\\155'",
            "$'\\u0072m'",
        ] {
            assert_eq!(value(text).as_deref(), Some("rm"), "{text}");
        }
    }

    #[test]
    fn expansions_are_dynamic() {
        for text in [
            "$X",
            "${X}",
            "$(echo rm)",
            "`echo rm`",
            "r?",
            "[r]m",
            "r*",
            "{r,x}m",
            "$((1))",
        ] {
            assert_eq!(value(text), None, "{text}");
        }
        assert_eq!(value("'r?'").as_deref(), Some("r?"));
    }

    #[test]
    fn substitutions_are_handed_back() {
        let r = resolve("a$(rm x)`id`", &ParserOptions::default());
        assert_eq!(r.nested, ["rm x", "id"]);
    }
}
