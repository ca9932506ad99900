// binance_lib.js — helpers for the ccxt tests of `tradehost sim --venue binance`: the endpoints
// line, a ccxt pro binance client pointed at the sim, and an independent reference book built from
// the recording and its REST snapshots with Binance's documented sync rules (plain JS, no
// tradehost code).
'use strict';
const fs = require('fs');
const { ccxt, endpoints, sleep } = require('./sim_lib');

// Binance announces its REST, streams and WebSocket API URLs (the last two differ).
function binanceEndpoints() {
  return endpoints(['rest', 'ws_streams', 'ws_api', 'control'], ['ws_streams', 'ws_api']);
}

// ccxt pro binance with every REST base URL moved to the sim (https://api.binance.com/api/v3 ->
// <rest>/api/v3, and so on), the spot streams and the WebSocket API on the sim's, and markets
// from GET /api/v3/exchangeInfo only (no currencies, no margin lists: the sim has no /sapi).
async function binanceClient(ep, extra = {}) {
  const ex = new ccxt.pro.binance(Object.assign({
    enableRateLimit: false, timeout: 10000,
    options: { fetchMarkets: { types: ['spot'] }, fetchCurrencies: false, fetchMargins: false },
  }, extra));
  for (const [k, v] of Object.entries(ex.urls.api))
    if (typeof v === 'string') ex.urls.api[k] = v.replace(/^https:\/\/[^/]+/, ep.rest);
  ex.urls.api.ws = Object.assign({}, ex.urls.api.ws, { spot: ep.ws_streams, 'ws-api': Object.assign({}, ex.urls.api.ws['ws-api'], { spot: ep.ws_api }) });
  await ex.loadHttpProxyAgent(); // ccxt refuses ws:// without it
  await ex.loadMarkets();
  return ex;
}

// The recording's books, rebuilt as Binance documents it: per symbol the REST depth snapshot
// (lastUpdateId), then every diff of the recording with u > lastUpdateId applied in order
// (quantity 0 deletes), checking that the chain has no hole (U == previous u + 1).
function binanceReference(wsRecording, snapshotsFile) {
  const snaps = {};
  for (const line of fs.readFileSync(snapshotsFile, 'utf8').split('\n')) {
    const m = line.match(/depth\?symbol=([A-Z0-9]+)&limit=\d+ -> [0-9.]+: (\{.*\})$/);
    if (m && !snaps[m[1]]) snaps[m[1]] = JSON.parse(m[2]);
  }
  const books = {};
  for (const [sym, s] of Object.entries(snaps)) {
    books[sym] = { last: s.lastUpdateId, bids: new Map(), asks: new Map() };
    for (const [p, q] of s.bids) books[sym].bids.set(Number(p), Number(q));
    for (const [p, q] of s.asks) books[sym].asks.set(Number(p), Number(q));
  }
  for (const line of fs.readFileSync(wsRecording, 'utf8').split('\n')) {
    const m = line.match(/^[0-9.]+: (\{"stream":"[a-z0-9]+@depth@100ms".*\})$/);
    if (!m) continue;
    const d = JSON.parse(m[1]).data, b = books[d.s];
    if (!b || d.u <= b.last) continue;
    if (b.chained && d.U !== b.last + 1) throw new Error(`reference: ${d.s} chain hole at U=${d.U} after u=${b.last}`);
    b.chained = true;
    for (const [p, q] of d.b) { if (Number(q) === 0) b.bids.delete(Number(p)); else b.bids.set(Number(p), Number(q)); }
    for (const [p, q] of d.a) { if (Number(q) === 0) b.asks.delete(Number(p)); else b.asks.set(Number(p), Number(q)); }
    b.last = d.u;
  }
  const out = {};
  for (const [sym, b] of Object.entries(books))
    out[sym] = { bids: [...b.bids.entries()].sort((x, y) => y[0] - x[0]), asks: [...b.asks.entries()].sort((x, y) => x[0] - y[0]) };
  return out;
}

module.exports = { binanceEndpoints, binanceClient, binanceReference };
