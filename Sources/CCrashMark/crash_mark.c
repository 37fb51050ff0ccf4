#include "crash_mark.h"
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

static char mark_path[4096];
static char current[1024];
static volatile size_t current_length;
static const int signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGABRT, SIGFPE};
#define SIGNAL_COUNT (sizeof(signals) / sizeof(signals[0]))
static struct sigaction previous[SIGNAL_COUNT];

static void on_crash(int sig) {
    // Only async-signal-safe calls: open, write, fsync, close, sigaction, raise.
    size_t length = current_length;
    if (length > 0 && mark_path[0] != 0) {
        int fd = open(mark_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd >= 0) {
            ssize_t ignored = write(fd, current, length);
            (void)ignored;
            fsync(fd);
            close(fd);
        }
    }
    for (size_t i = 0; i < SIGNAL_COUNT; i++) {
        if (signals[i] == sig) { sigaction(sig, &previous[i], NULL); break; }
    }
    raise(sig);
}

void crash_mark_install(const char *path) {
    strncpy(mark_path, path, sizeof(mark_path) - 1);
    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_handler = on_crash;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_NODEFER;
    for (size_t i = 0; i < SIGNAL_COUNT; i++) sigaction(signals[i], &action, &previous[i]);
}

void crash_mark_begin(const char *name) {
    current_length = 0;
    size_t length = strlen(name);
    if (length >= sizeof(current)) length = sizeof(current) - 1;
    memcpy(current, name, length);
    current_length = length;
}

void crash_mark_end(void) { current_length = 0; }
