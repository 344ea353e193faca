#ifndef THEANO_RUNTIME_H
#define THEANO_RUNTIME_H

#include <stdint.h>

/* The calling convention of generated kernels (the generated C declares the same struct).
   Strides are in elements; operand k's strides start at strides[k * ndim]. */
typedef struct {
    int64_t ndim;
    const int64_t* shape;
    char* const* data;
    const int64_t* strides;
    int64_t reduce_ndim;
    void (*parallel_for)(void* pool, int64_t n, int64_t grain, void* ctx, void (*body)(void*, int64_t, int64_t));
    void* pool;
} th_call;

typedef int (*th_kernel)(const th_call* call);

/* A small thread pool: workers spin briefly for work, then sleep on a condition variable.
   The calling thread takes part in the work. */
typedef struct th_pool th_pool;

th_pool* th_pool_create(int threads);
void th_pool_destroy(th_pool* pool);
int th_pool_threads(const th_pool* pool);

/* Runs body(ctx, begin, end) over [0, n) in chunks of about `grain`, on the pool's threads
   and the caller's; returns when every chunk is done. Calls from several threads at once are
   serialised. `pool` may be NULL (runs on the caller). */
void th_parallel_for(void* pool, int64_t n, int64_t grain, void* ctx, void (*body)(void*, int64_t, int64_t));

/* 2x2 max pooling with stride 2 and no padding over planes [begin, end) of height x width
   (contiguous), every window inside the plane: the output, and the input's gradient from the
   output's (every cell written; cells outside every window get 0). The reference's rules: a
   NaN beats numbers, ties go to the first cell in row-major window order. */
void th_maxpool2x2_f32(const float* x, float* y, int64_t begin, int64_t end,
                       int64_t height, int64_t width, int64_t out_height, int64_t out_width);
void th_maxpool2x2_f64(const double* x, double* y, int64_t begin, int64_t end,
                       int64_t height, int64_t width, int64_t out_height, int64_t out_width);
void th_maxpool2x2_grad_f32(const float* x, const float* gy, float* dx, int64_t begin, int64_t end,
                            int64_t height, int64_t width, int64_t out_height, int64_t out_width);
void th_maxpool2x2_grad_f64(const double* x, const double* gy, double* dx, int64_t begin, int64_t end,
                            int64_t height, int64_t width, int64_t out_height, int64_t out_width);

/* Calls a kernel (a C function pointer obtained with dlsym) with a call description. */
static inline int th_invoke(void* kernel, const th_call* call) {
    return ((th_kernel)kernel)(call);
}

#endif
