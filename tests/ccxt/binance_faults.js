// binance_faults.js — POST /_sim/fault against `tradehost sim --venue binance`, on the wire: the
// sequence gap the issue names for Binance, a malformed frame, and a disconnect of one socket then
// of all. Run by tests/functional/test_sim_binance_public.sh (its second sim: --paused, then the
// bundled recording at --speed 20):
//   node binance_faults.js ENDPOINTS_FILE
// What it proves:
//  - `gap` on one symbol (count 1): of two connections on that symbol's @depth@100ms, exactly one
//    misses exactly one depthUpdate — its U/u chain has one hole, where the other connection got
//    the missing diff — and a client that follows Binance's recipe on seeing the hole (fetch
//    /api/v3/depth, drop u <= lastUpdateId, chain on) ends with the sim's book;
//  - `malformed` on another symbol: one frame that is not JSON (its diff lost: one hole);
//  - `latency` (count 1) delays one REST answer;
//  - `disconnect` with count 1 closes one of the two public sockets; scope "all" the other.
'use strict';
const WebSocket = require('ws');
const { request, getJson, sameLevels, sleep, check } = require('./sim_lib');
const { binanceEndpoints } = require('./binance_lib');

const sorted = (m, side) => [...m.entries()].sort((x, y) => side === 'bids' ? y[0] - x[0] : x[0] - y[0]);

function client(url, ep, gapSym) {
  const c = { frames: {}, holes: {}, last: {}, bad: 0, closed: false, books: {}, resyncs: 0, pending: [] };
  const ws = new WebSocket(url);
  c.ws = ws;
  // Binance's recipe for gapSym: apply diffs that chain; on a hole, fetch the REST depth and drop
  // the diffs it already holds
  const apply = (b, d) => {
    for (const [p, q] of d.b) { if (Number(q) === 0) b.bids.delete(Number(p)); else b.bids.set(Number(p), Number(q)); }
    for (const [p, q] of d.a) { if (Number(q) === 0) b.asks.delete(Number(p)); else b.asks.set(Number(p), Number(q)); }
    b.last = d.u;
  };
  const resync = async () => {
    c.resyncs++;
    const r = await getJson(`${ep.rest}/api/v3/depth?symbol=${gapSym}&limit=5000`);
    const b = { last: r.lastUpdateId, bids: new Map(r.bids.map(([p, q]) => [Number(p), Number(q)])), asks: new Map(r.asks.map(([p, q]) => [Number(p), Number(q)])) };
    for (const d of c.pending) if (d.u > b.last) apply(b, d);
    c.pending = [];
    c.books[gapSym] = b;
  };
  ws.on('message', (buf) => {
    const t = buf.toString();
    let m;
    try { m = JSON.parse(t); } catch (e) { c.bad++; return; }
    const d = m.data;
    if (!d || d.e !== 'depthUpdate') return;
    c.frames[d.s] = (c.frames[d.s] || []).concat([[d.U, d.u]]);
    const prev = c.last[d.s] === undefined ? 0 : c.last[d.s];
    if (d.U !== prev + 1) (c.holes[d.s] = c.holes[d.s] || []).push([prev, d.U]);
    c.last[d.s] = d.u;
    if (d.s === gapSym) {
      const b = c.books[gapSym];
      if (!b) { c.pending.push(d); return; }
      if (d.U !== b.last + 1) { c.pending.push(d); c.books[gapSym] = null; resync(); return; }
      apply(b, d);
    }
  });
  ws.on('close', () => { c.closed = true; });
  c.ready = new Promise((res, rej) => { ws.on('open', res); ws.on('error', rej); });
  return c;
}

(async () => {
  const ep = await binanceEndpoints();
  const gapSym = 'NKNUSDT', badSym = 'LRCBTC'; // two of the recording's symbols
  const url = (syms) => `${ep.ws_streams}?streams=${syms.map((s) => s.toLowerCase() + '@depth@100ms').join('/')}`;
  const A = client(url([gapSym, badSym]), ep, gapSym), B = client(url([gapSym]), ep, gapSym);
  await Promise.all([A.ready, B.ready]);
  // the book before the replay: empty, lastUpdateId 0 (the recipe's starting point)
  for (const c of [A, B]) c.books[gapSym] = { last: 0, bids: new Map(), asks: new Map() };
  const fault = async (f) => {
    const r = await request('POST', ep.control + '/fault', JSON.stringify(f));
    check(r.status === 200 && JSON.parse(r.body).ok, `fault ${JSON.stringify(f)}: ${r.status} ${r.body}`);
    return JSON.parse(r.body);
  };
  await fault({ kind: 'malformed', scope: badSym, count: 1 });
  check((await request('POST', ep.control + '/resume')).status === 200, 'resume');
  // the gap once the diffs flow (not the first, which carries the whole book)
  for (let i = 0; i < 200 && !((A.frames[gapSym] || []).length >= 5 && (B.frames[gapSym] || []).length >= 5); i++) await sleep(5);
  await fault({ kind: 'gap', scope: gapSym, count: 1 });
  for (let i = 0; i < 600 && !(await getJson(ep.control + '/state')).data_ended; i++) await sleep(50);
  await sleep(500);
  const st = await getJson(ep.control + '/state');
  check(st.data_ended, 'the replay ended');

  // the gap: one connection, one hole, the missing diff the other connection's
  const [holey, whole] = (A.holes[gapSym] || []).length ? [A, B] : [B, A];
  const h = holey.holes[gapSym] || [];
  check(h.length === 1 && !(whole.holes[gapSym] || []).length, `gap 1 on ${gapSym}: holes ${JSON.stringify(A.holes[gapSym])} and ${JSON.stringify(B.holes[gapSym])}`);
  const fw = whole.frames[gapSym], fh = holey.frames[gapSym];
  check(fw.length === fh.length + 1, `${gapSym}: ${fh.length} diffs with the hole, ${fw.length} without`);
  const missing = fw.find(([U]) => !fh.some(([U2]) => U2 === U));
  check(missing && missing[0] === h[0][0] + 1 && missing[1] + 1 === h[0][1], `the hole ${JSON.stringify(h[0])} is exactly the diff ${JSON.stringify(missing)}`);
  for (const c of [A, B]) {
    const b = c.books[gapSym];
    check(b && sameLevels(sorted(b.bids, 'bids'), st.books[gapSym].bids, 10) && sameLevels(sorted(b.asks, 'asks'), st.books[gapSym].asks, 10),
      `the recipe's book of ${gapSym} (${c.resyncs} resyncs) equals GET /_sim/state`);
  }
  check(holey.resyncs === 1 && whole.resyncs === 0, `one resync on the connection with the hole: ${holey.resyncs}, ${whole.resyncs}`);
  console.log(`ok - gap 1 on ${gapSym}: one connection missed diff U=${missing[0]} u=${missing[1]} (${fh.length} of ${fw.length} diffs), saw the hole, resynced from REST depth: its book = GET /_sim/state`);

  check(A.bad === 1 && B.bad === 0 && (A.holes[badSym] || []).length === 1, `malformed 1 on ${badSym}: ${A.bad} frame(s) not JSON on A, ${B.bad} on B, holes ${JSON.stringify(A.holes[badSym])}`);
  console.log(`ok - malformed 1 on ${badSym}: one frame that is not JSON (the diff it carried is a hole in the chain: ${JSON.stringify(A.holes[badSym][0])})`);

  // latency on a REST answer (the Kraken fault test times it on websocket answers)
  await fault({ kind: 'latency', scope: 'public', latency_ms: 300, count: 1 });
  const timed = async () => { const t0 = Date.now(); const x = await request('GET', ep.rest + '/api/v3/ping'); check(x.status === 200, 'ping'); return Date.now() - t0; };
  const slow = await timed(), fast = await timed();
  check(slow >= 290 && fast < 200, `latency 300 ms on one REST answer: ${slow} ms, then ${fast} ms`);
  console.log(`ok - latency 300 ms, count 1: GET /api/v3/ping answered in ${slow} ms, the next in ${fast} ms`);

  let r = await fault({ kind: 'disconnect', scope: 'public', count: 1 });
  check(r.closed === 1, `disconnect count 1: ${JSON.stringify(r)}`);
  for (let i = 0; i < 100 && !(A.closed || B.closed); i++) await sleep(20);
  check(A.closed !== B.closed, `one socket of two closed: A ${A.closed}, B ${B.closed}`);
  r = await fault({ kind: 'disconnect', scope: 'all' });
  check(r.closed === 1, `disconnect all: ${JSON.stringify(r)}`);
  for (let i = 0; i < 100 && !(A.closed && B.closed); i++) await sleep(20);
  check(A.closed && B.closed, 'both closed');
  console.log('ok - disconnect count 1 closed one public socket of two; scope all the other');
  console.log('PASS');
  process.exit(0);
})().catch((e) => { console.error('FAIL: ' + (e && e.stack || e)); process.exit(1); });
