/* Line-oriented stdio: number each stdin line on stdout (fgets/printf, buffered), report the
 * count on stderr. Lines longer than the buffer arrive in pieces and are numbered once. */
#include "common.h"

int main(void) {
    char line[256];
    int number = 0, at_start = 1;
    while (fgets(line, sizeof line, stdin)) {
        if (at_start) printf("%4d  ", ++number);
        fputs(line, stdout);
        at_start = line[strlen(line) - 1] == '\n';
    }
    CHECK(!ferror(stdin), "read stdin");
    fprintf(stderr, "%d lines\n", number);
    return 0;
}
