/* A malloc library with its own malloc and free but no realloc: dlsym finds glibc's realloc through its
 * dependencies, and a realloc of glibc's on this library's blocks would mix two heaps. The lab must refuse
 * it as an allocator, naming realloc. */
#include <stddef.h>

extern void *__libc_malloc(size_t);
extern void __libc_free(void *);

void *malloc(size_t n) { return __libc_malloc(n); }
void free(void *p) { __libc_free(p); }
