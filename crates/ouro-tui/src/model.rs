//! The dashboard's model: the latest reading of every source plus the histories the
//! sparklines draw. [`Model::ingest`] is the only way data gets in.

use std::collections::BTreeMap;

use crate::data::{
    AgentStatus, EngineSample, GpuReading, LoopStatus, Reading, SystemSample, TaskRef,
};
use crate::history::History;

/// How many samples each history keeps (wider than any terminal's sparkline).
pub const HISTORY_LEN: usize = 300;

/// The histories of one GPU.
#[derive(Debug, Clone, PartialEq)]
pub struct GpuHistory {
    /// Percent busy.
    pub utilization: History,
    /// Percent of memory used.
    pub memory: History,
}

impl GpuHistory {
    fn new() -> GpuHistory {
        GpuHistory {
            utilization: History::new(HISTORY_LEN),
            memory: History::new(HISTORY_LEN),
        }
    }
}

/// Latest readings and their histories.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    pub gpu: GpuReading,
    /// By device index.
    pub gpu_history: BTreeMap<u32, GpuHistory>,
    pub system: Option<SystemSample>,
    /// Percent busy over all cores.
    pub cpu_history: History,
    /// Percent of memory used.
    pub memory_history: History,
    pub loop_status: LoopStatus,
    pub agent: AgentStatus,
    pub engine: Option<EngineSample>,
    pub engine_history: History,
    /// Readings ingested so far.
    pub readings: u64,
}

impl Model {
    /// A model holding one reading.
    pub fn new(first: Reading) -> Model {
        let mut model = Model {
            gpu: first.gpu.clone(),
            gpu_history: BTreeMap::new(),
            system: None,
            cpu_history: History::new(HISTORY_LEN),
            memory_history: History::new(HISTORY_LEN),
            loop_status: first.loop_status.clone(),
            agent: first.agent.clone(),
            engine: None,
            engine_history: History::new(HISTORY_LEN),
            readings: 0,
        };
        model.ingest(first);
        model
    }

    /// Takes a new reading: replaces the latest figures and extends the histories.
    pub fn ingest(&mut self, reading: Reading) {
        if let GpuReading::Devices(devices) = &reading.gpu {
            for d in devices {
                let h = self
                    .gpu_history
                    .entry(d.index)
                    .or_insert_with(GpuHistory::new);
                if let Some(u) = d.utilization_pct {
                    h.utilization.push(u);
                }
                if let (Some(used), Some(total)) = (d.memory_used, d.memory_total)
                    && total > 0
                {
                    h.memory.push(used as f32 / total as f32 * 100.0);
                }
            }
        }
        if let Some(s) = &reading.system {
            self.cpu_history.push(s.cpu_total);
            if s.memory_total > 0 {
                let used = s.memory_total.saturating_sub(s.memory_available);
                self.memory_history
                    .push(used as f32 / s.memory_total as f32 * 100.0);
            }
        }
        if let Some(e) = &reading.engine {
            self.engine_history.push(e.tokens_per_s);
        }
        self.gpu = reading.gpu;
        self.system = reading.system;
        self.loop_status = reading.loop_status;
        self.agent = reading.agent;
        self.engine = reading.engine;
        self.readings += 1;
    }

    /// The tasks the loop panel lists (none when no loop runs).
    pub fn tasks(&self) -> Vec<TaskRef> {
        match &self.loop_status {
            LoopStatus::Running(snapshot) => snapshot.tasks(),
            LoopStatus::Absent { .. } => Vec::new(),
        }
    }
}
