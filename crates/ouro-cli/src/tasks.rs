//! `ouro tasks ...`: argument parsing for the task queue; the work is in `ouro_loop`.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use ouro_loop::{NewTask, Status, open_store, report, tasks_file};

/// Manage the loop's task queue (`<repo>/.ouro/tasks.db`).
#[derive(Args)]
pub struct TasksArgs {
    /// The repository (default: the current directory).
    #[arg(long, global = true, default_value = ".")]
    repo: PathBuf,
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: TasksCommand,
}

#[derive(Subcommand)]
enum TasksCommand {
    /// Queue a task.
    Add {
        /// What to do, one line.
        title: String,
        /// Its id (default: the next free number).
        #[arg(long)]
        id: Option<String>,
        /// More detail for the coder.
        #[arg(long, default_value = "")]
        description: String,
        /// A file to start from (repeatable).
        #[arg(long = "input")]
        inputs: Vec<String>,
        /// A shell command that must pass (repeatable).
        #[arg(long = "test")]
        tests: Vec<String>,
        /// Higher runs first.
        #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
        priority: i64,
    },
    /// List tasks in queue order.
    List {
        /// Only tasks with this status.
        #[arg(long)]
        status: Option<String>,
    },
    /// A task in detail, with its runs and their folders.
    Show {
        /// The task id.
        id: String,
    },
    /// Put a failed, rejected or cancelled task back in the queue.
    Retry {
        /// The task id.
        id: String,
    },
    /// Cancel a pending or running task.
    Cancel {
        /// The task id.
        id: String,
    },
    /// Add the new tasks of an `auto_tasks.json` file.
    Import {
        /// The file.
        file: PathBuf,
    },
    /// Write every task as `auto_tasks.json` (to stdout without FILE).
    Export {
        /// The file to write.
        file: Option<PathBuf>,
    },
}

fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// Runs `ouro tasks ...`.
pub fn run(args: TasksArgs) -> anyhow::Result<()> {
    let (_, mut store) = open_store(&args.repo)?;
    let json = args.json;
    match args.command {
        TasksCommand::Add {
            title,
            id,
            description,
            inputs,
            tests,
            priority,
        } => {
            let task = store.add(&NewTask {
                id,
                title,
                description,
                inputs,
                tests,
                priority,
                status: None,
            })?;
            if json {
                print_json(&task)?;
            } else {
                println!("added task {}: {}", task.id, task.title);
            }
        }
        TasksCommand::List { status } => {
            let status = status.map(|s| s.parse::<Status>()).transpose()?;
            let tasks = store.list(status)?;
            if json {
                print_json(&tasks)?;
            } else {
                print!("{}", report::tasks_table(&tasks));
            }
        }
        TasksCommand::Show { id } => {
            let task = store.get(&id)?;
            let runs = store.runs_of(&id)?;
            if json {
                print_json(&serde_json::json!({ "task": task, "runs": runs }))?;
            } else {
                print!("{}", report::task_details(&task, &runs));
            }
        }
        TasksCommand::Retry { id } => {
            let task = store.retry(&id)?;
            println!("task {} is {}", task.id, task.status);
        }
        TasksCommand::Cancel { id } => {
            let task = store.cancel(&id)?;
            println!("task {} is {}", task.id, task.status);
        }
        TasksCommand::Import { file } => {
            let result = tasks_file::import(&mut store, &file)?;
            if json {
                print_json(&result)?;
            } else {
                println!(
                    "added {} task(s), {} already queued",
                    result.added.len(),
                    result.existing.len()
                );
            }
        }
        TasksCommand::Export { file } => {
            let text = tasks_file::export_text(&store.list(None)?)?;
            match file {
                Some(file) => std::fs::write(&file, text)
                    .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", file.display()))?,
                None => print!("{text}"),
            }
        }
    }
    Ok(())
}
