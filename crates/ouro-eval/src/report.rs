//! What an evaluation found, per task and in total, as JSON and as a table.

use serde::Serialize;

/// One task's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TaskResult {
    /// The task.
    pub id: String,
    /// Its language.
    pub language: String,
    /// Its tier.
    pub tier: String,
    /// The loop promoted a change and the hidden test passes on the target branch.
    pub fixed: bool,
    /// How the loop's run ended (`done`, `failed`, `rejected`, ...), or `error`.
    pub outcome: String,
    /// The hidden test passed on the target branch.
    pub hidden_passed: bool,
    /// Coder attempts made.
    pub attempts: u32,
    /// Seconds the loop's run took.
    pub seconds: f64,
    /// Prompt tokens the coder spent.
    pub prompt_tokens: u64,
    /// Tokens it generated.
    pub generated_tokens: u64,
    /// Files the promoted change touched.
    pub files: Vec<String>,
    /// Of those, the ones beyond the reference fix's files.
    pub extra_files: Vec<String>,
    /// Why it was not fixed: the loop's last error, or the hidden test's output tail.
    pub detail: String,
    /// The run folder (inside the kept work folder, when kept).
    pub run_dir: String,
}

/// Totals over the tasks.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Totals {
    /// Tasks run.
    pub tasks: usize,
    /// Tasks fixed.
    pub fixed: usize,
    /// `fixed / tasks`.
    pub fix_rate: f64,
    /// Median seconds per task.
    pub median_seconds: f64,
    /// Seconds over all tasks.
    pub total_seconds: f64,
    /// Prompt tokens over all tasks.
    pub prompt_tokens: u64,
    /// Generated tokens over all tasks.
    pub generated_tokens: u64,
    /// Tasks whose promoted change touched files beyond the reference fix.
    pub with_extra_files: usize,
}

/// A whole evaluation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvalReport {
    /// The suite's folder.
    pub suite: String,
    /// What coded (strategy and model), in words.
    pub coder: String,
    /// Per task.
    pub tasks: Vec<TaskResult>,
    /// In total.
    pub totals: Totals,
}

impl Totals {
    /// The totals of `tasks`.
    pub fn of(tasks: &[TaskResult]) -> Totals {
        let fixed = tasks.iter().filter(|t| t.fixed).count();
        let mut seconds: Vec<f64> = tasks.iter().map(|t| t.seconds).collect();
        seconds.sort_by(f64::total_cmp);
        let median_seconds = match seconds.len() {
            0 => 0.0,
            n if n % 2 == 1 => seconds[n / 2],
            n => (seconds[n / 2 - 1] + seconds[n / 2]) / 2.0,
        };
        Totals {
            tasks: tasks.len(),
            fixed,
            fix_rate: if tasks.is_empty() {
                0.0
            } else {
                fixed as f64 / tasks.len() as f64
            },
            median_seconds,
            total_seconds: seconds.iter().sum(),
            prompt_tokens: tasks.iter().map(|t| t.prompt_tokens).sum(),
            generated_tokens: tasks.iter().map(|t| t.generated_tokens).sum(),
            with_extra_files: tasks.iter().filter(|t| !t.extra_files.is_empty()).count(),
        }
    }
}

impl TaskResult {
    /// One table row.
    pub fn row(&self) -> String {
        format!(
            "{:<38} {:<6} {:<9} {:>3} {:>7.1} {:>7} {:>6}  {}",
            self.id,
            if self.fixed { "fixed" } else { "-" },
            self.outcome,
            self.attempts,
            self.seconds,
            self.prompt_tokens,
            self.generated_tokens,
            if self.extra_files.is_empty() {
                String::new()
            } else {
                format!("extra: {}", self.extra_files.join(", "))
            }
        )
    }
}

/// The table's header.
pub const HEADER: &str = "task                                   fixed  outcome   att       s  prompt    gen  files beyond the fix";

impl EvalReport {
    /// The report as a table with a totals line.
    pub fn render(&self) -> String {
        let mut out = format!("suite {}, coder {}\n{HEADER}\n", self.suite, self.coder);
        for task in &self.tasks {
            out.push_str(&task.row());
            out.push('\n');
        }
        let t = &self.totals;
        out.push_str(&format!(
            "fixed {}/{} ({:.0}%), median {:.1} s per task, {:.0} s in all, {} prompt + {} generated tokens, {} task(s) with files beyond the fix\n",
            t.fixed,
            t.tasks,
            t.fix_rate * 100.0,
            t.median_seconds,
            t.total_seconds,
            t.prompt_tokens,
            t.generated_tokens,
            t.with_extra_files
        ));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(id: &str, fixed: bool, seconds: f64, extra: &[&str]) -> TaskResult {
        TaskResult {
            id: id.into(),
            language: "python".into(),
            tier: "small".into(),
            fixed,
            outcome: if fixed { "done" } else { "failed" }.into(),
            hidden_passed: fixed,
            attempts: 1,
            seconds,
            prompt_tokens: 10,
            generated_tokens: 5,
            files: vec![],
            extra_files: extra.iter().map(|s| s.to_string()).collect(),
            detail: String::new(),
            run_dir: String::new(),
        }
    }

    #[test]
    fn totals_count_fixes_median_time_and_extra_files() {
        let tasks = [
            result("a", true, 10.0, &[]),
            result("b", false, 30.0, &["x.json"]),
            result("c", true, 20.0, &[]),
            result("d", true, 40.0, &[]),
        ];
        let t = Totals::of(&tasks);
        assert_eq!((t.tasks, t.fixed, t.with_extra_files), (4, 3, 1));
        assert_eq!(t.median_seconds, 25.0);
        assert_eq!(t.fix_rate, 0.75);
        assert_eq!(t.prompt_tokens, 40);
        let report = EvalReport {
            suite: "s".into(),
            coder: "c".into(),
            tasks: tasks.to_vec(),
            totals: t,
        };
        let text = report.render();
        assert!(
            text.contains("fixed 3/4 (75%)") && text.contains("extra: x.json"),
            "{text}"
        );
    }
}
