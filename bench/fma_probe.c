/* fma_probe: measure the machine's peak FP32 FMA throughput.
 *
 *   cc -O2 -mavx512f -mfma fma_probe.c -o fma_probe -lpthread     (AVX-512)
 *   cc -O2 -mavx2 -mfma    fma_probe.c -o fma_probe -lpthread     (fallback)
 *   fma_probe [--threads T] [--seconds S]
 *
 * Each thread runs 12 independent chains of vector FMAs (12 accumulators hide
 * the FMA latency on every x86 core we know of: latency 4 x 2-3 pipes), so the
 * loop is bound by FMA issue rate only. One FMA on a W-float vector is 2*W
 * FLOPs. Prints, as `key: value` lines the benchmark script parses:
 *   isa: avx512 | avx2
 *   threads: T
 *   gflops_per_core: X      (the mean over the threads)
 *   gflops_total: Y
 * The best of several timed repetitions is reported (the probe wants the
 * peak, not the average under other load).
 */
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__AVX512F__)
typedef __m512 vec;
#define VEC_FLOATS 16
#define ISA "avx512"
#define vset1(x) _mm512_set1_ps(x)
#define vfma(a, b, c) _mm512_fmadd_ps(a, b, c)
#define vadd(a, b) _mm512_add_ps(a, b)
static float vsum(vec v) { return _mm512_reduce_add_ps(v); }
#elif defined(__AVX2__) && defined(__FMA__)
typedef __m256 vec;
#define VEC_FLOATS 8
#define ISA "avx2"
#define vset1(x) _mm256_set1_ps(x)
#define vfma(a, b, c) _mm256_fmadd_ps(a, b, c)
#define vadd(a, b) _mm256_add_ps(a, b)
static float vsum(vec v) {
  float lanes[8];
  _mm256_storeu_ps(lanes, v);
  float s = 0;
  for (int i = 0; i < 8; ++i) s += lanes[i];
  return s;
}
#else
#error "fma_probe needs -mavx512f or -mavx2 -mfma"
#endif

enum { kChains = 12, kInner = 100 };

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

/* iterations * kInner * kChains FMAs; the result is returned so the loop is not dead. */
static float fma_chains(long iterations, float seed) {
  vec acc[kChains];
  for (int c = 0; c < kChains; ++c) acc[c] = vset1(seed + c);
  /* Multiplier just below 1 and a small addend keep values finite and normal. */
  const vec mul = vset1(0.999999f), add = vset1(1e-6f);
  for (long i = 0; i < iterations; ++i) {
    for (int k = 0; k < kInner; ++k) {
      acc[0] = vfma(acc[0], mul, add);
      acc[1] = vfma(acc[1], mul, add);
      acc[2] = vfma(acc[2], mul, add);
      acc[3] = vfma(acc[3], mul, add);
      acc[4] = vfma(acc[4], mul, add);
      acc[5] = vfma(acc[5], mul, add);
      acc[6] = vfma(acc[6], mul, add);
      acc[7] = vfma(acc[7], mul, add);
      acc[8] = vfma(acc[8], mul, add);
      acc[9] = vfma(acc[9], mul, add);
      acc[10] = vfma(acc[10], mul, add);
      acc[11] = vfma(acc[11], mul, add);
    }
  }
  vec total = acc[0];
  for (int c = 1; c < kChains; ++c) total = vadd(total, acc[c]);
  return vsum(total);
}

typedef struct {
  double seconds; /* how long to measure */
  double gflops;  /* best repetition */
  float sink;
} Work;

static void* worker(void* arg) {
  Work* w = (Work*)arg;
  /* Calibrate: grow the iteration count until one repetition takes ~2 ms:
   * short enough that some repetitions run between two preemptions on a
   * loaded machine (the best one is the peak), long enough for the clock. */
  long iterations = 16;
  for (;;) {
    double t0 = now_seconds();
    w->sink += fma_chains(iterations, 1.0f);
    if (now_seconds() - t0 > 0.002) break;
    iterations *= 2;
  }
  double end = now_seconds() + w->seconds;
  w->gflops = 0;
  do {
    double t0 = now_seconds();
    w->sink += fma_chains(iterations, w->sink * 1e-30f);
    double dt = now_seconds() - t0;
    double flops = 2.0 * VEC_FLOATS * kChains * (double)kInner * (double)iterations;
    if (flops / dt * 1e-9 > w->gflops) w->gflops = flops / dt * 1e-9;
  } while (now_seconds() < end);
  return NULL;
}

int main(int argc, char** argv) {
  int threads = 1;
  double seconds = 1.0;
  for (int i = 1; i < argc; ++i) {
    if (!strcmp(argv[i], "--threads") && i + 1 < argc) {
      threads = atoi(argv[++i]);
    } else if (!strcmp(argv[i], "--seconds") && i + 1 < argc) {
      seconds = atof(argv[++i]);
    } else {
      fprintf(stderr, "usage: fma_probe [--threads T] [--seconds S]\n");
      return 2;
    }
  }
  if (threads < 1 || threads > 1024 || !(seconds > 0)) {
    fprintf(stderr, "fma_probe: bad --threads or --seconds\n");
    return 2;
  }
  Work* work = calloc((size_t)threads, sizeof(Work));
  pthread_t* ids = calloc((size_t)threads, sizeof(pthread_t));
  if (!work || !ids) return 2;
  for (int t = 0; t < threads; ++t) {
    work[t].seconds = seconds;
    if (pthread_create(&ids[t], NULL, worker, &work[t]) != 0) {
      fprintf(stderr, "fma_probe: cannot start thread %d\n", t);
      return 2;
    }
  }
  double total = 0, sink = 0;
  for (int t = 0; t < threads; ++t) {
    pthread_join(ids[t], NULL);
    total += work[t].gflops;
    sink += work[t].sink;
  }
  printf("isa: %s\nthreads: %d\ngflops_per_core: %.1f\ngflops_total: %.1f\n", ISA, threads, total / threads, total);
  if (sink == 12345.0) printf("\n"); /* keeps the results observable */
  free(work);
  free(ids);
  return 0;
}
