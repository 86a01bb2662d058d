/* Preloaded into a worker (LD_PRELOAD): fails while the process exits, after the worker has reported,
 * the way a teardown bug does. FIXTURE_AT_EXIT=segv writes through a wild pointer; =bad-free hands glibc
 * a pointer it never allocated, so glibc prints "free(): invalid pointer" and aborts. */
#include <stdlib.h>
#include <string.h>

static char not_from_malloc[64];

__attribute__((destructor)) static void fail_at_exit(void)
{
    const char *mode = getenv("FIXTURE_AT_EXIT");
    if (mode == NULL) return;
    if (strcmp(mode, "segv") == 0) *(volatile int *)16 = 1;
    if (strcmp(mode, "bad-free") == 0) free(not_from_malloc + 16);
}
