// A node that dies of a trap or a fatal signal says why on the last line of its log.
//
// The handler runs inside a dying process, so it only uses async-signal-safe calls. It reads
// the tail of stderr (the node's log file) for the runtime's message ("...: Fatal error: ..."),
// writes "<prefix><reason>\n", lets the previous handler (Swift's backtracer) print what it
// prints, writes the line again so that it ends the log, and dies of the same signal.
#include "LastWords.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

static struct sigaction previous_handlers[65];
static char last_words_prefix[160];
// Where stderr ended when the handler was installed: only what this process wrote is searched.
static off_t stderr_start;
// A descriptor reading the same file as stderr, opened at install: a process that died because
// it ran out of descriptors could not open one in the handler.
static int stderr_reader = -1;

// Writes all of `text` to stderr, as far as stderr takes it.
static void put(const char *text) {
    size_t left = strlen(text);
    while (left > 0) {
        ssize_t n = write(2, text, left);
        if (n <= 0) return;
        text += n;
        left -= (size_t)n;
    }
}

static const char *signal_name(int sig) {
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
static size_t runtime_message(char *out, size_t cap) {
    static char tail[16384];
    struct stat st;
    if (fstat(2, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0) return 0;
    off_t from = st.st_size > (off_t)sizeof tail ? st.st_size - (off_t)sizeof tail : 0;
    if (from < stderr_start) from = stderr_start;
    if (from >= st.st_size) return 0;
    // stderr is open for writing only: read the same file through a descriptor of our own.
    int fd = stderr_reader >= 0 ? stderr_reader : open("/proc/self/fd/2", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    ssize_t n = pread(fd, tail, (size_t)(st.st_size - from), from);
    if (fd != stderr_reader) close(fd);
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

// Writes "<prefix><reason>\n" on a line of its own.
static void say_why(int sig, const char *runtime_message) {
    put("\n");
    put(last_words_prefix);
    if (runtime_message[0] != 0) {
        put(runtime_message);
        put(" [");
        put(signal_name(sig));
        put("]\n");
    } else {
        put("killed by ");
        put(signal_name(sig));
        put("\n");
    }
}

static void handler(int sig, siginfo_t *info, void *context) {
    static char reason[1024];
    reason[0] = 0;
    runtime_message(reason, sizeof reason);
    if (reason[0] == 0) {
        // Libraries trap without a message when they cannot open a descriptor (libdispatch's
        // worker monitor reads /proc): say so when that is the state the process died in.
        int saved = errno;
        int probe = dup(2);
        if (probe >= 0) {
            close(probe);
        } else if (errno == EMFILE || errno == ENFILE) {
            strcpy(reason, errno == EMFILE
                ? "out of file descriptors (EMFILE): the process's open-file limit is reached; raise it (ulimit -n, prlimit) or find what holds them (ls /proc/PID/fd)"
                : "out of file descriptors (ENFILE): the system's file table is full");
        }
        errno = saved;
    }
    // Said before the backtracer runs too: on some signals it never comes back.
    say_why(sig, reason);
    struct sigaction previous = previous_handlers[sig];
    if ((previous.sa_flags & SA_SIGINFO) && previous.sa_sigaction) {
        previous.sa_sigaction(sig, info, context);
        say_why(sig, reason);
    } else if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN) {
        previous.sa_handler(sig);
        say_why(sig, reason);
    }
    signal(sig, SIG_DFL);
    // Pending until this handler returns; a trap would also strike again on return.
    raise(sig);
}

void flotilla_last_words_install(const char *prefix) {
    strncpy(last_words_prefix, prefix, 159);
    struct stat st;
    int is_file = fstat(2, &st) == 0 && S_ISREG(st.st_mode);
    stderr_start = is_file ? st.st_size : 0;
    if (stderr_reader < 0 && is_file) stderr_reader = open("/proc/self/fd/2", O_RDONLY | O_CLOEXEC);
    int sigs[] = {SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGFPE, SIGABRT};
    for (int i = 0; i < 6; i++) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = handler;
        sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
        sigemptyset(&sa.sa_mask);
        sigaction(sigs[i], &sa, &previous_handlers[sigs[i]]);
    }
}
