#ifndef FLOTILLA_CNCURSES_SHIM_H
#define FLOTILLA_CNCURSES_SHIM_H
#define _XOPEN_SOURCE_EXTENDED 1
#include <locale.h>
#include <langinfo.h>
#include <ncurses.h>

// Macros Swift cannot import.
static inline int flotilla_color_pair(int n) { return COLOR_PAIR(n); }
static inline int flotilla_a_bold(void) { return A_BOLD; }
static inline int flotilla_a_reverse(void) { return A_REVERSE; }
static inline int flotilla_key_resize(void) { return KEY_RESIZE; }
static inline int flotilla_key_up(void) { return KEY_UP; }
static inline int flotilla_key_down(void) { return KEY_DOWN; }
static inline int flotilla_key_left(void) { return KEY_LEFT; }
static inline int flotilla_key_right(void) { return KEY_RIGHT; }
static inline int flotilla_key_backspace(void) { return KEY_BACKSPACE; }
static inline int flotilla_key_enter(void) { return KEY_ENTER; }
static inline int flotilla_key_dc(void) { return KEY_DC; }
static inline int flotilla_key_home(void) { return KEY_HOME; }
static inline int flotilla_key_end(void) { return KEY_END; }
static inline int flotilla_key_ppage(void) { return KEY_PPAGE; }
static inline int flotilla_key_npage(void) { return KEY_NPAGE; }
static inline WINDOW *flotilla_stdscr(void) { return stdscr; }
static inline int flotilla_lines(void) { return LINES; }
static inline int flotilla_cols(void) { return COLS; }
static inline int flotilla_colors(void) { return COLORS; }
#endif
