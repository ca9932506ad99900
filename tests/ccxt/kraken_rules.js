// kraken_rules.js — what issue 13 lists for `tradehost sim --venue kraken` that the other ccxt tests
// leave out, each checked on the wire. Run by tests/functional/test_sim_kraken_rules.sh: the bundled
// recording at --pace full (the market then holds its last state), XMR/USD with a cost minimum of
// 50 USD in the instrument data, the generated account (1,000,000 of every asset).
//   node kraken_rules.js ENDPOINTS_FILE
// What it proves:
//  - REST /0/public/Time (ccxt fetchTime), SystemStatus (fetchStatus), Depth (fetchOrderBook on
//    every symbol: its top 10 equals GET /_sim/state; `count` bounds the levels);
//  - WS v2 `book` at depths 25, 100 and 500 (the depths the other tests leave out): a snapshot of
//    that many levels, the sim's top 10, a valid checksum;
//  - refusals in Kraken's strings over REST and WS: `EOrder:Order minimum not met`,
//    `EOrder:Cost minimum not met` (costmin from the instrument data, as ccxt reads it),
//    `EGeneral:Invalid arguments:volume` (0, and more decimals than the pair has);
//  - a partial fill: a buy of more than the best ask holds, limited at the best ask, takes it all
//    (trade event with order_status partially_filled, liquidity t) and rests the rest
//    (ccxt fetchOrder: open, filled = the level's quantity);
//  - REST CancelAllOrdersAfter (ccxt cancelAllOrdersAfter): 0 disarms it, 1 s fires it;
//  - POST /_sim/reset: balances, orders, trades and counts back to the start; the key's nonces
//    stay valid; order and trade ids after it are new (never one from before the reset).
'use strict';
const WebSocket = require('ws');
const { ccxt, endpoints, krakenClient, request, getJson, krakenChecksum, sameLevels, sleep, check } = require('./sim_lib');

function rawWs(url) {
  const ws = new WebSocket(url);
  const st = { frames: [], ws };
  ws.on('message', (b) => st.frames.push(JSON.parse(b.toString().replace(/"(price|qty)":([-0-9.eE+]+)/g, '"$1":"$2"'))));
  st.ready = new Promise((res, rej) => { ws.on('open', res); ws.on('error', rej); });
  st.send = (o) => ws.send(JSON.stringify(o));
  st.waitFor = async (pred, what, ms = 5000) => {
    for (let t = 0; t < ms; t += 20) {
      const f = st.frames.find(pred);
      if (f) return f;
      await sleep(20);
    }
    check(false, `raw ws: no ${what} within ${ms} ms; last frames: ${JSON.stringify(st.frames.slice(-3)).slice(0, 600)}`);
  };
  return st;
}

async function refused(promise, cls, text, what) {
  try { await promise; } catch (e) {
    check(e instanceof cls && e.message.includes(text), `${what}: expected ${cls.name} with ${text}, got ${e.constructor.name}: ${e.message}`);
    return;
  }
  check(false, `${what}: accepted`);
}

(async () => {
  const ep = await endpoints();
  for (let i = 0; i < 200 && !(await getJson(ep.control + '/state')).data_ended; i++) await sleep(50);
  const state = await getJson(ep.control + '/state');
  check(state.data_ended, 'the replay ended');
  const start = state.accounts[0];
  const ex = await krakenClient(ep, { apiKey: ep.key, secret: ep.secret });

  // ---- public REST: Time, SystemStatus, Depth ----
  const t = await ex.fetchTime();
  check(Math.abs(t - Date.now()) < 5000, `fetchTime: ${t} vs ${Date.now()}`);
  const status = await ex.fetchStatus();
  check(status.status === 'ok', `fetchStatus: ${JSON.stringify(status)}`);
  const symbols = Object.keys(state.books).sort();
  check(symbols.length === 5, `5 books in the state: ${symbols}`);
  for (const s of symbols) {
    const ob = await ex.fetchOrderBook(s);
    check(sameLevels(ob.bids, state.books[s].bids, 10) && sameLevels(ob.asks, state.books[s].asks, 10),
      `fetchOrderBook ${s} (GET /0/public/Depth) top 10 differs from GET /_sim/state:\n${JSON.stringify(ob.bids.slice(0, 3))}\n${JSON.stringify(state.books[s].bids.slice(0, 3))}`);
  }
  const d25 = await getJson(`${ep.rest}/0/public/Depth?pair=XMRUSD&count=25`);
  const x25 = d25.result && d25.result.XXMRZUSD;
  check(x25 && x25.asks.length === 25 && x25.bids.length === 25 && x25.asks[0].length === 3 && Number(x25.asks[0][0]) === Number(state.books['XMR/USD'].asks[0][0]),
    `Depth count=25, keyed by the REST pair name, [price, volume, timestamp]: ${JSON.stringify(d25).slice(0, 300)}`);
  const dBad = await getJson(`${ep.rest}/0/public/Depth?pair=NOPEUSD`);
  check(JSON.stringify(dBad.error) === '["EQuery:Unknown asset pair"]', `Depth of an unknown pair: ${JSON.stringify(dBad)}`);
  console.log(`ok - REST: fetchTime, fetchStatus, fetchOrderBook on ${symbols.length} symbols = GET /_sim/state; Depth count=25 gives 25 levels; unknown pair refused`);

  // ---- WS v2 book at depths 25, 100, 500 ----
  const pub = rawWs(ep.ws_public);
  await pub.ready;
  const full = (await getJson(`${ep.rest}/0/public/Depth?pair=XMRUSD&count=500`)).result.XXMRZUSD;
  for (const depth of [25, 100, 500]) {
    pub.send({ method: 'subscribe', params: { channel: 'book', symbol: ['XMR/USD'], depth }, req_id: depth });
    const ack = await pub.waitFor((f) => f.req_id === depth, `book ack at depth ${depth}`);
    check(ack.success && ack.result.depth === depth, `ack at depth ${depth}: ${JSON.stringify(ack)}`);
    const snap = await pub.waitFor((f) => f.channel === 'book' && f.type === 'snapshot' && f.data[0].bids.length === Math.min(depth, full.bids.length), `a snapshot of ${depth} levels`);
    const d = snap.data[0];
    const asks = d.asks.map((l) => [l.price, l.qty]), bids = d.bids.map((l) => [l.price, l.qty]);
    check(asks.length === Math.min(depth, full.asks.length), `depth ${depth}: ${asks.length} asks, the book has ${full.asks.length}`);
    check(sameLevels(asks, state.books['XMR/USD'].asks, 10) && sameLevels(bids, state.books['XMR/USD'].bids, 10), `depth ${depth}: top 10 is the sim's`);
    check(krakenChecksum(asks, bids) === d.checksum, `depth ${depth}: checksum ${d.checksum}, the levels give ${krakenChecksum(asks, bids)}`);
    check(sameLevels(bids, full.bids, bids.length) && sameLevels(asks, full.asks, asks.length), `depth ${depth}: the levels are REST Depth's best`);
    pub.send({ method: 'unsubscribe', params: { channel: 'book', symbol: ['XMR/USD'], depth }, req_id: depth + 1 });
    await pub.waitFor((f) => f.req_id === depth + 1, `unsubscribe at depth ${depth}`);
    pub.frames.length = 0;
  }
  pub.ws.close();
  console.log(`ok - WS v2 book at depths 25, 100, 500: snapshots of ${Math.min(500, full.bids.length)} levels at most, top 10 = GET /_sim/state, valid checksums`);

  // ---- refusals in Kraken's strings: REST through ccxt, WS by hand ----
  const m = ex.market('XMR/USD');
  check(m.limits.amount.min === 0.05 && m.limits.cost.min === 50, `ccxt reads ordermin 0.05 and costmin 50 from AssetPairs: ${JSON.stringify(m.limits)}`);
  const bestBid = Number(state.books['XMR/USD'].bids[0][0]);
  const bestAsk = Number(state.books['XMR/USD'].asks[0][0]), bestAskQty = Number(state.books['XMR/USD'].asks[0][1]);
  await refused(ex.createOrder('XMR/USD', 'limit', 'buy', 0.04, bestBid - 10), ccxt.InvalidOrder, 'EOrder:Order minimum not met', 'REST 0.04 XMR (ordermin 0.05)');
  await refused(ex.createOrder('XMR/USD', 'limit', 'buy', 0.1, 100), ccxt.ExchangeError, 'EOrder:Cost minimum not met', 'REST 0.1 XMR at 100 (cost 10, costmin 50)');
  const tok = (await ex.privatePostGetWebSocketsToken()).result.token;
  const P = rawWs(ep.ws_private);
  await P.ready;
  P.send({ method: 'subscribe', params: { channel: 'executions', token: tok, snap_orders: false }, req_id: 1 });
  await P.waitFor((f) => f.req_id === 1 && f.success, 'executions ack');
  const cases = [
    [{ order_qty: 0.04, limit_price: bestBid - 10 }, 'EOrder:Order minimum not met'],
    [{ order_qty: 0.1, limit_price: 100 }, 'EOrder:Cost minimum not met'],
    [{ order_qty: 0, limit_price: bestBid - 10 }, 'EGeneral:Invalid arguments:volume'],
    [{ order_qty: '0.123456789', limit_price: bestBid - 10 }, 'EGeneral:Invalid arguments:volume can only be specified up to 8 decimals'],
  ];
  let rq = 10;
  for (const [fields, err] of cases) {
    P.send({ method: 'add_order', params: Object.assign({ order_type: 'limit', side: 'buy', symbol: 'XMR/USD', token: tok }, fields), req_id: ++rq });
    const a = await P.waitFor((f) => f.req_id === rq, `answer ${rq}`);
    check(a.success === false && a.error === err, `WS add_order ${JSON.stringify(fields)}: expected ${err}, got ${JSON.stringify(a)}`);
  }
  console.log('ok - refused over REST (ccxt) and WS with Kraken\'s strings: Order minimum not met, Cost minimum not met, Invalid arguments:volume (0, 9 decimals)');

  // ---- a partial fill: more than the best ask holds, limited at the best ask ----
  const qty = Math.round((bestAskQty + 0.5) * 1e8) / 1e8;
  P.send({ method: 'add_order', params: { order_type: 'limit', side: 'buy', order_qty: qty, limit_price: bestAsk, symbol: 'XMR/USD', cl_ord_id: 'part-1', token: tok }, req_id: 50 });
  const pa = await P.waitFor((f) => f.req_id === 50, 'partial add answer');
  check(pa.success, `partial add: ${JSON.stringify(pa)}`);
  const oid = pa.result.order_id;
  const evs = () => P.frames.filter((f) => f.channel === 'executions' && f.type === 'update').flatMap((f) => f.data).filter((d) => d.order_id === oid);
  await P.waitFor(() => evs().some((d) => d.exec_type === 'trade'), 'the trade event');
  await sleep(200);
  const ev = evs();
  check(ev.map((d) => d.exec_type).join(',') === 'pending_new,new,trade', `exec types of a partial fill: ${ev.map((d) => d.exec_type)}`);
  const tr = ev[2];
  check(tr.order_status === 'partially_filled' && Number(tr.last_qty) === bestAskQty && Number(tr.last_price) === bestAsk && tr.liquidity_ind === 't' && Number(tr.cum_qty) === bestAskQty,
    `the partial trade event: ${JSON.stringify(tr)}`);
  let o = await ex.fetchOrder(oid);
  check(o.status === 'open' && o.filled === bestAskQty && Math.abs(o.remaining - 0.5) < 1e-9 && o.price === bestAsk, `fetchOrder of the partly filled order: ${o.status} filled ${o.filled} remaining ${o.remaining}`);
  console.log(`ok - partial fill: ${qty} XMR at ${bestAsk} took the level's ${bestAskQty} (trade, partially_filled, taker) and rests 0.5`);

  // ---- REST CancelAllOrdersAfter through ccxt: 0 disarms, 1 s fires ----
  const armed = await ex.cancelAllOrdersAfter(60000);
  check(armed.error.length === 0 && armed.result.triggerTime > armed.result.currentTime, `CancelAllOrdersAfter 60: ${JSON.stringify(armed)}`);
  const off = await ex.cancelAllOrdersAfter(0);
  check(off.error.length === 0 && off.result.triggerTime === '0', `CancelAllOrdersAfter 0: ${JSON.stringify(off)}`);
  check(JSON.parse((await request('GET', ep.control + '/state')).body).accounts[0].dead_man_armed === false, 'disarmed in GET /_sim/state');
  await ex.cancelAllOrdersAfter(1000);
  const t0 = Date.now();
  await P.waitFor(() => evs().some((d) => d.exec_type === 'canceled'), 'the dead man\'s cancel', 4000);
  const waited = Date.now() - t0;
  const cx = evs().find((d) => d.exec_type === 'canceled');
  check(waited >= 700 && waited < 2500 && /dead man/i.test(cx.reason), `REST CancelAllOrdersAfter 1 s fired after ${waited} ms: ${JSON.stringify(cx)}`);
  o = await ex.fetchOrder(oid);
  check(o.status === 'canceled' && o.filled === bestAskQty, `fetchOrder after the switch: ${o.status} ${o.filled}`);
  console.log(`ok - REST CancelAllOrdersAfter (ccxt cancelAllOrdersAfter): 0 disarms; 1 s cancelled the order ${waited} ms later ("${cx.reason}")`);

  // ---- POST /_sim/reset ----
  await ex.createOrder('XMR/USD', 'limit', 'buy', 1, bestBid - 20);
  let acc = (await getJson(ep.control + '/state')).accounts[0];
  check(acc.trades.length === 1 && acc.open_orders.length === 1 && acc.orders_placed >= 2 && acc.balances.USD !== start.balances.USD, `before the reset: ${JSON.stringify([acc.trades.length, acc.open_orders.length, acc.orders_placed, acc.balances.USD])}`);
  const idsBefore = new Set([...acc.open_orders.map((x) => x.id), oid, ...acc.trades.map((x) => x.id)]);
  const rs = await request('POST', ep.control + '/reset');
  check(rs.status === 200 && JSON.parse(rs.body).ok === true, `POST /_sim/reset: ${rs.status} ${rs.body}`);
  acc = (await getJson(ep.control + '/state')).accounts[0];
  check(acc.key === start.key && acc.trades.length === 0 && acc.open_orders.length === 0 && acc.orders_placed === 0 && acc.orders_cancelled === 0 && acc.orders_rejected === 0 &&
    JSON.stringify(acc.balances) === JSON.stringify(start.balances), `after the reset: ${JSON.stringify(acc).slice(0, 400)}`);
  const bal = await ex.fetchBalance(); // the key's nonce stays valid: ccxt's next nonce is accepted
  check(bal.USD.total === 1000000 && bal.USD.used === 0 && bal.XMR.total === 1000000, `fetchBalance after the reset: ${JSON.stringify(bal.USD)}`);
  check((await ex.fetchOpenOrders()).length === 0, 'no open orders after the reset');
  const after = await getJson(ep.control + '/state');
  check(sameLevels(after.books['XMR/USD'].asks, state.books['XMR/USD'].asks, 10), 'the market stays as it was');
  check(bestAskQty >= 0.5, 'the best ask holds 0.5');
  const again = await ex.createOrder('XMR/USD', 'limit', 'buy', 0.5, bestAsk);
  o = await ex.fetchOrder(again.id);
  check(o.status === 'closed' && o.filled === 0.5 && o.average === bestAsk, `after the reset the best ask is whole again: ${o.status} ${o.filled} @ ${o.average}`);
  // ids are never reused (as on Kraken): a client holding an id from before the reset must not
  // find another order under it
  const tradeId = (await getJson(ep.control + '/state')).accounts[0].trades[0].id;
  check(!idsBefore.has(again.id) && !idsBefore.has(tradeId), `ids after the reset are new: order ${again.id}, trade ${tradeId}; before: ${[...idsBefore]}`);
  console.log('ok - POST /_sim/reset: balances, orders, trades and counts back to the start, the nonce still valid, the liquidity taken before it back');

  P.ws.close();
  await ex.close();
  console.log('PASS');
  process.exit(0);
})().catch((e) => { console.error('FAIL: ' + (e && e.stack || e)); process.exit(1); });
