/* sim_image.h — what a venue's incremental book stream has described so far, per side, and the
 * differences between it and the market's book: the levels a stream of deltas must send next.
 *
 * Binance's depth diffs (one frame listing every changed level) and Kraken Futures' book deltas
 * (one frame per level, each with the next seq) both come from one comparison: after a recorded
 * frame changes a book, sim_image_diff walks the image and the book side by side, best price
 * first, reports each level that is new, changed or gone (quantity 0), and makes the image the
 * book. O(levels) per changed book; no hook inside the feed parsers. */
#ifndef TH_SIM_IMAGE_H
#define TH_SIM_IMAGE_H

#include <stdint.h>

#include "../core/book.h"

typedef struct sim_image {
    int32_t n[2], cap[2];
    int64_t *px[2], *qty[2];   /* per side (TH_BID, TH_ASK), best first */
} sim_image;

typedef void (*sim_image_fn)(void *ctx, int side, int64_t price, int64_t qty);

/* Report every level of `side` that differs between the image and the book (qty 0: gone), best
 * first, then make the image that side of the book. Returns the number of changes, -1 out of
 * memory (the image is then stale: the stream's clients must resync). */
int sim_image_diff(sim_image *im, const th_book *book, int side, sim_image_fn fn, void *ctx);
void sim_image_free(sim_image *im);

#endif
