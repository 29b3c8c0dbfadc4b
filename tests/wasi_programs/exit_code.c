/* Exit paths: `exit N` (stdio buffers flushed by exit), `return N` from main, `trap`
 * (__builtin_trap, a Wasm `unreachable`) and `abort`. Output before the exit has no newline,
 * so it only appears if the buffers are flushed. */
#include "common.h"

int main(int argc, char **argv) {
    if (argc < 3) {
        printf("usage: exit_code exit|return|trap|abort N");
        return 2;
    }
    int code = atoi(argv[2]);
    printf("before %s %d", argv[1], code);
    if (!strcmp(argv[1], "exit")) exit(code);
    if (!strcmp(argv[1], "return")) return code;
    fflush(stdout);
    if (!strcmp(argv[1], "trap")) __builtin_trap();
    if (!strcmp(argv[1], "abort")) abort();
    return 2;
}
