/* venue_feed.h — the one interface every venue's market-data parser implements, and the table of
 * them.
 *
 * Each venue defines one `th_venue_feed_ops` in its own host/venues/<venue>_feed.c and is listed
 * once in host/venues/venue_table.c; feed.c only ever calls through the table. Adding a venue is
 * its file plus one table row. Later the same struct grows connect/subscribe/order entry (the
 * connectors issue); today it is the market-data half. */
#ifndef TH_VENUE_FEED_H
#define TH_VENUE_FEED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "feed.h"

typedef struct th_venue_feed_ops {
    const char *name;
    /* book depth the venue's stream maintains (Kraken subscribes at 1000); 0 = unbounded */
    int32_t depth;
    /* optional: a strict scanner for the hot frame shape; true when it handled the frame (*rc set),
     * false to fall back to the generic path before any state changed */
    bool (*fast_frame)(th_feed *f, const char *frame, size_t len, int *rc);
    /* a websocket frame, already tokenised into f->json (tok[0] is an object or an array) */
    int (*frame)(th_feed *f, const char *frame, size_t len);
    /* optional: does the tokenised body in f->json have the shape of this venue's REST book
     * snapshot? Such a body is a snapshot wherever it appears (a REST record or a bare line) */
    bool (*is_snapshot)(const th_feed *f);
    /* optional: apply the tokenised REST snapshot in f->json to instrument idx */
    int (*snapshot)(th_feed *f, int32_t idx, const char *body, size_t len);
    /* optional: the instrument indexes a subscription names (a stream URL or a subscribe frame
     * the client sent); returns how many were written to out (at most cap) */
    int (*subscription_symbols)(th_feed *f, const char *text, size_t len, int32_t *out, int cap);
} th_venue_feed_ops;

/* The venue's parsers; NULL for a venue id with none. */
const th_venue_feed_ops *th_venue_feed_ops_for(th_venue_id venue);

#endif
