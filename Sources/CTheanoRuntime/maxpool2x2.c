/* 2x2 max pooling with stride 2 and no padding (every window inside the plane): the shape of
   most convnets' pooling layers, as loops a compiler vectorises. The maximum is folded with
   selects and the winner found by comparisons with it, so there are no data-dependent
   branches; an output row whose windows hold a NaN is redone by the plain loop, where the
   first NaN wins (the reference's rule: a NaN beats numbers, ties go to the first cell in
   row-major window order). The gradient is written as 0 + g, as the reference accumulates
   into zeros (a winner's -0.0 becomes +0.0). */

#include <stdint.h>
#include <string.h>
#include "theano_runtime.h"


#if defined(__x86_64__) && defined(__clang__)
/* One copy per x86-64 level, chosen when the library is loaded (the package is built without
   -march, so the default copy alone would be SSE2). */
#define TH_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define TH_CLONES
#endif

#define TH_MAXPOOL2X2(T, SUFFIX)                                                                 \
static void th_slow_window_##SUFFIX(const T* r0, const T* r1, int64_t j, int64_t* which, T* value) { \
    const T cells[4] = {r0[2 * j], r0[2 * j + 1], r1[2 * j], r1[2 * j + 1]};                    \
    int64_t best = 0;                                                                            \
    for (int64_t k = 1; k < 4; k++) {                                                            \
        const T v = cells[k], m = cells[best];                                                   \
        if (v > m || (v != v && m == m)) best = k;                                               \
    }                                                                                            \
    *which = best;                                                                               \
    *value = cells[best];                                                                        \
}                                                                                                \
                                                                                                 \
TH_CLONES void th_maxpool2x2_##SUFFIX(const T* x, T* y, int64_t begin, int64_t end,             \
                                      int64_t height, int64_t width, int64_t out_height, int64_t out_width) { \
    for (int64_t p = begin; p < end; p++) {                                                      \
        const T* plane = x + p * height * width;                                                 \
        T* out = y + p * out_height * out_width;                                                 \
        for (int64_t i = 0; i < out_height; i++) {                                               \
            const T* r0 = plane + 2 * i * width;                                                 \
            const T* r1 = r0 + width;                                                            \
            T* d = out + i * out_width;                                                          \
            int nan = 0;                                                                         \
            for (int64_t j = 0; j < out_width; j++) {                                            \
                const T a = r0[2 * j], b = r0[2 * j + 1], c = r1[2 * j], e = r1[2 * j + 1];      \
                const T ab = b > a ? b : a, ce = e > c ? e : c;                                  \
                d[j] = ce > ab ? ce : ab;                                                        \
                nan |= (a != a) | (b != b) | (c != c) | (e != e);                                \
            }                                                                                    \
            if (nan) {                                                                           \
                for (int64_t j = 0; j < out_width; j++) {                                        \
                    int64_t which;                                                               \
                    th_slow_window_##SUFFIX(r0, r1, j, &which, &d[j]);                           \
                }                                                                                \
            }                                                                                    \
        }                                                                                        \
    }                                                                                            \
}                                                                                                \
                                                                                                 \
TH_CLONES void th_maxpool2x2_grad_##SUFFIX(const T* x, const T* gy, T* dx, int64_t begin, int64_t end, \
                                           int64_t height, int64_t width, int64_t out_height, int64_t out_width) { \
    for (int64_t p = begin; p < end; p++) {                                                      \
        const T* plane = x + p * height * width;                                                 \
        const T* grad = gy + p * out_height * out_width;                                         \
        T* dplane = dx + p * height * width;                                                     \
        for (int64_t i = 0; i < out_height; i++) {                                               \
            const T* r0 = plane + 2 * i * width;                                                 \
            const T* r1 = r0 + width;                                                            \
            T* d0 = dplane + 2 * i * width;                                                      \
            T* d1 = d0 + width;                                                                  \
            const T* g = grad + i * out_width;                                                   \
            int nan = 0;                                                                         \
            for (int64_t j = 0; j < out_width; j++) {                                            \
                const T a = r0[2 * j], b = r0[2 * j + 1], c = r1[2 * j], e = r1[2 * j + 1];      \
                const T ab = b > a ? b : a, ce = e > c ? e : c, m = ce > ab ? ce : ab;          \
                const T v = g[j];                                                                \
                const int wa = a == m, wb = !wa & (b == m), wc = !wa & !wb & (c == m);           \
                const int we = !wa & !wb & !wc;                                                  \
                d0[2 * j] = wa ? (T)0 + v : (T)0;                                                       \
                d0[2 * j + 1] = wb ? (T)0 + v : (T)0;                                                   \
                d1[2 * j] = wc ? (T)0 + v : (T)0;                                                       \
                d1[2 * j + 1] = we ? (T)0 + v : (T)0;                                                   \
                nan |= (a != a) | (b != b) | (c != c) | (e != e);                                \
            }                                                                                    \
            if (nan) {                                                                           \
                for (int64_t j = 0; j < out_width; j++) {                                        \
                    int64_t which;                                                               \
                    T value;                                                                     \
                    th_slow_window_##SUFFIX(r0, r1, j, &which, &value);                          \
                    d0[2 * j] = which == 0 ? (T)0 + g[j] : (T)0;                                        \
                    d0[2 * j + 1] = which == 1 ? (T)0 + g[j] : (T)0;                                    \
                    d1[2 * j] = which == 2 ? (T)0 + g[j] : (T)0;                                        \
                    d1[2 * j + 1] = which == 3 ? (T)0 + g[j] : (T)0;                                    \
                }                                                                                \
            }                                                                                    \
            if (width > 2 * out_width) { d0[width - 1] = 0; d1[width - 1] = 0; }                 \
        }                                                                                        \
        if (height > 2 * out_height)                                                             \
            memset(dplane + 2 * out_height * width, 0, (size_t)((height - 2 * out_height) * width) * sizeof(T)); \
    }                                                                                            \
}

TH_MAXPOOL2X2(float, f32)
TH_MAXPOOL2X2(double, f64)
