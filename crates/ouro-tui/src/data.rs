//! The plain data the panels show: one struct per source, filled by the adapters in
//! [`crate::sources`] (or by tests from recorded fixtures). Nothing here reads anything.

use serde::{Deserialize, Serialize};

/// One GPU's figures at one instant; `None` where the device or driver did not report it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GpuSample {
    pub index: u32,
    pub name: String,
    /// The compute backend that drives it: `cuda`, `vulkan`, `metal`, ...
    pub backend: String,
    /// Percent of the last sample period the device was busy.
    pub utilization_pct: Option<f32>,
    /// Bytes.
    pub memory_used: Option<u64>,
    /// Bytes.
    pub memory_total: Option<u64>,
    pub temperature_c: Option<f32>,
    pub power_w: Option<f32>,
    pub power_limit_w: Option<f32>,
}

/// What the GPU source found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum GpuReading {
    /// Every device, in index order.
    Devices(Vec<GpuSample>),
    /// No device could be read, and why.
    NoGpu { reason: String },
}

/// The CPU, memory and load at one instant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SystemSample {
    /// Percent busy per core since the previous sample, core 0 first.
    pub cpu_per_core: Vec<f32>,
    /// Percent busy over all cores since the previous sample.
    pub cpu_total: f32,
    /// Bytes.
    pub memory_total: u64,
    /// Bytes.
    pub memory_available: u64,
    /// Bytes.
    pub swap_total: u64,
    /// Bytes.
    pub swap_free: u64,
    /// 1, 5 and 15 minute load averages.
    pub load: [f32; 3],
}

/// How a finished attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Tests passed and the judge accepted: promoted.
    Promoted,
    /// Tests passed but the judge rejected the change.
    Rejected,
    /// Tests failed after the last attempt.
    Failed,
    /// Cancelled by a user.
    Cancelled,
}

/// A task that ran, with its outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskResult {
    pub id: String,
    pub title: String,
    pub verdict: Verdict,
    pub attempts: u32,
    pub duration_ms: u64,
}

/// The task being worked on now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunningTask {
    pub id: String,
    pub title: String,
    pub attempt: u32,
    /// The loop's `max_attempts`, from the repository's `ouro.toml` when it can be read.
    pub max_attempts: Option<u32>,
    pub elapsed_ms: u64,
}

/// The loop's queue at one instant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoopSnapshot {
    /// Task counts by the store's status names (`pending`, `in_progress`, `done`,
    /// `failed`, ...), in the order the store lists them.
    pub counts: Vec<(String, u64)>,
    pub running: Option<RunningTask>,
    /// Newest first.
    pub recent: Vec<TaskResult>,
}

/// What the loop source found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum LoopStatus {
    Running(LoopSnapshot),
    /// No loop to show, and why (e.g. `no loop running in /repo`).
    Absent {
        reason: String,
    },
}

/// The kind of one transcript line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedKind {
    User,
    Assistant,
    ToolCall,
    ToolResult,
    PermissionAllowed,
    PermissionDenied,
    /// The session started, resumed, compacted its context or ended a run.
    Note,
    /// Something failed, or a record could not be read.
    Error,
}

/// One line of the agent's live transcript.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedLine {
    pub kind: FeedKind,
    pub text: String,
}

/// The running agent session's transcript, oldest line first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentFeed {
    pub session: String,
    pub lines: Vec<FeedLine>,
}

/// What the agent source found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum AgentStatus {
    Session(AgentFeed),
    /// No session to show, and why.
    Absent {
        reason: String,
    },
}

/// The engine's generation speed over its last measuring window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EngineSample {
    pub model: String,
    pub tokens_per_s: f32,
    /// Tokens generated since the engine started.
    pub tokens_total: u64,
}

/// Everything the sources reported at one tick.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reading {
    pub gpu: GpuReading,
    /// `None` when the system figures could not be read (e.g. no `/proc`).
    pub system: Option<SystemSample>,
    pub loop_status: LoopStatus,
    pub agent: AgentStatus,
    /// `None` when no engine is running.
    pub engine: Option<EngineSample>,
}

/// A task the loop panel lists, for selection, details, retry and cancel.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskRef {
    pub id: String,
    pub title: String,
    /// `running`, or the verdict of the finished task.
    pub state: TaskState,
    pub attempts: u32,
    pub duration_ms: u64,
}

/// Where a listed task stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskState {
    Running,
    Done(Verdict),
}

impl LoopSnapshot {
    /// The tasks the panel lists: the running one first, then the recent results.
    pub fn tasks(&self) -> Vec<TaskRef> {
        let running = self.running.iter().map(|r| TaskRef {
            id: r.id.clone(),
            title: r.title.clone(),
            state: TaskState::Running,
            attempts: r.attempt,
            duration_ms: r.elapsed_ms,
        });
        let recent = self.recent.iter().map(|r| TaskRef {
            id: r.id.clone(),
            title: r.title.clone(),
            state: TaskState::Done(r.verdict),
            attempts: r.attempts,
            duration_ms: r.duration_ms,
        });
        running.chain(recent).collect()
    }
}
