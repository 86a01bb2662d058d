/* A malloc library whose every malloc and free first spins for about a microsecond, then forwards to
 * glibc's own allocator: a backend whose answer is known (slower than any real allocator), for the
 * lab's ratios and verdicts. */
#include <stddef.h>

extern void *__libc_malloc(size_t);
extern void __libc_free(void *);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);

static void spin(void)
{
    for (volatile int i = 0; i < 1500; i++) { }
}

void *malloc(size_t n)
{
    spin();
    return __libc_malloc(n);
}

void free(void *p)
{
    spin();
    __libc_free(p);
}

void *calloc(size_t n, size_t m) { return __libc_calloc(n, m); }
void *realloc(void *p, size_t n) { return __libc_realloc(p, n); }
