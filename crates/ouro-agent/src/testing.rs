//! A scripted OpenAI-compatible server for offline tests (feature `test-server`): it
//! listens on 127.0.0.1, records every request and answers each with the next scripted
//! [`Reply`] (streamed chunks, error statuses, plain JSON, or no answer at all).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// One scripted answer.
#[derive(Debug, Clone)]
pub enum Reply {
    /// `200 text/event-stream`: each string is one event's data, then the connection closes.
    Sse(Vec<String>),
    /// Any status with headers and a body.
    Status {
        /// The status code.
        status: u16,
        /// Extra headers.
        headers: Vec<(String, String)>,
        /// The body.
        body: String,
    },
    /// Read the request and never answer (the connection stays open).
    Hang,
}

fn chunk(delta: Value, finish: Option<&str>) -> String {
    json!({"id": "x", "object": "chat.completion.chunk",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
    .to_string()
}

/// Stands for the usage chunk; the server fills in `prompt_tokens` as the request body's
/// bytes / 4 (so counts grow with the conversation, as a real server's do) and 10
/// completion tokens.
pub const USAGE: &str = "__USAGE__";

fn usage() -> String {
    USAGE.to_string()
}

impl Reply {
    /// Streams `text` in two pieces, then a stop, the usage and `[DONE]`.
    pub fn text(text: &str) -> Reply {
        let cut = text
            .char_indices()
            .nth(text.chars().count() / 2)
            .map_or(0, |(i, _)| i);
        Reply::Sse(vec![
            chunk(json!({"role": "assistant", "content": &text[..cut]}), None),
            chunk(json!({"content": &text[cut..]}), None),
            chunk(json!({}), Some("stop")),
            usage(),
            "[DONE]".into(),
        ])
    }

    /// Streams native tool calls `(id, name, raw arguments)`, each call's arguments split in
    /// two pieces, then `tool_calls`, the usage and `[DONE]`.
    pub fn tool_calls(calls: &[(&str, &str, &str)]) -> Reply {
        let mut events = vec![chunk(json!({"role": "assistant", "content": null}), None)];
        for (index, (id, name, args)) in calls.iter().enumerate() {
            let cut = args
                .char_indices()
                .nth(args.chars().count() / 2)
                .map_or(0, |(i, _)| i);
            events.push(chunk(
                json!({"tool_calls": [{"index": index, "id": id, "type": "function",
                    "function": {"name": name, "arguments": &args[..cut]}}]}),
                None,
            ));
            events.push(chunk(
                json!({"tool_calls": [{"index": index, "function": {"arguments": &args[cut..]}}]}),
                None,
            ));
        }
        events.push(chunk(json!({}), Some("tool_calls")));
        events.push(usage());
        events.push("[DONE]".into());
        Reply::Sse(events)
    }

    /// An error status with a body (and optional `Retry-After` seconds).
    pub fn status(status: u16, body: &str, retry_after: Option<u64>) -> Reply {
        Reply::Status {
            status,
            headers: retry_after
                .map(|s| vec![("Retry-After".to_string(), s.to_string())])
                .unwrap_or_default(),
            body: body.to_string(),
        }
    }
}

/// A request the server received.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// The request path.
    pub path: String,
    /// Header names (lowercase) and values.
    pub headers: Vec<(String, String)>,
    /// The body as JSON (`Null` when it was not JSON).
    pub body: Value,
}

impl Recorded {
    /// The header `name` (lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The server; it stops accepting when dropped.
pub struct ScriptedServer {
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<Recorded>>>,
    stop: Arc<AtomicBool>,
}

fn read_request(stream: &TcpStream) -> std::io::Result<Recorded> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
    let mut headers = Vec::new();
    let mut length = 0usize;
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 || line.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            let (k, v) = (k.trim().to_ascii_lowercase(), v.trim().to_string());
            if k == "content-length" {
                length = v.parse().unwrap_or(0);
            }
            headers.push((k, v));
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    Ok(Recorded {
        path,
        headers,
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    })
}

fn answer(mut stream: &TcpStream, reply: Reply, request_bytes: usize) -> std::io::Result<()> {
    match reply {
        Reply::Sse(events) => {
            stream.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n",
            )?;
            for mut data in events {
                if data == USAGE {
                    data = json!({"choices": [], "usage": {
                        "prompt_tokens": request_bytes / 4, "completion_tokens": 10}})
                    .to_string();
                }
                stream.write_all(format!("data: {data}\n\n").as_bytes())?;
                stream.flush()?;
            }
        }
        Reply::Status {
            status,
            headers,
            body,
        } => {
            let mut head = format!(
                "HTTP/1.1 {status} Scripted\r\nContent-Length: {}\r\nConnection: close\r\n",
                body.len()
            );
            for (k, v) in headers {
                head.push_str(&format!("{k}: {v}\r\n"));
            }
            stream.write_all(format!("{head}\r\n{body}").as_bytes())?;
        }
        Reply::Hang => {}
    }
    Ok(())
}

impl ScriptedServer {
    /// Starts a server answering requests with `replies` in order; once they are used up it
    /// answers `400 script exhausted`.
    pub fn start(replies: Vec<Reply>) -> std::io::Result<ScriptedServer> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (log, halt) = (requests.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut replies = replies.into_iter();
            let mut held = Vec::new();
            for stream in listener.incoming() {
                if halt.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let Ok(request) = read_request(&stream) else {
                    continue;
                };
                let request_bytes = request.body.to_string().len();
                if let Ok(mut log) = log.lock() {
                    log.push(request);
                }
                let reply = replies
                    .next()
                    .unwrap_or_else(|| Reply::status(400, "script exhausted", None));
                if matches!(reply, Reply::Hang) {
                    held.push(stream);
                } else {
                    let _ = answer(&stream, reply, request_bytes);
                }
            }
        });
        Ok(ScriptedServer {
            addr,
            requests,
            stop,
        })
    }

    /// The base URL (`http://127.0.0.1:PORT`).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The requests received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().map(|r| r.clone()).unwrap_or_default()
    }

    /// Waits until `n` requests arrived; false on timeout.
    pub fn wait_for(&self, n: usize, timeout: Duration) -> bool {
        let end = Instant::now() + timeout;
        while Instant::now() < end {
            if self.requests().len() >= n {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }
}

impl Drop for ScriptedServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
    }
}
