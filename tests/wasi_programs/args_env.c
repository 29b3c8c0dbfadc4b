/* Arguments and environment: argv in order (argv[0] included), then the environment sorted,
 * then getenv of a name that is set and one that is not. */
#include "common.h"

extern char **environ;

static int compare(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv) {
    printf("argc %d\n", argc);
    for (int i = 0; i < argc; i++) printf("argv[%d] = [%s]\n", i, argv[i]);
    int count = 0;
    while (environ[count]) count++;
    char **sorted = malloc((count + 1) * sizeof *sorted);
    memcpy(sorted, environ, count * sizeof *sorted);
    qsort(sorted, count, sizeof *sorted, compare);
    printf("envc %d\n", count);
    for (int i = 0; i < count; i++) printf("env [%s]\n", sorted[i]);
    const char *home = getenv("HOME");
    printf("HOME %s\n", home ? home : "(unset)");
    const char *missing = getenv("JITWASM_SURELY_UNSET");
    printf("JITWASM_SURELY_UNSET %s\n", missing ? missing : "(unset)");
    return 0;
}
