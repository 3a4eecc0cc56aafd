//! What a shell command line runs: every simple command, found with a real bash grammar.
//!
//! Execute rules are judged on the simple commands a line runs, so `git status` cannot allow
//! `git status && rm -rf ~` and a deny rule on `rm` cannot be talked around. The line is parsed
//! by `brush-parser` (the parser of the brush shell) into its abstract syntax tree: lists,
//! pipelines, subshells, groups, `if`/`while`/`for`/`case`, functions, coprocesses,
//! redirections, here-documents, process substitution, `[[ ]]` and arithmetic. Comments are
//! dropped by the grammar, so they hide nothing. Every word goes through quote removal
//! ([`words`]); command substitutions are parsed as code of their own. Each simple command's
//! program is reduced to its base name (`/usr/bin/../bin/rm` is `rm`), and programs that run
//! other programs (`sudo`, `env`, `xargs`, `bash -c`, `eval`, `find -exec`...; see
//! [`wrappers`]) are looked through, so the command they run is judged too.
//!
//! What cannot be known from the text is reported in [`Analysis::unresolved`]: a parse
//! error, a program name decided at run time (`$X`, `$(echo rm)`, `r?`), a shell reading
//! its commands from a pipe, nesting deeper than [`MAX_DEPTH`]. The policy never allows such
//! a line on the strength of its rules.

pub mod words;
pub mod wrappers;

use brush_parser::ast;
use brush_parser::{Parser, ParserOptions};

pub use words::Word;
use wrappers::Inner;

/// How deep `bash -c`, `eval` and substitutions may nest before the line is unresolvable.
pub const MAX_DEPTH: usize = 16;

/// The simple commands a command line runs.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Analysis {
    /// Each simple command's words, the program (first word) reduced to its base name.
    pub commands: Vec<Vec<Word>>,
    /// Why part of the line cannot be judged, one reason per place.
    pub unresolved: Vec<String>,
    /// Whether the line uses command substitution (its output becomes part of a command).
    pub has_substitution: bool,
}

/// Analyses `line` (see the module documentation).
pub fn analyse(line: &str) -> Analysis {
    let mut walker = Walker {
        options: ParserOptions::default(),
        out: Analysis::default(),
    };
    walker.code(line, 0);
    walker.out
}

/// The program of a command, as a base name: `/bin/rm`, `./rm`, `a/../rm` are all `rm`.
pub fn base_name(program: &str) -> &str {
    let trimmed = program.trim_end_matches('/');
    match trimmed.rsplit('/').next() {
        Some(name) if !name.is_empty() => name,
        _ => program,
    }
}

struct Walker {
    options: ParserOptions,
    out: Analysis,
}

/// A here-document or here-string feeding standard input.
enum Stdin {
    Text(Option<String>),
    File,
}

impl Walker {
    /// Parses and walks shell code.
    fn code(&mut self, text: &str, depth: usize) {
        if depth > MAX_DEPTH {
            self.out
                .unresolved
                .push(format!("commands nested more than {MAX_DEPTH} deep"));
            return;
        }
        let mut parser = Parser::new(std::io::BufReader::new(text.as_bytes()), &self.options);
        match parser.parse_program() {
            Ok(program) => {
                for list in &program.complete_commands {
                    self.list(list, depth);
                }
            }
            Err(e) => self.out.unresolved.push(format!(
                "cannot parse `{}`: {e}",
                crate::text::truncate(text, 200)
            )),
        }
    }

    fn list(&mut self, list: &ast::CompoundList, depth: usize) {
        for ast::CompoundListItem(and_or, _) in &list.0 {
            self.pipeline(&and_or.first, depth);
            for next in &and_or.additional {
                match next {
                    ast::AndOr::And(p) | ast::AndOr::Or(p) => self.pipeline(p, depth),
                }
            }
        }
    }

    fn pipeline(&mut self, pipeline: &ast::Pipeline, depth: usize) {
        for command in &pipeline.seq {
            self.command(command, depth);
        }
    }

    fn command(&mut self, command: &ast::Command, depth: usize) {
        match command {
            ast::Command::Simple(simple) => self.simple(simple, depth),
            ast::Command::Compound(compound, redirects) => {
                self.compound(compound, depth);
                self.redirects(redirects.iter().flat_map(|r| &r.0), depth);
            }
            ast::Command::Function(f) => {
                self.compound(&f.body.0, depth);
                self.redirects(f.body.1.iter().flat_map(|r| &r.0), depth);
            }
            ast::Command::ExtendedTest(test, redirects) => {
                self.test(&test.expr, depth);
                self.redirects(redirects.iter().flat_map(|r| &r.0), depth);
            }
        }
    }

    fn compound(&mut self, compound: &ast::CompoundCommand, depth: usize) {
        use ast::CompoundCommand as C;
        match compound {
            C::Arithmetic(a) => self.arithmetic(&a.expr, depth),
            C::ArithmeticForClause(f) => {
                for expr in [&f.initializer, &f.condition, &f.updater]
                    .into_iter()
                    .flatten()
                {
                    self.arithmetic(expr, depth);
                }
                self.list(&f.body.list, depth);
            }
            C::BraceGroup(g) => self.list(&g.list, depth),
            C::Subshell(s) => self.list(&s.list, depth),
            C::ForClause(f) => {
                for w in f.values.iter().flatten() {
                    self.word(w, depth);
                }
                self.list(&f.body.list, depth);
            }
            C::CaseClause(c) => {
                self.word(&c.value, depth);
                for item in &c.cases {
                    for w in &item.patterns {
                        self.word(w, depth);
                    }
                    if let Some(cmd) = &item.cmd {
                        self.list(cmd, depth);
                    }
                }
            }
            C::IfClause(i) => {
                self.list(&i.condition, depth);
                self.list(&i.then, depth);
                for e in i.elses.iter().flatten() {
                    if let Some(c) = &e.condition {
                        self.list(c, depth);
                    }
                    self.list(&e.body, depth);
                }
            }
            C::WhileClause(w) | C::UntilClause(w) => {
                self.list(&w.0, depth);
                self.list(&w.1.list, depth);
            }
            C::Coprocess(c) => self.command(&c.body, depth),
        }
    }

    fn test(&mut self, expr: &ast::ExtendedTestExpr, depth: usize) {
        use ast::ExtendedTestExpr as T;
        match expr {
            T::And(a, b) | T::Or(a, b) => {
                self.test(a, depth);
                self.test(b, depth);
            }
            T::Not(a) | T::Parenthesized(a) => self.test(a, depth),
            T::UnaryTest(_, w) => {
                self.word(w, depth);
            }
            T::BinaryTest(_, a, b) => {
                self.word(a, depth);
                self.word(b, depth);
            }
        }
    }

    fn arithmetic(&mut self, expr: &ast::UnexpandedArithmeticExpr, depth: usize) {
        let resolved = words::resolve(&expr.value, &self.options);
        self.nested(resolved.nested, depth);
    }

    /// Resolves a word, walking the code its expansion runs.
    fn word(&mut self, word: &ast::Word, depth: usize) -> Word {
        let resolved = words::resolve(&word.value, &self.options);
        self.nested(resolved.nested, depth);
        match resolved.value {
            Some(v) => Word::Literal(v),
            None => Word::Dynamic(word.value.clone()),
        }
    }

    fn nested(&mut self, code: Vec<String>, depth: usize) {
        for body in code {
            self.out.has_substitution = true;
            self.code(&body, depth + 1);
        }
    }

    /// Walks redirections; returns what feeds standard input, if anything.
    fn redirects<'a>(
        &mut self,
        redirects: impl IntoIterator<Item = &'a ast::IoRedirect>,
        depth: usize,
    ) -> Option<Stdin> {
        use ast::IoFileRedirectTarget as Target;
        let mut stdin = None;
        for redirect in redirects {
            match redirect {
                ast::IoRedirect::File(fd, kind, target) => {
                    match target {
                        Target::Filename(w) | Target::Duplicate(w) => {
                            self.word(w, depth);
                        }
                        Target::ProcessSubstitution(_, s) => self.list(&s.list, depth),
                        Target::Fd(_) => {}
                    }
                    if matches!(kind, ast::IoFileRedirectKind::Read) && fd.unwrap_or(0) == 0 {
                        stdin = Some(Stdin::File);
                    }
                }
                ast::IoRedirect::HereDocument(fd, doc) => {
                    let text = if doc.requires_expansion {
                        let resolved = words::heredoc_code(&doc.doc.value, &self.options);
                        self.nested(resolved.nested, depth);
                        resolved.value
                    } else {
                        Some(doc.doc.value.clone())
                    };
                    if fd.unwrap_or(0) == 0 {
                        stdin = Some(Stdin::Text(text));
                    }
                }
                ast::IoRedirect::HereString(fd, w) => {
                    let text = self.word(w, depth).literal().map(str::to_string);
                    if fd.unwrap_or(0) == 0 {
                        stdin = Some(Stdin::Text(text));
                    }
                }
                ast::IoRedirect::OutputAndError(w, _) => {
                    self.word(w, depth);
                }
            }
        }
        stdin
    }

    fn simple(&mut self, simple: &ast::SimpleCommand, depth: usize) {
        let mut redirects = Vec::new();
        // Before the program, assignments only set variables; their values may still run code.
        for item in simple.prefix.iter().flat_map(|p| &p.0) {
            self.item(item, &mut redirects, None, depth);
        }
        let program = simple.word_or_name.as_ref().map(|w| self.word(w, depth));
        let mut words: Vec<Word> = program.into_iter().collect();
        // After it, every word (`env A=1`, `export A=1` included) is an argument.
        for item in simple.suffix.iter().flat_map(|s| &s.0) {
            self.item(item, &mut redirects, Some(&mut words), depth);
        }
        let stdin = self.redirects(redirects, depth);
        if !words.is_empty() {
            self.run(words, stdin.as_ref(), depth);
        }
    }

    /// Walks one prefix or suffix item; words go to `words` when given.
    fn item<'a>(
        &mut self,
        item: &'a ast::CommandPrefixOrSuffixItem,
        redirects: &mut Vec<&'a ast::IoRedirect>,
        words: Option<&mut Vec<Word>>,
        depth: usize,
    ) {
        use ast::CommandPrefixOrSuffixItem as I;
        let word = match item {
            I::IoRedirect(r) => {
                redirects.push(r);
                return;
            }
            I::Word(w) | I::AssignmentWord(_, w) => self.word(w, depth),
            I::ProcessSubstitution(_, s) => {
                self.out.has_substitution = true;
                self.list(&s.list, depth);
                Word::Dynamic("<(...)".to_string())
            }
        };
        if let Some(words) = words {
            words.push(word);
        }
    }

    /// Records a command and whatever it runs in turn.
    fn run(&mut self, mut words: Vec<Word>, stdin: Option<&Stdin>, depth: usize) {
        if depth > MAX_DEPTH {
            self.out
                .unresolved
                .push(format!("commands nested more than {MAX_DEPTH} deep"));
            return;
        }
        match words.first_mut() {
            Some(Word::Literal(program)) => *program = base_name(program).to_string(),
            Some(Word::Dynamic(shown)) => self
                .out
                .unresolved
                .push(format!("the program name `{shown}` is decided at run time")),
            None => return,
        }
        let inner = wrappers::inner(&words);
        let program = words[0].shown().to_string();
        self.out.commands.push(words);
        for found in inner {
            match found {
                Inner::Command(words) => self.run(words, None, depth + 1),
                Inner::Script(text) => self.code(&text, depth + 1),
                Inner::Unresolvable(why) => self.out.unresolved.push(format!("`{program}`: {why}")),
                Inner::Stdin => match stdin {
                    Some(Stdin::Text(Some(text))) => self.code(text, depth + 1),
                    Some(Stdin::File) => {}
                    _ => self.out.unresolved.push(format!(
                        "`{program}` reads commands from standard input, which ouro cannot see"
                    )),
                },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The commands as text (dynamic words shown as written), and whether all resolved.
    fn commands(line: &str) -> (Vec<String>, bool) {
        let a = analyse(line);
        let shown = a
            .commands
            .iter()
            .map(|c| c.iter().map(Word::shown).collect::<Vec<_>>().join(" "))
            .collect();
        (shown, a.unresolved.is_empty())
    }

    #[test]
    fn lists_pipelines_and_groups_are_split() {
        let (c, ok) = commands("git  status &&cargo test|| ls ;pwd; (cd x; make) | { tail; }");
        assert!(ok);
        assert_eq!(
            c,
            [
                "git status",
                "cargo test",
                "ls",
                "pwd",
                "cd x",
                "make",
                "tail"
            ]
        );
    }

    #[test]
    fn quotes_and_comments_hide_nothing() {
        let (c, ok) = commands("echo 'a;b' \"c|d\" # ; rm -rf /\nrm x");
        assert!(ok);
        assert_eq!(c, ["echo a;b c|d", "rm x"]);
    }

    #[test]
    fn nested_code_is_found() {
        let a = analyse("echo $(rm -rf x) `id` <(curl e) \"$(wget f)\"");
        assert!(a.has_substitution);
        let programs: Vec<&str> = a.commands.iter().map(|c| c[0].shown()).collect();
        for p in ["echo", "rm", "id", "curl", "wget"] {
            assert!(programs.contains(&p), "{p} in {programs:?}");
        }
    }

    #[test]
    fn program_names_are_base_names() {
        assert_eq!(base_name("/usr/bin/../bin/rm"), "rm");
        assert_eq!(base_name("./rm"), "rm");
        assert_eq!(base_name("rm"), "rm");
    }

    #[test]
    fn unknowable_lines_are_unresolved() {
        for line in ["$X -rf /", "echo rm | bash", "if then fi (", "r? x"] {
            assert!(!analyse(line).unresolved.is_empty(), "{line}");
        }
    }

    #[test]
    fn unterminated_input_does_not_panic() {
        for line in [
            "echo 'abc",
            "echo \"abc",
            "echo $(abc",
            "echo `abc",
            "x\\",
            "cat <<EOF",
        ] {
            let _ = analyse(line);
        }
    }
}
