/* A malloc library to put under the lab as lib:PATH (dlopen in the worker) or LD_PRELOAD (a program): it
 * counts, and forwards to glibc's own allocator. COUNTMALLOC_FAIL_AFTER=N makes malloc return NULL after
 * N calls, so a test can tell that this library, and not glibc, served the allocations. */
#include <stddef.h>
#include <stdlib.h>

extern void *__libc_malloc(size_t);
extern void __libc_free(void *);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);

static long calls, fail_after = -1;

static void init(void)
{
    static int done;
    if (done) return;
    done = 1;
    const char *v = getenv("COUNTMALLOC_FAIL_AFTER");
    if (v) fail_after = atol(v);
}

void *malloc(size_t n)
{
    init();
    if (fail_after >= 0 && ++calls > fail_after) return NULL;
    return __libc_malloc(n);
}

void free(void *p) { __libc_free(p); }
void *calloc(size_t n, size_t m) { return __libc_calloc(n, m); }
void *realloc(void *p, size_t n) { return __libc_realloc(p, n); }
long countmalloc_calls(void) { return calls; }
