/* Positioned IO: lseek (SET, CUR, END, past the end), pread/pwrite (position unchanged),
 * ftruncate, fstat, and the errors of a bad seek. argv[1] is the preopened directory. */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"

static void show(const char *what, const char *buf, ssize_t n) {
    printf("%s: %zd \"", what, n);
    for (ssize_t i = 0; i < n; i++) putchar(buf[i] ? buf[i] : '.');
    puts("\"");
}

int main(int argc, char **argv) {
    const char *root = argc > 1 ? argv[1] : ".";
    char path[256], buf[64];
    snprintf(path, sizeof path, "%s/seek.bin", root);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0, "open");
    CHECK(write(fd, "0123456789", 10) == 10, "write");
    printf("cur %lld\n", (long long)lseek(fd, 0, SEEK_CUR));
    printf("set %lld\n", (long long)lseek(fd, 3, SEEK_SET));
    show("read 4", buf, read(fd, buf, 4));
    printf("cur %lld\n", (long long)lseek(fd, 1, SEEK_CUR));
    show("read rest", buf, read(fd, buf, sizeof buf));
    printf("end-2 %lld\n", (long long)lseek(fd, -2, SEEK_END));
    show("read", buf, read(fd, buf, sizeof buf));
    show("read at eof", buf, read(fd, buf, sizeof buf));
    printf("end+5 %lld\n", (long long)lseek(fd, 5, SEEK_END));
    CHECK(write(fd, "X", 1) == 1, "write past end");
    struct stat st;
    CHECK(fstat(fd, &st) == 0, "fstat");
    printf("size %lld\n", (long long)st.st_size);
    show("pread 3@2", buf, pread(fd, buf, 3, 2));
    CHECK(pwrite(fd, "ab", 2, 0) == 2, "pwrite");
    printf("cur after pwrite %lld\n", (long long)lseek(fd, 0, SEEK_CUR));
    CHECK(lseek(fd, 0, SEEK_SET) == 0, "rewind");
    show("all", buf, read(fd, buf, sizeof buf));
    CHECK(ftruncate(fd, 4) == 0, "ftruncate");
    CHECK(fstat(fd, &st) == 0, "fstat");
    printf("size after truncate %lld\n", (long long)st.st_size);
    show("pread all", buf, pread(fd, buf, sizeof buf, 0));
    EXPECT_ERRNO((int)lseek(fd, -1, SEEK_SET), "seek before start");
    CHECK(close(fd) == 0, "close");
    EXPECT_ERRNO((int)lseek(fd, 0, SEEK_SET), "seek closed");
    puts("done");
    return 0;
}
