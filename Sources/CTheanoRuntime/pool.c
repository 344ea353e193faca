#include "theano_runtime.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>

struct th_pool {
    int threads;                 /* workers + the caller */
    pthread_t* workers;
    pthread_mutex_t lock;        /* guards sleeping and the job fields */
    pthread_cond_t wake;
    pthread_mutex_t submit;      /* one job at a time */
    atomic_long generation;      /* even: a job is published; odd: a job is being written */
    atomic_int stop;
    /* The current job. */
    void* ctx;
    void (*body)(void*, int64_t, int64_t);
    int64_t n, chunk, chunks;
    atomic_long next;            /* next chunk to take */
    atomic_long done;            /* chunks finished */
    atomic_int active;           /* workers inside the current job */
};

static void run_chunks(th_pool* p) {
    for (;;) {
        long c = atomic_fetch_add(&p->next, 1);
        if (c >= p->chunks) break;
        int64_t begin = c * p->chunk;
        int64_t end = begin + p->chunk < p->n ? begin + p->chunk : p->n;
        p->body(p->ctx, begin, end);
        atomic_fetch_add(&p->done, 1);
    }
}

static void* worker(void* arg) {
    th_pool* p = arg;
    long seen = 0;
    for (;;) {
        /* Spin a little for the next job, then sleep. */
        long g = atomic_load(&p->generation);
        for (int i = 0; (g == seen || (g & 1)) && i < 20000 && !atomic_load(&p->stop); i++) {
            if ((i & 63) == 63) sched_yield();
            g = atomic_load(&p->generation);
        }
        if ((g == seen || (g & 1)) && !atomic_load(&p->stop)) {
            pthread_mutex_lock(&p->lock);
            while (((g = atomic_load(&p->generation)) == seen || (g & 1)) && !atomic_load(&p->stop))
                pthread_cond_wait(&p->wake, &p->lock);
            pthread_mutex_unlock(&p->lock);
        }
        if (atomic_load(&p->stop)) return NULL;
        seen = g;
        /* Join only if the job we saw is still the published one (seqlock check). */
        atomic_fetch_add(&p->active, 1);
        if (atomic_load(&p->generation) == g) run_chunks(p);
        atomic_fetch_sub(&p->active, 1);
    }
}

th_pool* th_pool_create(int threads) {
    th_pool* p = calloc(1, sizeof(th_pool));
    if (!p) return NULL;
    p->threads = threads < 1 ? 1 : threads;
    pthread_mutex_init(&p->lock, NULL);
    pthread_mutex_init(&p->submit, NULL);
    pthread_cond_init(&p->wake, NULL);
    p->workers = calloc((size_t)(p->threads > 1 ? p->threads - 1 : 1), sizeof(pthread_t));
    int started = 0;
    for (int i = 0; i < p->threads - 1; i++) {
        if (pthread_create(&p->workers[i], NULL, worker, p) != 0) break;
        started++;
    }
    p->threads = started + 1;
    return p;
}

void th_pool_destroy(th_pool* p) {
    if (!p) return;
    pthread_mutex_lock(&p->lock);
    atomic_store(&p->stop, 1);
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->lock);
    for (int i = 0; i < p->threads - 1; i++) pthread_join(p->workers[i], NULL);
    free(p->workers);
    pthread_mutex_destroy(&p->lock);
    pthread_mutex_destroy(&p->submit);
    pthread_cond_destroy(&p->wake);
    free(p);
}

int th_pool_threads(const th_pool* p) { return p ? p->threads : 1; }

void th_parallel_for(void* vp, int64_t n, int64_t grain, void* ctx, void (*body)(void*, int64_t, int64_t)) {
    th_pool* p = vp;
    if (n <= 0) return;
    if (grain < 1) grain = 1;
    if (!p || p->threads <= 1 || n <= grain) { body(ctx, 0, n); return; }
    /* At least one chunk per thread, at most a few per thread for balance. */
    int64_t chunks = (n + grain - 1) / grain;
    if (chunks > 4 * (int64_t)p->threads) chunks = 4 * (int64_t)p->threads;
    int64_t chunk = (n + chunks - 1) / chunks;
    chunks = (n + chunk - 1) / chunk;

    pthread_mutex_lock(&p->submit);
    /* Mark the job fields as being written, then wait for workers still in the last job. */
    atomic_fetch_add(&p->generation, 1);
    while (atomic_load(&p->active) > 0) sched_yield();
    p->ctx = ctx;
    p->body = body;
    p->n = n;
    p->chunk = chunk;
    p->chunks = chunks;
    atomic_store(&p->next, 0);
    atomic_store(&p->done, 0);
    pthread_mutex_lock(&p->lock);
    atomic_fetch_add(&p->generation, 1);
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->lock);
    run_chunks(p);
    while (atomic_load(&p->done) < chunks) sched_yield();
    pthread_mutex_unlock(&p->submit);
}
