/* venue_table.c — the one table of venue market-data parsers (see feed/venue_feed.h). A new venue
 * adds its ops in its own file and one row here. */
#include "../feed/venue_feed.h"

extern const th_venue_feed_ops th_kraken_feed_ops;
extern const th_venue_feed_ops th_kraken_futures_feed_ops;
extern const th_venue_feed_ops th_binance_feed_ops;
extern const th_venue_feed_ops th_binance_usdm_feed_ops;

static const th_venue_feed_ops *const table[TH_VENUE_COUNT] = {
    [TH_VENUE_KRAKEN] = &th_kraken_feed_ops,
    [TH_VENUE_KRAKEN_FUTURES] = &th_kraken_futures_feed_ops,
    [TH_VENUE_BINANCE] = &th_binance_feed_ops,
    [TH_VENUE_BINANCE_USDM] = &th_binance_usdm_feed_ops,
    /* the paper venue's market data is a real venue's; sessions name it with venue.feed */
    [TH_VENUE_SIM] = &th_kraken_feed_ops,
};

const th_venue_feed_ops *th_venue_feed_ops_for(th_venue_id venue)
{
    return (unsigned)venue < TH_VENUE_COUNT ? table[venue] : NULL;
}
