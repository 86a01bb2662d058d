/* The benchmark program of bisect's throughput tests: it allocates and frees through whatever malloc is
 * preloaded into it, and prints a figure that is the preloaded library's own cost (mine_cost) turned into a
 * throughput, with a spread of under 1% drawn from the run index: the ratio between two versions is exact. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    for (int i = 0; i < 1000; i++) free(malloc(16 + i));
    int *cost = dlsym(RTLD_DEFAULT, "mine_cost");
    const char *s = getenv("HKLAB_RUN_INDEX");
    long run = s ? strtol(s, NULL, 10) : 0;
    double jitter = 1 + 0.002 * (double)((run * 7) % 5 - 2);
    printf("%.0f ops/s\n", 1e8 / (cost ? *cost : 100) * jitter);
    return 0;
}
