/* stdin -> stdout with read/write in 64 KiB blocks (short reads and short writes handled):
 * the lossless-piping test pushes 100 MB through it. */
#include <unistd.h>

#include "common.h"

static char buffer[65536];

int main(void) {
    for (;;) {
        ssize_t got = read(0, buffer, sizeof buffer);
        CHECK(got >= 0, "read");
        if (got == 0) return 0;
        for (ssize_t done = 0; done < got;) {
            ssize_t put = write(1, buffer + done, got - done);
            CHECK(put > 0, "write");
            done += put;
        }
    }
}
