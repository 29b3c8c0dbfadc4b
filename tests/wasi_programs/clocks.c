/* Clocks: resolutions, a plausible realtime clock that agrees with time(), a monotonic clock
 * that never goes back, and a sleep that lasts at least as long as asked. */
#include <sys/time.h>
#include <time.h>

#include "common.h"

static long long ns(struct timespec t) { return t.tv_sec * 1000000000LL + t.tv_nsec; }

int main(void) {
    struct timespec res, a, b, real;
    CHECK(clock_getres(CLOCK_MONOTONIC, &res) == 0, "getres monotonic");
    printf("monotonic resolution positive %d\n", ns(res) > 0 && ns(res) <= 1000000);
    CHECK(clock_getres(CLOCK_REALTIME, &res) == 0, "getres realtime");
    printf("realtime resolution positive %d\n", ns(res) > 0 && ns(res) <= 1000000);

    CHECK(clock_gettime(CLOCK_REALTIME, &real) == 0, "realtime");
    printf("realtime after 2023 %d\n", real.tv_sec > 1672531200LL);
    time_t now = time(NULL);
    printf("time() agrees %d\n", now - real.tv_sec >= 0 && now - real.tv_sec <= 2);
    struct timeval tv;
    CHECK(gettimeofday(&tv, NULL) == 0, "gettimeofday");
    printf("gettimeofday agrees %d\n", tv.tv_sec - real.tv_sec >= 0 && tv.tv_sec - real.tv_sec <= 2);

    CHECK(clock_gettime(CLOCK_MONOTONIC, &a) == 0, "monotonic");
    int ordered = 1;
    for (int i = 0; i < 1000; i++) {
        CHECK(clock_gettime(CLOCK_MONOTONIC, &b) == 0, "monotonic");
        if (ns(b) < ns(a)) ordered = 0;
        a = b;
    }
    printf("monotonic never goes back %d\n", ordered);

    struct timespec nap = {0, 20 * 1000000};
    CHECK(clock_gettime(CLOCK_MONOTONIC, &a) == 0, "monotonic");
    CHECK(nanosleep(&nap, NULL) == 0, "nanosleep");
    CHECK(clock_gettime(CLOCK_MONOTONIC, &b) == 0, "monotonic");
    long long slept = ns(b) - ns(a);
    printf("slept at least 20ms %d\n", slept >= 20000000LL);
    printf("slept less than 5s %d\n", slept < 5000000000LL);
    return 0;
}
