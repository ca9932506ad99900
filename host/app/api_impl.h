/* api_impl.h — what the API's files share (api.c: the listener, the lws callback, tokens and
 * limits; api_routes.c: the endpoints; api_events.c: the /events websocket), beside api.h, which
 * each of them includes first. Nothing outside the API includes it. */
#ifndef TH_API_IMPL_H
#define TH_API_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct lws;
struct th_api;
typedef struct api_ev_client api_ev_client;

#define API_BODY_MAX 4096

typedef enum api_after { API_AFTER_NONE = 0, API_AFTER_STOP } api_after;

/* One HTTP request (lws's per-connection user space). */
typedef struct api_req {
    unsigned char *body; /* the answer: LWS_PRE bytes of headroom, then the body */
    size_t body_n;
    char *in;            /* the request body, up to API_BODY_MAX */
    size_t in_n;
    size_t body_in;      /* request body bytes received */
    bool close_after;    /* close once answered, never drain a body */
    bool routed;         /* answered (or refused) already */
    bool post;
    bool authed;         /* the token was checked (at the headers, before any body is read) */
    bool awaiting_body;  /* a body is announced: the endpoint runs once it is complete */
    char uri[128];
    int status;
    const char *ctype;
    api_after after;     /* what to do once the answer is out (the stop) */
    api_ev_client *ev;   /* this connection is an /events websocket */
    struct lws *wsi;     /* set while deferred: where the late answer goes */
    bool deferred;       /* the answer comes later (a database read): the view has this request */
    struct api_req *next_deferred;
} api_req;

extern struct th_api *g_api; /* lws protocol callbacks get no user pointer of ours per vhost here */

int api_answer(api_req *r, int status, const char *ctype, const char *text, size_t n);
int api_answer_json(api_req *r, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The JSON a view function wrote to a stream, as the answer. */
int api_answer_stream(api_req *r, int status, char **buf, size_t *n, FILE *f);
/* The answer of r comes later (api_undefer, then api_answer and lws_callback_on_writable). */
void api_defer(api_req *r, struct lws *wsi);
void api_undefer(api_req *r);
bool api_token_ok(struct lws *wsi);
void api_refused_log(const char *uri);

/* api_routes.c: answer r (its uri, method and body are set). 0, or -1 to hang up. */
int api_route(struct lws *wsi, api_req *r);

/* api_events.c: the websocket side of a connection on /events. */
int api_events_established(struct lws *wsi, api_req *r);
int api_events_writeable(struct lws *wsi, api_req *r);
int api_events_receive(struct lws *wsi, api_req *r, const void *in, size_t len);
void api_events_closed(api_req *r);
bool api_events_room(void);

#endif
