//! Continuous batching: independent requests share one engine. [`Batcher::start`] runs a
//! worker thread that owns the running sequences, each with its own KV cache, sampler,
//! grammar and stop strings. Requests join between steps (a prompt is evaluated a chunk at a
//! time, one chunk per step, so the running sequences keep decoding meanwhile); every step
//! decodes one token of each running sequence in one forward pass
//! ([`Model::forward_each`]: the weights are read once for all of them); a sequence leaves as
//! soon as it stops, its caller cancels it or drops its [`Handle`], and the next waiting
//! request takes its place. Each request streams its text through its own channel.
//!
//! The queue is bounded: [`Batcher::submit`] refuses a request when it is full
//! ([`BatchError::QueueFull`]), so a server can answer 429 instead of piling up work.
//! On a GPU the requests run one after the other (batched decoding on CUDA is not written
//! yet); the interface is the same.
//!
//! [`Model::forward_each`]: crate::model::Model::forward_each

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, SyncSender, TrySendError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::decode::{Decoder, Step};
use crate::device::Sequence;
use crate::engine::{Engine, EngineError, GenerateOptions, Generation, StopReason};
use crate::model::{BatchScratch, Logits, State};

/// How much work the batcher takes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchLimits {
    /// Most sequences decoded together.
    pub max_sequences: usize,
    /// Most requests waiting for a place (beyond the running ones).
    pub max_queue: usize,
    /// Context size of each sequence in tokens (prompt and reply).
    pub n_ctx: usize,
    /// Most prompt tokens evaluated in one step.
    pub prefill_chunk: usize,
}

impl Default for BatchLimits {
    fn default() -> Self {
        BatchLimits {
            max_sequences: 8,
            max_queue: 64,
            n_ctx: 4096,
            prefill_chunk: 256,
        }
    }
}

/// One request: a tokenized prompt and how to generate its reply.
#[derive(Debug, Clone)]
pub struct Request {
    /// The prompt's tokens (not empty).
    pub prompt_tokens: Vec<u32>,
    /// Sampling, stops, grammar and the reply's length (`lookup` drafts are not used).
    pub opts: GenerateOptions,
}

/// What a request's [`Handle`] receives.
#[derive(Debug)]
pub enum Event {
    /// The next piece of the reply's text.
    Text(String),
    /// The reply is complete (or failed); nothing follows.
    Done(Result<Generation, EngineError>),
}

/// Why a request was not taken.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    #[error("the queue is full ({limit} requests waiting): try again later")]
    QueueFull { limit: usize },
    #[error("the prompt has {tokens} tokens, more than the context of {n_ctx} allows")]
    PromptTooLong { tokens: usize, n_ctx: usize },
    #[error("the prompt is empty")]
    EmptyPrompt,
    #[error("the batcher has stopped")]
    Stopped,
    #[error(transparent)]
    Engine(#[from] EngineError),
}

/// The caller's end of one request: its events, and a way to cancel it.
#[derive(Debug)]
pub struct Handle {
    events: Receiver<Event>,
    cancel: Arc<AtomicBool>,
}

impl Handle {
    /// Asks the batcher to stop this request; its `Done` event follows with
    /// [`StopReason::Cancelled`]. The other requests are not disturbed.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    /// A way to cancel this request from elsewhere (another thread, a drop guard).
    pub fn canceller(&self) -> Canceller {
        Canceller(self.cancel.clone())
    }

    /// The next event, waiting for it; `None` once the batcher has gone.
    pub fn recv(&self) -> Option<Event> {
        self.events.recv().ok()
    }

    /// The next event if one comes within `timeout`.
    pub fn recv_timeout(&self, timeout: Duration) -> Option<Event> {
        self.events.recv_timeout(timeout).ok()
    }

    /// Waits for the whole reply, giving each piece of text to `on_text` as it comes.
    pub fn wait(self, on_text: &mut dyn FnMut(&str)) -> Result<Generation, BatchError> {
        loop {
            match self.recv() {
                Some(Event::Text(piece)) => on_text(&piece),
                Some(Event::Done(result)) => return Ok(result?),
                None => return Err(BatchError::Stopped),
            }
        }
    }
}

/// Cancels one request (see [`Handle::canceller`]).
#[derive(Debug, Clone)]
pub struct Canceller(Arc<AtomicBool>);

impl Canceller {
    /// As [`Handle::cancel`].
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// Counters of the batcher's work, for metrics.
#[derive(Debug, Default)]
pub struct BatchStats {
    /// Requests waiting for a place.
    pub queued: AtomicUsize,
    /// Sequences running now.
    pub running: AtomicUsize,
    /// Decoding steps made.
    pub steps: AtomicUsize,
    /// Sequences decoded in all steps together (divide by `steps` for the mean batch).
    pub sequences_stepped: AtomicUsize,
    /// Requests finished (any stop reason, errors included).
    pub finished: AtomicUsize,
}

/// A request on its way to the worker.
struct Job {
    request: Request,
    events: Sender<Event>,
    cancel: Arc<AtomicBool>,
}

impl Job {
    fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }
}

/// Serves requests on one engine through a worker thread (see the module documentation).
pub struct Batcher {
    jobs: Option<SyncSender<Job>>,
    worker: Option<JoinHandle<()>>,
    limits: BatchLimits,
    stats: Arc<BatchStats>,
}

impl Batcher {
    /// Starts the worker for `engine`.
    pub fn start(engine: Arc<Engine>, limits: BatchLimits) -> Batcher {
        let limits = BatchLimits {
            max_sequences: limits.max_sequences.max(1),
            prefill_chunk: limits.prefill_chunk.max(1),
            ..limits
        };
        let (jobs, inbox) = mpsc::sync_channel(limits.max_queue);
        let stats = Arc::new(BatchStats::default());
        let worker_stats = stats.clone();
        let worker = std::thread::Builder::new()
            .name("ouro-batcher".into())
            .spawn(move || Worker::new(engine, limits, worker_stats).run(inbox))
            .ok();
        Batcher {
            jobs: worker.is_some().then_some(jobs),
            worker,
            limits,
            stats,
        }
    }

    /// Queues `request`; its reply streams through the returned handle.
    pub fn submit(&self, request: Request) -> Result<Handle, BatchError> {
        if request.prompt_tokens.is_empty() {
            return Err(BatchError::EmptyPrompt);
        }
        if request.prompt_tokens.len() >= self.limits.n_ctx {
            return Err(BatchError::PromptTooLong {
                tokens: request.prompt_tokens.len(),
                n_ctx: self.limits.n_ctx,
            });
        }
        let jobs = self.jobs.as_ref().ok_or(BatchError::Stopped)?;
        let (events, receiver) = mpsc::channel();
        let cancel = Arc::new(AtomicBool::new(false));
        let job = Job {
            request,
            events,
            cancel: cancel.clone(),
        };
        self.stats.queued.fetch_add(1, Ordering::Relaxed);
        match jobs.try_send(job) {
            Ok(()) => Ok(Handle {
                events: receiver,
                cancel,
            }),
            Err(e) => {
                self.stats.queued.fetch_sub(1, Ordering::Relaxed);
                Err(match e {
                    TrySendError::Full(_) => BatchError::QueueFull {
                        limit: self.limits.max_queue,
                    },
                    TrySendError::Disconnected(_) => BatchError::Stopped,
                })
            }
        }
    }

    /// The limits it runs under.
    pub fn limits(&self) -> BatchLimits {
        self.limits
    }

    /// Its counters.
    pub fn stats(&self) -> &BatchStats {
        &self.stats
    }
}

impl Drop for Batcher {
    /// Stops taking requests, lets the running and queued ones finish, and joins the worker.
    fn drop(&mut self) {
        self.jobs = None;
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

/// One request being served.
struct Running {
    job: Job,
    state: Box<State>,
    decoder: Decoder,
    /// Prompt tokens evaluated so far.
    fed: usize,
    /// The token to run next (sampled, not yet in the cache).
    pending: Option<u32>,
    started: Instant,
    prompt_time: Duration,
    generation_started: Option<Instant>,
}

impl Running {
    /// Sends a piece of the reply; a caller that hung up cancels its request.
    fn emit(events: &Sender<Event>, cancel: &AtomicBool, piece: &str) {
        if events.send(Event::Text(piece.to_string())).is_err() {
            cancel.store(true, Ordering::Relaxed);
        }
    }

    /// Samples the next token from `logits` and decides whether the reply goes on.
    fn choose(
        &mut self,
        engine: &Engine,
        logits: &mut [f32],
        max_tokens: usize,
    ) -> Result<Option<StopReason>, EngineError> {
        if self.decoder.tokens.len() >= max_tokens {
            return Ok(Some(StopReason::MaxTokens));
        }
        if self.job.cancelled() {
            return Ok(Some(StopReason::Cancelled));
        }
        let (events, cancel) = (&self.job.events, &self.job.cancel);
        let step = self.decoder.next(engine, logits, &mut |piece| {
            Self::emit(events, cancel, piece)
        })?;
        Ok(match step {
            Step::Stop(reason) => Some(reason),
            Step::Token(_) if self.state.pos() >= self.state.capacity() => {
                Some(StopReason::ContextFull)
            }
            Step::Token(_) if self.decoder.tokens.len() >= max_tokens => {
                Some(StopReason::MaxTokens)
            }
            Step::Token(token) => {
                self.pending = Some(token);
                None
            }
        })
    }

    /// Ends the request with `reason`, sending what is held back and the result.
    fn finish(mut self, reason: StopReason) {
        let (events, cancel) = (&self.job.events, &self.job.cancel);
        self.decoder
            .finish(reason, &mut |piece| Self::emit(events, cancel, piece));
        let generation_time = self
            .generation_started
            .map_or(Duration::ZERO, |at| at.elapsed());
        let generation = crate::candidates::generation(
            self.job.request.prompt_tokens.len(),
            self.decoder,
            reason,
            self.prompt_time,
            generation_time,
        );
        let _ = self.job.events.send(Event::Done(Ok(generation)));
    }
}

/// The worker thread's state.
struct Worker {
    engine: Arc<Engine>,
    limits: BatchLimits,
    stats: Arc<BatchStats>,
    waiting: VecDeque<Job>,
    running: Vec<Running>,
    scratch: BatchScratch,
}

impl Worker {
    fn new(engine: Arc<Engine>, limits: BatchLimits, stats: Arc<BatchStats>) -> Worker {
        Worker {
            engine,
            limits,
            stats,
            waiting: VecDeque::new(),
            running: Vec::new(),
            scratch: BatchScratch::default(),
        }
    }

    fn run(mut self, inbox: Receiver<Job>) {
        let mut open = true;
        while open || !self.waiting.is_empty() || !self.running.is_empty() {
            if self.waiting.is_empty() && self.running.is_empty() {
                match inbox.recv() {
                    Ok(job) => self.waiting.push_back(job),
                    Err(_) => open = false,
                }
            }
            // Only as many as there are free places leave the queue, so that its bound
            // holds (requests beyond it are refused, not buffered here).
            while self.running.len() + self.waiting.len() < self.limits.max_sequences {
                match inbox.try_recv() {
                    Ok(job) => self.waiting.push_back(job),
                    Err(mpsc::TryRecvError::Empty) => break,
                    Err(mpsc::TryRecvError::Disconnected) => {
                        open = false;
                        break;
                    }
                }
            }
            self.admit();
            self.stats
                .running
                .store(self.running.len(), Ordering::Relaxed);
            if let Err(e) = self.step() {
                // A failed forward pass leaves the caches unknown: every running request
                // ends with the error.
                let message = e.to_string();
                for running in self.running.drain(..) {
                    let _ = running
                        .job
                        .events
                        .send(Event::Done(Err(EngineError::Batch(message.clone()))));
                    self.stats.finished.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }

    /// Moves waiting requests into free places (or serves one alone on a GPU).
    fn admit(&mut self) {
        while self.running.len() < self.limits.max_sequences {
            let Some(job) = self.waiting.pop_front() else {
                return;
            };
            self.stats.queued.fetch_sub(1, Ordering::Relaxed);
            // The cache holds what this request can use, not the whole context: the prompt,
            // the reply's most tokens and the one position sampling looks past.
            let needed = job.request.prompt_tokens.len() + job.request.opts.max_tokens + 1;
            let sequence = self.engine.new_sequence(needed.min(self.limits.n_ctx));
            match sequence {
                Ok(Sequence::Cpu(state)) => match Decoder::new(
                    &self.engine,
                    &job.request.opts,
                    job.request.opts.sampling.clone(),
                    &job.request.prompt_tokens,
                ) {
                    Ok(decoder) => self.running.push(Running {
                        job,
                        state,
                        decoder,
                        fed: 0,
                        pending: None,
                        started: Instant::now(),
                        prompt_time: Duration::ZERO,
                        generation_started: None,
                    }),
                    Err(e) => self.fail(&job, e),
                },
                Ok(mut other) => self.serve_alone(job, &mut other),
                Err(e) => self.fail(&job, e),
            }
        }
    }

    fn fail(&self, job: &Job, error: EngineError) {
        let _ = job.events.send(Event::Done(Err(error)));
        self.stats.finished.fetch_add(1, Ordering::Relaxed);
    }

    /// Serves `job` on its own, start to end (devices without batched decoding).
    fn serve_alone(&self, job: Job, sequence: &mut Sequence) {
        let opts = GenerateOptions {
            lookup: None,
            ..job.request.opts.clone()
        };
        let result = self.engine.generate_in(
            sequence,
            &job.request.prompt_tokens,
            &opts,
            &job.cancel,
            &mut |piece| Running::emit(&job.events, &job.cancel, piece),
        );
        let _ = job.events.send(Event::Done(result));
        self.stats.finished.fetch_add(1, Ordering::Relaxed);
    }

    /// One step: a prompt chunk of the first request still reading its prompt, then one
    /// token of every request that is decoding.
    fn step(&mut self) -> Result<(), EngineError> {
        let engine = self.engine.clone();
        let (model, pool) = (&engine.model, &engine.pool);
        if let Some(i) = self
            .running
            .iter()
            .position(|r| r.pending.is_none() && r.fed < r.job.request.prompt_tokens.len())
        {
            let chunk = self.limits.prefill_chunk;
            let running = &mut self.running[i];
            let prompt = &running.job.request.prompt_tokens;
            let end = (running.fed + chunk).min(prompt.len());
            let mut logits = model
                .forward(
                    &mut running.state,
                    &prompt[running.fed..end],
                    Logits::Last,
                    pool,
                )?
                .to_vec();
            engine.record_tokens(end - running.fed);
            running.fed = end;
            if end == prompt.len() {
                running.prompt_time = running.started.elapsed();
                running.generation_started = Some(Instant::now());
                let max_tokens = running.job.request.opts.max_tokens;
                if let Some(reason) = running.choose(&engine, &mut logits, max_tokens)? {
                    self.end(i, reason);
                }
            }
        }
        // Requests cancelled while waiting for their turn end now.
        let mut i = 0;
        while i < self.running.len() {
            if self.running[i].job.cancelled() {
                self.end(i, StopReason::Cancelled);
            } else {
                i += 1;
            }
        }
        let rows: Vec<usize> = (0..self.running.len())
            .filter(|&i| self.running[i].pending.is_some())
            .collect();
        if rows.is_empty() {
            return Ok(());
        }
        let tokens: Vec<u32> = rows
            .iter()
            .filter_map(|&i| self.running[i].pending)
            .collect();
        let mut states: Vec<&mut State> = self
            .running
            .iter_mut()
            .filter(|r| r.pending.is_some())
            .map(|r| r.state.as_mut())
            .collect();
        let n_vocab = model.config().n_vocab;
        let mut logits = model
            .forward_each(&mut states, &tokens, &mut self.scratch, pool)?
            .to_vec();
        engine.record_tokens(tokens.len());
        self.stats.steps.fetch_add(1, Ordering::Relaxed);
        self.stats
            .sequences_stepped
            .fetch_add(tokens.len(), Ordering::Relaxed);
        let mut ended = Vec::new();
        for (row, &i) in rows.iter().enumerate() {
            let running = &mut self.running[i];
            running.pending = None;
            let max_tokens = running.job.request.opts.max_tokens;
            let row_logits = &mut logits[row * n_vocab..(row + 1) * n_vocab];
            if let Some(reason) = running.choose(&engine, row_logits, max_tokens)? {
                ended.push((i, reason));
            }
        }
        for &(i, reason) in ended.iter().rev() {
            self.end(i, reason);
        }
        Ok(())
    }

    /// Ends running request `i`.
    fn end(&mut self, i: usize, reason: StopReason) {
        let running = self.running.remove(i);
        running.finish(reason);
        self.stats.finished.fetch_add(1, Ordering::Relaxed);
    }
}
