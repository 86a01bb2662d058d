/* A stand-in for an allocator benchmark program run through hklab --exec:
 *   bench_fixture THREADS ITERATIONS [MODE]
 * THREADS threads each allocate and free ITERATIONS blocks of 16..1040 bytes, then the program prints
 * larson's line "Throughput = N operations per second". MODE makes it fail the way real programs do:
 *   segv      a wild write (SIGSEGV)          abort    glibc's message, then abort() (SIGABRT)
 *   hang      never ends (a timeout)           exit3    "error: ..." on stderr, exit code 3
 *   silent    exits 0 and prints nothing       opsps    prints "N ops/s" instead of larson's line
 *   sleep     sleeps ITERATIONS microseconds instead of working, then exits 0 silently: a time-only
 *             program whose time a loaded machine barely moves
 * A malloc that returns NULL (an allocator preloaded under a cap) ends it with exit code 2. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long iterations;

static void *work(void *arg)
{
    unsigned long x = (unsigned long)arg * 2654435761u + 1;
    void *slots[64] = {0};
    for (long i = 0; i < iterations; i++) {
        x = x * 6364136223846793005ul + 1442695040888963407ul;
        int s = (int)(x >> 58);
        if (slots[s]) { free(slots[s]); slots[s] = NULL; }
        else if (!(slots[s] = malloc(16 + (x >> 40) % 1024))) {
            fprintf(stderr, "bench_fixture: out of memory\n");
            exit(2);
        }
    }
    for (int s = 0; s < 64; s++) free(slots[s]);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 3) { fprintf(stderr, "usage: bench_fixture THREADS ITERATIONS [MODE]\n"); return 64; }
    int threads = atoi(argv[1]);
    iterations = atol(argv[2]);
    const char *mode = argc > 3 ? argv[3] : "";
    if (strcmp(mode, "hang") == 0) for (;;) pause();
    if (strcmp(mode, "sleep") == 0) {
        struct timespec nap = { iterations / 1000000, (iterations % 1000000) * 1000 };
        while (nanosleep(&nap, &nap) != 0) {}
        return 0;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pthread_t tid[256];
    for (int t = 0; t < threads && t < 256; t++) pthread_create(&tid[t], NULL, work, (void *)(long)t);
    for (int t = 0; t < threads && t < 256; t++) pthread_join(tid[t], NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double seconds = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    double ops = (double)threads * iterations / seconds;
    if (strcmp(mode, "segv") == 0) *(volatile int *)16 = 1;
    if (strcmp(mode, "abort") == 0) { fprintf(stderr, "free(): invalid pointer\n"); abort(); }
    if (strcmp(mode, "exit3") == 0) { fprintf(stderr, "starting\nerror: the arena is exhausted\n"); return 3; }
    if (strcmp(mode, "silent") == 0) return 0;
    if (strcmp(mode, "opsps") == 0) printf("%.0f ops/s\n", ops);
    else printf("Throughput = %.0f operations per second\n", ops);
    return 0;
}
