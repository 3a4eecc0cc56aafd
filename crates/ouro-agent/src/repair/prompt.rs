//! The repair prompt: the files (editable ones whole or in windows, tests for reference), the
//! task, the failing output and what an earlier attempt tried, in one user message under a
//! short system message that states the edit format.

use ouro_llm::chat_template::ChatMessage;

use super::edits::{EditFormat, EditableFile, instructions};
use super::localize::Located;

/// An earlier attempt that did not pass: its change and the failure after it.
#[derive(Debug, Clone)]
pub struct PreviousAttempt {
    /// Its diff (or its edits as text).
    pub change: String,
    /// Why it did not pass (test output, or why the edits did not apply).
    pub outcome: String,
}

/// Everything the prompt shows.
#[derive(Debug, Clone)]
pub struct PromptParts<'a> {
    /// The task's title.
    pub title: &'a str,
    /// The task's description.
    pub description: &'a str,
    /// The chosen files.
    pub located: &'a Located,
    /// The failing test output before any change.
    pub failure: Option<&'a str>,
    /// Earlier attempts of this run.
    pub previous: &'a [PreviousAttempt],
    /// The reply format.
    pub format: EditFormat,
    /// Ask for a short explanation before the edits.
    pub explain: bool,
}

const SYSTEM: &str = "You are an expert software engineer. You fix the task in the repository \
                      shown to you by editing its files.";

/// The fence language of a file, from its extension.
pub fn language(path: &str) -> &'static str {
    match path.rsplit_once('.').map_or("", |(_, e)| e) {
        "py" => "python",
        "js" | "mjs" | "cjs" => "javascript",
        "ts" => "typescript",
        "rs" => "rust",
        "sh" | "bash" => "bash",
        "toml" => "toml",
        "json" => "json",
        "go" => "go",
        "c" | "h" => "c",
        _ => "",
    }
}

fn show_file(out: &mut String, file: &EditableFile) {
    out.push_str(&format!("{}\n```{}\n", file.path, language(&file.path)));
    match &file.shown {
        None => {
            out.push_str(&file.text);
            if !file.text.ends_with('\n') {
                out.push('\n');
            }
        }
        Some(runs) => {
            let lines: Vec<&str> = file.text.lines().collect();
            let mut end = 0;
            for &(from, to) in runs {
                if from > end {
                    out.push_str("...\n");
                }
                for line in &lines[from.min(lines.len())..to.min(lines.len())] {
                    out.push_str(line);
                    out.push('\n');
                }
                end = to;
            }
            if end < lines.len() {
                out.push_str("...\n");
            }
        }
    }
    out.push_str("```\n\n");
}

/// The chat messages of a repair request.
pub fn messages(parts: &PromptParts<'_>) -> Vec<ChatMessage> {
    messages_asking(
        parts,
        &instructions(parts.format, &parts.located.editable, parts.explain),
    )
}

/// The chat messages of a repair request ending with `ask` instead of the format's
/// instructions (the files, task and failure come first, so prompts that differ only in
/// what they ask share their start).
pub fn messages_asking(parts: &PromptParts<'_>, ask: &str) -> Vec<ChatMessage> {
    // Reference files first, so that the files to edit come right before the task.
    let mut user = String::new();
    if !parts.located.context.is_empty() {
        user.push_str("For reference only (do not edit):\n\n");
        for (path, text) in &parts.located.context {
            show_file(&mut user, &EditableFile::whole(path, text));
        }
    }
    if parts.located.editable.len() == 1 {
        user.push_str("The file to edit:\n\n");
    } else {
        user.push_str("The files you may edit:\n\n");
    }
    for file in &parts.located.editable {
        show_file(&mut user, file);
    }
    user.push_str(&format!("Task: {}\n", parts.title.trim()));
    if !parts.description.trim().is_empty() {
        user.push_str(&format!("\n{}\n", parts.description.trim()));
    }
    if let Some(failure) = parts.failure {
        user.push_str(&format!(
            "\nThe tests fail now:\n```\n{}\n```\n",
            failure.trim()
        ));
    }
    for (i, previous) in parts.previous.iter().enumerate() {
        user.push_str(&format!(
            "\nAttempt {} made this change, and it was not right:\n```\n{}\n```\n{}\n",
            i + 1,
            previous.change.trim(),
            previous.outcome.trim()
        ));
    }
    if !parts.previous.is_empty() {
        user.push_str(
            "\nThe files above are as they were before that attempt. Try a different fix.\n",
        );
    }
    user.push('\n');
    user.push_str(ask);
    vec![
        ChatMessage::new("system", SYSTEM),
        ChatMessage::new("user", user),
    ]
}
