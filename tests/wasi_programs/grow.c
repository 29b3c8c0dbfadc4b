/* Memory growth between syscalls: each round mallocs 4 MiB more (memory.grow), writes a line
 * from the end of the new block and reads a file into it, so the host must see the grown
 * memory on every call, not a view taken before the growth. */
#include <fcntl.h>
#include <unistd.h>

#include "common.h"

int main(int argc, char **argv) {
    const char *root = argc > 1 ? argv[1] : ".";
    char path[256];
    snprintf(path, sizeof path, "%s/input.txt", root);
    size_t last_pages = __builtin_wasm_memory_size(0);
    for (int round = 1; round <= 8; round++) {
        size_t size = (size_t)4 << 20;
        char *block = malloc(size);
        CHECK(block != NULL, "malloc");
        size_t pages = __builtin_wasm_memory_size(0);
        char *line = block + size - 64;
        int n = snprintf(line, 64, "round %d: grown %d\n", round, pages > last_pages);
        last_pages = pages;
        CHECK(write(1, line, n) == n, "write");
        int fd = open(path, O_RDONLY);
        CHECK(fd >= 0, "open");
        char *dest = block + size - 4096;
        ssize_t got = read(fd, dest, 64);
        CHECK(got == 6 && !memcmp(dest, "hello\n", 6), "read into new block");
        close(fd);
    }
    puts("done");
    return 0;
}
