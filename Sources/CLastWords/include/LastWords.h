#ifndef FLOTILLA_LAST_WORDS_H
#define FLOTILLA_LAST_WORDS_H

/// Installs a handler for the fatal signals (SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGFPE, SIGABRT),
/// in front of any installed before (Swift's backtracer), that ends the log on stderr with
/// "<prefix><reason>\n": the runtime's "Fatal error: ..." line when it wrote one, else the signal.
void flotilla_last_words_install(const char *prefix);

#endif
