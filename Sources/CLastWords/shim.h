#ifndef FLOTILLA_LAST_WORDS_H
#define FLOTILLA_LAST_WORDS_H
// A node that dies of a trap or a fatal signal says why on the last line of its log.
//
// The handler runs inside a dying process, so it only uses async-signal-safe calls. It reads
// the tail of stderr (the node's log file) for the runtime's message ("...: Fatal error: ..."),
// lets the previous handler (Swift's backtracer) print what it prints, writes
// "<prefix><reason>\n" after it, and dies of the same signal.
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

static inline struct sigaction *flotilla_lw_previous(void) { static struct sigaction table[65]; return table; }
static inline char *flotilla_lw_prefix(void) { static char prefix[160]; return prefix; }
// Where stderr ended when the handler was installed: only what this process wrote is searched.
static inline off_t *flotilla_lw_start(void) { static off_t start; return &start; }

static inline const char *flotilla_lw_signal_name(int sig) {
    switch (sig) {
    case SIGILL: return "SIGILL";
    case SIGTRAP: return "SIGTRAP";
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGFPE: return "SIGFPE";
    case SIGABRT: return "SIGABRT";
    default: return "a fatal signal";
    }
}

// Copies into `out` the last line of the tail of fd 2 (written since the install) that holds one
// of the runtime's failure markers; returns its length (0: none, or stderr is not a file).
static inline size_t flotilla_lw_runtime_message(char *out, size_t cap) {
    static char tail[16384];
    struct stat st;
    if (fstat(2, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0) return 0;
    off_t from = st.st_size > (off_t)sizeof tail ? st.st_size - (off_t)sizeof tail : 0;
    if (from < *flotilla_lw_start()) from = *flotilla_lw_start();
    if (from >= st.st_size) return 0;
    // stderr is open for writing only: read the same file through a descriptor of our own.
    int fd = open("/proc/self/fd/2", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    ssize_t n = pread(fd, tail, (size_t)(st.st_size - from), from);
    close(fd);
    if (n <= 0) return 0;
    static const char *markers[] = {"Fatal error", "Precondition failed", "Assertion failed"};
    ssize_t best = -1;
    for (ssize_t i = 0; i < n; i++) {
        for (size_t m = 0; m < 3; m++) {
            size_t len = strlen(markers[m]);
            if ((size_t)(n - i) >= len && memcmp(tail + i, markers[m], len) == 0) best = i;
        }
    }
    if (best < 0) return 0;
    ssize_t start = best, end = best;
    while (start > 0 && tail[start - 1] != '\n') start--;
    while (end < n && tail[end] != '\n') end++;
    size_t len = (size_t)(end - start);
    if (len >= cap) len = cap - 1;
    memcpy(out, tail + start, len);
    out[len] = 0;
    return len;
}

static inline void flotilla_lw_handler(int sig, siginfo_t *info, void *context) {
    static char reason[1024];
    size_t len = flotilla_lw_runtime_message(reason, sizeof reason);
    struct sigaction previous = flotilla_lw_previous()[sig];
    if ((previous.sa_flags & SA_SIGINFO) && previous.sa_sigaction) {
        previous.sa_sigaction(sig, info, context);
    } else if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN) {
        previous.sa_handler(sig);
    }
    const char *prefix = flotilla_lw_prefix();
    write(2, "\n", 1);
    write(2, prefix, strlen(prefix));
    if (len > 0) {
        write(2, reason, len);
        write(2, " [", 2);
        write(2, flotilla_lw_signal_name(sig), strlen(flotilla_lw_signal_name(sig)));
        write(2, "]", 1);
    } else {
        const char *what = "killed by ";
        write(2, what, strlen(what));
        write(2, flotilla_lw_signal_name(sig), strlen(flotilla_lw_signal_name(sig)));
    }
    write(2, "\n", 1);
    signal(sig, SIG_DFL);
    // Pending until this handler returns; a trap would also strike again on return.
    raise(sig);
}

/// Installs the handler for the fatal signals, in front of any installed before.
static inline void flotilla_last_words_install(const char *prefix) {
    strncpy(flotilla_lw_prefix(), prefix, 159);
    struct stat st;
    *flotilla_lw_start() = (fstat(2, &st) == 0 && S_ISREG(st.st_mode)) ? st.st_size : 0;
    int sigs[] = {SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGFPE, SIGABRT};
    for (int i = 0; i < 6; i++) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = flotilla_lw_handler;
        sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
        sigemptyset(&sa.sa_mask);
        sigaction(sigs[i], &sa, &flotilla_lw_previous()[sigs[i]]);
    }
}
#endif
