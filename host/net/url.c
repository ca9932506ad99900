/* url.c — endpoint URLs and the loopback rule for plain-text schemes (see url.h). */
#include "url.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool th_url_host_is_loopback(const char *host)
{
    return strcmp(host, "127.0.0.1") == 0 || strcmp(host, "::1") == 0 || strcmp(host, "localhost") == 0;
}

int th_url_parse(const char *text, th_url *u, char *why, size_t cap)
{
    memset(u, 0, sizeof *u);
    const char *sep = strstr(text, "://");
    if (!sep || (size_t)(sep - text) >= sizeof u->scheme) { snprintf(why, cap, "%s: expected ws://, wss://, http:// or https://", text); return -1; }
    memcpy(u->scheme, text, (size_t)(sep - text));
    int dflt;
    if (strcmp(u->scheme, "wss") == 0 || strcmp(u->scheme, "https") == 0) { u->tls = true; dflt = 443; }
    else if (strcmp(u->scheme, "ws") == 0 || strcmp(u->scheme, "http") == 0) dflt = 80;
    else { snprintf(why, cap, "%s: unknown scheme %s (ws, wss, http, https)", text, u->scheme); return -1; }
    const char *h = sep + 3, *end = h + strcspn(h, "/?");
    const char *hend = end, *port = NULL;
    if (*h == '[') { /* [v6]:port */
        const char *rb = memchr(h, ']', (size_t)(end - h));
        if (!rb) { snprintf(why, cap, "%s: unterminated [ in the host", text); return -1; }
        if (rb + 1 < end && rb[1] == ':') port = rb + 2;
        h++;
        hend = rb;
    } else {
        const char *colon = memchr(h, ':', (size_t)(end - h));
        if (colon) { port = colon + 1; hend = colon; }
    }
    if (hend == h || (size_t)(hend - h) >= sizeof u->host) { snprintf(why, cap, "%s: no host", text); return -1; }
    memcpy(u->host, h, (size_t)(hend - h));
    u->port = dflt;
    if (port) {
        char *e;
        long p = strtol(port, &e, 10);
        if (e != end || p <= 0 || p > 65535) { snprintf(why, cap, "%s: bad port", text); return -1; }
        u->port = (int)p;
    }
    snprintf(u->path, sizeof u->path, "%s", *end ? end : "/");
    if (u->path[0] == '?') snprintf(u->path, sizeof u->path, "/%s", end);
    if (!u->tls && !th_url_host_is_loopback(u->host)) {
        snprintf(why, cap, "%s: plain-text %s:// is only allowed to a loopback host (127.0.0.1, ::1, localhost); use %ss://", text,
                 u->scheme, u->scheme);
        return -1;
    }
    return 0;
}
