#!/usr/bin/env python3
"""Regenerates the llama.cpp reference fixtures that ouro's engine tests check.

Usage: make-fixtures.py LLAMA_CPP_SRC LLAMA_CPP_BUILD_BIN OURO_BIN

Builds llama_ref.c (beside this script) against the given llama.cpp build, then writes
crates/ouro-llm/tests/fixtures/generation/smollm2.json: for plain and chat-templated prompts,
llama.cpp's prompt tokens and its greedy continuation (64 tokens, end-of-generation ignored).
Chat prompts are rendered from the model's own template with Python's jinja2, independently of
ouro. It also writes .../generation/synth.json: random-weight llama and qwen2 models made by
`OURO_BIN llm synth` (deterministic from their seed), with llama.cpp's logits after a prompt
and its greedy continuation. Needs: gcc, python3 with gguf and jinja2, the default model.
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
SYNTH_OUT = os.path.join(os.path.dirname(OUT), "synth.json")
# Long enough (at least 64 tokens) that llama.cpp takes its all-f32 tiled attention path for
# the prompt; the continuation then runs through its f16-accumulator path, token by token.
SYNTH_PROMPT = " ".join(f"w{i}" for i in range(20))
SYNTH = [("llama", "q8_0", 1), ("llama", "q4_0", 2), ("llama", "f16", 3),
         ("qwen2", "q8_0", 4), ("qwen2", "q4_K", 5), ("qwen2", "q6_K", 6)]
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


def reference(exe, prompt, model=MODEL, n_predict=N_PREDICT, extra=()):
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write(prompt)
    try:
        out = subprocess.run([exe, model, f.name, str(n_predict), *extra], check=True,
                             capture_output=True, text=True).stdout
    finally:
        os.unlink(f.name)
    return json.loads(out)


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    src, bindir, ouro = sys.argv[1:]
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
        synth = []
        for arch, ty, seed in SYNTH:
            path = os.path.join(tmp, f"{arch}-{ty}.gguf")
            subprocess.run([ouro, "llm", "synth", "--arch", arch, "--shape", "tiny", "--type", ty,
                            "--seed", str(seed), "-o", path, "--json"], check=True, capture_output=True)
            ref = reference(exe, SYNTH_PROMPT, path, 16, ["--logits"])
            synth.append({"arch": arch, "shape": "tiny", "type": ty, "seed": seed, **ref})
    with open(SYNTH_OUT, "w") as f:
        json.dump({"prompt": SYNTH_PROMPT, "source": "llama.cpp, as above", "cases": synth}, f)
    print(f"wrote {len(synth)} cases to {SYNTH_OUT}")
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
