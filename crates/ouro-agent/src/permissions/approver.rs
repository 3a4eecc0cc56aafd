//! Who answers when the policy says `ask`: a person at a terminal, or nobody (headless).

use std::io::{BufRead, Write};
use std::sync::Mutex;

use super::Action;

/// What the approver is asked about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalRequest {
    /// The tool that wants to act.
    pub tool: String,
    /// The action.
    pub action: Action,
    /// The resource (path, command, host, name).
    pub resource: String,
}

/// The approver's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Approval {
    /// Allow this one call.
    AllowOnce,
    /// Allow this action on this resource for the rest of the session.
    AllowSession,
    /// Refuse.
    Deny,
}

/// Answers `ask` verdicts.
pub trait Approver: Send + Sync {
    /// Decides one request.
    fn approve(&self, request: &ApprovalRequest) -> Approval;
    /// A short name for the audit log (`terminal`, `headless`).
    fn name(&self) -> &'static str;
}

/// For unattended runs: everything that was not allowed outright is denied.
#[derive(Debug, Default, Clone, Copy)]
pub struct HeadlessApprover;

impl Approver for HeadlessApprover {
    fn approve(&self, _request: &ApprovalRequest) -> Approval {
        Approval::Deny
    }

    fn name(&self) -> &'static str {
        "headless"
    }
}

/// Asks on a terminal: prints the request and reads `y` (once), `a` (always, this session)
/// or anything else (deny). End of input or a read error counts as deny.
pub struct TerminalApprover<R, W> {
    io: Mutex<(R, W)>,
}

impl TerminalApprover<std::io::BufReader<std::io::Stdin>, std::io::Stderr> {
    /// An approver on this process's stdin and stderr. It takes stdin's lock only while it
    /// reads an answer, one byte at a time from stdin's shared buffer, so a prompt loop on
    /// the same stdin loses no typed-ahead input.
    pub fn stdio() -> Self {
        Self::new(
            std::io::BufReader::with_capacity(1, std::io::stdin()),
            std::io::stderr(),
        )
    }
}

impl<R: BufRead, W: Write> TerminalApprover<R, W> {
    /// An approver reading answers from `input` and writing prompts to `output`.
    pub fn new(input: R, output: W) -> Self {
        Self {
            io: Mutex::new((input, output)),
        }
    }
}

impl<R: BufRead + Send, W: Write + Send> Approver for TerminalApprover<R, W> {
    fn approve(&self, request: &ApprovalRequest) -> Approval {
        let Ok(mut io) = self.io.lock() else {
            return Approval::Deny;
        };
        let (input, output) = &mut *io;
        let prompt = write!(
            output,
            "ouro: tool `{}` wants to {} `{}`. Allow? [y]es once / [a]lways this session / [N]o: ",
            request.tool, request.action, request.resource
        )
        .and_then(|_| output.flush());
        if prompt.is_err() {
            return Approval::Deny;
        }
        let mut line = String::new();
        match input.read_line(&mut line) {
            Ok(n) if n > 0 => match line.trim().to_ascii_lowercase().as_str() {
                "y" | "yes" => Approval::AllowOnce,
                "a" | "always" => Approval::AllowSession,
                _ => Approval::Deny,
            },
            _ => Approval::Deny,
        }
    }

    fn name(&self) -> &'static str {
        "terminal"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> ApprovalRequest {
        ApprovalRequest {
            tool: "bash".into(),
            action: Action::Execute,
            resource: "make".into(),
        }
    }

    #[test]
    fn headless_denies() {
        assert_eq!(HeadlessApprover.approve(&request()), Approval::Deny);
    }

    #[test]
    fn terminal_reads_answers() {
        for (answer, expected) in [
            ("y\n", Approval::AllowOnce),
            ("Always\n", Approval::AllowSession),
            ("n\n", Approval::Deny),
            ("", Approval::Deny),
            ("maybe\n", Approval::Deny),
        ] {
            let mut out = Vec::new();
            let got = TerminalApprover::new(answer.as_bytes(), &mut out).approve(&request());
            assert_eq!(got, expected, "answer {answer:?}");
            let prompt = String::from_utf8(out).unwrap();
            assert!(
                prompt.contains("`bash` wants to execute `make`"),
                "{prompt}"
            );
        }
    }
}
