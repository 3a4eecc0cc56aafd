//! CUDA graphs: a sequence of launches recorded once from a stream and replayed with one
//! call, which removes the per-kernel launch cost of work made of many small kernels (a
//! decode step of a language model). The recorded launches keep their arguments: buffers
//! they use must outlive the graph, and values that change between replays must be read
//! by the kernels from device memory.

use std::sync::Arc;

use cudarc::driver::sys::{CUgraphInstantiate_flags, CUstreamCaptureMode};
use cudarc::driver::{CudaGraph, CudaStream};

use super::{CudaError, guarded};

/// A recorded, instantiated graph, replayed on the stream it was recorded from.
pub struct Graph {
    graph: CudaGraph,
}

// SAFETY: a graph is used through `&mut`/`&` of its owner only, never from two threads at
// once (cudarc leaves CudaGraph !Send because graph objects are not internally synchronized;
// moving one between threads is allowed by CUDA).
unsafe impl Send for Graph {}

impl std::fmt::Debug for Graph {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Graph")
    }
}

impl Graph {
    /// Records what `record` queues on `stream` (nothing runs meanwhile) and instantiates it.
    /// The capture is always ended, also when `record` fails, so the stream stays usable.
    pub fn capture(
        stream: &Arc<CudaStream>,
        record: impl FnOnce() -> Result<(), CudaError>,
    ) -> Result<Graph, CudaError> {
        guarded(|| {
            stream.begin_capture(CUstreamCaptureMode::CU_STREAM_CAPTURE_MODE_THREAD_LOCAL)?;
            let recorded = record();
            let ended = stream.end_capture(CUgraphInstantiate_flags(0));
            recorded?;
            let graph = ended?.ok_or_else(|| CudaError::Invalid("an empty CUDA graph".into()))?;
            graph.upload()?;
            Ok(Graph { graph })
        })
    }

    /// Queues one replay on the stream it was recorded from.
    pub fn launch(&self) -> Result<(), CudaError> {
        guarded(|| Ok(self.graph.launch()?))
    }
}
