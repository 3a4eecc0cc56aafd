//! The system prompt: the agent's role and rules, the tools, the workspace path, and the
//! repository's own instructions (AGENTS.md, then README.md) trimmed to a budget.

use std::path::Path;

use crate::tools::ToolSpec;

/// The files read for repository context, in order of priority.
pub const CONTEXT_FILES: [&str; 2] = ["AGENTS.md", "README.md"];

/// Builds the system prompt for a workspace at `root` offering `tools`; the repository
/// files get at most `context_bytes` bytes together (earlier files first).
pub fn system_prompt(root: &Path, tools: &[ToolSpec], context_bytes: usize) -> String {
    let mut out = format!(
        "You are ouro, a coding agent. You work in the repository at {root} and complete the \
         user's task by calling tools.\n\n\
         How to work:\n\
         - Look before you change: list, grep and read the relevant code first.\n\
         - Make small, exact edits (edit_file, apply_patch); write whole files only when new.\n\
         - Run the tests or the program (bash) to check your work.\n\
         - Paths are relative to the repository root. An action the permission policy refuses \
         comes back as an error: do not try to get around it.\n\
         - A tool error is a message to you: read it, fix the call, and go on.\n\
         - When the task is done, or cannot be done, call `finish` with a short summary of \
         what you did and how you checked it.\n\n\
         Tools:\n",
        root = root.display()
    );
    for tool in tools {
        let first_sentence = tool.description.split(". ").next().unwrap_or_default();
        out.push_str(&format!(
            "- {}: {}\n",
            tool.name,
            first_sentence.trim_end_matches('.')
        ));
    }
    let mut budget = context_bytes;
    for name in CONTEXT_FILES {
        let Ok(text) = std::fs::read_to_string(root.join(name)) else {
            continue;
        };
        if budget == 0 {
            out.push_str(&format!(
                "\n({name} exists but did not fit the context budget.)\n"
            ));
            continue;
        }
        let cut = crate::text::truncate(text.trim(), budget);
        budget = budget.saturating_sub(cut.len());
        out.push_str(&format!("\n## {name}\n{cut}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::ToolRegistry;

    #[test]
    fn prompt_has_tools_workspace_and_trimmed_context() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("AGENTS.md"),
            "Run `make check` before finishing.",
        )
        .unwrap();
        std::fs::write(dir.path().join("README.md"), "x".repeat(10_000)).unwrap();
        let specs = ToolRegistry::standard().specs();
        let p = system_prompt(dir.path(), &specs, 200);
        assert!(p.contains(&dir.path().display().to_string()));
        assert!(p.contains("- finish: "));
        assert!(p.contains("## AGENTS.md\nRun `make check` before finishing."));
        assert!(p.contains("## README.md\n") && p.contains("output truncated"));
        assert!(p.len() < 4000, "{}", p.len());
        let p = system_prompt(dir.path(), &specs, 10);
        assert!(p.contains("README.md exists but did not fit"), "{p}");
    }
}
