/* market.h — the process's market data registry: which feeds exist, and book ids for Lua.
 *
 * FFI functions carry no context pointer, so the feeds a session runs are registered here and a
 * book is named to Lua by an int32 id: (feed slot << 24) | instrument index. Ids are stable for
 * the life of the feed, so a strategy can cache them across calls and across reloads. */
#ifndef TH_MARKET_H
#define TH_MARKET_H

#include "feed.h"

#define TH_MARKET_MAX_FEEDS 8

int th_market_add(th_feed *f);       /* returns the slot or -1 */
void th_market_remove(th_feed *f);
/* Resolve a book id to its book (NULL if unknown or never seen). */
const th_book *th_market_book(int32_t id);

#endif
