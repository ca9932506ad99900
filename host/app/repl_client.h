/* repl_client.h — the client side of `tradehost repl`: one connection to a host's REPL socket
 * (repl.h has the protocol), shared by the plain loop (piped input, the machine mode:
 * repl_client.c) and the terminal loop with line editing, history and completion (repl_edit.c). */
#ifndef TH_REPL_CLIENT_H
#define TH_REPL_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

typedef struct th_repl_conn {
    int fd;
    const char *path;
    char *buf;        /* the last answer's bytes (NUL-terminated for convenience) */
    size_t n, cap;
} th_repl_conn;

/* Sends one line (a '\n' is added). 0, or -1 when the host is gone. */
int th_repl_conn_send(th_repl_conn *c, const char *line, size_t n);
/* Reads one answer frame into c->buf/c->n: its status (TH_REPL_READY...), or -1 when the host
 * closed the connection or broke the protocol. A BYE frame's text goes to stderr. */
int th_repl_conn_answer(th_repl_conn *c);
/* Why a line must not be sent (a NUL, or an ESC byte: a terminal's arrow or function key read
 * without line editing), or NULL when it may be. */
const char *th_repl_line_problem(const char *line, size_t n);
/* A client-side command (a line `.help`, `.exit` outside a multi-line chunk): 1 handled, 2 the
 * client should leave, 0 not a command (send the line). */
int th_repl_dot_command(const char *line, size_t n);

/* The plain loop (piped input; json: the machine mode; prompts: a terminal without libedit)
 * and the terminal loop (libedit): each returns the exit status. */
int th_repl_plain_loop(th_repl_conn *c, bool json, bool prompts);
int th_repl_edit_loop(th_repl_conn *c, const char *granted);

#endif
