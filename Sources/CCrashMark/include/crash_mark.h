#ifndef CRASH_MARK_H
#define CRASH_MARK_H

/// Records, from a crash signal handler, which inbox file was being processed when the process crashed
/// (SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGABRT, SIGFPE), then lets the earlier handler run. A SIGKILL
/// cannot be caught and leaves no mark: an operator's kill is not the file's fault.
void crash_mark_install(const char *mark_path);
void crash_mark_begin(const char *name);
void crash_mark_end(void);

#endif
