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

static void on_crash(int sig, siginfo_t *info, void *context) {
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
    // The handler that was there before (Swift's crash reporter prints the backtrace) runs next; whatever it
    // does, the process then ends by the signal's default action: a crash must never be survived.
    for (size_t i = 0; i < SIGNAL_COUNT; i++) {
        if (signals[i] != sig) continue;
        struct sigaction before = previous[i];
        struct sigaction fallback;
        memset(&fallback, 0, sizeof(fallback));
        fallback.sa_handler = SIG_DFL;
        sigaction(sig, &fallback, NULL);
        if (before.sa_flags & SA_SIGINFO) {
            if (before.sa_sigaction) before.sa_sigaction(sig, info, context);
        } else if (before.sa_handler != SIG_DFL && before.sa_handler != SIG_IGN) {
            before.sa_handler(sig);
        }
        break;
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

void crash_mark_install(const char *path) {
    strncpy(mark_path, path, sizeof(mark_path) - 1);
    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_sigaction = on_crash;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_SIGINFO | SA_NODEFER;
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
