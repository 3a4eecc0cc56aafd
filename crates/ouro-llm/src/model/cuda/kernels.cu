// ouro's CUDA kernels for llama-family models, compiled at run time by NVRTC.
//
// No headers: half conversion and dp4a go through inline PTX so that NVRTC needs nothing
// but itself. Layouts (all row-major):
//   activations  f32 [tokens][cols]
//   q8 activations: int8 [tokens][cols] and float2 (d, d * sum of quants) [tokens][cols / 32],
//                   blocks of 32 values with scale amax / 127 rounded to f16 as llama.cpp's
//                   q8_0/q8_1, so integer dot products see the CPU's activations.
//   weights      ggml blocks exactly as in the GGUF file, `row_bytes` apart.
//   KV cache     f16 [positions][kv_dim] per layer.

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef long long i64;

#define NEG_INF __int_as_float(0xff800000)

__device__ __forceinline__ float h2f(u16 h) {
    float f;
    asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h));
    return f;
}

__device__ __forceinline__ u16 f2h(float f) {
    u16 h;
    asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(f));
    return h;
}

__device__ __forceinline__ int dp4a(int a, int b, int c) {
    int d;
    asm("dp4a.s32.s32 %0, %1, %2, %3;" : "=r"(d) : "r"(a), "r"(b), "r"(c));
    return d;
}

// Four bytes at a 2-byte aligned address.
__device__ __forceinline__ int ld2(const u8* p) {
    const u16* s = (const u16*)p;
    return (int)((u32)s[0] | ((u32)s[1] << 16));
}

__device__ __forceinline__ float ldh(const u8* p) { return h2f(*(const u16*)p); }

__device__ __forceinline__ float warp_sum(float v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

__device__ __forceinline__ int warp_sum_i(int v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

__device__ __forceinline__ float warp_max(float v) {
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

// Programmatic dependent launch (sm_90): a kernel launched with the attribute may start
// while the previous kernel in the stream is still running. Every kernel calls pdl_wait()
// before it reads anything an earlier kernel wrote (or writes anything one reads); until then
// it may only touch the weights. pdl_launch() lets the next kernel start early. Both are
// no-ops on older GPUs and when the kernel was launched without the attribute.
__device__ __forceinline__ void pdl_wait() {
#if __CUDA_ARCH__ >= 900
    asm volatile("griddepcontrol.wait;" ::: "memory");
#endif
}

__device__ __forceinline__ void pdl_launch() {
#if __CUDA_ARCH__ >= 900
    asm volatile("griddepcontrol.launch_dependents;");
#endif
}

// Waits for the previous kernel, then lets the next one start.
__device__ __forceinline__ void pdl_enter() {
    pdl_wait();
    pdl_launch();
}

// Sum over the block (blockDim.x a multiple of 32, at most 1024); every thread gets it.
__device__ float block_sum(float v, float* red) {
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nw = blockDim.x >> 5;
    v = warp_sum(v);
    __syncthreads();
    if (lane == 0) red[warp] = v;
    __syncthreads();
    v = lane < nw ? red[lane] : 0.0f;
    return warp_sum(v);
}

__device__ float block_max(float v, float* red) {
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nw = blockDim.x >> 5;
    v = warp_max(v);
    __syncthreads();
    if (lane == 0) red[warp] = v;
    __syncthreads();
    v = lane < nw ? red[lane] : NEG_INF;
    return warp_max(v);
}

// One warp quantizes 32 values (one per lane) to a q8 block.
__device__ __forceinline__ void q8_block(float v, signed char* q, float2* ds) {
    int lane = threadIdx.x & 31;
    float amax = warp_max(fabsf(v));
    float d = amax / 127.0f;
    float id = amax != 0.0f ? 127.0f / amax : 0.0f;
    int r = __float2int_rn(v * id);
    r = max(-128, min(127, r));
    int sum = warp_sum_i(r);
    q[lane] = (signed char)r;
    if (lane == 0) {
        float dh = h2f(f2h(d));
        float2 t;
        t.x = dh;
        t.y = dh * (float)sum;
        *ds = t;
    }
}

// ---------------------------------------------------------------------------------------
// Element-wise and normalization kernels.

// h = x / rms(x) * w per row, also as q8. Every block sums the squares of its whole row
// (from L2: cheaper than a second launch) and scales and quantizes eight 32-value chunks, one
// per warp, so that a row is spread over many SMs. Grid: (ceil(cols / 256), rows); block: 256.
extern "C" __global__ void rms_norm_q8(const float* x, const float* w, float* h, signed char* q,
                                       float2* ds, int cols, float eps) {
    pdl_enter();
    __shared__ float red[32];
    i64 row = blockIdx.y;
    const float* xr = x + row * cols;
    const float4* x4 = (const float4*)xr;
    float ss = 0.0f;
#pragma unroll 4
    for (int i = threadIdx.x; i < cols / 4; i += blockDim.x) {
        float4 v = x4[i];
        ss += v.x * v.x + v.y * v.y + v.z * v.z + v.w * v.w;
    }
    ss = block_sum(ss, red);
    float scale = 1.0f / sqrtf(ss / (float)cols + eps);
    int c = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
    if (c >= cols / 32) return;
    int i = c * 32 + (threadIdx.x & 31);
    float v = (xr[i] * scale) * w[i];
    h[row * cols + i] = v;
    q8_block(v, q + row * cols + c * 32, ds + row * (cols / 32) + c);
}

// q8 of x. Grid: (ceil(cols / 256), rows); block: 256 (a warp per 32 values).
extern "C" __global__ void quantize_q8(const float* x, signed char* q, float2* ds, int cols) {
    pdl_enter();
    int c = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
    if (c >= cols / 32) return;
    i64 row = blockIdx.y;
    int i = c * 32 + (threadIdx.x & 31);
    q8_block(x[row * cols + i], q + row * cols + c * 32, ds + row * (cols / 32) + c);
}

// out = silu(gate) * up, also as q8; gu rows hold gate then up (2 * n_ff).
// Grid: (ceil(n_ff / 256), rows); block: 256.
extern "C" __global__ void swiglu_q8(const float* gu, float* out, signed char* q, float2* ds,
                                     int n_ff) {
    pdl_enter();
    int c = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
    if (c >= n_ff / 32) return;
    i64 row = blockIdx.y;
    int i = c * 32 + (threadIdx.x & 31);
    float g = gu[row * 2 * n_ff + i];
    float u = gu[row * 2 * n_ff + n_ff + i];
    float v = g / (1.0f + expf(-g)) * u;
    out[row * n_ff + i] = v;
    q8_block(v, q + row * n_ff + c * 32, ds + row * (n_ff / 32) + c);
}

// x[r][i] += b[i] for rows of `cols` values `stride` apart. Grid-stride over n * cols.
extern "C" __global__ void add_bias(float* x, const float* b, int cols, int stride, int n) {
    pdl_enter();
    i64 total = (i64)n * cols;
    for (i64 k = blockIdx.x * (i64)blockDim.x + threadIdx.x; k < total;
         k += (i64)gridDim.x * blockDim.x) {
        i64 r = k / cols;
        int i = (int)(k % cols);
        x[r * stride + i] += b[i];
    }
}

// f32 to f16 (activations for cuBLAS). Grid-stride.
extern "C" __global__ void to_f16(const float* x, u16* y, i64 n) {
    pdl_enter();
    for (i64 k = blockIdx.x * (i64)blockDim.x + threadIdx.x; k < n;
         k += (i64)gridDim.x * blockDim.x)
        y[k] = f2h(x[k]);
}

// Rotary embedding of Q (in place) and K, and K, V into the f16 cache at positions
// *pos0 + t (the position is read from device memory, so that a captured decode step replays
// at any position). qkv rows hold Q (n_head * hd), K and V (kv_dim each), `stride` apart.
// The angle of pair i is pos * theta_scale^i, multiplied up step by step in f32 as the CPU
// (and ggml) computes it. Grid: (n_head + 2 * n_head_kv, tokens), a block per Q head, K head
// or V head; block: 64.
extern "C" __global__ void rope_store(float* qkv, int stride, u16* kc, u16* vc, int n_head,
                                      int n_head_kv, int hd, int rope_dim, int neox,
                                      const int* pos0, float theta_scale) {
    pdl_enter();
    int t = blockIdx.y, head = blockIdx.x;
    int pos = *pos0 + t;
    int kv_dim = n_head_kv * hd;
    float* q = qkv + (i64)t * stride;
    const float* k = q + n_head * hd;
    const float* v = k + kv_dim;
    if (head >= n_head + n_head_kv) {
        int off = (head - n_head - n_head_kv) * hd;
        u16* vr = vc + (i64)pos * kv_dim + off;
        for (int i = threadIdx.x; i < hd; i += blockDim.x) vr[i] = f2h(v[off + i]);
        return;
    }
    int is_k = head >= n_head;
    int off = (is_k ? head - n_head : head) * hd;
    u16* kr = kc + (i64)pos * kv_dim + off;
    float* src = (is_k ? (float*)k : q) + off;
    int half_rd = rope_dim / 2;
    for (int p = threadIdx.x; p < half_rd; p += blockDim.x) {
        float theta = (float)pos;
        for (int s = 0; s < p; s++) theta *= theta_scale;
        float cs = cosf(theta), sn = sinf(theta);
        int a = neox ? p : 2 * p;
        int b = a + (neox ? half_rd : 1);
        float x0 = src[a], x1 = src[b];
        float y0 = x0 * cs - x1 * sn;
        float y1 = x0 * sn + x1 * cs;
        if (is_k) {
            kr[a] = f2h(y0);
            kr[b] = f2h(y1);
        } else {
            src[a] = y0;
            src[b] = y1;
        }
    }
    if (is_k)
        for (int i = rope_dim + threadIdx.x; i < hd; i += blockDim.x) kr[i] = f2h(src[i]);
}

// ---------------------------------------------------------------------------------------
// Attention: split-K (flash-decoding). Each block takes one head, up to ATT_Q consecutive
// queries (which share each K and V load) and one split of up to ATT_SPLIT keys: scores,
// local max and sum, and the unnormalized weighted sum of V per query; a second kernel
// merges the splits. Queries at positions pos0 + t see keys 0..=pos0 + t (causal), so the
// same kernels serve decode (one query) and prefill. The decode graph has a split for every
// ATT_SPLIT keys of the cache's capacity; splits past the keys in use only mark themselves
// empty, so a recorded decode step stays valid as the sequence grows.
#define ATT_SPLIT 256
#define ATT_Q 8
#define MAX_HD 512

__device__ __forceinline__ void mark_empty(float2* ml) {
    float2 e;
    e.x = NEG_INF;
    e.y = 0.0f;
    *ml = e;
}

// Grid: (n_head, ceil(tokens / ATT_Q), splits); block: 128.
extern "C" __global__ void attn_split(const float* q, int q_stride, const u16* kc, const u16* vc,
                                      int kv_dim, int n_head, int group, int hd,
                                      const int* pos0, float scale, int n_splits, int n_tokens,
                                      float* part_o, float2* part_ml) {
    pdl_enter();
    __shared__ float qs[ATT_Q][MAX_HD];
    __shared__ float sc[ATT_Q][ATT_SPLIT];
    int h = blockIdx.x, t0 = blockIdx.y * ATT_Q, s = blockIdx.z;
    int nq = min(ATT_Q, n_tokens - t0);
    int first = *pos0 + t0;  // query u sees keys < first + u + 1
    int start = s * ATT_SPLIT;
    int nk = min(first + nq - start, ATT_SPLIT);  // keys any of the queries sees
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nw = blockDim.x >> 5;
    if (nk <= 0) {
        if (threadIdx.x < nq) mark_empty(part_ml + ((i64)(t0 + threadIdx.x) * n_head + h) * n_splits + s);
        return;
    }
    for (int u = 0; u < nq; u++) {
        const float* qh = q + (i64)(t0 + u) * q_stride + h * hd;
        for (int d = threadIdx.x; d < hd; d += blockDim.x) qs[u][d] = qh[d];
    }
    __syncthreads();
    int koff = (h / group) * hd;
    // Scores: a warp per key; the key's values stay in registers for every query.
    for (int j = warp; j < nk; j += nw) {
        const u16* kr = kc + (i64)(start + j) * kv_dim + koff;
        u32 kk[MAX_HD / 64];
#pragma unroll
        for (int i = 0; i < MAX_HD / 64; i++) {
            int d = 2 * lane + 64 * i;
            kk[i] = d < hd ? *(const u32*)(kr + d) : 0u;
        }
        // Query u sees the key from u = start + j - first on (causal).
        for (int u = max(0, start + j - first); u < nq; u++) {
            float dot = 0.0f;
#pragma unroll
            for (int i = 0; i < MAX_HD / 64; i++) {
                int d = 2 * lane + 64 * i;
                if (d < hd)
                    dot += h2f((u16)(kk[i] & 0xffff)) * qs[u][d] + h2f((u16)(kk[i] >> 16)) * qs[u][d + 1];
            }
            dot = warp_sum(dot);
            if (lane == 0) sc[u][j] = dot * scale;
        }
    }
    __syncthreads();
    // Softmax: a warp per query; keys a query does not see get weight 0.
    for (int u = warp; u < nq; u += nw) {
        i64 idx = ((i64)(t0 + u) * n_head + h) * n_splits + s;
        int seen = min(first + u + 1 - start, ATT_SPLIT);
        float m = NEG_INF;
        for (int j = lane; j < seen; j += 32) m = fmaxf(m, sc[u][j]);
        m = warp_max(m);
        float l = 0.0f;
        for (int j = lane; j < nk; j += 32) {
            float p = j < seen ? expf(sc[u][j] - m) : 0.0f;
            sc[u][j] = p;
            l += p;
        }
        l = warp_sum(l);
        if (lane == 0) {
            if (seen <= 0) {
                mark_empty(part_ml + idx);
            } else {
                float2 e;
                e.x = m;
                e.y = l;
                part_ml[idx] = e;
            }
        }
    }
    __syncthreads();
    for (int d = threadIdx.x; d < hd; d += blockDim.x) {
        const u16* vr = vc + (i64)start * kv_dim + koff + d;
        float acc[ATT_Q];
#pragma unroll
        for (int u = 0; u < ATT_Q; u++) acc[u] = 0.0f;
#pragma unroll 4
        for (int j = 0; j < nk; j++) {
            float v = h2f(vr[(i64)j * kv_dim]);
#pragma unroll
            for (int u = 0; u < ATT_Q; u++) acc[u] += sc[u][j] * v;
        }
        for (int u = 0; u < nq; u++)
            part_o[(((i64)(t0 + u) * n_head + h) * n_splits + s) * hd + d] = acc[u];
    }
}

// Decode attention (one query), the same arguments, grid and outputs as attn_split: the
// split's keys are spread over the block's four warps, four keys per warp step so that their
// loads are in flight together; for the values each warp sums its own keys for every
// dimension (a lane per two dimensions in each 64), and the warps' sums are added in shared
// memory.
extern "C" __global__ void attn_decode(const float* q, int q_stride, const u16* kc, const u16* vc,
                                       int kv_dim, int n_head, int group, int hd,
                                       const int* pos0, float scale, int n_splits, int n_tokens,
                                       float* part_o, float2* part_ml) {
    __shared__ float sc[ATT_SPLIT];
    __shared__ float red[4][MAX_HD];
    pdl_enter();
    int h = blockIdx.x, s = blockIdx.z;
    int start = s * ATT_SPLIT;
    int nk = min(*pos0 + 1 - start, ATT_SPLIT);  // keys the query sees in this split
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    i64 idx = (i64)h * n_splits + s;
    if (nk <= 0) {
        if (threadIdx.x == 0) mark_empty(part_ml + idx);
        return;
    }
    const float* qh = q + h * hd;
    int koff = (h / group) * hd;
    float2 qv[MAX_HD / 64];
#pragma unroll
    for (int i = 0; i < MAX_HD / 64; i++) {
        int d = 2 * lane + 64 * i;
        qv[i].x = d < hd ? qh[d] : 0.0f;
        qv[i].y = d < hd ? qh[d + 1] : 0.0f;
    }
    for (int j0 = 4 * warp; j0 < nk; j0 += 16) {
        u32 kk[4][MAX_HD / 64];
#pragma unroll
        for (int u = 0; u < 4; u++) {
            const u16* kr = kc + (i64)(start + min(j0 + u, nk - 1)) * kv_dim + koff;
#pragma unroll
            for (int i = 0; i < MAX_HD / 64; i++) {
                int d = 2 * lane + 64 * i;
                kk[u][i] = d < hd ? *(const u32*)(kr + d) : 0u;
            }
        }
        float dot[4];
#pragma unroll
        for (int u = 0; u < 4; u++) {
            dot[u] = 0.0f;
#pragma unroll
            for (int i = 0; i < MAX_HD / 64; i++)
                dot[u] += h2f((u16)(kk[u][i] & 0xffff)) * qv[i].x + h2f((u16)(kk[u][i] >> 16)) * qv[i].y;
        }
#pragma unroll
        for (int u = 0; u < 4; u++) dot[u] = warp_sum(dot[u]);
        if (lane == 0) {
#pragma unroll
            for (int u = 0; u < 4; u++)
                if (j0 + u < nk) sc[j0 + u] = dot[u] * scale;
        }
    }
    __syncthreads();
    if (warp == 0) {
        float m = NEG_INF;
        for (int j = lane; j < nk; j += 32) m = fmaxf(m, sc[j]);
        m = warp_max(m);
        float l = 0.0f;
        for (int j = lane; j < nk; j += 32) {
            float p = expf(sc[j] - m);
            sc[j] = p;
            l += p;
        }
        l = warp_sum(l);
        if (lane == 0) {
            float2 e;
            e.x = m;
            e.y = l;
            part_ml[idx] = e;
        }
    }
    __syncthreads();
    float2 acc[MAX_HD / 64];
#pragma unroll
    for (int i = 0; i < MAX_HD / 64; i++) acc[i].x = acc[i].y = 0.0f;
#pragma unroll 4
    for (int j = warp; j < nk; j += 4) {
        const u16* vr = vc + (i64)(start + j) * kv_dim + koff;
        float p = sc[j];
#pragma unroll
        for (int i = 0; i < MAX_HD / 64; i++) {
            int d = 2 * lane + 64 * i;
            if (d < hd) {
                u32 v = *(const u32*)(vr + d);
                acc[i].x += p * h2f((u16)(v & 0xffff));
                acc[i].y += p * h2f((u16)(v >> 16));
            }
        }
    }
#pragma unroll
    for (int i = 0; i < MAX_HD / 64; i++) {
        int d = 2 * lane + 64 * i;
        if (d < hd) {
            red[warp][d] = acc[i].x;
            red[warp][d + 1] = acc[i].y;
        }
    }
    __syncthreads();
    for (int d = threadIdx.x; d < hd; d += blockDim.x)
        part_o[idx * hd + d] = red[0][d] + red[1][d] + red[2][d] + red[3][d];
}

// Merges the splits of each (head, query), and quantizes the result to q8 when `q` is not
// null (then hd is a multiple of 32, and each warp takes whole q8 blocks). Grid: (n_head,
// tokens); block: 128.
extern "C" __global__ void attn_combine(const float* part_o, const float2* part_ml, float* out,
                                        int n_head, int hd, int n_splits, int out_stride,
                                        signed char* q, float2* ds) {
    pdl_enter();
    int h = blockIdx.x, t = blockIdx.y;
    i64 base = ((i64)t * n_head + h) * n_splits;
    float m = NEG_INF;
    for (int s = 0; s < n_splits; s++)
        if (part_ml[base + s].y > 0.0f) m = fmaxf(m, part_ml[base + s].x);
    float l = 0.0f;
    for (int s = 0; s < n_splits; s++) {
        float2 e = part_ml[base + s];
        if (e.y > 0.0f) l += e.y * expf(e.x - m);
    }
    float inv = l > 0.0f ? 1.0f / l : 0.0f;
    for (int d = threadIdx.x; d < hd; d += blockDim.x) {
        float acc = 0.0f;
        for (int s = 0; s < n_splits; s++) {
            float2 e = part_ml[base + s];
            if (e.y > 0.0f) acc += part_o[(base + s) * hd + d] * expf(e.x - m);
        }
        float v = acc * inv;
        i64 i = (i64)t * out_stride + h * hd + d;
        out[i] = v;
        if (q) q8_block(v, q + i - (d & 31), ds + i / 32);
    }
}

// ---------------------------------------------------------------------------------------
// Quantized weights. For each type: DOT_T(row, n, c, x, ds) is the dot product of 32-element
// chunk c of a weight row of n chunks with a q8 activation block (x: its 8 ints), and
// VAL_T(row, n, c, l) is element l of chunk c (for dequantization and embedding lookups).
//
// Rows of the legacy types (q4_0, q4_1, q5_0, q5_1, q8_0) are split on upload: the n block
// heads (scale, min, high bits: HEAD bytes each) first, padded to 16 bytes, then the n quant
// arrays (16 or 32 bytes each), so that a lane reads its block's quants with aligned 16-byte
// loads and a warp's loads are contiguous. K-quant rows stay as in the file.

__device__ __forceinline__ const int4* quants(const u8* row, int n, int head, int qbytes, int c) {
    return (const int4*)(row + ((n * head + 15) & ~15) + c * qbytes);
}

// The 4-bit dot product of legacy blocks: low nibbles with x[0..4], high with x[4..8].
__device__ __forceinline__ int dot4(int4 q, const int* x) {
    int v[4] = {q.x, q.y, q.z, q.w};
    int sumi = 0;
#pragma unroll
    for (int j = 0; j < 4; j++) {
        sumi = dp4a(v[j] & 0x0F0F0F0F, x[j], sumi);
        sumi = dp4a((v[j] >> 4) & 0x0F0F0F0F, x[4 + j], sumi);
    }
    return sumi;
}

// Element l of 16 bytes of nibbles (low nibbles first).
__device__ __forceinline__ int nibble(const u8* qs, int l) {
    int q = qs[l & 15];
    return l < 16 ? (q & 15) : (q >> 4);
}

__device__ __forceinline__ float dot_q4_0(const u8* row, int n, int c, const int* x, float2 ds) {
    int sumi = dot4(*quants(row, n, 2, 16, c), x);
    return ldh(row + 2 * c) * (ds.x * (float)sumi - 8.0f * ds.y);
}
__device__ __forceinline__ float val_q4_0(const u8* row, int n, int c, int l) {
    return (float)(nibble((const u8*)quants(row, n, 2, 16, c), l) - 8) * ldh(row + 2 * c);
}

__device__ __forceinline__ float dot_q4_1(const u8* row, int n, int c, const int* x, float2 ds) {
    int sumi = dot4(*quants(row, n, 4, 16, c), x);
    return ldh(row + 4 * c) * ds.x * (float)sumi + ldh(row + 4 * c + 2) * ds.y;
}
__device__ __forceinline__ float val_q4_1(const u8* row, int n, int c, int l) {
    int q = nibble((const u8*)quants(row, n, 4, 16, c), l);
    return (float)q * ldh(row + 4 * c) + ldh(row + 4 * c + 2);
}

// Spreads 4 bits of `h` to bit 4 of each byte.
__device__ __forceinline__ int spread4(u32 h) {
    return (int)(((h & 1) << 4) | ((h & 2) << 11) | ((h & 4) << 18) | ((h & 8) << 25));
}

__device__ __forceinline__ int dot5(int4 q, u32 qh, const int* x) {
    int v[4] = {q.x, q.y, q.z, q.w};
    int sumi = 0;
#pragma unroll
    for (int j = 0; j < 4; j++) {
        int lo = (v[j] & 0x0F0F0F0F) | spread4(qh >> (4 * j));
        int hi = ((v[j] >> 4) & 0x0F0F0F0F) | spread4(qh >> (16 + 4 * j));
        sumi = dp4a(lo, x[j], sumi);
        sumi = dp4a(hi, x[4 + j], sumi);
    }
    return sumi;
}

// Element l of a 5-bit block: its nibble and bit l of the high bits.
__device__ __forceinline__ int five(const u8* qs, u32 qh, int l) {
    return nibble(qs, l) | (int)(((qh >> l) & 1) << 4);
}

__device__ __forceinline__ float dot_q5_0(const u8* row, int n, int c, const int* x, float2 ds) {
    const u8* h = row + 6 * c;
    int sumi = dot5(*quants(row, n, 6, 16, c), (u32)ld2(h + 2), x);
    return ldh(h) * (ds.x * (float)sumi - 16.0f * ds.y);
}
__device__ __forceinline__ float val_q5_0(const u8* row, int n, int c, int l) {
    const u8* h = row + 6 * c;
    int q = five((const u8*)quants(row, n, 6, 16, c), (u32)ld2(h + 2), l);
    return (float)(q - 16) * ldh(h);
}

__device__ __forceinline__ float dot_q5_1(const u8* row, int n, int c, const int* x, float2 ds) {
    const u8* h = row + 8 * c;
    int sumi = dot5(*quants(row, n, 8, 16, c), *(const u32*)(h + 4), x);
    return ldh(h) * ds.x * (float)sumi + ldh(h + 2) * ds.y;
}
__device__ __forceinline__ float val_q5_1(const u8* row, int n, int c, int l) {
    const u8* h = row + 8 * c;
    int q = five((const u8*)quants(row, n, 8, 16, c), *(const u32*)(h + 4), l);
    return (float)q * ldh(h) + ldh(h + 2);
}

__device__ __forceinline__ float dot_q8_0(const u8* row, int n, int c, const int* x, float2 ds) {
    const int4* qs = quants(row, n, 2, 32, c);
    int4 a = qs[0], b = qs[1];
    int v[8] = {a.x, a.y, a.z, a.w, b.x, b.y, b.z, b.w};
    int sumi = 0;
#pragma unroll
    for (int j = 0; j < 8; j++) sumi = dp4a(v[j], x[j], sumi);
    return ldh(row + 2 * c) * ds.x * (float)sumi;
}
__device__ __forceinline__ float val_q8_0(const u8* row, int n, int c, int l) {
    const signed char* qs = (const signed char*)quants(row, n, 2, 32, c);
    return (float)qs[l] * ldh(row + 2 * c);
}

// Scale and min of sub-block j of a q4_K super-block (ggml's get_scale_min_k4).
__device__ __forceinline__ void scale_min_k4(int j, const u8* q, int* sc, int* m) {
    if (j < 4) {
        *sc = q[j] & 63;
        *m = q[j + 4] & 63;
    } else {
        *sc = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
        *m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
    }
}

__device__ __forceinline__ float dot_q4_k(const u8* row, int, int c, const int* x, float2 ds) {
    int j = c & 7;
    const u8* b = row + (c >> 3) * 144;
    int sc, m;
    scale_min_k4(j, b + 4, &sc, &m);
    const int4* qs = (const int4*)(b + 16 + 32 * (j >> 1));
    int4 qa = qs[0], qb = qs[1];
    int v[8] = {qa.x, qa.y, qa.z, qa.w, qb.x, qb.y, qb.z, qb.w};
    int shift = 4 * (j & 1);
    int sumi = 0;
#pragma unroll
    for (int i = 0; i < 8; i++) sumi = dp4a((v[i] >> shift) & 0x0F0F0F0F, x[i], sumi);
    return ldh(b) * (float)sc * ds.x * (float)sumi - ldh(b + 2) * (float)m * ds.y;
}
__device__ __forceinline__ float val_q4_k(const u8* row, int, int c, int l) {
    int j = c & 7;
    const u8* b = row + (c >> 3) * 144;
    int sc, m;
    scale_min_k4(j, b + 4, &sc, &m);
    int q = b[16 + 32 * (j >> 1) + l];
    q = (j & 1) ? (q >> 4) : (q & 15);
    return ldh(b) * (float)sc * (float)q - ldh(b + 2) * (float)m;
}

// q6_K rows are rearranged on upload (weights.rs, Q6kLayout): the n / 8 super-blocks'
// 16 scale bytes side by side, then their f16 scales d (padded to 16 bytes), then their
// 192 quant bytes (ql[128], qh[64]), so that quants and scales load 16 bytes at a time (a
// file's 210-byte super-blocks only allow 2-byte loads).
__device__ __forceinline__ int q6_qoff(int nsb) { return 16 * nsb + ((2 * nsb + 15) & ~15); }

__device__ __forceinline__ float dot_q6_k(const u8* row, int n, int c, const int* x, float2 ds) {
    int nsb = n >> 3, sb = c >> 3;
    int j = c & 7, h = j >> 2, k = j & 3;
    const u8* q = row + q6_qoff(nsb) + 192 * sb;
    const u8* ql = q + 64 * h + 32 * (k & 1);
    const u8* qh = q + 128 + 32 * h;
    int lshift = 4 * (k >> 1), hshift = 2 * k;
    int s0 = 0, s1 = 0;
#pragma unroll
    for (int i = 0; i < 8; i++) {
        int lo = (*(const int*)(ql + 4 * i) >> lshift) & 0x0F0F0F0F;
        int hi = ((*(const int*)(qh + 4 * i) >> hshift) & 0x03030303) << 4;
        int v = ((((lo | hi) | 0x80808080) - 0x20202020) ^ 0x80808080);
        if (i < 4) s0 = dp4a(v, x[i], s0);
        else s1 = dp4a(v, x[i], s1);
    }
    const signed char* scales = (const signed char*)(row + 16 * sb + 8 * h + 2 * k);
    float d = ldh(row + 16 * nsb + 2 * sb);
    return d * ds.x * ((float)scales[0] * (float)s0 + (float)scales[1] * (float)s1);
}
__device__ __forceinline__ float val_q6_k(const u8* row, int n, int c, int l) {
    int nsb = n >> 3, sb = c >> 3;
    int j = c & 7, h = j >> 2, k = j & 3;
    const u8* q = row + q6_qoff(nsb) + 192 * sb;
    int lo = q[64 * h + 32 * (k & 1) + l];
    lo = (k >> 1) ? (lo >> 4) : (lo & 15);
    int hi = (q[128 + 32 * h + l] >> (2 * k)) & 3;
    int sc = (signed char)row[16 * sb + 8 * h + 2 * k + (l >> 4)];
    return ldh(row + 16 * nsb + 2 * sb) * (float)sc * (float)((lo | (hi << 4)) - 32);
}

__device__ __forceinline__ float val_f16(const u8* row, int, int c, int l) {
    return ldh(row + 2 * (c * 32 + l));
}
__device__ __forceinline__ float val_f32(const u8* row, int, int c, int l) {
    return ((const float*)row)[c * 32 + l];
}

// out[t][off + r] (=|+=) W[r] · x[t] (+ bias[r]): a warp per row, grid (ceil(rows / 4), tokens),
// block 128. `out` points at column `off` already; `bias` may be null.
#define MMV_Q(T)                                                                               \
    extern "C" __global__ void mmv_##T(const u8* w, int rows, int nchunks, i64 row_bytes,      \
                                       const int* xq, const float2* xds, float* out,           \
                                       int out_stride, const float* bias, int accumulate) {    \
        pdl_enter();                                                                           \
        int lane = threadIdx.x & 31;                                                           \
        int r = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);                           \
        if (r >= rows) return;                                                                 \
        int t = blockIdx.y;                                                                    \
        const u8* row = w + (i64)r * row_bytes;                                                \
        const int4* x = (const int4*)(xq + (i64)t * nchunks * 8);                              \
        const float2* ds = xds + (i64)t * nchunks;                                             \
        float acc = 0.0f;                                                                      \
        _Pragma("unroll 4") for (int c = lane; c < nchunks; c += 32) {                         \
            int4 a = x[2 * c], b = x[2 * c + 1];                                               \
            int xv[8] = {a.x, a.y, a.z, a.w, b.x, b.y, b.z, b.w};                              \
            acc += dot_##T(row, nchunks, c, xv, ds[c]);                                        \
        }                                                                                      \
        acc = warp_sum(acc);                                                                   \
        if (lane == 0) {                                                                       \
            float* o = out + (i64)t * out_stride + r;                                          \
            if (bias) acc += bias[r];                                                          \
            *o = accumulate ? *o + acc : acc;                                                  \
        }                                                                                      \
    }

// The same for float weights with f32 activations `xf` (rows of nchunks * 32).
#define MMV_F(T)                                                                               \
    extern "C" __global__ void mmv_##T(const u8* w, int rows, int nchunks, i64 row_bytes,      \
                                       const float* xf, float* out, int out_stride,            \
                                       const float* bias, int accumulate) {                    \
        pdl_enter();                                                                           \
        int lane = threadIdx.x & 31;                                                           \
        int r = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);                           \
        if (r >= rows) return;                                                                 \
        int t = blockIdx.y;                                                                    \
        const u8* row = w + (i64)r * row_bytes;                                                \
        const float* x = xf + (i64)t * nchunks * 32;                                           \
        float acc = 0.0f;                                                                      \
        for (int c = 0; c < nchunks; c++)                                                     \
            acc += val_##T(row, nchunks, c, lane) * x[c * 32 + lane];                          \
        acc = warp_sum(acc);                                                                   \
        if (lane == 0) {                                                                       \
            float* o = out + (i64)t * out_stride + r;                                          \
            if (bias) acc += bias[r];                                                          \
            *o = accumulate ? *o + acc : acc;                                                  \
        }                                                                                      \
    }

// K-quant mat-vec, second version: a warp computes R rows, and lanes take 16-byte slices of
// a row so that each load instruction of the warp reads contiguous bytes and every byte once
// (the first version gave each lane a 32-value chunk, and pairs of lanes loaded the same 32
// quant bytes). Each activation load serves the R rows. Before waiting for the previous
// kernel (pdl_wait) a warp prefetches the start of its rows into L2: the weights do not
// depend on it. Grid (ceil(rows / (4 R)), tokens), block 128.
#define KQ_WARPS 4
#define KQ_PREFETCH 4  // warp iterations whose weights are prefetched before pdl_wait

__device__ __forceinline__ void prefetch_l2(const void* p) {
    asm volatile("prefetch.global.L2 [%0];" ::"l"(p));
}

__device__ __forceinline__ void mmv_store(float* out, int out_stride, int t, int r, float acc,
                                          const float* bias, int accumulate) {
    float* o = out + (i64)t * out_stride + r;
    if (bias) acc += bias[r];
    *o = accumulate ? *o + acc : acc;
}

// q4_K: 144-byte super-blocks (d, dmin, 12 scale bytes, 128 quant bytes) = 9 x 16 bytes.
// Eight lanes per super-block, four super-blocks per warp step: lane i of a super-block takes
// quant bytes 16i..16i+16, which hold values 16(i&1)..+16 of sub-blocks 2(i>>1) (low
// nibbles) and 2(i>>1)+1 (high nibbles); all eight read the 16-byte head (one broadcast).
template <int R>
__device__ __forceinline__ void mmv2_q4_k(const u8* w, int rows, int nchunks, i64 row_bytes,
                                          const int* xq, const float2* xds, float* out,
                                          int out_stride, const float* bias, int accumulate) {
    int lane = threadIdx.x & 31;
    int r0 = (blockIdx.x * KQ_WARPS + (threadIdx.x >> 5)) * R;
    int t = blockIdx.y;
    int nsb = nchunks >> 3;
    int s = lane >> 3, i = lane & 7, g = i >> 1, h = i & 1;
    const u8* row[R];
#pragma unroll
    for (int r = 0; r < R; r++) row[r] = w + (i64)min(r0 + r, rows - 1) * row_bytes;
    if (r0 < rows) {
        for (int it = 0; it < KQ_PREFETCH; it++) {
            int sb = s + 4 * it;
            if (sb < nsb) {
#pragma unroll
                for (int r = 0; r < R; r++) prefetch_l2(row[r] + sb * 144 + 16 + 16 * i);
            }
        }
    }
    pdl_enter();
    if (r0 >= rows) return;
    const int* x = xq + (i64)t * nchunks * 8;
    const float2* ds = xds + (i64)t * nchunks;
    float acc[R];
#pragma unroll
    for (int r = 0; r < R; r++) acc[r] = 0.0f;
#pragma unroll 2
    for (int sb = s; sb < nsb; sb += 4) {
        int c0 = sb * 8 + 2 * g;
        int4 xa = *(const int4*)(x + c0 * 8 + 4 * h);
        int4 xb = *(const int4*)(x + c0 * 8 + 8 + 4 * h);
        float2 da = ds[c0], db = ds[c0 + 1];
#pragma unroll
        for (int r = 0; r < R; r++) {
            const u8* b = row[r] + sb * 144;
            int4 hd = *(const int4*)b;
            int4 q = *(const int4*)(b + 16 + 16 * i);
            u32 q0 = (u32)hd.y, q1 = (u32)hd.z, q2 = (u32)hd.w;
            // Scales and mins of the sub-blocks 0..3 and 4..7, a byte each (get_scale_min_k4).
            u32 sc = g < 2 ? (q0 & 0x3f3f3f3fu)
                           : ((q2 & 0x0f0f0f0fu) | (((q0 >> 6) & 0x03030303u) << 4));
            u32 mn = g < 2 ? (q1 & 0x3f3f3f3fu)
                           : (((q2 >> 4) & 0x0f0f0f0fu) | (((q1 >> 6) & 0x03030303u) << 4));
            int sh = 16 * (g & 1);
            int sc0 = (sc >> sh) & 0xff, sc1 = (sc >> (sh + 8)) & 0xff;
            int s0 = 0, s1 = 0;
            s0 = dp4a(q.x & 0x0F0F0F0F, xa.x, s0);
            s0 = dp4a(q.y & 0x0F0F0F0F, xa.y, s0);
            s0 = dp4a(q.z & 0x0F0F0F0F, xa.z, s0);
            s0 = dp4a(q.w & 0x0F0F0F0F, xa.w, s0);
            s1 = dp4a((q.x >> 4) & 0x0F0F0F0F, xb.x, s1);
            s1 = dp4a((q.y >> 4) & 0x0F0F0F0F, xb.y, s1);
            s1 = dp4a((q.z >> 4) & 0x0F0F0F0F, xb.z, s1);
            s1 = dp4a((q.w >> 4) & 0x0F0F0F0F, xb.w, s1);
            float d = h2f((u16)(hd.x & 0xffff)), dmin = h2f((u16)((u32)hd.x >> 16));
            float v = d * ((float)sc0 * da.x * (float)s0 + (float)sc1 * db.x * (float)s1);
            if (h == 0) {
                int m0 = (mn >> sh) & 0xff, m1 = (mn >> (sh + 8)) & 0xff;
                v -= dmin * ((float)m0 * da.y + (float)m1 * db.y);
            }
            acc[r] += v;
        }
    }
#pragma unroll
    for (int r = 0; r < R; r++) {
        float a = warp_sum(acc[r]);
        if (lane == 0 && r0 + r < rows) mmv_store(out, out_stride, t, r0 + r, a, bias, accumulate);
    }
}

// q6_K in the upload layout above. Four lanes per super-block, eight super-blocks per warp
// step: lane p takes positions 16(p&1)..+16 of half p>>1 (128 values): 16 bytes of ql at
// l and at l + 32 and 16 bytes of qh, i.e. 16 values of each of the half's four sub-blocks,
// with their four scales (one 16-byte load of the super-block's scales, shared by its lanes).
template <int R>
__device__ __forceinline__ void mmv2_q6_k(const u8* w, int rows, int nchunks, i64 row_bytes,
                                          const int* xq, const float2* xds, float* out,
                                          int out_stride, const float* bias, int accumulate) {
    int lane = threadIdx.x & 31;
    int r0 = (blockIdx.x * KQ_WARPS + (threadIdx.x >> 5)) * R;
    int t = blockIdx.y;
    int nsb = nchunks >> 3;
    int qoff = q6_qoff(nsb);
    int s = lane >> 2, p = lane & 3, hf = p >> 1, l = 16 * (p & 1);
    const u8* row[R];
#pragma unroll
    for (int r = 0; r < R; r++) row[r] = w + (i64)min(r0 + r, rows - 1) * row_bytes;
    if (r0 < rows) {
        for (int it = 0; it < KQ_PREFETCH; it++) {
            int sb = s + 8 * it;
            if (sb < nsb) {
#pragma unroll
                for (int r = 0; r < R; r++) {
                    const u8* q = row[r] + qoff + 192 * sb;
                    prefetch_l2(q + 64 * hf + l);
                    prefetch_l2(q + 128 + 32 * hf + l);
                }
            }
        }
    }
    pdl_enter();
    if (r0 >= rows) return;
    const int* x = xq + (i64)t * nchunks * 8;
    const float2* ds = xds + (i64)t * nchunks;
    float acc[R];
#pragma unroll
    for (int r = 0; r < R; r++) acc[r] = 0.0f;
#pragma unroll 2
    for (int sb = s; sb < nsb; sb += 8) {
        int c0 = sb * 8 + 4 * hf;  // the half's first sub-block
        int4 xv[4];
        float dx[4];
#pragma unroll
        for (int k = 0; k < 4; k++) {
            xv[k] = *(const int4*)(x + (c0 + k) * 8 + l / 4);
            dx[k] = ds[c0 + k].x;
        }
#pragma unroll
        for (int r = 0; r < R; r++) {
            const u8* q = row[r] + qoff + 192 * sb;
            int4 qa = *(const int4*)(q + 64 * hf + l);       // ql[l..]: sub-blocks 0 and 2
            int4 qb = *(const int4*)(q + 64 * hf + 32 + l);  // ql[l + 32..]: 1 and 3
            int4 qh = *(const int4*)(q + 128 + 32 * hf + l);
            int4 scv = *(const int4*)(row[r] + 16 * sb);
            float d = ldh(row[r] + 16 * nsb + 2 * sb);
            u32 w0 = (u32)(hf ? scv.z : scv.x), w1 = (u32)(hf ? scv.w : scv.y);
            int a[4] = {qa.x, qa.y, qa.z, qa.w};
            int b[4] = {qb.x, qb.y, qb.z, qb.w};
            int hh[4] = {qh.x, qh.y, qh.z, qh.w};
            int xs[4][4] = {{xv[0].x, xv[0].y, xv[0].z, xv[0].w},
                            {xv[1].x, xv[1].y, xv[1].z, xv[1].w},
                            {xv[2].x, xv[2].y, xv[2].z, xv[2].w},
                            {xv[3].x, xv[3].y, xv[3].z, xv[3].w}};
            float v = 0.0f;
#pragma unroll
            for (int k = 0; k < 4; k++) {
                int sum = 0;
#pragma unroll
                for (int m = 0; m < 4; m++) {
                    int src = (k & 1) ? b[m] : a[m];
                    int lo = (src >> (4 * (k >> 1))) & 0x0F0F0F0F;
                    int hi = ((hh[m] >> (2 * k)) & 0x03030303) << 4;
                    int qv = ((((lo | hi) | 0x80808080) - 0x20202020) ^ 0x80808080);
                    sum = dp4a(qv, xs[k][m], sum);
                }
                // Scale of sub-block k at positions l..l+16: byte (l / 16) + 2k of the half.
                u32 wsc = k < 2 ? w0 : w1;
                int sc = (int)(signed char)((wsc >> (8 * ((p & 1) + 2 * (k & 1)))) & 0xff);
                v += (float)sc * dx[k] * (float)sum;
            }
            acc[r] += d * v;
        }
    }
#pragma unroll
    for (int r = 0; r < R; r++) {
        float a = warp_sum(acc[r]);
        if (lane == 0 && r0 + r < rows) mmv_store(out, out_stride, t, r0 + r, a, bias, accumulate);
    }
}

#define MMV2(T, R)                                                                             \
    extern "C" __global__ void mmv2_##T##_r##R(const u8* w, int rows, int nchunks,             \
                                               i64 row_bytes, const int* xq,                   \
                                               const float2* xds, float* out, int out_stride,  \
                                               const float* bias, int accumulate) {            \
        mmv2_##T<R>(w, rows, nchunks, row_bytes, xq, xds, out, out_stride, bias, accumulate);  \
    }

MMV2(q4_k, 1) MMV2(q4_k, 2) MMV2(q4_k, 4) MMV2(q6_k, 1) MMV2(q6_k, 2) MMV2(q6_k, 4)

// Whole matrix to f16 (for cuBLAS): a thread per 8 values (one 16-byte store), grid
// ceil(rows * nchunks / 64), block 256. Embedding rows of `tokens` to f32: grid
// (ceil(nchunks / 8), tokens), block 256.
#define DEQUANT(T)                                                                             \
    extern "C" __global__ void dequant_##T(const u8* w, int rows, int nchunks, i64 row_bytes,  \
                                           u16* out) {                                         \
        pdl_enter();                                                                           \
        i64 g = (i64)blockIdx.x * blockDim.x + threadIdx.x;                                    \
        if (g >= (i64)rows * nchunks * 4) return;                                              \
        i64 chunk = g >> 2;                                                                    \
        int l0 = 8 * (int)(g & 3);                                                             \
        i64 r = chunk / nchunks;                                                               \
        int c = (int)(chunk % nchunks);                                                        \
        const u8* row = w + r * row_bytes;                                                     \
        u32 two[4];                                                                            \
        _Pragma("unroll") for (int k = 0; k < 4; k++) {                                        \
            u32 lo = f2h(val_##T(row, nchunks, c, l0 + 2 * k));                                \
            u32 hi = f2h(val_##T(row, nchunks, c, l0 + 2 * k + 1));                            \
            two[k] = lo | (hi << 16);                                                          \
        }                                                                                      \
        uint4 v;                                                                               \
        v.x = two[0];                                                                          \
        v.y = two[1];                                                                          \
        v.z = two[2];                                                                          \
        v.w = two[3];                                                                          \
        *(uint4*)(out + chunk * 32 + l0) = v;                                                  \
    }                                                                                          \
    extern "C" __global__ void embed_##T(const u8* w, int nchunks, i64 row_bytes,              \
                                         const int* tokens, float* out) {                      \
        pdl_enter();                                                                           \
        int c = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);                           \
        if (c >= nchunks) return;                                                              \
        int t = blockIdx.y, l = threadIdx.x & 31;                                              \
        const u8* row = w + (i64)tokens[t] * row_bytes;                                        \
        out[(i64)t * nchunks * 32 + c * 32 + l] = val_##T(row, nchunks, c, l);                 \
    }

MMV_Q(q4_0) MMV_Q(q4_1) MMV_Q(q5_0) MMV_Q(q5_1) MMV_Q(q8_0) MMV_Q(q4_k) MMV_Q(q6_k)
MMV_F(f16) MMV_F(f32)
DEQUANT(q4_0) DEQUANT(q4_1) DEQUANT(q5_0) DEQUANT(q5_1) DEQUANT(q8_0) DEQUANT(q4_k)
DEQUANT(q6_k) DEQUANT(f16) DEQUANT(f32)
