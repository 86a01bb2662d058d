/* The malloc library of bisect's tests, whose history the tests make: one commit per version of config.h.
 * From the commit that defines BUG 1, a share of processes dies of a real memory fault inside malloc: those
 * whose run index (HKLAB_RUN_INDEX, which the lab sets for each run) is 1, 4 or 7 modulo 10 - exactly 30% of
 * any ten consecutive runs, and the test knows which. COST is what this version's malloc costs (100 = as
 * GOOD); the bench program prints a figure inversely proportional to it, so a slowdown is exact, not timed. */
#include <stddef.h>
#include <stdlib.h>
#include "config.h"

extern void *__libc_malloc(size_t);
extern void __libc_free(void *);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);

int mine_cost = COST;
static long calls;

static int doomed(void)
{
    const char *s = getenv("HKLAB_RUN_INDEX");
    if (!s) return 0;
    long i = strtol(s, NULL, 10) % 10;
    return i == 1 || i == 4 || i == 7;
}

void *malloc(size_t n)
{
#if BUG
    if (__atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED) == 100 && doomed()) *(volatile int *)16 = 1;
#endif
    return __libc_malloc(n);
}

void free(void *p) { __libc_free(p); }
void *calloc(size_t n, size_t m) { return __libc_calloc(n, m); }
void *realloc(void *p, size_t n) { return __libc_realloc(p, n); }
