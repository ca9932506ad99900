/* url.h — the endpoint URLs the connectors take from the config: split into their parts, and the
 * one rule for plain-text schemes: ws:// and http:// only to a loopback host (the sim, a test),
 * never across a network; wss:// and https:// always verify the venue's certificate. */
#ifndef TH_URL_H
#define TH_URL_H

#include <stdbool.h>
#include <stddef.h>

typedef struct th_url {
    bool tls;
    char scheme[8];
    char host[256];
    int port;
    char path[512];       /* with the query, "/" when empty */
} th_url;

/* Parse ws://, wss://, http:// or https://. 0, or -1 with a message in why naming what was wrong
 * (an unknown scheme, a missing host, a bad port, plain text to a host that is not loopback). */
int th_url_parse(const char *text, th_url *u, char *why, size_t cap);
bool th_url_host_is_loopback(const char *host);

#endif
