/* glibc's malloc with every block padded by PAD bytes (built with -DPAD=N), the pad written so that its
 * pages are resident: the same speed, more memory. Its malloc, free, realloc and calloc are its own (they
 * call glibc's __libc_* entry points), so the lab loads it as an allocator of its own. */
#include <stddef.h>
#include <string.h>

#ifndef PAD
#define PAD 0
#endif

extern void *__libc_malloc(size_t);
extern void __libc_free(void *);
extern void *__libc_realloc(void *, size_t);

void *malloc(size_t n)
{
    char *p = __libc_malloc(n + PAD);
    if (p && PAD) memset(p + n, 0x5a, PAD);
    return p;
}

void free(void *p) { __libc_free(p); }

void *realloc(void *p, size_t n)
{
    char *q = __libc_realloc(p, n + PAD);
    if (q && PAD) memset(q + n, 0x5a, PAD);
    return q;
}

void *calloc(size_t a, size_t b)
{
    void *p = malloc(a * b);
    if (p) memset(p, 0, a * b);
    return p;
}
