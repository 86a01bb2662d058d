/* A program with a malloc of its own (a bump arena): no preloaded allocator can replace it, and the lab must
 * say so rather than measure it under the allocator's name. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char arena[1 << 24];
static size_t used;

void *malloc(size_t n) { n = (n + 15) & ~15UL; if (used + n > sizeof arena) return NULL; void *p = arena + used; used += n; return p; }
void free(void *p) { (void)p; }
void *calloc(size_t a, size_t b) { void *p = malloc(a * b); if (p) memset(p, 0, a * b); return p; }
void *realloc(void *p, size_t n) { void *q = malloc(n); if (p && q) memcpy(q, p, n); return q; }

int main(void)
{
    for (int i = 0; i < 1000; i++) free(malloc(64));
    puts("1000 ops/s");
    return 0;
}
