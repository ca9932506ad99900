// kraken_private.js — ccxt (and a raw client) trading against `tradehost sim --venue kraken`.
// Run by tests/functional/test_sim_kraken_private.sh: the bundled recording replayed at full pace
// (the market then holds its last state), accounts from a file; the first account's secret is the
// one of Kraken's documented signing vector (tests/data/vectors/signing.json).
//   node kraken_private.js ENDPOINTS_FILE ACCOUNTS_FILE SIGNING_VECTORS
// What it proves:
//  - signed REST in Kraken's scheme: the documented vector's signature is accepted, one changed
//    byte is `EAPI:Invalid signature`, a replayed nonce `EAPI:Invalid nonce`, an unknown key
//    `EAPI:Invalid key`; through ccxt an unknown key is an AuthenticationError and a wrong secret
//    exactly an ExchangeError 'kraken {"error":["EAPI:Invalid signature"]}' (ccxt 4.5.84 maps
//    only EAPI:Invalid key to AuthenticationError);
//  - ccxt over REST: fetchBalance, createOrder (resting, then through the ask), fetchOpenOrders,
//    fetchOrder, cancelOrder, fetchMyTrades; the fill's price, amount, cost and fee and the
//    balances after it are the hand-computed ones and agree with GET /_sim/state;
//  - ccxt over WS v2 with a token: createOrderWs, cancelOrderWs, watchOrders;
//  - a raw WS v2 client: executions in Kraken's sequence (pending_new, new, trade, filled;
//    canceled) with order_userref and cl_ord_id and a growing sequence; post-only that would cross,
//    insufficient funds and a bad token refused with Kraken's strings; amend_order, batch_add,
//    batch_cancel, cancel_all; cancel_all_orders_after really fires; accounts are separate;
//  - WS v2 `balances`: ccxt watchBalance gets the snapshot, then a fill's two ledger entries, equal
//    to GET /_sim/state; REST AddOrderBatch: ccxt createOrders, and by hand a batch that keeps its
//    good orders and answers the refused ones in place, and one of 16 orders refused;
//  - Kraken's per-pair rate counter refuses the request that would pass its limit.
'use strict';
const fs = require('fs');
const WebSocket = require('ws');
const { ccxt, endpoints, krakenClient, krakenSign, request, getJson, sleep, check } = require('./sim_lib');

const accounts = JSON.parse(fs.readFileSync(process.argv[3], 'utf8')).accounts;
const vec = JSON.parse(fs.readFileSync(process.argv[4], 'utf8')).kraken_spot_rest_api_sign;
const A = accounts[0], B = accounts[1];

const sign = krakenSign;
function privatePost(ep, path, body, key, signature) {
  return new Promise((resolve, reject) => {
    const http = require('http');
    const req = http.request(ep.rest + path, { method: 'POST', headers: { 'API-Key': key, 'API-Sign': signature, 'Content-Type': 'application/x-www-form-urlencoded' } }, (res) => {
      let d = '';
      res.on('data', (c) => { d += c; });
      res.on('end', () => resolve(JSON.parse(d)));
    });
    req.on('error', reject);
    req.end(body);
  });
}

// a raw private websocket that records every frame
function rawPrivate(url) {
  const ws = new WebSocket(url);
  const st = { frames: [], ws };
  ws.on('message', (b) => st.frames.push(JSON.parse(b.toString())));
  st.ready = new Promise((res, rej) => { ws.on('open', res); ws.on('error', rej); });
  st.send = (o) => ws.send(JSON.stringify(o));
  st.waitFor = async (pred, what, ms = 5000) => {
    for (let t = 0; t < ms; t += 20) {
      const f = st.frames.find(pred);
      if (f) return f;
      await sleep(20);
    }
    check(false, `raw ws: no ${what} within ${ms} ms; frames: ${JSON.stringify(st.frames.slice(-5))}`);
  };
  return st;
}

const execs = (st, orderId) => st.frames.filter((f) => f.channel === 'executions' && f.type === 'update').flatMap((f) => f.data).filter((d) => d.order_id === orderId);

(async () => {
  const ep = await endpoints();
  check(ep.key === undefined, 'with --accounts no generated key is printed');
  for (let i = 0; i < 100 && !(await getJson(ep.control + '/state')).data_ended; i++) await sleep(50);
  const state0 = await getJson(ep.control + '/state');
  check(state0.data_ended, 'the replay ended');
  const bestAsk = Number(state0.books['XMR/USD'].asks[0][0]), bestAskQty = Number(state0.books['XMR/USD'].asks[0][1]);
  const bestBid = Number(state0.books['XMR/USD'].bids[0][0]);

  // --- signing: the documented vector, a changed byte, a replayed nonce, an unknown key ---
  check(sign(vec.uri_path, vec.nonce, vec.post_data, vec.secret) === vec.expected, 'our JS signer reproduces the documented vector');
  let r = await privatePost(ep, vec.uri_path, vec.post_data, A.key, vec.expected);
  check(JSON.stringify(r.error) === '["EQuery:Unknown asset pair"]', `the documented vector's signature is accepted (then XBTUSD is not a pair here): ${JSON.stringify(r)}`);
  r = await privatePost(ep, vec.uri_path, vec.post_data, A.key, vec.expected);
  check(JSON.stringify(r.error) === '["EAPI:Invalid nonce"]', `the same nonce again: ${JSON.stringify(r)}`);
  const body2 = vec.post_data.replace(vec.nonce, String(Number(vec.nonce) + 1));
  const bad = sign(vec.uri_path, String(Number(vec.nonce) + 1), body2, vec.secret).replace(/^./, (c) => (c === 'A' ? 'B' : 'A'));
  r = await privatePost(ep, vec.uri_path, body2, A.key, bad);
  check(JSON.stringify(r.error) === '["EAPI:Invalid signature"]', `one changed byte: ${JSON.stringify(r)}`);
  r = await privatePost(ep, '/0/private/Balance', 'nonce=1', 'no-such-key', sign('/0/private/Balance', '1', 'nonce=1', vec.secret));
  check(JSON.stringify(r.error) === '["EAPI:Invalid key"]', `unknown key: ${JSON.stringify(r)}`);
  r = await privatePost(ep, '/0/private/Balance', 'nonce=5', A.key, sign('/0/private/Balance', '5', 'nonce=5', vec.secret));
  check(JSON.stringify(r.error) === '["EAPI:Invalid nonce"]', `a nonce below the last accepted: ${JSON.stringify(r)}`);
  console.log('ok - API-Sign: the documented vector accepted; changed byte, replayed and smaller nonce, unknown key refused with Kraken\'s errors');

  const wrongKey = await krakenClient(ep, { apiKey: 'no-such-key', secret: A.secret });
  try { await wrongKey.fetchBalance(); check(false, 'unknown key accepted'); } catch (e) { check(e instanceof ccxt.AuthenticationError, `ccxt: unknown key -> AuthenticationError, got ${e.constructor.name}: ${e.message}`); }
  const wrongSecret = await krakenClient(ep, { apiKey: A.key, secret: B.secret });
  try { await wrongSecret.fetchBalance(); check(false, 'wrong secret accepted'); } catch (e) {
    // ccxt 4.5.84 maps EAPI:Invalid key to AuthenticationError but has no entry for
    // EAPI:Invalid signature, so it raises its base ExchangeError with the venue's text
    // exactly ExchangeError (not its AuthenticationError subclass), with the venue's answer as its text
    check(e.constructor === ccxt.ExchangeError && e.message === 'kraken {"error":["EAPI:Invalid signature"]}',
      `ccxt: wrong secret -> ExchangeError 'kraken {"error":["EAPI:Invalid signature"]}', got ${e.constructor.name}: ${e.message}`);
  }
  console.log('ok - ccxt: unknown key -> AuthenticationError; wrong secret -> ExchangeError "EAPI:Invalid signature"');

  // --- ccxt over REST ---
  const ex = await krakenClient(ep, { apiKey: A.key, secret: A.secret });
  let bal = await ex.fetchBalance();
  check(bal.USD.total === 100000 && bal.USD.free === 100000 && bal.XMR.total === 50, `starting balances: ${JSON.stringify([bal.USD, bal.XMR])}`);
  const rest1 = await ex.createOrder('XMR/USD', 'limit', 'buy', 1, bestBid - 10);
  check(/^O[A-Z2-7]{5}-[A-Z2-7]{5}-[A-Z2-7]{6}$/.test(rest1.id), `Kraken-style order id: ${rest1.id}`);
  let open = await ex.fetchOpenOrders();
  check(open.length === 1 && open[0].id === rest1.id && open[0].symbol === 'XMR/USD' && open[0].price === bestBid - 10 && open[0].amount === 1 && open[0].side === 'buy' && open[0].status === 'open', `fetchOpenOrders: ${JSON.stringify(open.map((o) => [o.id, o.symbol, o.price, o.amount, o.status]))}`);
  let o = await ex.fetchOrder(rest1.id);
  check(o.status === 'open' && o.filled === 0 && o.remaining === 1, `fetchOrder open: ${o.status} ${o.filled}`);
  bal = await ex.fetchBalance();
  check(bal.USD.used > 0 && Math.abs(bal.USD.used - (bestBid - 10)) < (bestBid - 10) * 0.003, `a resting buy holds its cost (and at most its fee): used ${bal.USD.used}`);
  await ex.cancelOrder(rest1.id);
  o = await ex.fetchOrder(rest1.id);
  check(o.status === 'canceled', `fetchOrder after cancelOrder: ${o.status}`);
  check((await ex.fetchOpenOrders()).length === 0, 'no open orders after the cancel');
  try { await ex.cancelOrder(rest1.id); check(false, 'a second cancel succeeded'); } catch (e) { check(e instanceof ccxt.InvalidOrder && /EOrder:Unknown order/.test(e.message), `cancel of a cancelled order: ${e.constructor.name} ${e.message}`); }
  bal = await ex.fetchBalance();
  check(bal.USD.used === 0 && bal.USD.total === 100000, 'the hold is released');
  console.log(`ok - ccxt REST: createOrder (resting at ${bestBid - 10}), fetchOpenOrders, fetchOrder, cancelOrder (a second one: EOrder:Unknown order), balance held and released`);

  // through the ask: 0.5 XMR fill at the best ask (354.48 holds 6.86), taker fee 26 bps
  check(bestAskQty >= 0.5, 'the best ask holds 0.5');
  const take = await ex.createOrder('XMR/USD', 'limit', 'buy', 0.5, bestAsk + 5);
  o = await ex.fetchOrder(take.id);
  check(o.status === 'closed' && o.filled === 0.5 && o.average === bestAsk, `the taker filled at the best ask: ${o.status} ${o.filled} @ ${o.average}`);
  const trades = await ex.fetchMyTrades('XMR/USD');
  check(trades.length === 1, `one trade: ${trades.length}`);
  const t = trades[0];
  const cost = Math.round(0.5 * bestAsk * 1e8) / 1e8, fee = Math.round(cost * 0.0026 * 1e8) / 1e8;
  check(t.order === take.id && t.side === 'buy' && t.price === bestAsk && t.amount === 0.5 && Math.abs(t.cost - cost) < 1e-9 && Math.abs(t.fee.cost - fee) < 1e-9 && t.fee.currency === 'USD',
    `fetchMyTrades: ${JSON.stringify([t.order, t.side, t.price, t.amount, t.cost, t.fee])}, expected ${cost} and fee ${fee}`);
  bal = await ex.fetchBalance();
  const usd = Math.floor((100000 - cost - fee) * 1e4) / 1e4;
  check(Math.abs(bal.USD.total - usd) < 1e-6 && bal.XMR.total === 50.5, `balances after the fill: USD ${bal.USD.total} (expected ${usd}), XMR ${bal.XMR.total}`);
  const st = await getJson(ep.control + '/state');
  const sa = st.accounts.find((x) => x.key === A.key);
  check(sa.trades.length === 1 && sa.trades[0].price === String(bestAsk.toFixed(2)) && Number(sa.trades[0].fee) === fee && Number(sa.balances.XMR) === 50.5 && Math.abs(Number(sa.balances.USD) - (100000 - cost - fee)) < 1e-9,
    `GET /_sim/state agrees: ${JSON.stringify(sa.trades)} ${JSON.stringify(sa.balances)}`);
  check(sa.orders_placed === 2 && sa.orders_cancelled === 1, `counts: placed ${sa.orders_placed}, cancelled ${sa.orders_cancelled}`);
  const sb = st.accounts.find((x) => x.key === B.key);
  check(sb.trades.length === 0 && Number(sb.balances.USD) === 500, 'account B untouched');
  console.log(`ok - ccxt REST: a buy through the ask fills 0.5 @ ${bestAsk}, cost ${cost}, fee ${fee} USD (26 bps); fetchMyTrades, fetchBalance and GET /_sim/state agree`);

  // --- ccxt over WS v2 ---
  const watching = ex.watchOrders('XMR/USD');
  const wsOrder = await ex.createOrderWs('XMR/USD', 'limit', 'sell', 0.3, bestAsk + 40, { clientOrderId: 'ccxt-ws-1' });
  check(/^O/.test(wsOrder.id), `createOrderWs id ${wsOrder.id}`);
  let seen = await watching;
  for (let i = 0; i < 20 && !seen.some((x) => x.id === wsOrder.id && x.status === 'open'); i++) seen = await ex.watchOrders('XMR/USD');
  check(seen.some((x) => x.id === wsOrder.id && x.status === 'open' && x.price === bestAsk + 40 && x.amount === 0.3), `watchOrders sees the order open: ${JSON.stringify(seen.map((x) => [x.id, x.status, x.price, x.amount]))}`);
  check((await ex.fetchOpenOrders()).some((x) => x.id === wsOrder.id), 'the WS order is open over REST too');
  const cancelled = ex.watchOrders('XMR/USD');
  await ex.cancelOrderWs(wsOrder.id);
  seen = await cancelled;
  for (let i = 0; i < 20 && !seen.some((x) => x.id === wsOrder.id && x.status === 'canceled'); i++) seen = await ex.watchOrders('XMR/USD');
  check(seen.some((x) => x.id === wsOrder.id && x.status === 'canceled'), 'watchOrders sees it canceled');
  console.log('ok - ccxt WS v2: createOrderWs, watchOrders (open, then canceled), cancelOrderWs');

  // --- a raw WS v2 client: the execution sequence, errors, amend, batches, dead man's switch ---
  const tokRes = await ex.privatePostGetWebSocketsToken();
  const token = tokRes.result.token;
  check(tokRes.result.expires === 900 && token.length > 10, 'GetWebSocketsToken');
  const raw = rawPrivate(ep.ws_private);
  await raw.ready;
  await raw.waitFor((f) => f.channel === 'status', 'status frame');
  raw.send({ method: 'subscribe', params: { channel: 'executions', token: 'bogus' }, req_id: 1 });
  const badTok = await raw.waitFor((f) => f.req_id === 1, 'bad token answer');
  check(badTok.success === false && badTok.error === 'EAPI:Invalid token', `bad token: ${JSON.stringify(badTok)}`);
  raw.send({ method: 'subscribe', params: { channel: 'executions', token, snap_orders: true }, req_id: 2 });
  await raw.waitFor((f) => f.req_id === 2 && f.success, 'executions ack');
  const snap = await raw.waitFor((f) => f.channel === 'executions' && f.type === 'snapshot', 'executions snapshot');
  check(Array.isArray(snap.data) && snap.data.length === 0, `snapshot: no open orders: ${JSON.stringify(snap)}`);
  raw.send({ method: 'add_order', params: { order_type: 'limit', side: 'buy', order_qty: 0.2, limit_price: bestAsk + 1, symbol: 'XMR/USD', cl_ord_id: 'raw-1', order_userref: 77, token }, req_id: 3 });
  const added = await raw.waitFor((f) => f.req_id === 3, 'add_order answer');
  check(added.method === 'add_order' && added.success && added.result.cl_ord_id === 'raw-1' && /^O/.test(added.result.order_id), `add_order: ${JSON.stringify(added)}`);
  const oid = added.result.order_id;
  await raw.waitFor(() => execs(raw, oid).some((d) => d.exec_type === 'filled'), 'filled event');
  const ev = execs(raw, oid);
  check(ev.map((d) => d.exec_type).join(',') === 'pending_new,new,trade,filled', `exec_type sequence: ${ev.map((d) => d.exec_type)}`);
  check(ev.every((d) => d.order_userref === 77 && d.cl_ord_id === 'raw-1' && d.symbol === 'XMR/USD'), 'every event carries order_userref, cl_ord_id, symbol');
  const tr = ev[2];
  check(tr.last_qty === 0.2 && tr.last_price === bestAsk && tr.liquidity_ind === 't' && tr.order_status === 'filled' && tr.fees[0].asset === 'USD' && Math.abs(tr.fees[0].qty - 0.2 * bestAsk * 0.0026) < 1e-9, `trade event: ${JSON.stringify(tr)}`);
  check(ev[3].order_status === 'filled' && ev[3].cum_qty === 0.2, `filled event: ${JSON.stringify(ev[3])}`);
  const seqs = raw.frames.filter((f) => f.channel === 'executions').map((f) => f.sequence);
  check(seqs.every((v, i) => i === 0 || v === seqs[i - 1] + 1), `sequence grows by one: ${seqs}`);
  const iAns = raw.frames.findIndex((f) => f.req_id === 3), iFirst = raw.frames.findIndex((f) => f.channel === 'executions' && f.type === 'update');
  check(iAns < iFirst, 'the add_order answer comes before its execution events');
  console.log('ok - raw WS: executions pending_new, new, trade, filled with order_userref 77 and cl_ord_id; sequence +1; answer first');

  raw.send({ method: 'add_order', params: { order_type: 'limit', side: 'buy', order_qty: 0.2, limit_price: bestAsk, post_only: true, symbol: 'XMR/USD', token }, req_id: 4 });
  const po = await raw.waitFor((f) => f.req_id === 4, 'post-only answer');
  check(po.success === false && po.error === 'EOrder:Post only order', `post-only crossing: ${JSON.stringify(po)}`);
  raw.send({ method: 'add_order', params: { order_type: 'limit', side: 'sell', order_qty: 5000, limit_price: bestAsk + 50, symbol: 'XMR/USD', token }, req_id: 5 });
  const nf = await raw.waitFor((f) => f.req_id === 5, 'insufficient funds answer');
  check(nf.success === false && nf.error === 'EOrder:Insufficient funds', `insufficient funds: ${JSON.stringify(nf)}`);
  raw.send({ method: 'add_order', params: { order_type: 'limit', side: 'buy', order_qty: 0.2, limit_price: 300.001, symbol: 'XMR/USD', token }, req_id: 6 });
  const tick = await raw.waitFor((f) => f.req_id === 6, 'bad tick answer');
  check(tick.success === false && /^EOrder:Invalid price/.test(tick.error), `price beyond the precision: ${JSON.stringify(tick)}`);
  console.log('ok - raw WS: post-only crossing, insufficient funds, bad price and bad token refused with Kraken\'s strings');

  // amend, batch_add, batch_cancel, cancel_all
  raw.send({ method: 'add_order', params: { order_type: 'limit', side: 'buy', order_qty: 1, limit_price: 300, symbol: 'XMR/USD', cl_ord_id: 'am-1', token }, req_id: 7 });
  const am = await raw.waitFor((f) => f.req_id === 7, 'add for amend');
  raw.send({ method: 'amend_order', params: { order_id: am.result.order_id, order_qty: 0.5, limit_price: 301, token }, req_id: 8 });
  const amAns = await raw.waitFor((f) => f.req_id === 8, 'amend answer');
  check(amAns.success && amAns.result.order_id === am.result.order_id && amAns.result.amend_id, `amend_order: ${JSON.stringify(amAns)}`);
  const amEv = await raw.waitFor(() => execs(raw, am.result.order_id).find((d) => d.exec_type === 'amended'), 'amended event');
  const amended = execs(raw, am.result.order_id).find((d) => d.exec_type === 'amended');
  check(amended.order_qty === 0.5 && amended.limit_price === 301, `amended event: ${JSON.stringify(amended)}`);
  void amEv;
  raw.send({ method: 'batch_add', params: { symbol: 'XMR/USD', token, orders: [
    { order_type: 'limit', side: 'buy', order_qty: 0.1, limit_price: 290, cl_ord_id: 'b-1' },
    { order_type: 'limit', side: 'sell', order_qty: 0.1, limit_price: 420, cl_ord_id: 'b-2' }] }, req_id: 9 });
  const ba = await raw.waitFor((f) => f.req_id === 9, 'batch_add answer');
  check(ba.success && ba.result.length === 2 && ba.result[1].cl_ord_id === 'b-2', `batch_add: ${JSON.stringify(ba)}`);
  raw.send({ method: 'batch_cancel', params: { orders: [ba.result[0].order_id, 'b-2'], token }, req_id: 10 });
  const bc = await raw.waitFor((f) => f.req_id === 10, 'batch_cancel answer');
  check(bc.success && bc.result.count === 2, `batch_cancel: ${JSON.stringify(bc)}`);
  raw.send({ method: 'cancel_order', params: { order_id: ['OAAAAA-AAAAA-AAAAAA'], token }, req_id: 11 });
  const unk = await raw.waitFor((f) => f.req_id === 11, 'unknown cancel answer');
  check(unk.success === false && unk.error === 'EOrder:Unknown order', `cancel of an unknown order: ${JSON.stringify(unk)}`);
  raw.send({ method: 'cancel_all', params: { token }, req_id: 12 });
  const ca = await raw.waitFor((f) => f.req_id === 12, 'cancel_all answer');
  check(ca.success && ca.result.count === 1, `cancel_all cancels the amended order: ${JSON.stringify(ca)}`);
  console.log('ok - raw WS: amend_order (amended event 0.5 @ 301), batch_add, batch_cancel (by id and cl_ord_id), unknown order, cancel_all');

  // the dead man's switch fires
  raw.send({ method: 'add_order', params: { order_type: 'limit', side: 'buy', order_qty: 0.1, limit_price: 280, symbol: 'XMR/USD', token }, req_id: 13 });
  const dm = await raw.waitFor((f) => f.req_id === 13, 'add for dead man');
  raw.send({ method: 'cancel_all_orders_after', params: { timeout: 1, token }, req_id: 14 });
  const dma = await raw.waitFor((f) => f.req_id === 14, 'cancel_all_orders_after answer');
  check(dma.success && dma.result.triggerTime > dma.result.currentTime, `cancel_all_orders_after: ${JSON.stringify(dma)}`);
  const t0 = Date.now();
  await raw.waitFor(() => execs(raw, dm.result.order_id).some((d) => d.exec_type === 'canceled'), 'dead man cancel', 4000);
  const waited = Date.now() - t0;
  check(waited >= 700 && waited < 2500, `the switch fired after ${waited} ms (timeout 1 s)`);
  check((await ex.fetchOpenOrders()).length === 0, 'no open order after the switch');
  console.log(`ok - cancel_all_orders_after 1 s: the order was cancelled ${waited} ms later`);

  // --- WS v2 balances (ccxt watchBalance), REST AddOrderBatch (ccxt createOrders), on account B
  // (its Pro rate counter has room; A's XMR/USD counter is spent by now) ---
  const exB = await krakenClient(ep, { apiKey: B.key, secret: B.secret });
  const stateB = async () => (await getJson(ep.control + '/state')).accounts.find((x) => x.key === B.key);
  const wb0 = await exB.watchBalance();
  check(wb0.USD.total === 500 && wb0.XMR === undefined && wb0.info.type === 'snapshot', `watchBalance snapshot: ${JSON.stringify(wb0.info)}`);
  const wbNext = exB.watchBalance();
  await exB.createOrder('XMR/USD', 'market', 'buy', 0.1);
  const wb1 = await Promise.race([wbNext, sleep(5000).then(() => null)]);
  let sb2 = await stateB();
  check(wb1 && Math.abs(wb1.USD.total - Number(sb2.balances.USD)) < 1e-6 && wb1.XMR.total === 0.1 && Number(sb2.balances.XMR) === 0.1 && wb1.USD.total < 500,
    `watchBalance after a market buy of 0.1: USD ${wb1 && wb1.USD.total} XMR ${wb1 && wb1.XMR && wb1.XMR.total}, state ${sb2.balances.USD} ${sb2.balances.XMR}`);
  const ledger = wb1.info.data;
  check(wb1.info.type === 'update' && ledger.length === 2 && ledger[0].asset === 'USD' && ledger[0].amount < 0 && ledger[0].fee > 0 &&
    Math.abs(ledger[0].balance - Number(sb2.balances.USD)) < 1e-6 && ledger[1].asset === 'XMR' && ledger[1].amount === 0.1 && ledger[1].fee === 0 && ledger[1].balance === 0.1,
    `the ledger entries of the fill: ${JSON.stringify(wb1.info)}`);
  console.log(`ok - WS v2 balances: ccxt watchBalance snapshot, then the fill's ledger entries (USD ${ledger[0].amount} fee ${ledger[0].fee}, XMR +0.1) = GET /_sim/state`);

  const batch = await exB.createOrders([
    { symbol: 'XMR/USD', type: 'limit', side: 'buy', amount: 0.1, price: 280 },
    { symbol: 'XMR/USD', type: 'limit', side: 'sell', amount: 0.1, price: 420 }]);
  check(batch.length === 2 && batch.every((x) => /^O[A-Z2-7]{5}-[A-Z2-7]{5}-[A-Z2-7]{6}$/.test(x.id)), `createOrders: ${JSON.stringify(batch.map((x) => x.id))}`);
  open = await exB.fetchOpenOrders('XMR/USD');
  check(open.length === 2 && batch.every((x) => open.some((y) => y.id === x.id && y.status === 'open')), `the batch rests: ${JSON.stringify(open.map((x) => x.id))}`);
  // by hand (the last REST calls of account B: nonces of our own), a refusal inside a batch and a
  // batch too big
  const callB = async (path, fields) => {
    const n = String(Date.now() * 1000);
    const body = JSON.stringify(Object.assign({ nonce: n }, fields));
    return privatePost(ep, path, body, B.key, sign(path, n, body, B.secret));
  };
  r = await callB('/0/private/AddOrderBatch', { pair: 'XMRUSD', orders: [{ ordertype: 'limit', type: 'buy', volume: '0.1', price: '281' },
    { ordertype: 'limit', type: 'buy', volume: '100000', price: '282' }, { ordertype: 'limit', type: 'buy', volume: '0.1', price: '283.001' }] });
  check(r.error.length === 0 && r.result.orders.length === 3 && /^O[A-Z2-7]{5}-/.test(r.result.orders[0].txid) && r.result.orders[1].error === 'EOrder:Insufficient funds' &&
    /^EOrder:Invalid price/.test(r.result.orders[2].error), `AddOrderBatch with refusals inside: ${JSON.stringify(r)}`);
  r = await callB('/0/private/AddOrderBatch', { pair: 'XMRUSD', orders: Array.from({ length: 16 }, () => ({ ordertype: 'limit', type: 'buy', volume: '0.1', price: '270' })) });
  check(JSON.stringify(r.error) === '["EGeneral:Invalid arguments:orders (2 to 15 orders of one pair)"]', `16 orders: ${JSON.stringify(r)}`);
  sb2 = await stateB();
  check(sb2.open_orders.length === 3, `B's open orders: the batch's two and the hand batch's one: ${sb2.open_orders.length}`);
  r = await callB('/0/private/CancelAll', {});
  check(r.error.length === 0 && r.result.count === 3, `CancelAll: ${JSON.stringify(r)}`);
  await exB.close();
  console.log('ok - AddOrderBatch: ccxt createOrders places 2 orders; by hand a batch keeps its good order and answers the refused ones in place (Insufficient funds, Invalid price); 16 orders refused');

  // Kraken's per-pair rate counter (Starter: 60, -1/s): add +1, cancel of an order under 5 s +8,
  // so the 7th cycle's cancel would pass 60 (7 x 9 = 63) and is refused
  let refused = null, rq = 100;
  for (let cycle = 1; cycle <= 10 && !refused; cycle++) {
    raw.send({ method: 'add_order', params: { order_type: 'limit', side: 'buy', order_qty: 2, limit_price: 10, symbol: 'WAVES/EUR', token }, req_id: ++rq });
    const ad = await raw.waitFor((f) => f.req_id === rq, `rate add ${cycle}`);
    if (!ad.success) { refused = { cycle, what: 'add', error: ad.error }; break; }
    raw.send({ method: 'cancel_order', params: { order_id: [ad.result.order_id], token }, req_id: ++rq });
    const cn = await raw.waitFor((f) => f.req_id === rq, `rate cancel ${cycle}`);
    if (!cn.success) refused = { cycle, what: 'cancel', error: cn.error };
  }
  check(refused && refused.cycle === 7 && refused.what === 'cancel' && refused.error === 'EOrder:Rate limit exceeded', `rate counter: ${JSON.stringify(refused)}`);
  console.log('ok - Kraken rate counter: the 7th add+cancel cycle on WAVES/EUR is refused, EOrder:Rate limit exceeded');

  raw.ws.close();
  for (const c of [ex, wrongKey, wrongSecret]) await c.close();
  console.log('PASS');
  process.exit(0);
})().catch((e) => { console.error('FAIL: ' + (e && e.stack || e)); process.exit(1); });
