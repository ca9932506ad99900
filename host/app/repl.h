/* repl.h — the host's REPL socket: a unix socket (mode 0600, in a directory the caller owns) on the
 * session's loop through which `tradehost repl SOCKET` evaluates Lua inside the running host.
 *
 * Wire protocol (one client line at a time, so a script can pipe into it):
 *   client -> host   one line of Lua, ending in '\n'
 *   host -> client   the chunk's output (print, results or the error) then one status byte:
 *                    TH_REPL_READY (the next line starts a new chunk) or TH_REPL_MORE (the chunk is
 *                    incomplete: the next line continues it).
 * A chunk runs on the loop thread between two callbacks, like a strategy callback: with the JIT off
 * and an instruction budget (th/repl.lua), so a runaway loop is stopped instead of freezing orders. */
#ifndef TH_REPL_H
#define TH_REPL_H

#include <stdbool.h>
#include <uv.h>

#include "../lua/lua_host.h"

enum { TH_REPL_READY = 0, TH_REPL_MORE = 1 };
#define TH_REPL_LINE_MAX (64 * 1024) /* a chunk longer than this is refused, not truncated */

typedef struct th_repl_client th_repl_client;

typedef struct th_repl {
    uv_pipe_t server;
    bool open;
    char path[108];        /* sockaddr_un's limit */
    th_lua *lua;
    th_strategy *strat;
    th_repl_client *clients;
    int nclients;
    int32_t m_chunks, m_clients;
} th_repl;

/* Binds and listens. Refuses a path in use by a live host; removes a stale socket file. */
int th_repl_open(th_repl *r, uv_loop_t *loop, const char *path, th_lua *lua, th_strategy *strat, const char **err);
/* Closes the server and every client, and removes the socket file. */
void th_repl_close(th_repl *r);
/* A connected socket to path (the client; and the check for a live host on a path), or -1 with
 * errno set (ENAMETOOLONG past the unix socket limit). */
int th_repl_connect(const char *path);

#endif
