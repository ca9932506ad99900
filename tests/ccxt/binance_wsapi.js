// binance_wsapi.js — Binance's WebSocket API of `tradehost sim --venue binance` with ccxt, and its
// REST request-weight limit. Run by tests/functional/test_sim_binance_wsapi.sh (the sim at
// --pace full with --ws-ping-ms 200; one generated account, key and secret in the endpoints line):
//   node binance_wsapi.js ENDPOINTS_FILE
// What it proves:
//  - ccxt's watchOrders (userDataStream.subscribe.signature, then executionReport events),
//    createOrderWs (order.place), fetchOpenOrdersWs (openOrders.status), cancelOrderWs
//    (order.cancel) and watchBalance (outboundAccountPosition) work as against Binance and agree
//    with GET /_sim/state; a market order's fills arrive as TRADE events;
//  - Binance's refusals reach ccxt as its mapped errors (-2010 post-only crossing, -2011 unknown
//    order, -1022 a wrong secret);
//  - by hand: params signed sorted (sent in any order), -1022 / -1021 / -1102 / -1020, rateLimits
//    left out with returnRateLimits=false, server pings every 200 ms, a client that never pongs (10 s)
//    is cut;
//  - the rate_limit fault: REST 429 with Retry-After (-1015 signed, -1003 public), WS API 429;
//  - the real weight limit: REST depth?limit=5000 (weight 250) until 429 with Retry-After, the
//    X-MBX-USED-WEIGHT-1M header counting up to 6000 and no further; ccxt raises DDoSProtection;
//    the WebSocket API shares the counter (429, -1003, data.retryAfter).
'use strict';
const crypto = require('crypto');
const http = require('http');
const WebSocket = require('ws');
const { ccxt, getJson, request, check, sleep } = require('./sim_lib');
const { binanceEndpoints, binanceClient } = require('./binance_lib');

function raw(method, url, headers = {}, body = undefined) {
  return new Promise((resolve, reject) => {
    if (body) Object.assign(headers, { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': Buffer.byteLength(body) });
    const req = http.request(url, { method, headers }, (res) => {
      let data = '';
      res.on('data', (c) => { data += c; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: data }));
    });
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

// A plain WebSocket API client: send(method, params) -> the answer with that id (rejected if the
// socket closes first, or after 10 s).
function apiClient(url, opts = {}) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, opts);
    const waiting = new Map(), events = [];
    let next = 1;
    ws.pings = 0;
    ws.on('ping', () => { ws.pings++; });
    ws.on('message', (d) => {
      const m = JSON.parse(String(d));
      if (m.subscriptionId !== undefined && m.event) { events.push(m); return; }
      const w = waiting.get(String(m.id));
      if (w) { waiting.delete(String(m.id)); w.resolve(m); }
    });
    ws.on('close', () => { for (const w of waiting.values()) w.reject(new Error('the WebSocket API connection closed')); waiting.clear(); });
    ws.on('error', reject);
    ws.on('open', () => resolve({
      ws, events,
      send(method, params) {
        const id = String(next++);
        const p = new Promise((res, rej) => {
          waiting.set(id, { resolve: res, reject: rej });
          setTimeout(() => { if (waiting.delete(id)) rej(new Error(`${method}: no answer within 10 s`)); }, 10000);
        });
        ws.send(JSON.stringify(params === undefined ? { id, method } : { id, method, params }));
        return p;
      },
    }));
  });
}

// Binance's WebSocket API signing: every param but signature, sorted by name, name=value joined with &
function signWs(params, secret) {
  const q = Object.keys(params).sort().map((k) => `${k}=${params[k]}`).join('&');
  return Object.assign({}, params, { signature: crypto.createHmac('sha256', secret).update(q).digest('hex') });
}

// ccxt maps Binance's code (or its message) to an error class; its message carries the code or msg
async function expectError(p, cls, code, what, msg = '\u0000') {
  try { await p; } catch (e) {
    check(e instanceof cls && (String(e.message).includes(String(code)) || String(e.message).includes(msg)),
      `${what}: expected ${cls.name} with ${code}, got ${e.constructor.name}: ${e.message}`);
    return e;
  }
  check(false, `${what}: expected ${cls.name} ${code}, it succeeded`);
}

// the watchOrders result, until one order of the list satisfies pred (5 s at most)
async function watchUntil(ex, sym, pred, what) {
  const t0 = Date.now();
  for (;;) {
    const os = await Promise.race([ex.watchOrders(sym), sleep(5000).then(() => null)]);
    check(os !== null && Date.now() - t0 < 5000, `watchOrders: ${what} within 5 s`);
    const o = os.find(pred);
    if (o) return o;
  }
}

(async () => {
  const ep = await binanceEndpoints();
  check(ep.key && ep.secret, 'the endpoints line carries the generated account');
  const sym = 'NKN/USDT';
  const state0 = await getJson(ep.control + '/state');
  check(state0.data_ended, 'the data has ended (--pace full)');
  const bid = Number(state0.books.NKNUSDT.bids[0][0]), ask = Number(state0.books.NKNUSDT.asks[0][0]);

  // ---- by hand ----
  const c = await apiClient(ep.ws_api);
  // a client that never answers the server's pings: cut after three intervals, at least 10 s
  const mute = await apiClient(ep.ws_api, { autoPong: false });
  const muteOpened = Date.now();
  const muteClosed = new Promise((res) => mute.ws.on('close', () => res(Date.now())));
  let a = await c.send('ping', {});
  check(a.status === 200 && JSON.stringify(a.result) === '{}' && a.rateLimits[0].rateLimitType === 'REQUEST_WEIGHT' && a.rateLimits[0].limit === 6000,
    `ping: ${JSON.stringify(a)}`);
  a = await c.send('time');
  check(a.status === 200 && Math.abs(a.result.serverTime - Date.now()) < 5000, `time: ${JSON.stringify(a)}`);
  // params in any order: the signature is over the sorted ones
  const px0 = Number((bid - 0.002).toFixed(4));
  const placeParams = { symbol: 'NKNUSDT', timestamp: Date.now(), side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '100',
    price: px0.toFixed(4), apiKey: ep.key, newClientOrderId: 'byhand-1' };
  a = await c.send('order.place', signWs(placeParams, ep.secret));
  check(a.status === 200 && a.result.clientOrderId === 'byhand-1' && a.result.status === 'NEW' && Array.isArray(a.result.fills) && a.rateLimits,
    `order.place by hand: ${JSON.stringify(a)}`);
  const byHandId = a.result.orderId;
  a = await c.send('order.place', Object.assign(signWs(placeParams, ep.secret), { quantity: '101' }));
  check(a.status === 400 && a.error.code === -1022 && a.error.msg === 'Signature for this request is not valid.', `a param changed after signing: ${JSON.stringify(a)}`);
  a = await c.send('order.place', signWs(Object.assign({}, placeParams, { timestamp: Date.now() - 70000 }), ep.secret));
  check(a.status === 400 && a.error.code === -1021, `old timestamp: ${JSON.stringify(a)}`);
  a = await c.send('openOrders.status', signWs({ timestamp: Date.now() }, ep.secret));
  check(a.status === 400 && a.error.code === -1102 && /apiKey/.test(a.error.msg), `no apiKey: ${JSON.stringify(a)}`);
  a = await c.send('order.amend.keepPriority', {});
  check(a.status === 400 && a.error.code === -1020, `unknown method: ${JSON.stringify(a)}`);
  a = await c.send('openOrders.status', signWs({ apiKey: ep.key, timestamp: Date.now(), symbol: 'NKNUSDT', returnRateLimits: false }, ep.secret));
  check(a.status === 200 && a.rateLimits === undefined && a.result.length === 1 && a.result[0].orderId === byHandId, `openOrders.status, returnRateLimits=false: ${JSON.stringify(a)}`);
  a = await c.send('order.cancel', signWs({ apiKey: ep.key, timestamp: Date.now(), symbol: 'NKNUSDT', origClientOrderId: 'byhand-1' }, ep.secret));
  check(a.status === 200 && a.result.status === 'CANCELED' && a.result.orderId === byHandId, `order.cancel by client id: ${JSON.stringify(a)}`);
  a = await c.send('order.cancel', signWs({ apiKey: ep.key, timestamp: Date.now(), symbol: 'NKNUSDT', orderId: byHandId }, ep.secret));
  check(a.status === 400 && a.error.code === -2011 && a.error.msg === 'Unknown order sent.', `cancel again: ${JSON.stringify(a)}`);
  console.log('ok - by hand: ping, time, order.place signed over sorted params, -1022 a param changed, -1021, -1102 no apiKey, -1020 unknown method, openOrders.status without rateLimits, order.cancel, -2011');

  // server pings (--ws-ping-ms 200), and a client that never answers them is cut
  const p0 = c.ws.pings;
  await sleep(900);
  const pinged = c.ws.pings - p0;
  check(pinged >= 3 && pinged <= 5, `server pings every 200 ms: ${pinged} in 900 ms`);
  console.log(`ok - server pings (${pinged} in 900 ms)`);

  // ---- ccxt ----
  const ex = await binanceClient(ep, { apiKey: ep.key, secret: ep.secret });
  const watching = ex.watchOrders(sym); // subscribes with userDataStream.subscribe.signature
  const balWatch = ex.watchBalance();
  await sleep(200);
  const px = Number((bid - 0.001).toFixed(4));
  const o1 = await ex.createOrderWs(sym, 'limit', 'buy', 100, px);
  check(o1.status === 'open' && o1.amount === 100 && o1.price === px && /^\d+$/.test(o1.id), `createOrderWs: ${JSON.stringify(o1)}`);
  const w1 = await Promise.race([watching, sleep(5000).then(() => null)]);
  check(w1 && w1.length >= 1 && w1[0].id === o1.id && w1[0].status === 'open' && w1[0].clientOrderId === o1.clientOrderId && w1[0].price === px,
    `watchOrders sees the new order: ${JSON.stringify(w1)}`);
  const bal = await Promise.race([balWatch, sleep(5000).then(() => null)]);
  let st = await getJson(ep.control + '/state');
  check(bal && Math.abs(bal.USDT.used - Number(st.accounts[0].held.USDT)) < 1e-9 && bal.USDT.used >= 100 * px,
    `watchBalance (outboundAccountPosition): USDT used ${bal && bal.USDT.used}, state held ${st.accounts[0].held.USDT}`);
  const open = await ex.fetchOpenOrdersWs(sym);
  check(open.length === 1 && open[0].id === o1.id, `fetchOpenOrdersWs: ${JSON.stringify(open)}`);
  check(st.accounts[0].open_orders.length === 1 && st.accounts[0].open_orders[0].cl_ord_id === o1.clientOrderId, `state: ${JSON.stringify(st.accounts[0].open_orders)}`);
  console.log(`ok - watchOrders, createOrderWs limit buy 100 @ ${px} (id ${o1.id}), watchBalance, fetchOpenOrdersWs and GET /_sim/state agree`);

  // ccxt's watchOrders returns the updates since its last call: it is called before the request
  const seenCancel = watchUntil(ex, sym, (o) => o.id === o1.id && o.status === 'canceled', 'the cancel');
  const c1 = await ex.cancelOrderWs(o1.id, sym);
  check(c1.status === 'canceled' && c1.id === o1.id, `cancelOrderWs: ${JSON.stringify(c1)}`);
  const wc = await seenCancel;
  check(wc.clientOrderId === o1.clientOrderId, `the cancel event keeps the client id: ${JSON.stringify(wc)}`);
  await expectError(ex.cancelOrderWs(o1.id, sym), ccxt.OrderNotFound, -2011, 'cancelOrderWs again', 'Unknown order sent.');
  await expectError(ex.createOrderWs(sym, 'limit', 'buy', 100, ask, { postOnly: true }), ccxt.OrderImmediatelyFillable, -2010, 'post-only through the ask', 'Order would immediately match and take.');
  console.log('ok - cancelOrderWs -> canceled, watchOrders sees it; again -> -2011 OrderNotFound; post-only crossing -> -2010 OrderImmediatelyFillable');

  const seenFill = watchUntil(ex, sym, (o) => o.status === 'closed' && o.filled === 100, 'the market order filled');
  const m = await ex.createOrderWs(sym, 'market', 'buy', 100);
  check(m.status === 'closed' && m.filled === 100, `createOrderWs market: ${JSON.stringify(m)}`);
  const wm = await seenFill;
  check(wm.id === m.id, `watchOrders: the filled order is the market order: ${wm.id} ${m.id}`);
  check(wm.filled === 100 && wm.cost > 0, `watchOrders: the market order ${JSON.stringify(wm)}`);
  st = await getJson(ep.control + '/state');
  check(st.accounts[0].trades.length === m.trades.length && m.trades.length >= 1, `state trades ${st.accounts[0].trades.length}, fills ${m.trades.length}`);
  console.log(`ok - createOrderWs market buy 100 filled (${m.trades.length} fills), watchOrders sees it closed`);

  // ccxt 4.5.84 also rejects a future of its own ('authenticate:signature:spot') that nobody
  // awaits: that second rejection of the same AuthenticationError is expected, anything else fails
  process.on('unhandledRejection', (err) => {
    check(err instanceof ccxt.AuthenticationError, `unhandled rejection: ${err && err.stack}`);
  });
  const bad = await binanceClient(ep, { apiKey: ep.key, secret: 'not-the-secret' });
  await expectError(bad.watchOrders(sym), ccxt.AuthenticationError, -1022, 'watchOrders with a wrong secret', 'Signature for this request is not valid.');
  console.log('ok - watchOrders with a wrong secret -> -1022 AuthenticationError');

  // ---- the rate_limit fault ----
  const fault = async (f) => {
    const r = await request('POST', ep.control + '/fault', JSON.stringify(f));
    check(r.status === 200, `fault ${JSON.stringify(f)}: ${r.status} ${r.body}`);
  };
  const sign = (q) => q + '&signature=' + crypto.createHmac('sha256', ep.secret).update(q).digest('hex');
  await fault({ kind: 'rate_limit', scope: 'private', count: 1 });
  let r = await raw('GET', `${ep.rest}/api/v3/openOrders?${sign(`timestamp=${Date.now()}`)}`, { 'X-MBX-APIKEY': ep.key });
  let ra = Number(r.headers['retry-after']);
  check(r.status === 429 && JSON.parse(r.body).code === -1015 && ra >= 1 && ra <= 60 && /^\d+$/.test(r.headers['x-mbx-used-weight-1m']),
    `private rate_limit fault: ${r.status} ${JSON.stringify(r.headers)} ${r.body}`);
  await fault({ kind: 'rate_limit', scope: 'public', count: 1 });
  r = await raw('GET', `${ep.rest}/api/v3/time`);
  check(r.status === 429 && JSON.parse(r.body).code === -1003 && Number(r.headers['retry-after']) >= 1, `public rate_limit fault: ${r.status} ${JSON.stringify(r.headers)} ${r.body}`);
  r = await raw('GET', `${ep.rest}/api/v3/time`);
  check(r.status === 200, `after the fault: ${r.status}`);
  await fault({ kind: 'rate_limit', scope: 'private', count: 1 });
  const e = await expectError(ex.createOrderWs(sym, 'limit', 'buy', 100, px), ccxt.RateLimitExceeded, -1015, 'WS API order.place under the rate_limit fault', 'Too many new orders');
  console.log(`ok - rate_limit fault: REST 429 with Retry-After (-1015 signed, -1003 public), WS API -1015 (${e.constructor.name})`);

  // ---- the weight limit (6000 per minute; depth?limit=5000 weighs 250) ----
  let last = -1, refused = null;
  for (let i = 0; i < 60 && !refused; i++) {
    r = await raw('GET', `${ep.rest}/api/v3/depth?symbol=NKNUSDT&limit=5000`);
    const w = Number(r.headers['x-mbx-used-weight-1m']);
    if (r.status === 429) { refused = r; break; }
    check(r.status === 200 && w <= 6000, `depth: ${r.status} weight ${w}`);
    check(last < 0 || w === last + 250 || w < last, `weight counts 250 per call: ${last} then ${w}`); // w < last: a new minute began
    last = w;
  }
  check(refused, 'a 429 within 60 calls');
  ra = Number(refused.headers['retry-after']);
  check(last + 250 > 6000 && Number(refused.headers['x-mbx-used-weight-1m']) === last && ra >= 1 && ra <= 60 && JSON.parse(refused.body).code === -1003,
    `over the limit: 429 after weight ${last}: ${JSON.stringify(refused.headers)} ${refused.body}`);
  await expectError(ex.fetchOrderBook(sym, 5000), ccxt.DDoSProtection, 429, 'ccxt fetchOrderBook over the weight limit');
  a = await c.send('ping', {});
  check(a.status === 200 && (a.rateLimits[0].count === last + 1 || a.rateLimits[0].count < last), `WS API ping counts on the REST counter (${last}): ${JSON.stringify(a)}`);
  for (let i = 0; i < 100 && a.status === 200; i++) // openOrders.status without a symbol weighs 80
    a = await c.send('openOrders.status', signWs({ apiKey: ep.key, timestamp: Date.now() }, ep.secret));
  check(a.status === 429 && a.error.code === -1003 && a.error.data.retryAfter > Date.now() - 1000 && a.rateLimits[0].count + 80 > 6000,
    `WS API over the limit: ${JSON.stringify(a)}`);
  console.log(`ok - weight limit: 429 -1003 after ${last} of 6000 with Retry-After ${ra} s; ccxt DDoSProtection; the WS API refused too`);

  const cutAt = await Promise.race([muteClosed, sleep(Math.max(0, muteOpened + 15000 - Date.now())).then(() => null)]);
  check(cutAt !== null && cutAt - muteOpened >= 9900 && mute.ws.pings >= 30, `a client that never pongs is cut after 10 s: ${cutAt && cutAt - muteOpened} ms, ${mute.ws.pings} pings`);
  console.log(`ok - a client that never answers the pings is cut after ${cutAt - muteOpened} ms`);

  c.ws.close();
  await ex.close();
  await bad.close();
  console.log('PASS');
  process.exit(0);
})().catch((e) => { console.error('FAIL: ' + (e.stack || e)); process.exit(1); });
