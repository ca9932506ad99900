/* sim_image.c — a stream's image of a book and its differences from the market (sim_image.h). */
#include <stdlib.h>

#include "sim_image.h"

static inline int better(int side, int64_t a, int64_t b) { return side == TH_BID ? a > b : a < b; }

int sim_image_diff(sim_image *im, const th_book *bk, int side, sim_image_fn fn, void *ctx)
{
    int32_t nn = th_book_count(bk, side), i = 0, j = 0, on = im->n[side];
    int64_t npx = 0, nq = 0;
    int changes = 0;
    while (i < on || j < nn) {
        if (j < nn) th_book_level(bk, side, j, &npx, &nq);
        if (i < on && j < nn && im->px[side][i] == npx) {
            if (im->qty[side][i] != nq) { fn(ctx, side, npx, nq); changes++; }
            i++; j++;
        } else if (i < on && (j >= nn || better(side, im->px[side][i], npx))) {
            fn(ctx, side, im->px[side][i], 0); /* gone */
            changes++; i++;
        } else {
            fn(ctx, side, npx, nq); /* new */
            changes++; j++;
        }
    }
    if (nn > im->cap[side]) {
        int32_t cap = nn + 64;
        int64_t *px = realloc(im->px[side], sizeof(int64_t) * (size_t)cap);
        if (px) im->px[side] = px;
        int64_t *q = realloc(im->qty[side], sizeof(int64_t) * (size_t)cap);
        if (q) im->qty[side] = q;
        if (!px || !q) return -1;
        im->cap[side] = cap;
    }
    for (int32_t k = 0; k < nn; k++) th_book_level(bk, side, k, &im->px[side][k], &im->qty[side][k]);
    im->n[side] = nn;
    return changes;
}

void sim_image_free(sim_image *im)
{
    for (int side = 0; side < 2; side++) {
        free(im->px[side]);
        free(im->qty[side]);
        im->px[side] = im->qty[side] = NULL;
        im->n[side] = im->cap[side] = 0;
    }
}
