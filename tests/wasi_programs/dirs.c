/* Directories: mkdir, readdir (sorted, with types), rmdir of a non-empty directory, a recursive
 * walk over a host-provided tree, and cleanup. argv[1] is the preopened directory. */
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"

static int compare(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Print the entries of `path` sorted, one per line, "/" after directories; recurse. */
static void walk(const char *path, int depth) {
    DIR *dir = opendir(path);
    CHECK(dir != NULL, "opendir");
    char *names[64];
    int count = 0;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        CHECK(count < 64, "too many entries");
        names[count] = malloc(strlen(e->d_name) + 2);
        strcpy(names[count], e->d_name);
        if (e->d_type == DT_DIR) strcat(names[count], "/");
        count++;
    }
    closedir(dir);
    qsort(names, count, sizeof names[0], compare);
    for (int i = 0; i < count; i++) {
        printf("%*s%s\n", 2 * depth, "", names[i]);
        size_t len = strlen(names[i]);
        if (names[i][len - 1] == '/') {
            char sub[512];
            names[i][len - 1] = 0;
            snprintf(sub, sizeof sub, "%s/%s", path, names[i]);
            walk(sub, depth + 1);
        }
        free(names[i]);
    }
}

static void touch(const char *path) {
    FILE *f = fopen(path, "w");
    CHECK(f != NULL, path);
    fclose(f);
}

int main(int argc, char **argv) {
    const char *root = argc > 1 ? argv[1] : ".";
    char d[256], sub[256], a[256], b[256], c[256], tree[256];
    snprintf(d, sizeof d, "%s/made", root);
    snprintf(sub, sizeof sub, "%s/made/sub", root);
    snprintf(a, sizeof a, "%s/made/a.txt", root);
    snprintf(b, sizeof b, "%s/made/b.txt", root);
    snprintf(c, sizeof c, "%s/made/sub/c.txt", root);
    snprintf(tree, sizeof tree, "%s/tree", root);

    CHECK(mkdir(d, 0755) == 0, "mkdir");
    EXPECT_ERRNO(mkdir(d, 0755), "mkdir again");
    CHECK(mkdir(sub, 0755) == 0, "mkdir sub");
    touch(b);
    touch(a);
    touch(c);
    puts("made:");
    walk(d, 1);

    struct stat st;
    CHECK(stat(sub, &st) == 0, "stat sub");
    printf("sub is dir %d\n", S_ISDIR(st.st_mode) ? 1 : 0);
    EXPECT_ERRNO(rmdir(d), "rmdir non-empty");
    EXPECT_ERRNO(rmdir(a), "rmdir file");
    EXPECT_ERRNO(opendir(a) ? 0 : -1, "opendir file");

    puts("tree:");
    walk(tree, 1);

    CHECK(unlink(c) == 0 && unlink(a) == 0 && unlink(b) == 0, "unlink");
    CHECK(rmdir(sub) == 0 && rmdir(d) == 0, "rmdir");
    EXPECT_ERRNO(stat(d, &st), "stat removed");
    puts("done");
    return 0;
}
