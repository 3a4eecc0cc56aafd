//! Load on the server's non-model endpoints (`/health`, `/v1/models`, `/metrics`): for each
//! in turn, N keep-alive HTTP/1.1 connections send GETs back to back for S seconds, and the
//! requests, requests/s, p50 and p99 latency and errors (any answer but 200, a dropped
//! connection) are printed as a table, or as JSON with `--json`. The server runs in this
//! process on a tiny random-weight model, on two runtime workers as `ouro serve` does, with
//! the client on a runtime thread of its own; `--url` measures a running server instead.
//!
//! ```sh
//! cargo run --release -p ouro-server --example endpoint_load -- --seconds 10 --connections 32
//! cargo run --release -p ouro-server --example endpoint_load -- --url http://127.0.0.1:8080 --json
//! ```

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ouro_llm::batch::BatchLimits;
use ouro_llm::engine::Engine;
use ouro_llm::synth::{SynthArch, SynthSpec, write_synth_model};
use ouro_server::{AppState, ServerConfig};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Barrier;

const ENDPOINTS: [&str; 3] = ["/health", "/v1/models", "/metrics"];

struct Args {
    seconds: f64,
    connections: usize,
    url: Option<String>,
    json: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        seconds: 10.0,
        connections: 32,
        url: None,
        json: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--seconds" => {
                args.seconds = value()?.parse().map_err(|e| format!("--seconds: {e}"))?
            }
            "--connections" => {
                args.connections = value()?
                    .parse()
                    .map_err(|e| format!("--connections: {e}"))?;
            }
            "--url" => args.url = Some(value()?),
            "--json" => args.json = true,
            other => {
                return Err(format!(
                    "unknown argument {other} (known: --seconds S, --connections N, --url URL, --json)"
                ));
            }
        }
    }
    if args.connections == 0 || args.seconds <= 0.0 {
        return Err("--connections and --seconds must be above 0".into());
    }
    Ok(args)
}

/// One endpoint's figures.
struct Report {
    endpoint: &'static str,
    requests: usize,
    per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
    errors: u64,
}

/// What one connection saw: the latency of each answered request (microseconds) and errors.
#[derive(Default)]
struct Tally {
    micros: Vec<u32>,
    errors: u64,
}

/// Reads one response to a GET off `stream` (`buf` holds what was read past the previous
/// one) and returns its status. Bodies come with a length or chunked.
async fn read_response(stream: &mut TcpStream, buf: &mut Vec<u8>) -> std::io::Result<u16> {
    let bad = |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_string());
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        fill(stream, buf).await?;
    };
    let head = std::str::from_utf8(&buf[..head_end]).map_err(|_| bad("a head not UTF-8"))?;
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("no status"))?;
    let header = |name: &str| {
        head.lines().find_map(|l| {
            let (key, value) = l.split_once(':')?;
            key.eq_ignore_ascii_case(name)
                .then(|| value.trim().to_string())
        })
    };
    let body_end = if let Some(length) = header("content-length") {
        let length: usize = length.parse().map_err(|_| bad("a bad content-length"))?;
        while buf.len() < head_end + length {
            fill(stream, buf).await?;
        }
        head_end + length
    } else if header("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
        loop {
            if let Some(i) = buf[head_end..].windows(5).position(|w| w == b"0\r\n\r\n") {
                break head_end + i + 5;
            }
            fill(stream, buf).await?;
        }
    } else {
        head_end
    };
    buf.drain(..body_end);
    Ok(status)
}

async fn fill(stream: &mut TcpStream, buf: &mut Vec<u8>) -> std::io::Result<()> {
    let mut chunk = [0u8; 16 << 10];
    match stream.read(&mut chunk).await? {
        0 => Err(std::io::ErrorKind::UnexpectedEof.into()),
        n => {
            buf.extend_from_slice(&chunk[..n]);
            Ok(())
        }
    }
}

/// One keep-alive connection sending `request` until `deadline` (reconnecting after an
/// error), its clock started by `barrier` once every connection is open.
async fn connection(
    addr: SocketAddr,
    request: Arc<Vec<u8>>,
    barrier: Arc<Barrier>,
    seconds: f64,
) -> Tally {
    let mut tally = Tally::default();
    let open = || async move {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok::<_, std::io::Error>(stream)
    };
    let mut stream = open().await.ok();
    barrier.wait().await;
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let mut buf = Vec::with_capacity(16 << 10);
    while Instant::now() < deadline {
        let Some(s) = stream.as_mut() else {
            tally.errors += 1;
            stream = open().await.ok();
            continue;
        };
        let started = Instant::now();
        let answer = async {
            s.write_all(&request).await?;
            read_response(s, &mut buf).await
        }
        .await;
        match answer {
            Ok(200) => tally
                .micros
                .push(u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX)),
            Ok(_) => tally.errors += 1,
            Err(_) => {
                tally.errors += 1;
                buf.clear();
                stream = None;
            }
        }
    }
    tally
}

/// Loads `endpoint` on `addr` (named `host` in the requests) with `connections` connections.
async fn load(
    addr: SocketAddr,
    host: &str,
    endpoint: &'static str,
    connections: usize,
    seconds: f64,
) -> Report {
    let request = Arc::new(format!("GET {endpoint} HTTP/1.1\r\nHost: {host}\r\n\r\n").into_bytes());
    let barrier = Arc::new(Barrier::new(connections + 1));
    let tasks: Vec<_> = (0..connections)
        .map(|_| tokio::spawn(connection(addr, request.clone(), barrier.clone(), seconds)))
        .collect();
    barrier.wait().await;
    let started = Instant::now();
    let mut micros = Vec::new();
    let mut errors = 0;
    for task in tasks {
        let tally = task.await.unwrap_or_default();
        micros.extend(tally.micros);
        errors += tally.errors;
    }
    let elapsed = started.elapsed().as_secs_f64();
    micros.sort_unstable();
    let quantile = |q: f64| {
        micros
            .get(((micros.len() as f64 * q) as usize).min(micros.len().saturating_sub(1)))
            .map_or(0.0, |&us| f64::from(us) / 1000.0)
    };
    Report {
        endpoint,
        requests: micros.len(),
        per_second: micros.len() as f64 / elapsed,
        p50_ms: quantile(0.5),
        p99_ms: quantile(0.99),
        errors,
    }
}

/// Starts a server on loopback over a tiny random-weight model; returns its address and the
/// runtime serving it.
fn start_server() -> Result<(SocketAddr, tokio::runtime::Runtime), Box<dyn std::error::Error>> {
    let spec = SynthSpec::preset(SynthArch::Llama, "tiny")?;
    let path = std::env::temp_dir().join(format!("ouro-endpoint-load-{}.gguf", std::process::id()));
    write_synth_model(&spec, &path, &mut |_, _| {})?;
    let engine = Engine::load(&path, 1);
    let _ = std::fs::remove_file(&path);
    let state = AppState::new(
        Arc::new(engine?),
        ServerConfig {
            model_id: "tiny".into(),
            api_key: None,
            limits: BatchLimits::default(),
        },
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let (listener, addr) = runtime.block_on(ouro_server::bind("127.0.0.1:0".parse()?))?;
    runtime.spawn(ouro_server::serve(listener, state, std::future::pending()));
    Ok((addr, runtime))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args()?;
    let client = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (addr, host, _server) = match &args.url {
        Some(url) => {
            let authority = url
                .strip_prefix("http://")
                .ok_or("--url must start with http://")?
                .split('/')
                .next()
                .unwrap_or_default()
                .to_string();
            let addr = client
                .block_on(tokio::net::lookup_host(&authority))?
                .next()
                .ok_or("--url: the host has no address")?;
            (addr, authority, None)
        }
        None => {
            let (addr, runtime) = start_server()?;
            (addr, addr.to_string(), Some(runtime))
        }
    };
    let reports: Vec<Report> = ENDPOINTS
        .iter()
        .map(|&endpoint| {
            client.block_on(load(addr, &host, endpoint, args.connections, args.seconds))
        })
        .collect();
    let server = args
        .url
        .as_deref()
        .unwrap_or("in-process, tiny synth model");
    if args.json {
        let endpoints: Vec<_> = reports
            .iter()
            .map(|r| {
                json!({
                    "endpoint": r.endpoint, "requests": r.requests, "requests_per_s": r.per_second,
                    "p50_ms": r.p50_ms, "p99_ms": r.p99_ms, "errors": r.errors,
                })
            })
            .collect();
        let out = json!({
            "server": server, "connections": args.connections,
            "seconds_per_endpoint": args.seconds, "endpoints": endpoints,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!(
            "server: {server}; {} keep-alive connections, {} s per endpoint",
            args.connections, args.seconds
        );
        println!(
            "{:<12} {:>10} {:>10} {:>8} {:>8} {:>7}",
            "endpoint", "requests", "req/s", "p50 ms", "p99 ms", "errors"
        );
        for r in &reports {
            println!(
                "{:<12} {:>10} {:>10.0} {:>8.3} {:>8.3} {:>7}",
                r.endpoint, r.requests, r.per_second, r.p50_ms, r.p99_ms, r.errors
            );
        }
    }
    Ok(())
}
