/* A malloc library with a crash handler of its own, as real allocators have: after 20000 frees it "finds" a
 * broken heap, prints what such handlers print, and raises SIGSEGV itself (CRASH_HANDLER_MODE=raise, the
 * default) or faults for real (=fault). Its malloc is a bump arena of its own, so the lab can load it. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static char *arena;
static size_t used;
static long frees;

void *malloc(size_t n)
{
    if (!arena) arena = mmap(0, 1UL << 34, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    n = (n + 15) & ~15UL;
    void *p = arena + used;
    used += n;
    return p;
}

void free(void *p)
{
    (void)p;
    if (++frees != 20000) return;
    const char *mode = getenv("CRASH_HANDLER_MODE");
    fprintf(stderr, "crash_handler: fatal signal SIGSEGV received: heap corrupted\n");
    if (mode && strcmp(mode, "fault") == 0) *(volatile int *)16 = 1;
    raise(SIGSEGV);
}

void *realloc(void *p, size_t n)
{
    void *q = malloc(n);
    if (p) memcpy(q, p, n);
    return q;
}

void *calloc(size_t a, size_t b) { return malloc(a * b); }
