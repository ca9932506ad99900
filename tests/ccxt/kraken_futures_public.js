// kraken_futures_public.js — `tradehost sim --venue kraken-futures` (public WS v1 and REST) against
// an independent client. Run by tests/functional/test_sim_kraken_futures.sh (the sim --paused with
// the bundled Kraken Futures recording at --speed 5):
//   node kraken_futures_public.js ENDPOINTS_FILE RECORDING
// What it proves:
//  - a plain WS v1 client that subscribes before the replay starts gets {"event":"info"}, one
//    `subscribed` per product, a book_snapshot per product, then `book` deltas whose seq is
//    strictly +1 per product; the book it builds equals, after the data has ended, the sim's own
//    (GET /_sim/state, top 10), the REST orderbook (every level) and a reference built here from
//    the recording with Kraken Futures' rules (snapshot, then absolute qty per price, 0 deletes);
//  - trade, ticker (its last frame = the final top of book, last trade and the trades' volume),
//    ticker_lite and heartbeat feeds; errors "Invalid feed", "Invalid product id",
//    "Json Error"; private feeds refused with an alert;
//  - ccxt krakenfutures loads its markets from the sim's /derivatives/api/v3/instruments (product
//    ids upper-case, as the feeds spell them) and its
//    watchOrderBook top 10 equals the sim's on every recorded product;
//  - faults on one product: drop and gap leave a hole in seq (the client sees it), malformed sends
//    a frame that is not JSON; disconnect closes every public socket.
'use strict';
const fs = require('fs');
const WebSocket = require('ws');
const { ccxt, endpoints, getJson, request, check, sleep, sameLevels } = require('./sim_lib');

// Kraken Futures' book rules over the recording, independently of the sim
function reference(recording) {
  const books = {};
  for (const line of fs.readFileSync(recording, 'utf8').split('\n')) {
    const m = line.match(/^[0-9.]+: (\{"feed":"book(_snapshot)?".*\})$/);
    if (!m) continue;
    const d = JSON.parse(m[1]);
    if (d.feed === 'book_snapshot') {
      books[d.product_id] = { bids: new Map(d.bids.map((l) => [l.price, l.qty])), asks: new Map(d.asks.map((l) => [l.price, l.qty])) };
    } else if (books[d.product_id]) {
      const side = books[d.product_id][d.side === 'buy' ? 'bids' : 'asks'];
      if (d.qty === 0) side.delete(d.price); else side.set(d.price, d.qty);
    }
  }
  return books;
}

function sorted(book) {
  return { bids: [...book.bids.entries()].sort((a, b) => b[0] - a[0]), asks: [...book.asks.entries()].sort((a, b) => a[0] - b[0]) };
}

// A WS v1 client that keeps books, checking seq per product
function client(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const c = { ws, msgs: [], books: {}, seq: {}, gaps: [], bad: [], events: [], trades: 0, lite: 0, heartbeats: 0, tradeList: {}, tickers: {} };
    ws.on('message', (data) => {
      const text = String(data);
      let m;
      try { m = JSON.parse(text); } catch (e) { c.bad.push(text); return; }
      if (m.event) { c.events.push(m); return; }
      if (m.feed === 'book_snapshot') {
        c.books[m.product_id] = { bids: new Map(m.bids.map((l) => [l.price, l.qty])), asks: new Map(m.asks.map((l) => [l.price, l.qty])) };
        c.seq[m.product_id] = m.seq;
      } else if (m.feed === 'book') {
        if (m.seq !== c.seq[m.product_id] + 1) c.gaps.push({ product: m.product_id, after: c.seq[m.product_id], seq: m.seq });
        c.seq[m.product_id] = m.seq;
        const side = c.books[m.product_id][m.side === 'buy' ? 'bids' : 'asks'];
        if (m.qty === 0) side.delete(m.price); else side.set(m.price, m.qty);
      } else if (m.feed === 'trade') {
        check(typeof m.uid === 'string' && m.type === 'fill' && (m.side === 'buy' || m.side === 'sell') && m.qty > 0 && m.price > 0, `trade: ${text}`);
        c.trades++;
        (c.tradeList[m.product_id] = c.tradeList[m.product_id] || []).push(m);
      } else if (m.feed === 'ticker') {
        (c.tickers[m.product_id] = c.tickers[m.product_id] || []).push(m);
      } else if (m.feed === 'ticker_lite') {
        check(m.bid > 0 && m.ask > m.bid, `ticker_lite: ${text}`);
        c.lite++;
      } else if (m.feed === 'heartbeat') {
        c.heartbeats++;
      }
    });
    ws.on('error', reject);
    ws.on('open', () => resolve(c));
  });
}

const send = (c, o) => c.ws.send(typeof o === 'string' ? o : JSON.stringify(o));
async function until(cond, what, ms = 20000) {
  for (const t0 = Date.now(); !cond(); await sleep(20)) check(Date.now() - t0 < ms, `${what} within ${ms} ms`);
}

(async () => {
  const ep = await endpoints(['rest', 'ws_public', 'control'], ['ws_public', 'control']);
  const ref = reference(process.argv[3]);
  const products = Object.keys(ref);
  check(products.length === 10, `the recording has 10 products: ${products}`);
  const victim = 'PI_ETHUSD';

  // ---- subscribe before the replay starts ----
  const a = await client(ep.ws_public), b = await client(ep.ws_public);
  await until(() => a.events.length === 1 && b.events.length === 1, 'the info events');
  check(a.events[0].event === 'info' && a.events[0].version === 1, `info: ${JSON.stringify(a.events[0])}`);
  send(a, { event: 'subscribe', feed: 'book', product_ids: products.filter((p) => p !== victim).map((p) => p.toLowerCase()) });
  send(a, { event: 'subscribe', feed: 'trade', product_ids: ['PI_LTCUSD'] });
  send(a, { event: 'subscribe', feed: 'ticker_lite', product_ids: ['FI_XBTUSD_210730'] });
  send(a, { event: 'subscribe', feed: 'ticker', product_ids: ['PI_LTCUSD'] });
  send(a, { event: 'subscribe', feed: 'heartbeat' });
  send(b, { event: 'subscribe', feed: 'book', product_ids: [victim] });
  await until(() => a.events.length === 1 + 9 + 1 + 1 + 1 + 1 && b.events.length === 2, 'the subscribed events');
  check(a.events.slice(1, 10).every((e) => e.event === 'subscribed' && e.feed === 'book' && e.product_ids.length === 1 && products.includes(e.product_ids[0])),
    `one subscribed per product, upper-case: ${JSON.stringify(a.events.slice(1, 10))}`);
  check(a.events.some((e) => e.event === 'subscribed' && e.feed === 'heartbeat'), 'heartbeat subscribed');
  // errors
  const nErr = a.events.length;
  send(a, { event: 'subscribe', feed: 'nope', product_ids: ['PI_XBTUSD'] });
  send(a, { event: 'subscribe', feed: 'book', product_ids: ['PI_NOPE'] });
  send(a, 'not json');
  send(a, { event: 'challenge', api_key: 'x' });
  await until(() => a.events.length === nErr + 4, 'the error events');
  const errs = a.events.slice(nErr).map((e) => `${e.event}:${e.message}`);
  check(errs[0] === 'error:Invalid feed' && errs[1] === 'error:Invalid product id' && errs[2] === 'error:Json Error' && errs[3].startsWith('alert:'),
    `errors: ${JSON.stringify(errs)}`);
  console.log('ok - info, one subscribed per product, errors Invalid feed / Invalid product id / Json Error, private feeds -> alert');

  // ---- the replay, with faults on the victim product ----
  check((await request('POST', ep.control + '/resume')).status === 200, 'resume');
  await until(() => b.seq[victim] !== undefined && Object.keys(a.seq).length === 9, 'the book snapshots');
  const s0 = b.seq[victim];
  await until(() => b.seq[victim] >= s0 + 20, 'deltas of the victim');
  const fault = async (f) => {
    const r = await request('POST', ep.control + '/fault', JSON.stringify(f));
    check(r.status === 200, `fault ${JSON.stringify(f)}: ${r.status} ${r.body}`);
  };
  await fault({ kind: 'drop', scope: victim.toLowerCase(), count: 1 });
  await until(() => b.gaps.length === 1, 'the seq gap after a dropped delta');
  await fault({ kind: 'gap', scope: victim.toLowerCase(), count: 3 });
  await until(() => b.gaps.length === 2, 'the seq gap after gap');
  check(b.gaps[0].seq === b.gaps[0].after + 2 && b.gaps[1].seq === b.gaps[1].after + 4, `the holes: ${JSON.stringify(b.gaps)}`);
  await fault({ kind: 'malformed', scope: victim.toLowerCase(), count: 1 });
  await until(() => b.bad.length === 1, 'a malformed frame');
  check(b.bad[0].startsWith('{"feed":"book"'), `malformed: the first half of a delta: ${b.bad[0]}`);
  console.log(`ok - faults on ${victim}: drop -> seq ${b.gaps[0].after} then ${b.gaps[0].seq}; gap x3 -> a hole of 3; malformed -> ${JSON.stringify(b.bad[0])}`);

  for (let i = 0; !(await getJson(ep.control + '/state')).data_ended; i++) { check(i < 400, 'the data ends'); await sleep(50); }
  await sleep(300);
  const st = await getJson(ep.control + '/state');
  check(a.gaps.length === 0, `no seq gap on the other products: ${JSON.stringify(a.gaps)}`);
  for (const p of products.filter((x) => x !== victim)) {
    const mine = sorted(a.books[p]), theirs = sorted(ref[p]), sim = st.books[p.toLowerCase()] || st.books[p];
    check(sim, `state has ${p}`);
    for (const side of ['bids', 'asks']) {
      check(mine[side].length === theirs[side].length && sameLevels(mine[side], theirs[side], mine[side].length),
        `${p} ${side}: the client's book (${mine[side].length} levels) = the reference (${theirs[side].length})`);
      check(sameLevels(mine[side], sim[side], 10), `${p} ${side}: the client's top 10 = the sim's: ${JSON.stringify(mine[side].slice(0, 3))} ${JSON.stringify(sim[side].slice(0, 3))}`);
    }
    const ob = await getJson(`${ep.rest}/derivatives/api/v3/orderbook?symbol=${p.toLowerCase()}`);
    check(ob.result === 'success' && sameLevels(ob.orderBook.bids, mine.bids, mine.bids.length) && ob.orderBook.bids.length === mine.bids.length &&
      sameLevels(ob.orderBook.asks, mine.asks, mine.asks.length), `${p}: REST orderbook = the client's book`);
  }
  check(a.trades >= 1 && a.lite >= 1 && a.heartbeats >= 1, `trades ${a.trades}, ticker_lite ${a.lite}, heartbeats ${a.heartbeats}`);
  console.log(`ok - 9 books from snapshot + deltas (seq +1) = the reference from the recording (every level) = REST orderbook, top 10 = GET /_sim/state; ${a.trades} trades, ${a.lite} ticker_lite, ${a.heartbeats} heartbeats`);

  // the `ticker` feed (PI_LTCUSD, subscribed with its book and trades before the replay): the last
  // one is the final best bid/ask with their sizes, the last trade's price, the replay's volume
  const tks = a.tickers.PI_LTCUSD || [], tk = tks[tks.length - 1], ltc = sorted(a.books.PI_LTCUSD), lt = a.tradeList.PI_LTCUSD || [];
  const vol = lt.reduce((v, t) => v + t.qty, 0);
  check(tks.length >= 2 && lt.length >= 1 && tk.bid === ltc.bids[0][0] && tk.bid_size === ltc.bids[0][1] && tk.ask === ltc.asks[0][0] && tk.ask_size === ltc.asks[0][1] &&
    tk.last === lt[lt.length - 1].price && Math.abs(tk.volume - vol) < 1e-9 && typeof tk.change === 'number' && tk.suspended === false && tk.time > 0,
    `ticker PI_LTCUSD (${tks.length}): ${JSON.stringify(tk)}; book ${JSON.stringify([ltc.bids[0], ltc.asks[0]])}, last trade ${lt.length && lt[lt.length - 1].price}, volume ${vol}`);
  console.log(`ok - ticker PI_LTCUSD: ${tks.length} frames, the last = the final best bid/ask and sizes, last trade ${tk.last}, volume ${tk.volume} = the ${lt.length} trades'`);

  // ---- ccxt ----
  const ex = new ccxt.pro.krakenfutures({ enableRateLimit: false, timeout: 10000 });
  ex.urls.api.public = ep.rest + '/derivatives/api/';
  ex.urls.api.ws = ep.ws_public;
  await ex.loadHttpProxyAgent();
  await ex.loadMarkets();
  for (const p of products) {
    const market = ex.markets_by_id[p][0];
    const ob = await ex.watchOrderBook(market.symbol);
    const sim = st.books[p.toLowerCase()] || st.books[p];
    check(sameLevels(ob.bids, sim.bids, 10) && sameLevels(ob.asks, sim.asks, 10), `ccxt ${market.symbol}: top 10 = the sim's`);
  }
  console.log(`ok - ccxt krakenfutures: markets from the sim's instruments, watchOrderBook top 10 = the sim's on all ${products.length} products`);

  // ---- disconnect ----
  const closed = Promise.all([a, b].map((c) => new Promise((res) => c.ws.on('close', res))));
  await fault({ kind: 'disconnect', scope: 'public' });
  check(await Promise.race([closed.then(() => true), sleep(3000).then(() => false)]), 'disconnect closes the public sockets');
  console.log('ok - disconnect closes every public socket');
  await ex.close();
  console.log('PASS');
  process.exit(0);
})().catch((e) => { console.error('FAIL: ' + (e.stack || e)); process.exit(1); });
