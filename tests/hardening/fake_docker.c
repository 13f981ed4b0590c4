/* A fast fake docker client for the hardening tests (compiled by them with
 * gcc -static). What it does is chosen by FAKE_MODE in its environment:
 *   (unset)   write argv[1..] to stdout, each followed by a NUL byte; exit 0
 *   exit      exit with the status in FAKE_ARG
 *   signal    kill itself with the signal number in FAKE_ARG
 *   wait      write "ready\n" to stdout, then wait for a signal
 *   sigstate  write the SigBlk and SigIgn lines of /proc/self/status
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void put(const char *s, size_t n) {
    while (n > 0) {
        ssize_t w = write(1, s, n);
        if (w <= 0) exit(3);
        s += w;
        n -= (size_t)w;
    }
}

int main(int argc, char **argv) {
    const char *mode = getenv("FAKE_MODE");
    const char *arg = getenv("FAKE_ARG");
    if (!mode) {
        for (int i = 1; i < argc; i++) put(argv[i], strlen(argv[i]) + 1);
        return 0;
    }
    if (!strcmp(mode, "exit")) return atoi(arg);
    if (!strcmp(mode, "signal")) {
        kill(getpid(), atoi(arg));
        return 99;
    }
    if (!strcmp(mode, "wait")) {
        put("ready\n", 6);
        for (;;) pause();
    }
    if (!strcmp(mode, "sigstate")) {
        FILE *f = fopen("/proc/self/status", "r");
        char line[512];
        while (f && fgets(line, sizeof line, f))
            if (!strncmp(line, "SigBlk:", 7) || !strncmp(line, "SigIgn:", 7)) put(line, strlen(line));
        return 0;
    }
    return 98;
}
