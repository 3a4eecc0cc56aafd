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

// h = x / rms(x) * w per row, also as q8. Grid: rows; block: 256.
extern "C" __global__ void rms_norm_q8(const float* x, const float* w, float* h, signed char* q,
                                       float2* ds, int cols, float eps) {
    __shared__ float red[32];
    int row = blockIdx.x;
    const float* xr = x + (i64)row * cols;
    float ss = 0.0f;
    for (int i = threadIdx.x; i < cols; i += blockDim.x) ss += xr[i] * xr[i];
    ss = block_sum(ss, red);
    float scale = 1.0f / sqrtf(ss / (float)cols + eps);
    int lane = threadIdx.x & 31, nw = blockDim.x >> 5;
    for (int c = threadIdx.x >> 5; c < cols / 32; c += nw) {
        int i = c * 32 + lane;
        float v = (xr[i] * scale) * w[i];
        h[(i64)row * cols + i] = v;
        q8_block(v, q + (i64)row * cols + c * 32, ds + (i64)row * (cols / 32) + c);
    }
}

// q8 of x. Grid: (ceil(cols / 256), rows); block: 256 (a warp per 32 values).
extern "C" __global__ void quantize_q8(const float* x, signed char* q, float2* ds, int cols) {
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
    for (i64 k = blockIdx.x * (i64)blockDim.x + threadIdx.x; k < n;
         k += (i64)gridDim.x * blockDim.x)
        y[k] = f2h(x[k]);
}

// Rotary embedding of Q (in place) and K, and K, V into the f16 cache at positions
// pos0 + t. qkv rows hold Q (n_head * hd), K and V (kv_dim each), `stride` apart.
// The angle of pair i is pos * theta_scale^i, multiplied up step by step in f32 as the CPU
// (and ggml) computes it. Grid: tokens; block: 256.
extern "C" __global__ void rope_store(float* qkv, int stride, u16* kc, u16* vc, int n_head,
                                      int n_head_kv, int hd, int rope_dim, int neox, int pos0,
                                      float theta_scale) {
    int t = blockIdx.x;
    int pos = pos0 + t;
    int half_rd = rope_dim / 2;
    int kv_dim = n_head_kv * hd;
    float* q = qkv + (i64)t * stride;
    const float* k = q + n_head * hd;
    const float* v = k + kv_dim;
    u16* kr = kc + (i64)pos * kv_dim;
    u16* vr = vc + (i64)pos * kv_dim;
    int pairs_q = n_head * half_rd;
    int pairs = pairs_q + n_head_kv * half_rd;
    for (int i = threadIdx.x; i < pairs; i += blockDim.x) {
        int is_k = i >= pairs_q;
        int j = is_k ? i - pairs_q : i;
        int h = j / half_rd, p = j % half_rd;
        float theta = (float)pos;
        for (int s = 0; s < p; s++) theta *= theta_scale;
        float cs = cosf(theta), sn = sinf(theta);
        int a = h * hd + (neox ? p : 2 * p);
        int b = a + (neox ? half_rd : 1);
        const float* src = is_k ? k : q;
        float x0 = src[a], x1 = src[b];
        float y0 = x0 * cs - x1 * sn;
        float y1 = x0 * sn + x1 * cs;
        if (is_k) {
            kr[a] = f2h(y0);
            kr[b] = f2h(y1);
        } else {
            q[a] = y0;
            q[b] = y1;
        }
    }
    for (int i = threadIdx.x; i < kv_dim; i += blockDim.x) {
        if (i % hd >= rope_dim) kr[i] = f2h(k[i]);
        vr[i] = f2h(v[i]);
    }
}

// ---------------------------------------------------------------------------------------
// Attention: split-K (flash-decoding). Each block takes one (head, query, split of up to
// ATT_SPLIT keys): scores, local max and sum, and the unnormalized weighted sum of V; a
// second kernel merges the splits. Queries at positions pos0 + t see keys 0..=pos0 + t
// (causal), so the same kernels serve decode (one query) and prefill.
#define ATT_SPLIT 256
#define MAX_HD 512

// Grid: (n_head, tokens, splits); block: 128.
extern "C" __global__ void attn_split(const float* q, int q_stride, const u16* kc, const u16* vc,
                                      int kv_dim, int n_head, int group, int hd, int pos0,
                                      float scale, int n_splits, float* part_o,
                                      float2* part_ml) {
    __shared__ float qs[MAX_HD];
    __shared__ float sc[ATT_SPLIT];
    __shared__ float red[32];
    int h = blockIdx.x, t = blockIdx.y, s = blockIdx.z;
    int len = pos0 + t + 1;
    int start = s * ATT_SPLIT;
    i64 idx = ((i64)t * n_head + h) * n_splits + s;
    if (start >= len) {
        if (threadIdx.x == 0) {
            float2 e;
            e.x = NEG_INF;
            e.y = 0.0f;
            part_ml[idx] = e;
        }
        return;
    }
    int nk = min(len - start, ATT_SPLIT);
    const float* qh = q + (i64)t * q_stride + h * hd;
    for (int d = threadIdx.x; d < hd; d += blockDim.x) qs[d] = qh[d];
    __syncthreads();
    int koff = (h / group) * hd;
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nw = blockDim.x >> 5;
    for (int j = warp; j < nk; j += nw) {
        const u16* kr = kc + (i64)(start + j) * kv_dim + koff;
        float dot = 0.0f;
        for (int d = 2 * lane; d < hd; d += 64) {
            u32 two = *(const u32*)(kr + d);
            dot += h2f((u16)(two & 0xffff)) * qs[d] + h2f((u16)(two >> 16)) * qs[d + 1];
        }
        dot = warp_sum(dot);
        if (lane == 0) sc[j] = dot * scale;
    }
    __syncthreads();
    float m = NEG_INF;
    for (int j = threadIdx.x; j < nk; j += blockDim.x) m = fmaxf(m, sc[j]);
    m = block_max(m, red);
    float l = 0.0f;
    for (int j = threadIdx.x; j < nk; j += blockDim.x) {
        float p = expf(sc[j] - m);
        sc[j] = p;
        l += p;
    }
    l = block_sum(l, red);  // its barriers also publish sc[]
    for (int d = threadIdx.x; d < hd; d += blockDim.x) {
        const u16* vr = vc + (i64)start * kv_dim + koff + d;
        float acc = 0.0f;
        for (int j = 0; j < nk; j++) acc += sc[j] * h2f(vr[(i64)j * kv_dim]);
        part_o[idx * hd + d] = acc;
    }
    if (threadIdx.x == 0) {
        float2 e;
        e.x = m;
        e.y = l;
        part_ml[idx] = e;
    }
}

// Merges the splits of each (head, query). Grid: (n_head, tokens); block: 128.
extern "C" __global__ void attn_combine(const float* part_o, const float2* part_ml, float* out,
                                        int n_head, int hd, int n_splits, int out_stride) {
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
        out[(i64)t * out_stride + h * hd + d] = acc * inv;
    }
}

// ---------------------------------------------------------------------------------------
// Quantized weights. For each type: DOT_T(row, c, x, ds) is the dot product of 32-element
// chunk c of a weight row with a q8 activation block (x: its 8 ints), and VAL_T(row, c, l)
// is element l of chunk c (for dequantization and embedding lookups).

__device__ __forceinline__ float dot_q4_0(const u8* row, int c, const int* x, float2 ds) {
    const u8* b = row + c * 18;
    int sumi = 0;
#pragma unroll
    for (int j = 0; j < 4; j++) {
        int v = ld2(b + 2 + 4 * j);
        sumi = dp4a(v & 0x0F0F0F0F, x[j], sumi);
        sumi = dp4a((v >> 4) & 0x0F0F0F0F, x[4 + j], sumi);
    }
    return ldh(b) * (ds.x * (float)sumi - 8.0f * ds.y);
}
__device__ __forceinline__ float val_q4_0(const u8* row, int c, int l) {
    const u8* b = row + c * 18;
    int q = b[2 + (l & 15)];
    q = l < 16 ? (q & 15) : (q >> 4);
    return (float)(q - 8) * ldh(b);
}

__device__ __forceinline__ float dot_q4_1(const u8* row, int c, const int* x, float2 ds) {
    const u8* b = row + c * 20;
    int sumi = 0;
#pragma unroll
    for (int j = 0; j < 4; j++) {
        int v = ld2(b + 4 + 4 * j);
        sumi = dp4a(v & 0x0F0F0F0F, x[j], sumi);
        sumi = dp4a((v >> 4) & 0x0F0F0F0F, x[4 + j], sumi);
    }
    return ldh(b) * ds.x * (float)sumi + ldh(b + 2) * ds.y;
}
__device__ __forceinline__ float val_q4_1(const u8* row, int c, int l) {
    const u8* b = row + c * 20;
    int q = b[4 + (l & 15)];
    q = l < 16 ? (q & 15) : (q >> 4);
    return (float)q * ldh(b) + ldh(b + 2);
}

// Spreads 4 bits of `h` to bit 4 of each byte.
__device__ __forceinline__ int spread4(u32 h) {
    return (int)(((h & 1) << 4) | ((h & 2) << 11) | ((h & 4) << 18) | ((h & 8) << 25));
}

__device__ __forceinline__ int dot5(const u8* qs, u32 qh, const int* x) {
    int sumi = 0;
#pragma unroll
    for (int j = 0; j < 4; j++) {
        int v = ld2(qs + 4 * j);
        int lo = (v & 0x0F0F0F0F) | spread4(qh >> (4 * j));
        int hi = ((v >> 4) & 0x0F0F0F0F) | spread4(qh >> (16 + 4 * j));
        sumi = dp4a(lo, x[j], sumi);
        sumi = dp4a(hi, x[4 + j], sumi);
    }
    return sumi;
}

__device__ __forceinline__ float dot_q5_0(const u8* row, int c, const int* x, float2 ds) {
    const u8* b = row + c * 22;
    int sumi = dot5(b + 6, (u32)ld2(b + 2), x);
    return ldh(b) * (ds.x * (float)sumi - 16.0f * ds.y);
}
__device__ __forceinline__ float val_q5_0(const u8* row, int c, int l) {
    const u8* b = row + c * 22;
    u32 qh = (u32)ld2(b + 2);
    int q = b[6 + (l & 15)];
    q = (l < 16 ? (q & 15) : (q >> 4)) | (int)(((qh >> l) & 1) << 4);
    return (float)(q - 16) * ldh(b);
}

__device__ __forceinline__ float dot_q5_1(const u8* row, int c, const int* x, float2 ds) {
    const u8* b = row + c * 24;
    int sumi = dot5(b + 8, (u32)ld2(b + 4), x);
    return ldh(b) * ds.x * (float)sumi + ldh(b + 2) * ds.y;
}
__device__ __forceinline__ float val_q5_1(const u8* row, int c, int l) {
    const u8* b = row + c * 24;
    u32 qh = (u32)ld2(b + 4);
    int q = b[8 + (l & 15)];
    q = (l < 16 ? (q & 15) : (q >> 4)) | (int)(((qh >> l) & 1) << 4);
    return (float)q * ldh(b) + ldh(b + 2);
}

__device__ __forceinline__ float dot_q8_0(const u8* row, int c, const int* x, float2 ds) {
    const u8* b = row + c * 34;
    int sumi = 0;
#pragma unroll
    for (int j = 0; j < 8; j++) sumi = dp4a(ld2(b + 2 + 4 * j), x[j], sumi);
    return ldh(b) * ds.x * (float)sumi;
}
__device__ __forceinline__ float val_q8_0(const u8* row, int c, int l) {
    const u8* b = row + c * 34;
    return (float)(signed char)b[2 + l] * ldh(b);
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

__device__ __forceinline__ float dot_q4_k(const u8* row, int c, const int* x, float2 ds) {
    int j = c & 7;
    const u8* b = row + (c >> 3) * 144;
    int sc, m;
    scale_min_k4(j, b + 4, &sc, &m);
    const int* qs = (const int*)(b + 16 + 32 * (j >> 1));
    int shift = 4 * (j & 1);
    int sumi = 0;
#pragma unroll
    for (int i = 0; i < 8; i++) sumi = dp4a((qs[i] >> shift) & 0x0F0F0F0F, x[i], sumi);
    return ldh(b) * (float)sc * ds.x * (float)sumi - ldh(b + 2) * (float)m * ds.y;
}
__device__ __forceinline__ float val_q4_k(const u8* row, int c, int l) {
    int j = c & 7;
    const u8* b = row + (c >> 3) * 144;
    int sc, m;
    scale_min_k4(j, b + 4, &sc, &m);
    int q = b[16 + 32 * (j >> 1) + l];
    q = (j & 1) ? (q >> 4) : (q & 15);
    return ldh(b) * (float)sc * (float)q - ldh(b + 2) * (float)m;
}

__device__ __forceinline__ float dot_q6_k(const u8* row, int c, const int* x, float2 ds) {
    int j = c & 7, n = j >> 2, k = j & 3;
    const u8* b = row + (c >> 3) * 210;
    const u8* ql = b + 64 * n + 32 * (k & 1);
    const u8* qh = b + 128 + 32 * n;
    int lshift = 4 * (k >> 1), hshift = 2 * k;
    int s0 = 0, s1 = 0;
#pragma unroll
    for (int i = 0; i < 8; i++) {
        int lo = (ld2(ql + 4 * i) >> lshift) & 0x0F0F0F0F;
        int hi = ((ld2(qh + 4 * i) >> hshift) & 0x03030303) << 4;
        int q = ((((lo | hi) | 0x80808080) - 0x20202020) ^ 0x80808080);
        if (i < 4) s0 = dp4a(q, x[i], s0);
        else s1 = dp4a(q, x[i], s1);
    }
    const signed char* scales = (const signed char*)(b + 192 + 8 * n + 2 * k);
    return ldh(b + 208) * ds.x * ((float)scales[0] * (float)s0 + (float)scales[1] * (float)s1);
}
__device__ __forceinline__ float val_q6_k(const u8* row, int c, int l) {
    int j = c & 7, n = j >> 2, k = j & 3;
    const u8* b = row + (c >> 3) * 210;
    int lo = b[64 * n + 32 * (k & 1) + l];
    lo = (k >> 1) ? (lo >> 4) : (lo & 15);
    int hi = (b[128 + 32 * n + l] >> (2 * k)) & 3;
    int sc = (signed char)b[192 + 8 * n + 2 * k + (l >> 4)];
    return ldh(b + 208) * (float)sc * (float)((lo | (hi << 4)) - 32);
}

__device__ __forceinline__ float val_f16(const u8* row, int c, int l) {
    return ldh(row + 2 * (c * 32 + l));
}
__device__ __forceinline__ float val_f32(const u8* row, int c, int l) {
    return ((const float*)row)[c * 32 + l];
}

// out[t][off + r] (=|+=) W[r] · x[t] (+ bias[r]): a warp per row, grid (ceil(rows / 4), tokens),
// block 128. `out` points at column `off` already; `bias` may be null.
#define MMV_Q(T)                                                                               \
    extern "C" __global__ void mmv_##T(const u8* w, int rows, int nchunks, i64 row_bytes,      \
                                       const int* xq, const float2* xds, float* out,           \
                                       int out_stride, const float* bias, int accumulate) {    \
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
            acc += dot_##T(row, c, xv, ds[c]);                                                 \
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
        int lane = threadIdx.x & 31;                                                           \
        int r = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);                           \
        if (r >= rows) return;                                                                 \
        int t = blockIdx.y;                                                                    \
        const u8* row = w + (i64)r * row_bytes;                                                \
        const float* x = xf + (i64)t * nchunks * 32;                                           \
        float acc = 0.0f;                                                                      \
        for (int c = 0; c < nchunks; c++) acc += val_##T(row, c, lane) * x[c * 32 + lane];     \
        acc = warp_sum(acc);                                                                   \
        if (lane == 0) {                                                                       \
            float* o = out + (i64)t * out_stride + r;                                          \
            if (bias) acc += bias[r];                                                          \
            *o = accumulate ? *o + acc : acc;                                                  \
        }                                                                                      \
    }

// Whole matrix to f16 (for cuBLAS): a warp per chunk, grid ceil(rows * nchunks / 8), block 256.
// Embedding rows of `tokens` to f32: grid (ceil(nchunks / 8), tokens), block 256.
#define DEQUANT(T)                                                                             \
    extern "C" __global__ void dequant_##T(const u8* w, int rows, int nchunks, i64 row_bytes,  \
                                           u16* out) {                                         \
        i64 g = (i64)blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);                      \
        if (g >= (i64)rows * nchunks) return;                                                  \
        i64 r = g / nchunks;                                                                   \
        int c = (int)(g % nchunks), l = threadIdx.x & 31;                                      \
        out[r * nchunks * 32 + c * 32 + l] = f2h(val_##T(w + r * row_bytes, c, l));            \
    }                                                                                          \
    extern "C" __global__ void embed_##T(const u8* w, int nchunks, i64 row_bytes,              \
                                         const int* tokens, float* out) {                      \
        int c = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);                           \
        if (c >= nchunks) return;                                                              \
        int t = blockIdx.y, l = threadIdx.x & 31;                                              \
        const u8* row = w + (i64)tokens[t] * row_bytes;                                        \
        out[(i64)t * nchunks * 32 + c * 32 + l] = val_##T(row, c, l);                          \
    }

MMV_Q(q4_0) MMV_Q(q4_1) MMV_Q(q5_0) MMV_Q(q5_1) MMV_Q(q8_0) MMV_Q(q4_k) MMV_Q(q6_k)
MMV_F(f16) MMV_F(f32)
DEQUANT(q4_0) DEQUANT(q4_1) DEQUANT(q5_0) DEQUANT(q5_1) DEQUANT(q8_0) DEQUANT(q4_k)
DEQUANT(q6_k) DEQUANT(f16) DEQUANT(f32)
