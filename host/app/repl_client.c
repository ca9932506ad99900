/* repl_client.c — `tradehost repl SOCKET`: attach to a running host's REPL socket (repl.h has the
 * protocol). Lines from stdin go to the host one at a time; each answer is printed when its status
 * byte arrives, so `echo 'th.risk.status()' | tradehost repl SOCK` works as well as a terminal. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
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

/* Prints the answer; returns its status byte, or -1 when the host closed the connection. */
static int read_answer(int fd)
{
    char buf[4096];
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        /* the status byte ends an answer; the host sends nothing after it until the next line */
        for (ssize_t i = 0; i < n; i++)
            if (buf[i] == TH_REPL_READY || buf[i] == TH_REPL_MORE) {
                fwrite(buf, 1, (size_t)i, stdout);
                fflush(stdout);
                return buf[i];
            }
        fwrite(buf, 1, (size_t)n, stdout);
    }
}

int th_cmd_repl(int argc, char **argv)
{
    if (argc != 2 || argv[1][0] == '-') {
        fprintf(stderr, "usage: tradehost repl SOCKET   (see `tradehost repl --help`)\n");
        return 2;
    }
    const char *path = argv[1];
    int fd = th_repl_connect(path);
    if (fd < 0 && errno == ENAMETOOLONG) { fprintf(stderr, "tradehost repl: %s: path too long for a unix socket\n", path); return 2; }
    if (fd < 0) {
        fprintf(stderr, "tradehost repl: %s: %s (is a host running with repl.socket set to this path?)\n", path, strerror(errno));
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    bool tty = isatty(0);
    if (tty) printf("attached to %s: Lua runs inside the host (th, state, ctx); Ctrl-D leaves\n", path);
    /* stdin is read with read(), not stdio, so that poll() sees every byte still to come: while
     * waiting for input, a host that goes away is noticed at once, not at the next line. */
    char *in = NULL;
    size_t in_n = 0, in_cap = 0;
    bool in_eof = false;
    int status = TH_REPL_READY, code = 0;
    if (tty) { fputs("th> ", stdout); fflush(stdout); }
    for (;;) {
        char *nl = in ? memchr(in, '\n', in_n) : NULL;
        if (!nl && in_eof && in_n) nl = in + in_n; /* a last line without its newline */
        if (nl) {
            size_t n = (size_t)(nl - in);
            if (memchr(in, '\0', n)) {
                fprintf(stderr, "tradehost repl: a NUL byte in the input line; not sent\n");
            } else {
                if (send_all(fd, in, n) != 0 || send_all(fd, "\n", 1) != 0) status = -1;
                else status = read_answer(fd);
                if (status < 0) { fprintf(stderr, "tradehost repl: the host closed the connection\n"); code = 1; break; }
            }
            size_t used = n < in_n ? n + 1 : n;
            memmove(in, in + used, in_n - used);
            in_n -= used;
            if (tty) { fputs(status == TH_REPL_MORE ? "..> " : "th> ", stdout); fflush(stdout); }
            continue;
        }
        if (in_eof) break;
        struct pollfd p[2] = {{0, POLLIN, 0}, {fd, POLLIN, 0}};
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
    if (status == TH_REPL_MORE) { fprintf(stderr, "tradehost repl: input ended inside an incomplete chunk (not run)\n"); code = 1; }
    if (tty && code == 0) printf("\n");
    free(in);
    close(fd);
    return code;
}
