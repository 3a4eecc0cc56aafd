#!/usr/bin/env python3
"""Regenerates the llama.cpp reference fixtures that ouro's engine tests check.

Usage: make-fixtures.py LLAMA_CPP_SRC LLAMA_CPP_BUILD_BIN

Builds llama_ref.c (beside this script) against the given llama.cpp build, then writes
crates/ouro-llm/tests/fixtures/generation/smollm2.json: for plain and chat-templated prompts,
llama.cpp's prompt tokens and its greedy continuation (64 tokens, end-of-generation ignored).
Chat prompts are rendered from the model's own template with Python's jinja2, independently of
ouro. Needs: gcc, python3 with gguf and jinja2, the default model in models/.
"""
import json
import os
import subprocess
import sys
import tempfile

import gguf
import jinja2

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MODEL = os.path.join(ROOT, "models", "SmolLM2-135M-Instruct.Q4_1.gguf")
OUT = os.path.join(ROOT, "crates", "ouro-llm", "tests", "fixtures", "generation", "smollm2.json")
N_PREDICT = 64

PLAIN = [
    "The capital of France is",
    "def fibonacci(n):\n    \"\"\"Return the n-th Fibonacci number.\"\"\"\n",
    "Once upon a time, in a village by the sea,",
    "Q: What is 17 * 23?\nA:",
    "fn main() {\n    let v: Vec<i32> = (1..=10).collect();\n",
    "Les fleurs du printemps sont",
]
CHAT = [
    [{"role": "user", "content": "What is the tallest mountain on Earth?"}],
    [{"role": "system", "content": "You are a terse assistant."},
     {"role": "user", "content": "List three prime numbers."}],
    [{"role": "user", "content": "Write a haiku about Rust programming."}],
    [{"role": "user", "content": "How do I reverse a list in Python?"}],
    [{"role": "user", "content": "Hi!"},
     {"role": "assistant", "content": "Hello! How can I help you today?"},
     {"role": "user", "content": "Explain recursion in one sentence."}],
]


def build_tool(src, bindir, exe):
    here = os.path.dirname(os.path.abspath(__file__))
    subprocess.run(
        ["gcc", "-O2", "-o", exe, os.path.join(here, "llama_ref.c"),
         f"-I{src}/include", f"-I{src}/ggml/include", f"-L{bindir}",
         "-lllama", "-lggml", "-lggml-base", f"-Wl,-rpath,{bindir}"],
        check=True)


def reference(exe, prompt):
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write(prompt)
    try:
        out = subprocess.run([exe, MODEL, f.name, str(N_PREDICT)], check=True,
                             capture_output=True, text=True).stdout
    finally:
        os.unlink(f.name)
    return json.loads(out)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    src, bindir = sys.argv[1:]
    template = gguf.GGUFReader(MODEL).fields["tokenizer.chat_template"].contents()
    render = jinja2.Environment().from_string(template)
    with tempfile.TemporaryDirectory() as tmp:
        exe = os.path.join(tmp, "llama_ref")
        build_tool(src, bindir, exe)
        cases = []
        for p in PLAIN:
            cases.append({"chat": None, "prompt": p, **reference(exe, p)})
        for messages in CHAT:
            p = render.render(messages=messages, add_generation_prompt=True)
            cases.append({"chat": messages, "prompt": p, **reference(exe, p)})
    for c in cases:
        c.pop("n_vocab", None)
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump({"model": os.path.basename(MODEL), "n_predict": N_PREDICT,
                   "source": "llama.cpp (ggml 0.25.3, from llama-cpp-python 0.3.36's sdist), CPU, "
                             "2 threads, default context params, greedy",
                   "cases": cases}, f, indent=1)
    print(f"wrote {len(cases)} cases to {OUT}")


if __name__ == "__main__":
    main()
