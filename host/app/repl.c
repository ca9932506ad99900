/* repl.c — the REPL socket on the session's loop (see repl.h for the protocol).
 *
 * Why it is built this way:
 *   - A unix socket, created under umask 077 and chmod 0600: only the host's own user can attach
 *     (anyone who can attach can trade). No TCP listener exists for it.
 *   - A socket file left by a crashed host is removed; one that still answers belongs to a live
 *     host and is refused, so two hosts never fight over one path.
 *   - Chunks are never logged (a user may paste anything); only connects and counts are. */
#include "repl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "../core/log.h"
#include "../core/metrics.h"

struct th_repl_client {
    uv_pipe_t h;
    th_repl *r;
    th_repl_client *next;
    int env_ref;
    char *line;            /* bytes of the current line not yet ended by '\n' */
    size_t line_n, line_cap;
    char *chunk;           /* the lines of an incomplete chunk */
    size_t chunk_n, chunk_cap;
    bool discarding;       /* the current line went over TH_REPL_LINE_MAX: drop it to its '\n' */
};

typedef struct write_req {
    uv_write_t req;
    char data[];
} write_req;

static int grow(char **buf, size_t *cap, size_t need)
{
    if (need <= *cap) return 0;
    size_t c = *cap ? *cap : 256;
    while (c < need) c *= 2;
    char *b = realloc(*buf, c);
    if (!b) return -1;
    *buf = b;
    *cap = c;
    return 0;
}

static void on_client_closed(uv_handle_t *h)
{
    th_repl_client *c = h->data;
    th_repl *r = c->r;
    th_lua_unref(r->lua, c->env_ref);
    for (th_repl_client **p = &r->clients; *p; p = &(*p)->next)
        if (*p == c) { *p = c->next; break; }
    free(c->line);
    free(c->chunk);
    free(c);
    r->nclients--;
    th_metric_set(r->m_clients, r->nclients);
}

static void client_close(th_repl_client *c)
{
    if (!uv_is_closing((uv_handle_t *)&c->h)) uv_close((uv_handle_t *)&c->h, on_client_closed);
}

static void on_written(uv_write_t *req, int status)
{
    /* EPIPE, ECONNRESET...: the client hung up before its answer; close it now (its read
     * callback may never come if it is not reading). */
    if (status < 0 && status != UV_ECANCELED) client_close(req->handle->data);
    free(req);
}

/* Output then the status byte, in one write. */
static void reply(th_repl_client *c, const char *text, size_t n, char status)
{
    write_req *w = malloc(sizeof *w + n + 1);
    if (!w) { client_close(c); return; } /* an answer lost: the client must not wait for it */
    memcpy(w->data, text, n);
    w->data[n] = status;
    uv_buf_t b = uv_buf_init(w->data, (unsigned)(n + 1));
    if (uv_write(&w->req, (uv_stream_t *)&c->h, &b, 1, on_written) != 0) { free(w); client_close(c); }
}

/* One complete line: add it to the chunk, evaluate, answer. */
static void on_line(th_repl_client *c, const char *line, size_t n)
{
    static char out[TH_REPL_LINE_MAX];
    th_repl *r = c->r;
    if (n && line[n - 1] == '\r') n--;
    if (c->chunk_n + n + 1 > TH_REPL_LINE_MAX || grow(&c->chunk, &c->chunk_cap, c->chunk_n + n + 2) != 0) {
        c->chunk_n = 0;
        const char *e = "error: chunk longer than 64 KiB: discarded\n";
        reply(c, e, strlen(e), TH_REPL_READY);
        return;
    }
    if (c->chunk_n) c->chunk[c->chunk_n++] = '\n';
    memcpy(c->chunk + c->chunk_n, line, n);
    c->chunk_n += n;
    c->chunk[c->chunk_n] = 0;
    bool more = false;
    th_lua_repl_eval(r->lua, c->env_ref, c->chunk, c->chunk_n, out, sizeof out, &more);
    if (more) { reply(c, "", 0, TH_REPL_MORE); return; }
    c->chunk_n = 0;
    th_metric_inc(r->m_chunks);
    reply(c, out, strlen(out), TH_REPL_READY);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h;
    static char rbuf[16384];
    (void)suggested;
    *buf = uv_buf_init(rbuf, sizeof rbuf);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    th_repl_client *c = s->data;
    if (nread < 0) { client_close(c); return; }
    for (ssize_t i = 0; i < nread; i++) {
        char ch = buf->base[i];
        if (ch == '\n') {
            if (c->discarding) {
                const char *e = "error: line longer than 64 KiB: discarded\n";
                c->discarding = false;
                c->chunk_n = 0;
                reply(c, e, strlen(e), TH_REPL_READY);
            } else {
                on_line(c, c->line ? c->line : "", c->line_n);
            }
            c->line_n = 0;
            continue;
        }
        if (c->discarding) continue;
        if (c->line_n + 1 >= TH_REPL_LINE_MAX || grow(&c->line, &c->line_cap, c->line_n + 2) != 0) {
            c->discarding = true;
            continue;
        }
        c->line[c->line_n++] = ch;
    }
}

static void on_connection(uv_stream_t *server, int status)
{
    th_repl *r = server->data;
    if (status < 0) { th_logf(TH_LOG_WARN, "repl: accept failed", "error=\"%s\"", uv_strerror(status)); return; }
    th_repl_client *c = calloc(1, sizeof *c);
    if (!c) return;
    c->r = r;
    c->env_ref = -1;
    uv_pipe_init(server->loop, &c->h, 0);
    c->h.data = c;
    c->next = r->clients;
    r->clients = c;
    r->nclients++;
    th_metric_set(r->m_clients, r->nclients);
    if (uv_accept(server, (uv_stream_t *)&c->h) != 0) { client_close(c); return; }
    c->env_ref = th_lua_repl_env(r->lua, r->strat);
    if (c->env_ref < 0) th_logf(TH_LOG_ERROR, "repl: cannot make the client's environment", "error=\"%s\"", r->lua->error);
    th_logf(TH_LOG_INFO, "repl: client attached", "clients=%d", r->nclients);
    uv_read_start((uv_stream_t *)&c->h, on_alloc, on_read);
}

int th_repl_connect(const char *path)
{
    struct sockaddr_un a;
    memset(&a, 0, sizeof a);
    a.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof a.sun_path) { errno = ENAMETOOLONG; return -1; }
    memcpy(a.sun_path, path, strlen(path));
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

/* ENOENT: free. A socket nobody answers on: stale (a crashed host's), removed. Anything else: refused. */
static int claim_path(const char *path, const char **err)
{
    struct stat st;
    if (lstat(path, &st) != 0) {
        if (errno == ENOENT) return 0;
        *err = "cannot stat the socket path";
        return -1;
    }
    if (!S_ISSOCK(st.st_mode)) { *err = "the path exists and is not a socket (refusing to replace it)"; return -1; }
    int fd = th_repl_connect(path);
    if (fd >= 0) { close(fd); *err = "another host is listening on this socket"; return -1; }
    if (errno != ECONNREFUSED) { *err = "the existing socket cannot be checked (not removing it)"; return -1; }
    if (unlink(path) != 0) { *err = "cannot remove the stale socket file"; return -1; }
    th_logf(TH_LOG_INFO, "repl: removed a stale socket file", "path=%s", path);
    return 0;
}

int th_repl_open(th_repl *r, uv_loop_t *loop, const char *path, th_lua *lua, th_strategy *strat, const char **err)
{
    memset(r, 0, sizeof *r);
    r->lua = lua;
    r->strat = strat;
    if (strlen(path) >= sizeof r->path) { *err = "repl.socket: path longer than 107 bytes (the unix socket limit)"; return -1; }
    snprintf(r->path, sizeof r->path, "%s", path);
    const char *e2;
    th_metric_register("repl_chunks_total", TH_METRIC_COUNTER, &r->m_chunks, &e2);
    th_metric_register("repl_clients", TH_METRIC_GAUGE, &r->m_clients, &e2);
    if (claim_path(path, err) != 0) return -1;
    uv_pipe_init(loop, &r->server, 0);
    r->server.data = r;
    r->open = true;
    mode_t old = umask(077); /* the file is born 0600: no window in which others could connect */
    int rc = uv_pipe_bind(&r->server, path);
    umask(old);
    if (rc == 0 && chmod(path, 0600) != 0) rc = UV_EACCES;
    if (rc == 0) rc = uv_listen((uv_stream_t *)&r->server, 8, on_connection);
    if (rc != 0) {
        static char msg[160];
        snprintf(msg, sizeof msg, "cannot listen on the socket: %s", uv_strerror(rc));
        *err = msg;
        th_repl_close(r);
        return -1;
    }
    th_logf(TH_LOG_INFO, "repl: listening", "socket=%s mode=0600", path);
    return 0;
}

void th_repl_close(th_repl *r)
{
    if (!r->open) return;
    for (th_repl_client *c = r->clients; c; c = c->next) client_close(c);
    if (!uv_is_closing((uv_handle_t *)&r->server)) uv_close((uv_handle_t *)&r->server, NULL);
    unlink(r->path);
    r->open = false;
}
