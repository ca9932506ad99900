/* sim_front.h — the sim's listening sockets, in front of libwebsockets. libwebsockets 4.1 drops a
 * connection without a word when a request line's URI decodes to a NUL or control byte
 * (`?symbol=%00`), answers its own HTML 403 to a bad %-escape, and drops a request line longer than
 * its header space. An exchange answers each with a 400 in its own error JSON, and a client of the
 * sim must hear that too. So the sim accepts connections itself, peeks up to the end of the first
 * request line (the bytes stay in the socket), and either hands the connection to libwebsockets, or answers
 * that one request itself through the venue (sim_http_req.uri_refused or query_too_long set) and
 * closes. Later requests on a kept-alive connection are libwebsockets' alone. */
#ifndef TH_SIM_FRONT_H
#define TH_SIM_FRONT_H

#include "sim_server.h"

/* Listen on host:port (0: a free one) for the vhost of `which`; the bound port in s->port[which]. */
int sim_front_listen(sim_server *s, sim_port which, const char *host, int port, const char **err);
/* The port a connection came in on. Not its vhost: lws 4.1 re-binds an adopted HTTP connection to
 * the first vhost of the same (non-)listening port when it reads the Host header, so the front
 * marks each connection it hands over (lws's opaque user data, kept across the re-bind). */
struct lws;
sim_port sim_wsi_port(struct lws *wsi);
/* Stop listening and close every connection still in front (inside the loop). */
void sim_front_close(sim_server *s);

#endif
