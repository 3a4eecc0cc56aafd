//! Snapshot tests of every panel and of the whole screen, drawn on ratatui's TestBackend from
//! the recorded inputs in `tests/fixtures/` (real `/proc` files of the build machine; `ouro
//! gpu watch --json` samples recorded on an H100 while a benchmark ran; an engine's status
//! file read while it generated; a real agent session's journal; a real task store copied
//! while `ouro loop` ran), at 80x24 and 200x60.

use std::path::PathBuf;
use std::time::Duration;

use insta::assert_snapshot;
use ouro_tui::app::{AppState, Key, Panel, update};
use ouro_tui::data::{
    AgentFeed, AgentStatus, EngineSample, GpuReading, LoopSnapshot, LoopStatus, Reading,
};
use ouro_tui::model::Model;
use ouro_tui::panels::status::FrameStats;
use ouro_tui::panels::{agent, engine, gpu, loop_panel, system};
use ouro_tui::snapshot::{Size, frame_text};
use ouro_tui::sources::{self, proc};
use ouro_tui::theme::Theme;
use ouro_tui::ui::buffer_text;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

const SMALL: Size = Size { cols: 80, rows: 24 };
const LARGE: Size = Size {
    cols: 200,
    rows: 60,
};

fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The recorded telemetry samples, as the GPU source turns them into readings.
fn gpu_readings() -> Vec<GpuReading> {
    fixture("gpu-watch.jsonl")
        .lines()
        .map(|line| sources::gpu::reading(&serde_json::from_str(line).expect("a telemetry sample")))
        .collect()
}

/// One system sample per pair of consecutive `/proc/stat` recordings.
fn system_samples() -> Vec<ouro_tui::data::SystemSample> {
    let meminfo = fixture("proc/meminfo");
    let loadavg = fixture("proc/loadavg");
    let stats: Vec<_> = (0..8)
        .map(|i| proc::parse_stat(&fixture(&format!("proc/stat-{i}"))).expect("a stat file"))
        .collect();
    stats
        .windows(2)
        .map(|w| proc::sample_from(&w[0], &w[1], &meminfo, &loadavg).expect("a sample"))
        .collect()
}

/// A real task store, copied from a demo repository while `ouro loop` worked on its last task
/// (earlier runs by the local agent on SmolLM2-135M, later ones by a scripted command coder),
/// read as the loop panel reads a live one, at the moment it was copied.
fn loop_snapshot() -> LoopSnapshot {
    const CAPTURED_MS: i64 = 1_795_382_771_210;
    let dir = tempfile::tempdir().expect("a temp dir");
    let store = dir.path().join("tasks.db");
    std::fs::copy(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/loop-store/tasks.db"),
        &store,
    )
    .expect("the recorded store");
    match sources::loop_store::snapshot_at(&store, CAPTURED_MS) {
        LoopStatus::Running(snapshot) => snapshot,
        LoopStatus::Absent { reason } => panic!("the recorded store: {reason}"),
    }
}

/// The journal of a real session (`ouro agent --provider local` on SmolLM2-135M, read-only
/// mode, 4 iterations), read as the session source reads a live one.
fn agent_feed() -> AgentFeed {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/agent-session");
    let records = ouro_core::journal::read_newest(&dir, sources::session::FEED_RECORDS)
        .expect("the recorded journal");
    AgentFeed {
        session: "20261122T185427-2b3b".into(),
        lines: sources::session::feed_lines(&records),
    }
}

/// An engine's status file, read once a second while `ouro llm bench` generated on the CPU.
fn engine_samples() -> Vec<EngineSample> {
    fixture("engine-status.jsonl")
        .lines()
        .map(|line| sources::engine::engine_sample(&serde_json::from_str(line).expect("a status")))
        .collect()
}

/// Every recorded input replayed into a model, as the event loop would.
fn busy_model() -> Model {
    let gpus = gpu_readings();
    let systems = system_samples();
    let engines = engine_samples();
    let tasks = loop_snapshot();
    let reading = |i: usize| Reading {
        gpu: gpus[i.min(gpus.len() - 1)].clone(),
        system: systems.get(i).cloned(),
        loop_status: LoopStatus::Running(tasks.clone()),
        agent: AgentStatus::Session(agent_feed()),
        engine: engines.get(i.min(engines.len() - 1)).cloned(),
    };
    let mut model = Model::new(reading(0));
    for i in 1..systems.len() {
        model.ingest(reading(i));
    }
    model
}

/// A machine without GPU, loop, agent or engine.
fn idle_model() -> Model {
    Model::new(Reading {
        gpu: GpuReading::NoGpu {
            reason: "NVML: libnvidia-ml.so not found or not loadable".into(),
        },
        system: system_samples().pop(),
        loop_status: LoopStatus::Absent {
            reason: "no loop running in /home/dev/project".into(),
        },
        agent: AgentStatus::Absent {
            reason: "no agent session in /home/dev/project".into(),
        },
        engine: None,
    })
}

/// Draws one panel on a TestBackend of `cols` x `rows`.
fn panel(cols: u16, rows: u16, draw: impl Fn(Rect, &mut Buffer)) -> String {
    let mut terminal = Terminal::new(TestBackend::new(cols, rows)).expect("test backend");
    terminal
        .draw(|f| draw(f.area(), f.buffer_mut()))
        .expect("draw");
    buffer_text(terminal.backend().buffer())
}

/// The sizes each panel gets on an 80x24 and a 200x60 screen.
const PANEL_SIZES: [(&str, u16, u16); 2] = [("small", 40, 10), ("large", 100, 28)];

fn stats() -> FrameStats {
    FrameStats {
        frames: 42,
        fps: 10.0,
        last_render: Duration::from_micros(420),
    }
}

fn screen(model: &Model, state: &AppState, size: Size) -> String {
    frame_text(model, state, stats(), Duration::from_millis(100), size)
}

#[test]
fn gpu_panel() {
    let (busy, idle) = (busy_model(), idle_model());
    let theme = Theme::at(0);
    for (name, w, h) in PANEL_SIZES {
        assert_snapshot!(
            format!("gpu_{name}"),
            panel(w, h, |a, b| gpu::render(&busy, theme, true, a, b))
        );
        assert_snapshot!(
            format!("gpu_none_{name}"),
            panel(w, h, |a, b| gpu::render(&idle, theme, false, a, b))
        );
    }
}

#[test]
fn system_panel() {
    let busy = busy_model();
    for (name, w, h) in PANEL_SIZES {
        assert_snapshot!(
            format!("system_{name}"),
            panel(w, h, |a, b| system::render(
                &busy,
                Theme::at(0),
                false,
                a,
                b
            ))
        );
    }
}

#[test]
fn loop_panel() {
    let (busy, idle) = (busy_model(), idle_model());
    let state = AppState {
        focus: Panel::Loop,
        selected_task: 2,
        ..AppState::default()
    };
    let (details, _) = update(&state, Key::Enter, &busy.tasks());
    for (name, w, h) in PANEL_SIZES {
        let draw = |model: &Model, state: &AppState| {
            panel(w, h, |a, b| {
                loop_panel::render(model, state, Theme::at(0), true, a, b)
            })
        };
        assert_snapshot!(format!("loop_{name}"), draw(&busy, &state));
        assert_snapshot!(format!("loop_details_{name}"), draw(&busy, &details));
        assert_snapshot!(format!("loop_none_{name}"), draw(&idle, &state));
    }
}

#[test]
fn agent_panel() {
    let (busy, idle) = (busy_model(), idle_model());
    for (name, w, h) in PANEL_SIZES {
        assert_snapshot!(
            format!("agent_{name}"),
            panel(w, h, |a, b| agent::render(&busy, Theme::at(0), false, a, b))
        );
        assert_snapshot!(
            format!("agent_none_{name}"),
            panel(w, h, |a, b| agent::render(&idle, Theme::at(0), false, a, b))
        );
    }
}

#[test]
fn engine_panel() {
    let (busy, idle) = (busy_model(), idle_model());
    for (name, w) in [("small", 80), ("large", 200)] {
        assert_snapshot!(
            format!("engine_{name}"),
            panel(w, 3, |a, b| engine::render(
                &busy,
                Theme::at(0),
                false,
                a,
                b
            ))
        );
        assert_snapshot!(
            format!("engine_none_{name}"),
            panel(w, 3, |a, b| engine::render(
                &idle,
                Theme::at(0),
                false,
                a,
                b
            ))
        );
    }
}

#[test]
fn whole_screen() {
    let (busy, idle) = (busy_model(), idle_model());
    let state = AppState::default();
    for (name, size) in [("small", SMALL), ("large", LARGE)] {
        assert_snapshot!(format!("screen_busy_{name}"), screen(&busy, &state, size));
        assert_snapshot!(format!("screen_idle_{name}"), screen(&idle, &state, size));
    }
}

#[test]
fn status_bar_shows_pause_theme_and_help() {
    let idle = idle_model();
    let mut state = AppState::default();
    for key in [Key::Char('p'), Key::Char('t'), Key::Char('h')] {
        state = update(&state, key, &[]).0;
    }
    let text = screen(&idle, &state, SMALL);
    let status = text.lines().last().unwrap_or_default();
    assert!(status.contains("PAUSED"), "{status}");
    assert!(
        status.contains(&format!("theme {}", Theme::at(1).name)),
        "{status}"
    );
    assert!(
        status.contains("frame 42") && status.contains("10.0 fps"),
        "{status}"
    );
    assert_snapshot!("screen_help_small", text);
}

#[test]
fn themes_change_the_colours() {
    let idle = idle_model();
    let colours = |theme: usize| {
        let state = AppState {
            theme,
            ..AppState::default()
        };
        let view = ouro_tui::ui::View {
            model: &idle,
            state: &state,
            stats: stats(),
            refresh: Duration::from_millis(100),
        };
        let mut terminal = Terminal::new(TestBackend::new(80, 24)).expect("test backend");
        terminal
            .draw(|f| ouro_tui::ui::render(&view, f.area(), f.buffer_mut()))
            .expect("draw");
        terminal.backend().buffer().clone()
    };
    assert_ne!(colours(0), colours(1));
}
