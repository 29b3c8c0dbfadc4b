/* Shared by the WASI test programs: fail loudly (errno name, exit 1) when a call fails. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline const char *errno_name(int e) {
    switch (e) {
    case 0: return "OK";
    case ENOENT: return "ENOENT";
    case EEXIST: return "EEXIST";
    case ENOTEMPTY: return "ENOTEMPTY";
    case ENOTDIR: return "ENOTDIR";
    case EISDIR: return "EISDIR";
    case EINVAL: return "EINVAL";
    case EBADF: return "EBADF";
    case ESPIPE: return "ESPIPE";
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case ENOTCAPABLE: return "ENOTCAPABLE";
    default: return "OTHER";
    }
}

/* Abort the program (exit 1, reason on stdout) unless `ok`. */
#define CHECK(ok, what)                                                        \
    do {                                                                       \
        if (!(ok)) {                                                           \
            printf("FAIL %s: %s\n", (what), errno_name(errno));                \
            exit(1);                                                           \
        }                                                                      \
    } while (0)

/* Print the errno name an expected failure gave ("OK" if the call succeeded). */
#define EXPECT_ERRNO(call, what)                                               \
    do {                                                                       \
        errno = 0;                                                             \
        int result_ = (call);                                                  \
        printf("%s: %s\n", (what), result_ < 0 ? errno_name(errno) : "OK");  \
    } while (0)
