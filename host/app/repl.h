/* repl.h — the host's REPL sockets: unix sockets (mode 0600, in a directory the caller owns) on
 * the session's loop through which `tradehost repl SOCKET` evaluates Lua inside the running host.
 *
 * Wire protocol 2 (binary-safe: every answer is framed by its length):
 *   client -> host   first a hello line, "TH-REPL 2 full" or "TH-REPL 2 read-only", either with
 *                    " json" after it for the machine mode; then one line at a time, each ending
 *                    in '\n': a line of Lua, or a request: a line starting with the byte 0x01 (never
 *                    Lua) and a request name, "\x01complete WORD" (tab completion of WORD).
 *   host -> client   frames: one status byte, a 4-byte big-endian length, that many bytes. The
 *                    hello is answered with READY and the access granted ("full" or
 *                    "read-only"); each line with READY (its chunk ran: the bytes are what it
 *                    printed and returned, or the error) or MORE (the chunk is incomplete: the
 *                    next line continues it); a "complete" request with COMPLETIONS (the
 *                    completions, one per line); BYE says the host closes the connection after it.
 *   machine mode     each line is a whole chunk, answered with READY and one JSON object
 *                    (th/repl.lua eval_json: {"ok", "value"/"values" or "error", "output"}; never
 *                    MORE); a "complete" request with READY and {"ok":true,"completions":[...]}.
 * A request in the middle of a multi-line chunk leaves the chunk as it is.
 * Access is the host's decision: a read-only socket (repl.readonly_socket) grants read-only
 * whatever the hello asks, and a connection's access never changes after the hello.
 * A chunk runs on the loop thread between two callbacks under th.budget (instructions, time,
 * memory: lua_budget.h), and one line in all is handled per loop turn (clients in turn), so
 * neither a client that pipes many lines nor many clients at once can hold the loop. A client that does not read its answers is dropped once
 * TH_REPL_QUEUE_MAX bytes wait for it. */
#ifndef TH_REPL_H
#define TH_REPL_H

#include <stdbool.h>
#include <uv.h>

#include "../lua/lua_host.h"

enum { TH_REPL_READY = 0, TH_REPL_MORE = 1, TH_REPL_BYE = 2, TH_REPL_COMPLETIONS = 3 };
#define TH_REPL_HELLO "TH-REPL 2"
#define TH_REPL_REQUEST '\x01'                /* first byte of a request line */
#define TH_REPL_COMPLETE "\x01" "complete "    /* + the word: tab completion */
#define TH_REPL_LINE_MAX (64 * 1024)           /* a chunk longer than this is refused, not truncated */
#define TH_REPL_ANSWER_MAX (1024 * 1024)       /* an answer longer than this is cut, with a note */
#define TH_REPL_QUEUE_MAX (4 * 1024 * 1024)    /* answer bytes waiting for a client before it is dropped */
#define TH_REPL_INPUT_MAX (256 * 1024)         /* input waiting to be handled before reading pauses */
#define TH_REPL_FRAME_HEAD 5

typedef struct th_repl_client th_repl_client;

typedef struct th_repl {
    uv_pipe_t server;
    uv_idle_t pump;        /* handles one waiting line per client per loop turn */
    bool open;
    bool readonly;         /* every client of this socket is read-only */
    char path[108];        /* sockaddr_un's limit */
    th_lua *lua;
    th_strategy *strat;
    th_repl_client *clients;
    int nclients;
    int32_t m_chunks, m_clients, m_dropped;
} th_repl;

/* Binds and listens. Refuses a path in use by a live host; removes a stale socket file.
 * readonly: every client gets the read-only sandbox. */
int th_repl_open(th_repl *r, uv_loop_t *loop, const char *path, th_lua *lua, th_strategy *strat, bool readonly,
                 const char **err);
/* Closes the server and every client, and removes the socket file. */
void th_repl_close(th_repl *r);
/* A connected socket to path (the client; and the check for a live host on a path), or -1 with
 * errno set (ENAMETOOLONG past the unix socket limit). */
int th_repl_connect(const char *path);

#endif
