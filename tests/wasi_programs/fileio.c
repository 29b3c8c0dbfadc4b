/* File IO through stdio and POSIX calls: create, write, append, stat, read back, rename,
 * unlink, O_EXCL, and read a host-provided fixture. argv[1] is the preopened directory. */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"

int main(int argc, char **argv) {
    const char *root = argc > 1 ? argv[1] : ".";
    char notes[256], moved[256], input[256], line[128];
    snprintf(notes, sizeof notes, "%s/notes.txt", root);
    snprintf(moved, sizeof moved, "%s/moved.txt", root);
    snprintf(input, sizeof input, "%s/input.txt", root);

    FILE *f = fopen(notes, "w");
    CHECK(f != NULL, "fopen w");
    fprintf(f, "line one\nline two\n");
    CHECK(fclose(f) == 0, "fclose");
    f = fopen(notes, "a");
    CHECK(f != NULL, "fopen a");
    fputs("line three\n", f);
    CHECK(fclose(f) == 0, "fclose a");

    struct stat st;
    CHECK(stat(notes, &st) == 0, "stat");
    printf("size %lld regular %d\n", (long long)st.st_size, S_ISREG(st.st_mode) ? 1 : 0);

    f = fopen(notes, "r");
    CHECK(f != NULL, "fopen r");
    int n = 0;
    while (fgets(line, sizeof line, f)) printf("%d: %s", ++n, line);
    CHECK(fclose(f) == 0, "fclose r");

    int fd = open(input, O_RDONLY);
    CHECK(fd >= 0, "open input");
    char buf[4096];
    ssize_t got = read(fd, buf, sizeof buf - 1);
    CHECK(got >= 0, "read input");
    buf[got] = 0;
    printf("input %zd bytes: %s", got, buf);
    close(fd);

    EXPECT_ERRNO(open(notes, O_WRONLY | O_CREAT | O_EXCL, 0644), "excl existing");
    CHECK(rename(notes, moved) == 0, "rename");
    EXPECT_ERRNO(access(notes, F_OK), "old name");
    EXPECT_ERRNO(access(moved, F_OK), "new name");
    CHECK(unlink(moved) == 0, "unlink");
    EXPECT_ERRNO(open(moved, O_RDONLY), "after unlink");
    EXPECT_ERRNO(open("/etc/passwd", O_RDONLY), "outside sandbox");

    f = fopen(notes, "w");            /* left behind for the host to check */
    CHECK(f != NULL, "fopen result");
    fprintf(f, "written by fileio\n");
    fclose(f);
    puts("done");
    return 0;
}
