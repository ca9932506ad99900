/* repl_client.c — `tradehost repl [--read-only] [--json] SOCKET`: attach to a running host's REPL
 * socket (repl.h has the protocol).
 *
 *   - On a terminal: line editing, history and tab completion (repl_edit.c).
 *   - Piped input (stdin not a terminal): plain lines, one at a time; each answer is printed byte
 *     for byte (NULs and control bytes included), so `echo 'th.risk.status()' | tradehost repl
 *     SOCK` works in scripts and tests. No libedit, no prompts.
 *   - --json, the machine mode: each input line is one chunk and each answer one JSON object on
 *     one line ({"ok", "value"/"values" or "error", "output"}; docs/ops.md "Machine mode");
 *     `.complete WORD` asks for the completions of WORD.
 * In every mode a line holding an ESC byte (an arrow key pressed where nothing edits lines) or a
 * NUL is refused here with a message, never sent: the host would only see garbage. */
#include "repl_client.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "repl.h"

static int send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int recv_all(int fd, char *p, size_t n)
{
    while (n) {
        ssize_t r = recv(fd, p, n, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

int th_repl_conn_send(th_repl_conn *c, const char *line, size_t n)
{
    if (send_all(c->fd, line, n) != 0 || send_all(c->fd, "\n", 1) != 0) return -1;
    return 0;
}

int th_repl_conn_answer(th_repl_conn *c)
{
    unsigned char head[TH_REPL_FRAME_HEAD];
    c->n = 0;
    if (recv_all(c->fd, (char *)head, sizeof head) != 0) return -1;
    size_t n = (size_t)head[1] << 24 | (size_t)head[2] << 16 | (size_t)head[3] << 8 | head[4];
    if (head[0] > TH_REPL_COMPLETIONS || n > TH_REPL_ANSWER_MAX) {
        fprintf(stderr, "tradehost repl: not a tradehost REPL answer (status %u, length %zu)\n", head[0], n);
        return -1;
    }
    if (n + 1 > c->cap) {
        char *b = realloc(c->buf, n + 1);
        if (!b) { fprintf(stderr, "tradehost repl: out of memory\n"); return -1; }
        c->buf = b;
        c->cap = n + 1;
    }
    if (recv_all(c->fd, c->buf, n) != 0) return -1;
    c->buf[n] = 0;
    c->n = n;
    if (head[0] == TH_REPL_BYE) fwrite(c->buf, 1, n, stderr);
    return head[0];
}

const char *th_repl_line_problem(const char *line, size_t n)
{
    if (memchr(line, '\0', n)) return "a NUL byte in the line";
    if (memchr(line, '\033', n))
        return "an ESC byte in the line (an arrow or function key read without line editing?); write \\27 inside a string";
    return NULL;
}

static const char HELP[] =
    "tradehost repl: each line is Lua run inside the host, with th, state (the strategy's live state) and ctx.\n"
    "  an expression prints its value; a statement cut off mid-way continues on a `..>` line\n"
    "  Tab completes names and table fields: th.ri<Tab>, state.<Tab>, th.book(\"XMR/USD\") is a call (not completed)\n"
    "  Up/Down recall earlier lines (history: $XDG_STATE_HOME/tradehost/history, else ~/.tradehost_history)\n"
    "  tables are shown 4 levels deep, 40 entries each; show(v, depth) shows v deeper or shallower\n"
    "  th.status()          one table per pair: book health, best bid/ask, our quotes, position, PnL,\n"
    "                       open orders, last fill, the strategy's fault state (th.status(\"XMR/USD\"): one pair)\n"
    "  th.book(sym)         the book (shown as its top levels)      th.orders.open([sym])  live orders\n"
    "  th.position(sym)     th.pnl()     th.risk.status()     th.risk.kill(why) / th.risk.rearm() (full access)\n"
    "  .help                this text\n"
    "  .exit                leave (as Ctrl-D)\n"
    "Budgets, access and the wire protocol: docs/ops.md \"The REPL\".\n";

int th_repl_dot_command(const char *line, size_t n)
{
    while (n && (line[n - 1] == ' ' || line[n - 1] == '\t' || line[n - 1] == '\r')) n--;
    if (n < 2 || line[0] != '.' || line[1] < 'a' || line[1] > 'z') return 0;
    if (n == 5 && memcmp(line, ".help", 5) == 0) { fputs(HELP, stdout); fflush(stdout); return 1; }
    if ((n == 5 && memcmp(line, ".exit", 5) == 0) || (n == 5 && memcmp(line, ".quit", 5) == 0)) return 2;
    fprintf(stderr, "tradehost repl: unknown command %.*s (.help lists them)\n", (int)(n > 40 ? 40 : n), line);
    return 1;
}

/* A refusal in the machine mode is an answer too: one JSON object per line of input. */
static void json_refusal(const char *why)
{
    printf("{\"ok\":false,\"error\":\"not sent: ");
    for (const char *p = why; *p; p++) {
        if (*p == '"' || *p == '\\') putchar('\\');
        putchar(*p);
    }
    printf("\",\"output\":\"\"}\n");
    fflush(stdout);
}

/* The plain loop: piped input, or --json. stdin is read with read(), not stdio, so that poll()
 * sees every byte still to come: while waiting for input, a host that goes away is noticed at
 * once, not at the next line. */
int th_repl_plain_loop(th_repl_conn *c, bool json, bool prompts)
{
    char *in = NULL;
    size_t in_n = 0, in_cap = 0;
    bool in_eof = false;
    int status = TH_REPL_READY, code = 0;
    long lineno = 0;
    if (prompts) { fputs("th> ", stdout); fflush(stdout); }
    for (;;) {
        char *nl = in ? memchr(in, '\n', in_n) : NULL;
        if (!nl && in_eof && in_n) nl = in + in_n; /* a last line without its newline */
        if (nl) {
            size_t n = (size_t)(nl - in);
            const char *problem = th_repl_line_problem(in, n);
            lineno++;
            int dot = 0;
            if (problem) {
                if (json) json_refusal(problem);
                else fprintf(stderr, "tradehost repl: input line %ld: %s; not sent\n", lineno, problem);
            } else if (json && n > 10 && memcmp(in, ".complete ", 10) == 0) {
                char *req = malloc(n - 10 + sizeof TH_REPL_COMPLETE);
                if (!req) { code = 1; break; }
                memcpy(req, TH_REPL_COMPLETE, sizeof TH_REPL_COMPLETE - 1);
                memcpy(req + sizeof TH_REPL_COMPLETE - 1, in + 10, n - 10);
                status = th_repl_conn_send(c, req, n - 10 + sizeof TH_REPL_COMPLETE - 1) == 0 ? th_repl_conn_answer(c) : -1;
                free(req);
                if (status >= 0) { fwrite(c->buf, 1, c->n, stdout); putchar('\n'); fflush(stdout); }
            } else if (!json && status != TH_REPL_MORE && (dot = th_repl_dot_command(in, n)) != 0) {
                if (dot == 2) { in_n = 0; in_eof = true; status = TH_REPL_READY; break; }
            } else {
                status = th_repl_conn_send(c, in, n) == 0 ? th_repl_conn_answer(c) : -1;
                if (status >= 0) {
                    fwrite(c->buf, 1, c->n, stdout);
                    if (json) putchar('\n');
                    fflush(stdout);
                }
            }
            if (status == TH_REPL_BYE) status = -1;
            if (status < 0) { fprintf(stderr, "tradehost repl: the host closed the connection\n"); code = 1; break; }
            size_t used = n < in_n ? n + 1 : n;
            memmove(in, in + used, in_n - used);
            in_n -= used;
            if (prompts) { fputs(status == TH_REPL_MORE ? "..> " : "th> ", stdout); fflush(stdout); }
            continue;
        }
        if (in_eof) break;
        struct pollfd p[2] = {{0, POLLIN, 0}, {c->fd, POLLIN, 0}};
        if (poll(p, 2, -1) < 0) { if (errno == EINTR) continue; break; }
        if (p[1].revents) { fprintf(stderr, "tradehost repl: the host closed the connection\n"); code = 1; break; }
        if (!p[0].revents) continue;
        if (in_cap - in_n < 4096) {
            size_t cap = in_cap ? in_cap * 2 : 8192;
            char *b = realloc(in, cap);
            if (!b) { fprintf(stderr, "tradehost repl: out of memory\n"); code = 1; break; }
            in = b;
            in_cap = cap;
        }
        ssize_t r = read(0, in + in_n, in_cap - in_n);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) in_eof = true;
        else in_n += (size_t)r;
    }
    if (status == TH_REPL_MORE && code == 0) {
        fprintf(stderr, "tradehost repl: input ended inside an incomplete chunk (not run)\n");
        code = 1;
    }
    if (prompts && code == 0) printf("\n");
    free(in);
    return code;
}

int th_cmd_repl(int argc, char **argv)
{
    bool readonly = false, json = false;
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--read-only") == 0) readonly = true;
        else if (strcmp(argv[i], "--json") == 0) json = true;
        else if (argv[i][0] == '-' || path) {
            fprintf(stderr, "usage: tradehost repl [--read-only] [--json] SOCKET   (see `tradehost repl --help`)\n");
            return 2;
        } else path = argv[i];
    }
    if (!path) {
        fprintf(stderr, "usage: tradehost repl [--read-only] [--json] SOCKET   (see `tradehost repl --help`)\n");
        return 2;
    }
    int fd = th_repl_connect(path);
    if (fd < 0 && errno == ENAMETOOLONG) { fprintf(stderr, "tradehost repl: %s: path too long for a unix socket\n", path); return 2; }
    if (fd < 0) {
        fprintf(stderr, "tradehost repl: %s: %s (is a host running with repl.socket set to this path?)\n", path, strerror(errno));
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    th_repl_conn c = {.fd = fd, .path = path};
    char hello[64];
    snprintf(hello, sizeof hello, "%s %s%s", TH_REPL_HELLO, readonly ? "read-only" : "full", json ? " json" : "");
    int hs = th_repl_conn_send(&c, hello, strlen(hello)) == 0 ? th_repl_conn_answer(&c) : -1;
    if (hs != TH_REPL_READY) {
        fprintf(stderr, "tradehost repl: %s: the host refused the connection\n", path);
        free(c.buf);
        close(fd);
        return 1;
    }
    char granted[32];
    snprintf(granted, sizeof granted, "%.*s", (int)c.n, c.buf);
    int code;
    if (!json && isatty(0)) {
        code = th_repl_edit_loop(&c, granted);
    } else {
        code = th_repl_plain_loop(&c, json, false);
    }
    free(c.buf);
    close(fd);
    return code;
}
