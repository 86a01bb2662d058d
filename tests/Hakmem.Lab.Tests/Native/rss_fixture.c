/* A program whose peak RSS is known: rss_fixture MB touches MB mebibytes (0: nothing) and prints its own
 * VmHWM at exit, as "VmHWM: N kB", for the lab's recorded peak to be held against. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    long mb = argc > 1 ? atol(argv[1]) : 0;
    char *p = mb > 0 ? malloc((size_t)mb << 20) : NULL;
    if (p) memset(p, 1, (size_t)mb << 20);
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "VmHWM:", 6) == 0) fputs(line, stdout);
    if (f) fclose(f);
    free(p);
    return 0;
}
