/*
 * cli.h - code shared by the newsindex and newsquery programs: messages,
 * option tables that drive both getopt_long and --help, the progress bar,
 * and paths shown relative to the working folder.
 *
 * Only the public API (newsidx.h) is used here.
 */
#ifndef NX_CLI_H
#define NX_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "newsidx.h"

/* Exit codes of both programs; docs/exit-codes.md explains them. */
enum cli_exit {
    CLI_EXIT_OK = 0,
    CLI_EXIT_FAILURE = 1,     /* could not run: index, I/O, memory */
    CLI_EXIT_USAGE = 2,       /* bad options or arguments */
    CLI_EXIT_QUERY = 3,       /* query syntax error (newsquery) */
    CLI_EXIT_NOMATCH = 4,     /* no match, with --exit-status (newsquery) */
    CLI_EXIT_FILES_FAILED = 5 /* some files could not be indexed */
};

/* One option: drives getopt_long and the --help text. */
typedef struct cli_option {
    const char *name; /* long name without dashes */
    int short_name;   /* letter, or a value >= 256 for long-only options */
    int has_arg;      /* no_argument, required_argument, optional_argument */
    const char *arg;  /* argument name for --help, or NULL */
    const char *help; /* one line */
} cli_option;

/* The program name used in messages. */
void cli_set_program(const char *name);
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A usage error: one line plus a hint to --help.  Returns CLI_EXIT_USAGE. */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* What cli_parse_options needs besides argv: a program's option table and
 * how it handles each option. */
typedef struct cli_parser {
    const cli_option *opts; /* the table */
    size_t n_opts;          /* entries in `opts` */
    /* Handle option `c` (its short_name) with its value or NULL; returns
     * -1 to go on, or an exit code. */
    int (*on_option)(void *cfg, int c, const char *arg);
    /* For an option with an optional value given without '=': true when
     * `next`, the argument after it, reads as such a value.  NULL: never. */
    bool (*is_value)(int c, const char *next);
    /* How to pass an operand that starts with '-': ends the message about
     * an unknown option such as '-crypto'. */
    const char *dash_hint;
} cli_parser;

/* Build getopt_long's tables from `opts` (n entries).  `longopts` must have
 * room for n + 1 entries and `shortopts` for 3 * n + 3 characters.  The
 * short options start with "-:": operands come back in order, as option
 * 1, and a missing value as ':'. */
void cli_getopt_tables(const cli_option *opts, size_t n,
                       struct option *longopts, char *shortopts);
/*
 * Parse argv GNU style: options anywhere, operands in between, and "--"
 * ends the options (everything after it is an operand, even "-x").  Calls
 * `p->on_option` for each option, in order.  Usage errors (exit 2, with a
 * message): an unknown or ambiguous option; an argument that starts with
 * '-' and is not options (`-crypto`, `-5`; `p->dash_hint` says what to do
 * instead); a short option with its value joined to it (`-n20`, which a
 * query's `-n95` would be); a missing value; an optional value written
 * apart (`--fresh 30d`) where `p->is_value` says it reads as one.  "-"
 * alone is an operand.
 *
 * Returns -1 when every option was handled, with the operands moved, in
 * order, to the end of argv and optind on the first of them; or an exit
 * code (a usage error, or what on_option returned).
 */
int cli_parse_options(const cli_parser *p, int argc, char **argv, void *cfg);
/* The index file: `given` if set, else $NEWSIDX_DB, else "news.db". */
const char *cli_default_db(const char *given);

/* Print the options part of --help. */
void cli_print_options(FILE *out, const cli_option *opts, size_t n);

/* Parse a non-negative integer, with an optional K/M/G suffix if
 * `allow_suffix`.  Returns false on a malformed or out-of-range value. */
bool cli_parse_u64(const char *s, bool allow_suffix, uint64_t *out);

/* Write `s` to `out` with control characters escaped (\n, \t, \r,
 * \xHH), so that a file name or a value can never break a message line or
 * send terminal escapes. */
void cli_put_escaped(FILE *out, const char *s);

/* Show paths under the given `paths` (as typed: "../x", "/abs/x", "x/")
 * as typed: the library reports real paths.  `paths` must outlive the
 * calls of cli_display_path. */
void cli_display_roots(const char *const *paths, size_t n_paths);
/* `path` as the user typed it: a path under one of the roots given to
 * cli_display_roots (the longest that holds it) starts as that root was
 * typed ("../x/a.md" for "/home/u/x/a.md" under "../x"); any other is
 * shown unchanged.  The result is `path` or a buffer valid until the next
 * call. */
const char *cli_display_path(const char *path);

/* The progress bar on stderr, drawn only when enabled (by default, when
 * stderr is a terminal).  With no total yet it says "WHAT... N" (or
 * "WHAT..." for N 0). */
typedef struct cli_progress {
    bool is_enabled;
    bool is_drawn; /* a bar is on screen and must be cleared first */
    double start;
    double last_draw;
} cli_progress;

void cli_progress_init(cli_progress *p, bool is_enabled);
void cli_progress_update(cli_progress *p, uint64_t done, uint64_t total,
                         const char *what);
/* Erase the bar (before printing a message, and at the end). */
void cli_progress_clear(cli_progress *p);
double cli_now(void);

#endif /* NX_CLI_H */
