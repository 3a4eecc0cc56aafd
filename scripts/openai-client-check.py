#!/usr/bin/env python3
"""Checks `ouro serve` with the official `openai` Python client, unmodified.

Usage: python3 scripts/openai-client-check.py BASE_URL [MODEL]
  (BASE_URL like http://127.0.0.1:8080/v1; needs `pip install openai`)

Each check prints one line; the exit status is the number of failed checks.
"""
import json
import sys
import time

from openai import OpenAI

base = sys.argv[1]
client = OpenAI(base_url=base, api_key="unused")
model = sys.argv[2] if len(sys.argv) > 2 else client.models.list().data[0].id
failures = 0


def check(name, fn):
    global failures
    started = time.time()
    try:
        detail = fn()
        print(f"ok    {name} ({time.time() - started:.1f} s): {detail}")
    except Exception as e:  # a failed check is reported, the others still run
        failures += 1
        print(f"FAIL  {name} ({time.time() - started:.1f} s): {type(e).__name__}: {e}")


def models():
    ids = [m.id for m in client.models.list().data]
    assert model in ids, ids
    return ids


def chat():
    r = client.chat.completions.create(
        model=model, temperature=0, max_tokens=40,
        messages=[{"role": "user", "content": "Write a Python function that adds two numbers."}])
    text = r.choices[0].message.content
    assert text and r.usage.completion_tokens > 0, r
    return repr(text[:60])


def stream():
    pieces, usage = [], None
    for chunk in client.chat.completions.create(
            model=model, temperature=0, max_tokens=30, stream=True,
            stream_options={"include_usage": True},
            messages=[{"role": "user", "content": "Say hello."}]):
        if chunk.choices and chunk.choices[0].delta.content:
            pieces.append(chunk.choices[0].delta.content)
        if chunk.usage:
            usage = chunk.usage
    assert pieces and usage and usage.completion_tokens > 0
    return f"{len(pieces)} pieces, {usage.completion_tokens} tokens"


def tool_call():
    tools = [{"type": "function", "function": {
        "name": "read_file", "description": "Read a file of the repository.",
        "parameters": {"type": "object", "properties": {"path": {"type": "string"}},
                       "required": ["path"]}}}]
    r = client.chat.completions.create(
        model=model, temperature=0, max_tokens=80, tools=tools, tool_choice="required",
        messages=[{"role": "user", "content": "Show me calc.py"}])
    call = r.choices[0].message.tool_calls[0]
    args = json.loads(call.function.arguments)
    assert call.function.name == "read_file" and isinstance(args["path"], str), r
    return f"{call.function.name}({args})"


def json_schema():
    schema = {"type": "object", "properties": {"name": {"type": "string"},
              "age": {"type": "integer"}}, "required": ["name", "age"],
              "additionalProperties": False}
    r = client.chat.completions.create(
        model=model, temperature=0, max_tokens=60,
        response_format={"type": "json_schema",
                         "json_schema": {"name": "person", "schema": schema}},
        messages=[{"role": "user", "content": "A person named Ada, 36 years old, as JSON."}])
    value = json.loads(r.choices[0].message.content)
    assert set(value) == {"name", "age"} and isinstance(value["age"], int), value
    return value


def completion():
    r = client.completions.create(model=model, prompt="def fib(n):", max_tokens=20, temperature=0)
    assert r.choices[0].text, r
    return repr(r.choices[0].text[:40])


def bad_request():
    try:
        client.chat.completions.create(model=model, messages=[], max_tokens=5)
    except Exception as e:  # the client raises BadRequestError on a 400
        assert getattr(e, "status_code", None) == 400, e
        return "400 as expected"
    raise AssertionError("an empty messages list was accepted")


def logprobs():
    r = client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": "Say hi."}], max_tokens=8,
        temperature=0, logprobs=True, top_logprobs=2)
    content = r.choices[0].logprobs.content
    assert len(content) == r.usage.completion_tokens, (len(content), r.usage)
    assert all(t.logprob <= 0 and len(t.top_logprobs) == 2 for t in content), content
    return " ".join(f"{t.token!r}:{t.logprob:.2f}" for t in content[:4])


def embeddings():
    # The client asks for base64 unless told otherwise, and decodes it.
    r = client.embeddings.create(model=model, input=["def add(a, b):", "the cat sat on the mat"])
    a, b = (d.embedding for d in r.data)
    assert len(a) == len(b) > 0, (len(a), len(b))
    norm = sum(x * x for x in a) ** 0.5
    assert abs(norm - 1.0) < 1e-3, norm
    cos = sum(x * y for x, y in zip(a, b))
    floats = client.embeddings.create(model=model, input="def add(a, b):", encoding_format="float")
    same = sum(x * y for x, y in zip(a, floats.data[0].embedding))
    assert abs(same - 1.0) < 1e-4, same
    return f"{len(a)} dimensions, cosine of two texts {cos:.3f}, usage {r.usage.prompt_tokens} tokens"


for name, fn in [("models", models), ("chat", chat), ("stream", stream),
                 ("tool call", tool_call), ("json_schema", json_schema),
                 ("completion", completion), ("logprobs", logprobs),
                 ("embeddings", embeddings),
                 ("bad request", bad_request)]:
    check(name, fn)
sys.exit(failures)
