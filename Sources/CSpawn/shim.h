#ifndef FLOTILLA_CSPAWN_SHIM_H
#define FLOTILLA_CSPAWN_SHIM_H
#include <spawn.h>
#include <malloc.h>
#include <sys/resource.h>
#include <sched.h>
#include <time.h>

// glibc declares this only under _GNU_SOURCE, which Swift's Glibc module is built without
// (and defining it here would clash with that module's types). It makes the spawned process
// close every descriptor from `from` up.
extern int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *actions, int from);

static inline int flotilla_spawn_closefrom(posix_spawn_file_actions_t *actions, int from) {
    return posix_spawn_file_actions_addclosefrom_np(actions, from);
}
// Swift's Glibc module leaves out <malloc.h>: the node returns freed heap pages to the OS
// after large releases (startup replay, compaction, snapshot install).
static inline int flotilla_malloc_trim(void) {
    return malloc_trim(0);
}
// Caps how many malloc arenas the process's threads spread over.
static inline int flotilla_malloc_arena_max(int arenas) {
    return mallopt(M_ARENA_MAX, arenas);
}
// Fixes the size from which blocks get pages of their own (returned to the OS on free), and the
// free space at the heap's top that is trimmed; fixing them turns off glibc's sliding thresholds.
static inline int flotilla_malloc_fixed_thresholds(int bytes) {
    return mallopt(M_MMAP_THRESHOLD, bytes) && mallopt(M_TRIM_THRESHOLD, bytes);
}
// Sets the calling thread's nice value (Linux keeps one per thread, and PRIO_PROCESS with 0
// names the caller): 0 or -1 with errno. A value below the thread's current one needs privilege
// (root, CAP_SYS_NICE or RLIMIT_NICE), so a thread that lowers its priority keeps it. A thread
// inherits its creator's nice value, and libdispatch starts its workers from whichever thread
// queues work: SCHED_RESET_ON_FORK (0x40000000, named by glibc only under _GNU_SOURCE) makes
// the threads and processes this one starts begin at nice 0 when its own value is below 0.
static inline int flotilla_set_thread_nice(int nice) {
    struct sched_param param = { .sched_priority = 0 };
    if (sched_setscheduler(0, SCHED_OTHER | 0x40000000, &param) != 0) return -1;
    return setpriority(PRIO_PROCESS, 0, nice);
}
static inline int flotilla_lower_thread_priority(int nice) {
    return flotilla_set_thread_nice(nice);
}
// Puts the calling thread under SCHED_FIFO at `priority` (1-99): 0 or -1 with errno (EPERM
// without root, CAP_SYS_NICE or RLIMIT_RTPRIO). With SCHED_RESET_ON_FORK, a thread or process
// this one starts begins under the normal policy.
static inline int flotilla_set_thread_fifo(int priority) {
    struct sched_param param = { .sched_priority = priority };
    return sched_setscheduler(0, SCHED_FIFO | 0x40000000, &param);
}
// The calling thread's CPU time in nanoseconds (its scheduler's exact runtime), or -1.
static inline long long flotilla_thread_cpu_ns(void) {
    struct timespec t;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t) != 0) return -1;
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}
#endif
