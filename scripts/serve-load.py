#!/usr/bin/env python3
"""A bounded load test of an OpenAI-compatible server (ouro serve, llama-server) on loopback.

Usage: python3 scripts/serve-load.py BASE_URL [--clients 64] [--seconds 120] [--max-tokens 64]
         [--model NAME] [--json]
  (BASE_URL like http://127.0.0.1:8080/v1; standard library only)

Each client sends streaming chat requests one after another until the time is up (a request
running then is finished). Reports requests, errors (any non-200, a stream without [DONE]),
time to first token p50/p99, aggregate generated tokens/s (content pieces counted as the
server's usage reports them when given, else one per piece) and the server's resident memory
before and after when --pid is given.
"""
import argparse
import json
import statistics
import threading
import time
import urllib.error
import urllib.request

ap = argparse.ArgumentParser()
ap.add_argument("base")
ap.add_argument("--clients", type=int, default=64)
ap.add_argument("--seconds", type=float, default=120)
ap.add_argument("--max-tokens", type=int, default=64)
ap.add_argument("--model", default="")
ap.add_argument("--pid", type=int, default=0, help="the server's pid, to report its memory")
ap.add_argument("--json", action="store_true")
args = ap.parse_args()

PROMPTS = [
    "Write a Python function that reverses a string.",
    "Explain what a mutex is in one paragraph.",
    "List three uses of a hash map.",
    "Write a shell one-liner that counts lines in all .py files.",
    "What does `git rebase` do?",
    "Write a JavaScript function that debounces another function.",
    "Give a Rust struct for a 2D point with a distance method.",
    "Summarize the rules of tic-tac-toe.",
]

lock = threading.Lock()
ttfts, totals, errors = [], [], []
tokens = [0]
deadline = time.time() + args.seconds


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None


def one(i, n):
    body = {
        "messages": [{"role": "user", "content": PROMPTS[(i + n) % len(PROMPTS)]}],
        "max_tokens": args.max_tokens, "temperature": 0.7, "seed": i * 1000 + n,
        "stream": True, "stream_options": {"include_usage": True},
    }
    if args.model:
        body["model"] = args.model
    req = urllib.request.Request(
        f"{args.base}/chat/completions", data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"})
    started = time.time()
    first, pieces, usage, done = None, 0, None, False
    try:
        with urllib.request.urlopen(req, timeout=600) as resp:
            for raw in resp:
                line = raw.decode().strip()
                if not line.startswith("data: "):
                    continue
                data = line[6:]
                if data == "[DONE]":
                    done = True
                    break
                chunk = json.loads(data)
                if chunk.get("usage"):
                    usage = chunk["usage"]["completion_tokens"]
                for choice in chunk.get("choices") or []:
                    if (choice.get("delta") or {}).get("content"):
                        pieces += 1
                        if first is None:
                            first = time.time() - started
    except (urllib.error.URLError, OSError, ValueError) as e:
        with lock:
            errors.append(repr(e)[:200])
        return
    with lock:
        if not done:
            errors.append("stream ended without [DONE]")
            return
        if first is not None:
            ttfts.append(first)
        totals.append(time.time() - started)
        tokens[0] += usage if usage is not None else pieces


def client(i):
    n = 0
    while time.time() < deadline:
        one(i, n)
        n += 1


rss_before = rss_kib(args.pid) if args.pid else None
t0 = time.time()
threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
for t in threads:
    t.start()
for t in threads:
    t.join()
elapsed = time.time() - t0
rss_after = rss_kib(args.pid) if args.pid else None


def pct(values, p):
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))]


report = {
    "clients": args.clients, "seconds": round(elapsed, 1), "requests": len(totals),
    "errors": len(errors), "error_samples": errors[:3],
    "ttft_p50_s": pct(ttfts, 50), "ttft_p99_s": pct(ttfts, 99),
    "generated_tokens": tokens[0], "aggregate_tok_s": round(tokens[0] / elapsed, 2),
    "request_p50_s": statistics.median(totals) if totals else None,
    "rss_kib_before": rss_before, "rss_kib_after": rss_after,
}
if args.json:
    print(json.dumps(report))
else:
    for k, v in report.items():
        print(f"{k:>16}: {v}")
