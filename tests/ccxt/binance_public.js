// binance_public.js — ccxt (and raw websocket clients) against `tradehost sim --venue binance`,
// public side. Run by tests/functional/test_sim_binance_public.sh with the sim replaying the bundled
// Binance spot recording and its REST depth snapshots at 5x the recorded pace, held by --paused
// until the clients have subscribed:
//   node binance_public.js ENDPOINTS_FILE WS_RECORDING SNAPSHOTS_FILE
// What it proves:
//  - ccxt's loadMarkets reads the sim's GET /api/v3/exchangeInfo (precision and limits from the
//    instrument data's PRICE_FILTER, LOT_SIZE and NOTIONAL);
//  - ccxt's watchOrderBook on every recorded symbol (one client from the start, one joining while
//    the books move: buffer diffs, REST snapshot, drop u <= lastUpdateId, chain U == u + 1): after
//    the data has ended its top 10 equals GET /_sim/state's book and a reference built here from the
//    recording and its snapshots with Binance's documented rules (no tradehost code);
//  - a raw combined-stream client (/stream?streams=...): every diff continues the chain
//    (U == previous u + 1 per symbol), events wrapped as {"stream","data"}, @trade carries every
//    recorded trade, the last @bookTicker is the final best bid/ask;
//  - a raw /ws client: live SUBSCRIBE -> {"result":null,"id":1}, bare events, LIST_SUBSCRIPTIONS,
//    errors for an unknown stream (code 2) and for garbage (code 3) without losing the connection,
//    and a book rebuilt by Binance's recipe while the data plays equal to the reference;
//  - REST errors in Binance's shape (-1121 unknown symbol, -1102 missing symbol).
'use strict';
const fs = require('fs');
const WebSocket = require('ws');
const { request, getJson, sameLevels, sleep, check } = require('./sim_lib');
const { binanceEndpoints, binanceClient, binanceReference } = require('./binance_lib');

const wsRec = process.argv[3], snapFile = process.argv[4];

function applyDiff(b, d) {
  for (const [p, q] of d.b) { if (Number(q) === 0) b.bids.delete(Number(p)); else b.bids.set(Number(p), Number(q)); }
  for (const [p, q] of d.a) { if (Number(q) === 0) b.asks.delete(Number(p)); else b.asks.set(Number(p), Number(q)); }
}
function fromRest(r) {
  return { last: r.lastUpdateId, bids: new Map(r.bids.map(([p, q]) => [Number(p), Number(q)])), asks: new Map(r.asks.map(([p, q]) => [Number(p), Number(q)])) };
}
const sorted = (m, side) => [...m.entries()].sort((x, y) => side === 'bids' ? y[0] - x[0] : x[0] - y[0]);

(async () => {
  const ep = await binanceEndpoints();
  const ref = binanceReference(wsRec, snapFile);
  const ids = Object.keys(ref).sort();
  check(ids.length === 4, `the recording has 4 symbols with snapshots, got ${ids}`);

  // markets from the sim's exchangeInfo
  const ex = await binanceClient(ep);
  const syms = ids.map((id) => ex.safeSymbol(id, undefined, undefined, 'spot'));
  for (const s of syms) check(ex.markets[s] && ex.markets[s].spot && ex.markets[s].active, `ccxt has no active spot market ${s}`);
  const nkn = ex.market('NKN/USDT');
  check(nkn.id === 'NKNUSDT' && nkn.precision.price === 0.0001 && nkn.precision.amount === 1 && nkn.limits.amount.min === 1 && nkn.limits.cost.min === 10,
        `NKN/USDT precision and limits from the instrument data: ${JSON.stringify([nkn.precision, nkn.limits])}`);
  console.log(`ok - ccxt loadMarkets from GET /api/v3/exchangeInfo: ${Object.keys(ex.markets).length} markets; ${syms.join(' ')}`);

  let r = await request('GET', ep.rest + '/api/v3/depth?symbol=NOPEUSDT');
  check(r.status === 400 && JSON.parse(r.body).code === -1121, `unknown symbol: ${r.status} ${r.body}`);
  r = await request('GET', ep.rest + '/api/v3/depth');
  check(r.status === 400 && JSON.parse(r.body).code === -1102, `missing symbol: ${r.status} ${r.body}`);
  r = await getJson(ep.rest + '/api/v3/time');
  check(Math.abs(r.serverTime - Date.now()) < 5000, `GET /api/v3/time: ${JSON.stringify(r)}`);
  check(JSON.stringify(await getJson(ep.rest + '/api/v3/ping')) === '{}', 'GET /api/v3/ping is {}');
  console.log('ok - REST errors in Binance\'s shape (-1121, -1102), time, ping');

  // raw combined client, connected before the replay starts: the books are empty (lastUpdateId 0)
  const lower = ids.map((i) => i.toLowerCase());
  const names = lower.flatMap((l) => [`${l}@depth@100ms`, `${l}@trade`, `${l}@bookTicker`]);
  const comb = { last: {}, diffs: 0, holes: [], trades: 0, tickers: {}, unwrapped: 0, books: {} };
  const wsc = new WebSocket(`${ep.ws_streams}?streams=${names.join('/')}`);
  wsc.on('message', (buf) => {
    const m = JSON.parse(buf.toString());
    if (!m.stream || !m.data) { comb.unwrapped++; return; }
    const d = m.data;
    if (d.e === 'depthUpdate') {
      check(m.stream === `${d.s.toLowerCase()}@depth@100ms`, `stream name ${m.stream}`);
      const prev = comb.last[d.s] === undefined ? 0 : comb.last[d.s];
      if (d.U !== prev + 1 || d.u < d.U) comb.holes.push(`${d.s} U=${d.U} u=${d.u} after ${prev}`);
      comb.last[d.s] = d.u;
      comb.diffs++;
      applyDiff(comb.books[d.s], d);
    } else if (d.e === 'trade') comb.trades++;
    else if (m.stream.endsWith('@bookTicker')) comb.tickers[d.s] = d;
  });
  await new Promise((res, rej) => { wsc.on('open', res); wsc.on('error', rej); });
  for (const id of ids) {
    const d = await getJson(`${ep.rest}/api/v3/depth?symbol=${id}&limit=1000`);
    check(d.lastUpdateId === 0 && d.bids.length === 0, `before the replay the book of ${id} is empty with lastUpdateId 0: ${JSON.stringify(d).slice(0, 200)}`);
    comb.books[id] = fromRest(d);
  }

  // raw /ws client with live requests
  const raw = { acks: [], errors: [], lists: [], diffs: [], wrapped: 0 };
  const wsr = new WebSocket(ep.ws_streams.replace(/\/stream$/, '/ws'));
  wsr.on('message', (buf) => {
    const m = JSON.parse(buf.toString());
    if (m.stream) raw.wrapped++;
    if (m.e === 'depthUpdate') raw.diffs.push(m);
    else if (m.error) raw.errors.push(m);
    else if (Array.isArray(m.result)) raw.lists.push(m);
    else if ('result' in m) raw.acks.push(m);
  });
  await new Promise((res, rej) => { wsr.on('open', res); wsr.on('error', rej); });
  wsr.send(JSON.stringify({ method: 'SUBSCRIBE', params: ['nopeusdt@depth@100ms'], id: 2 }));
  wsr.send('this is not json');

  // ccxt from the start
  let done = false;
  const updates = { a: 0, b: 0 };
  const watch = (client, tag) => {
    for (const s of syms)
      (async () => {
        while (!done) { await client.watchOrderBook(s); updates[tag]++; }
      })().catch((e) => { if (!done) { console.error(`FAIL: watchOrderBook ${s}: ${e}`); process.exit(1); } });
  };
  watch(ex, 'a');
  await sleep(1500);
  const resumed = await request('POST', ep.control + '/resume');
  check(resumed.status === 200 && JSON.parse(resumed.body).resumed === true, `POST /_sim/resume: ${resumed.status} ${resumed.body}`);

  // a second ccxt client and the raw /ws subscription join while the books move
  await sleep(1200);
  wsr.send(JSON.stringify({ method: 'SUBSCRIBE', params: ['nknusdt@depth@100ms'], id: 1 }));
  const ex2 = await binanceClient(ep);
  watch(ex2, 'b');
  await sleep(300);
  const snap = await getJson(`${ep.rest}/api/v3/depth?symbol=NKNUSDT&limit=1000`);
  wsr.send(JSON.stringify({ method: 'LIST_SUBSCRIPTIONS', id: 3 }));

  let state;
  for (let i = 0; ; i++) {
    state = await getJson(ep.control + '/state');
    if (state.data_ended) break;
    check(i < 600, 'the data did not end within 60 s');
    await sleep(100);
  }
  check(state.records === 266, `the whole recording played: ${state.records} records`);
  const eq = (a, b) => sameLevels(a.bids, b.bids, 10) && sameLevels(a.asks, b.asks, 10);
  const settled = () => syms.every((s, k) => ex.orderbooks[s] && ex2.orderbooks[s] && eq(ex.orderbooks[s], state.books[ids[k]]) && eq(ex2.orderbooks[s], state.books[ids[k]]));
  for (let i = 0; i < 100 && !settled(); i++) await sleep(50);
  for (let k = 0; k < ids.length; k++) {
    const s = syms[k], id = ids[k];
    check(state.books[id], `GET /_sim/state has no book ${id}`);
    for (const [c, n] of [[ex, 'first'], [ex2, 'joining']]) {
      const b = c.orderbooks[s];
      check(b && eq(b, state.books[id]), `ccxt (${n}) ${s} top 10 differs from GET /_sim/state:\nccxt ${JSON.stringify(b && [b.bids.slice(0, 10), b.asks.slice(0, 10)])}\nsim  ${JSON.stringify(state.books[id])}`);
      check(eq(b, ref[id]), `ccxt (${n}) ${s} top 10 differs from the reference:\nccxt ${JSON.stringify([b.bids.slice(0, 10), b.asks.slice(0, 10)])}\nref  ${JSON.stringify([ref[id].bids.slice(0, 10), ref[id].asks.slice(0, 10)])}`);
    }
  }
  console.log(`ok - ccxt watchOrderBook on ${syms.length} symbols (${updates.a} + ${updates.b} updates; one client from the start, one joining mid-replay): after the data ended the top 10 equals GET /_sim/state and the reference built from the recording`);

  // the combined raw client
  check(comb.holes.length === 0, `${comb.holes.length} diffs break the chain, first: ${comb.holes[0]}`);
  check(comb.unwrapped === 0, `${comb.unwrapped} frames on /stream were not wrapped as {"stream","data"}`);
  check(comb.diffs >= 150, `few diffs: ${comb.diffs}`);
  for (const id of ids) {
    const b = comb.books[id];
    check(sameLevels(sorted(b.bids, 'bids'), ref[id].bids, ref[id].bids.length) && sameLevels(sorted(b.asks, 'asks'), ref[id].asks, ref[id].asks.length),
          `combined client ${id}: the whole book rebuilt from lastUpdateId 0 and the diffs differs from the reference`);
    const t = comb.tickers[id];
    check(t && Number(t.b) === ref[id].bids[0][0] && Number(t.B) === ref[id].bids[0][1] && Number(t.a) === ref[id].asks[0][0] && Number(t.A) === ref[id].asks[0][1] && t.u > 0 && t.u <= comb.last[id],
          `last bookTicker of ${id} is the final best bid/ask with u within the chain: ${JSON.stringify(t)}`);
  }
  const recTrades = fs.readFileSync(wsRec, 'utf8').split('\n').filter((l) => /"e":"(agg)?[tT]rade"/.test(l)).length;
  check(recTrades > 0 && comb.trades === recTrades, `@trade: ${comb.trades} trades, the recording has ${recTrades}`);
  console.log(`ok - combined streams: ${comb.diffs} diffs, every one U == previous u + 1, each whole book (every level) equal to the reference; ${comb.trades} trades = the recording's; last bookTicker = final best`);

  // the raw /ws client
  check(raw.wrapped === 0, '/ws events are bare');
  check(raw.acks.some((a) => a.id === 1 && a.result === null), `SUBSCRIBE id 1 answered {"result":null,"id":1}: ${JSON.stringify(raw.acks)}`);
  check(raw.errors.some((e) => e.id === 2 && e.error.code === 2 && /nopeusdt/.test(e.error.msg)), `unknown stream: ${JSON.stringify(raw.errors)}`);
  check(raw.errors.some((e) => e.id === null && e.error.code === 3), `garbage: ${JSON.stringify(raw.errors)}`);
  check(raw.lists.some((l) => l.id === 3 && JSON.stringify(l.result) === '["nknusdt@depth@100ms"]'), `LIST_SUBSCRIPTIONS: ${JSON.stringify(raw.lists)}`);
  // Binance's recipe: drop u <= lastUpdateId; the first kept must straddle it; then chain
  const b = fromRest(snap);
  const kept = raw.diffs.filter((d) => d.u > snap.lastUpdateId);
  check(kept.length > 0 && kept[0].U <= snap.lastUpdateId + 1 && kept[0].u >= snap.lastUpdateId + 1, `first diff after the snapshot (lastUpdateId ${snap.lastUpdateId}): ${JSON.stringify(kept[0])}`);
  for (let i = 0; i < kept.length; i++) {
    if (i) check(kept[i].U === kept[i - 1].u + 1, `chain hole after u=${kept[i - 1].u}`);
    applyDiff(b, kept[i]);
  }
  check(sameLevels(sorted(b.bids, 'bids'), ref.NKNUSDT.bids, 1000) && sameLevels(sorted(b.asks, 'asks'), ref.NKNUSDT.asks, 1000),
        'raw /ws client: snapshot mid-replay + diffs differs from the reference');
  console.log(`ok - /ws: live SUBSCRIBE, LIST_SUBSCRIPTIONS, errors code 2 and 3; snapshot mid-replay (lastUpdateId ${snap.lastUpdateId}) + ${kept.length} diffs = the reference book`);

  // a client joining after the data ended gets the final books
  const late = await binanceClient(ep);
  for (let k = 0; k < ids.length; k++) {
    const ob = await late.watchOrderBook(syms[k]);
    check(eq(ob, ref[ids[k]]), `late client ${syms[k]} equals the reference`);
  }
  console.log('ok - a client joining after the data ended gets the final books');
  done = true;
  for (const c of [ex, ex2, late]) await c.close();
  wsc.close();
  wsr.close();
  console.log('PASS');
  process.exit(0);
})().catch((e) => { console.error('FAIL: ' + (e.stack || e)); process.exit(1); });
