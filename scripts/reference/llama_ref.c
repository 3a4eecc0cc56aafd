// Reference outputs from llama.cpp for ouro's tests: tokenizes a prompt, prints the logits
// after it (optional) and the greedy continuation of N tokens (ignoring end-of-generation),
// as one JSON object. Built against llama.cpp's libllama by make-fixtures.py; never linked
// into ouro. With --dump DIR it also writes every f32 tensor the graph computes, per decode
// step, to DIR/STEP_NAME.bin (raw little-endian f32), to find where ouro's arithmetic first
// differs from llama.cpp's.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "llama.h"
#include "ggml-backend.h"

static const char *dump_dir = NULL;
static int dump_step = 0;

// Graph callback: asks for every tensor, then writes the contiguous f32 ones.
static bool dump_tensor(struct ggml_tensor *t, bool ask, void *user) {
    (void) user;
    if (ask) return true;
    if (t->type != GGML_TYPE_F32 || !ggml_is_contiguous(t)) return true;
    char path[1024];
    snprintf(path, sizeof path, "%s/%d_%s.bin", dump_dir, dump_step, t->name);
    FILE *f = fopen(path, "wb");
    if (!f) { perror(path); exit(1); }
    size_t n = ggml_nelements(t);
    float *buf = malloc(n * sizeof(float));
    ggml_backend_tensor_get(t, buf, 0, n * sizeof(float));
    fwrite(buf, sizeof(float), n, f);
    free(buf);
    fclose(f);
    return true;
}

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); exit(1); }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc(n + 1);
    if (fread(buf, 1, n, f) != (size_t) n) { perror("read"); exit(1); }
    buf[n] = 0;
    fclose(f);
    return buf;
}

static void quiet(enum ggml_log_level level, const char *text, void *user) { (void) level; (void) text; (void) user; }

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s MODEL PROMPT_FILE N_PREDICT [--logits] [--no-fa] [--seq] [--dump DIR]\n", argv[0]);
        return 2;
    }
    int want_logits = 0, no_fa = 0, seq = 0;
    for (int i = 4; i < argc; i++) {
        if (!strcmp(argv[i], "--logits")) want_logits = 1;
        if (!strcmp(argv[i], "--no-fa")) no_fa = 1;
        if (!strcmp(argv[i], "--seq")) seq = 1;
        if (!strcmp(argv[i], "--dump") && i + 1 < argc) dump_dir = argv[++i];
    }
    int n_predict = atoi(argv[3]);
    char *prompt = read_file(argv[2]);
    llama_log_set(quiet, NULL);
    llama_backend_init();
    struct llama_model_params mp = llama_model_default_params();
    struct llama_model *model = llama_model_load_from_file(argv[1], mp);
    if (!model) { fprintf(stderr, "cannot load %s\n", argv[1]); return 1; }
    const struct llama_vocab *vocab = llama_model_get_vocab(model);
    int n_vocab = llama_vocab_n_tokens(vocab);
    int n_max = strlen(prompt) + 16;
    llama_token *toks = malloc(sizeof(llama_token) * (n_max + n_predict));
    int n_prompt = llama_tokenize(vocab, prompt, strlen(prompt), toks, n_max, true, true);
    if (n_prompt < 0) { fprintf(stderr, "tokenize failed\n"); return 1; }
    struct llama_context_params cp = llama_context_default_params();
    cp.n_ctx = n_prompt + n_predict + 8;
    cp.n_batch = cp.n_ctx;
    cp.n_ubatch = 512;
    cp.n_threads = 2;
    cp.n_threads_batch = 2;
    if (no_fa) cp.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_DISABLED;
    if (dump_dir) cp.cb_eval = dump_tensor;
    struct llama_context *ctx = llama_init_from_model(model, cp);
    if (!ctx) { fprintf(stderr, "cannot create context\n"); return 1; }
    printf("{\"n_vocab\": %d, \"prompt_tokens\": [", n_vocab);
    for (int i = 0; i < n_prompt; i++) printf("%s%d", i ? ", " : "", toks[i]);
    printf("]");
    for (int i = 0; i < (seq ? n_prompt : 1); i++) {
        int n = seq ? 1 : n_prompt;
        if (llama_decode(ctx, llama_batch_get_one(toks + i, n))) { fprintf(stderr, "decode failed\n"); return 1; }
    }
    float *logits = llama_get_logits_ith(ctx, -1);
    if (want_logits) {
        printf(", \"logits\": [");
        for (int i = 0; i < n_vocab; i++) printf("%s%.9g", i ? ", " : "", logits[i]);
        printf("]");
    }
    printf(", \"tokens\": [");
    for (int step = 0; step < n_predict; step++) {
        int best = 0;
        for (int i = 1; i < n_vocab; i++) if (logits[i] > logits[best]) best = i;
        printf("%s%d", step ? ", " : "", best);
        llama_token t = best;
        if (step + 1 < n_predict) {
            dump_step++;
            if (llama_decode(ctx, llama_batch_get_one(&t, 1))) { fprintf(stderr, "decode failed\n"); return 1; }
            logits = llama_get_logits_ith(ctx, -1);
        }
    }
    printf("]}\n");
    llama_free(ctx);
    llama_model_free(model);
    return 0;
}
