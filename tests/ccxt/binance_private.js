// binance_private.js — trading against `tradehost sim --venue binance` over signed REST with ccxt.
// Run by tests/functional/test_sim_binance_private.sh (the sim at --pace full: the books are the
// recording's final ones; one generated account whose key and secret are in the endpoints line):
//   node binance_private.js ENDPOINTS_FILE
// What it proves:
//  - ccxt's fetchBalance (GET /api/v3/account), createOrder (POST /api/v3/order: LIMIT GTC resting,
//    MARKET filled with its fills, LIMIT_MAKER via postOnly), fetchOpenOrders (GET openOrders),
//    cancelOrder (DELETE /api/v3/order) work as against Binance, and agree with GET /_sim/state;
//  - Binance's refusals reach ccxt as its mapped errors: -2010 a post-only order that would cross
//    and an order beyond the balance (InsufficientFunds), -1013 LOT_SIZE by hand,
//    -2011 cancelling an unknown order, -1013 a price off the tick, -1022 a wrong secret;
//  - signed requests made by hand: -1021 outside recvWindow, -1102 no timestamp, -2015 unknown key,
//    and every answer carries X-MBX-USED-WEIGHT-1M;
//  - POST /_sim/reset: the account back to its start, orderIds and tradeIds never reused.
'use strict';
const crypto = require('crypto');
const http = require('http');
const { ccxt, getJson, request, check } = require('./sim_lib');
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

// ccxt maps Binance's code (or its message) to an error class; the message is Binance's msg
async function expectError(p, cls, code, what, msg) {
  try { await p; } catch (e) {
    check(e instanceof cls && (String(e.message).includes(String(code)) || String(e.message).includes(msg)), `${what}: expected ${cls.name} with ${code}, got ${e.constructor.name}: ${e.message}`);
    return;
  }
  check(false, `${what}: expected ${cls.name} ${code}, it succeeded`);
}

(async () => {
  const ep = await binanceEndpoints();
  check(ep.key && ep.secret, 'the endpoints line carries the generated account');
  const ex = await binanceClient(ep, { apiKey: ep.key, secret: ep.secret });
  const sym = 'NKN/USDT';
  const state0 = await getJson(ep.control + '/state');
  check(state0.data_ended, 'the data has ended (--pace full)');
  const book = state0.books.NKNUSDT;
  const bid = Number(book.bids[0][0]), ask = Number(book.asks[0][0]);

  const bal0 = await ex.fetchBalance();
  check(bal0.USDT.free === 1000000 && bal0.NKN.free === 1000000 && bal0.USDT.used === 0, `fetchBalance: ${JSON.stringify([bal0.USDT, bal0.NKN])}`);

  // a resting limit buy below the best bid
  const px = Number((bid - 0.001).toFixed(4));
  const o1 = await ex.createOrder(sym, 'limit', 'buy', 100, px);
  check(o1.status === 'open' && o1.filled === 0 && o1.amount === 100 && o1.price === px && /^\d+$/.test(o1.id), `createOrder limit: ${JSON.stringify(o1)}`);
  const open = await ex.fetchOpenOrders(sym);
  check(open.length === 1 && open[0].id === o1.id && open[0].clientOrderId === o1.clientOrderId, `fetchOpenOrders: ${JSON.stringify(open)}`);
  let st = await getJson(ep.control + '/state');
  check(st.accounts[0].open_orders.length === 1 && st.accounts[0].open_orders[0].cl_ord_id === o1.clientOrderId, `state open orders: ${JSON.stringify(st.accounts[0].open_orders)}`);
  const bal1 = await ex.fetchBalance();
  check(Math.abs(bal1.USDT.used - 100 * px) < 1 && bal1.USDT.used >= 100 * px, `the open buy holds its quote: used ${bal1.USDT.used}`);
  console.log(`ok - createOrder limit buy 100 @ ${px} rests (id ${o1.id}), fetchOpenOrders and GET /_sim/state agree, the quote is held`);

  // post-only crossing, price off the tick
  await expectError(ex.createOrder(sym, 'limit', 'buy', 100, ask, { postOnly: true }), ccxt.OrderImmediatelyFillable, -2010, 'LIMIT_MAKER through the ask', 'Order would immediately match and take.');
  // ccxt rounds prices to the tick itself: off the tick is sent by hand (signed body)
  const sign = (q) => q + '&signature=' + crypto.createHmac('sha256', ep.secret).update(q).digest('hex');
  let r = await raw('POST', `${ep.rest}/api/v3/order`, { 'X-MBX-APIKEY': ep.key },
    sign(`symbol=NKNUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=100&price=0.30005&timestamp=${Date.now()}`));
  check(r.status === 400 && JSON.parse(r.body).code === -1013 && JSON.parse(r.body).msg === 'Filter failure: PRICE_FILTER', `price off the tick: ${r.status} ${r.body}`);
  r = await raw('POST', `${ep.rest}/api/v3/order`, { 'X-MBX-APIKEY': ep.key },
    sign(`symbol=NKNUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=10&price=0.3000&timestamp=${Date.now()}`));
  check(r.status === 400 && JSON.parse(r.body).msg === 'Filter failure: NOTIONAL', `3 USDT is below the 10 USDT NOTIONAL: ${r.status} ${r.body}`);
  r = await raw('POST', `${ep.rest}/api/v3/order`, { 'X-MBX-APIKEY': ep.key },
    sign(`symbol=NKNUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=100.5&price=${px}&timestamp=${Date.now()}`));
  check(r.status === 400 && JSON.parse(r.body).code === -1013 && JSON.parse(r.body).msg === 'Filter failure: LOT_SIZE', `100.5 NKN (step 1): ${r.status} ${r.body}`);
  await expectError(ex.createOrder(sym, 'limit', 'buy', 10000000, px), ccxt.InsufficientFunds, -2010, `10,000,000 NKN at ${px} with 1,000,000 USDT`, 'Account has insufficient balance for requested action.');
  console.log('ok - LIMIT_MAKER through the spread -> -2010 (OrderImmediatelyFillable); price off the tick -> -1013 PRICE_FILTER, below 10 USDT -> -1013 NOTIONAL, off the step -> -1013 LOT_SIZE; more than the balance -> -2010 (InsufficientFunds)');

  // cancel, and cancel again
  const c1 = await ex.cancelOrder(o1.id, sym);
  check(c1.status === 'canceled' && c1.id === o1.id, `cancelOrder: ${JSON.stringify(c1)}`);
  check((await ex.fetchOpenOrders(sym)).length === 0, 'no open orders after the cancel');
  await expectError(ex.cancelOrder(o1.id, sym), ccxt.OrderNotFound, -2011, 'cancelling it again', 'Unknown order sent.');
  console.log('ok - cancelOrder -> canceled; again -> -2011 (OrderNotFound)');

  // a market buy takes the asks
  const m = await ex.createOrder(sym, 'market', 'buy', 100);
  check(m.status === 'closed' && m.filled === 100 && m.trades.length >= 1 && m.average >= ask, `market buy: ${JSON.stringify(m)}`);
  const bal2 = await ex.fetchBalance();
  check(bal2.NKN.total === 1000100, `NKN after the buy: ${bal2.NKN.total}`);
  st = await getJson(ep.control + '/state');
  check(st.accounts[0].trades.length === m.trades.length, `state trades ${st.accounts[0].trades.length} = the fills ${m.trades.length}`);
  console.log(`ok - market buy 100 filled at ${m.average} (${m.trades.length} fills), balance moved, state agrees`);

  // a wrong secret
  const bad = await binanceClient(ep, { apiKey: ep.key, secret: 'not-the-secret' });
  await expectError(bad.fetchBalance(), ccxt.AuthenticationError, -1022, 'wrong secret', 'Signature for this request is not valid.');

  // signed by hand
  r = await raw('GET', `${ep.rest}/api/v3/account?${sign(`timestamp=${Date.now() - 70000}&recvWindow=5000`)}`, { 'X-MBX-APIKEY': ep.key });
  check(r.status === 400 && JSON.parse(r.body).code === -1021, `old timestamp: ${r.status} ${r.body}`);
  check(/^\d+$/.test(r.headers['x-mbx-used-weight-1m'] || ''), `X-MBX-USED-WEIGHT-1M: ${JSON.stringify(r.headers)}`);
  r = await raw('GET', `${ep.rest}/api/v3/account?${sign('recvWindow=5000')}`, { 'X-MBX-APIKEY': ep.key });
  check(r.status === 400 && JSON.parse(r.body).code === -1102, `no timestamp: ${r.status} ${r.body}`);
  r = await raw('GET', `${ep.rest}/api/v3/account?${sign(`timestamp=${Date.now()}`)}`, { 'X-MBX-APIKEY': 'nope' });
  check(r.status === 401 && JSON.parse(r.body).code === -2015, `unknown key: ${r.status} ${r.body}`);
  r = await raw('GET', `${ep.rest}/api/v3/account?${sign(`timestamp=${Date.now()}&recvWindow=60000`)}`, { 'X-MBX-APIKEY': ep.key });
  const w1 = Number(r.headers['x-mbx-used-weight-1m']);
  r = await raw('GET', `${ep.rest}/api/v3/account?${sign(`timestamp=${Date.now()}`)}`, { 'X-MBX-APIKEY': ep.key });
  check(r.status === 200 && JSON.parse(r.body).balances.some((b) => b.asset === 'NKN'), `signed by hand: ${r.status} ${r.body.slice(0, 200)}`);
  check(Number(r.headers['x-mbx-used-weight-1m']) === w1 + 20 || Number(r.headers['x-mbx-used-weight-1m']) === 20, `account weighs 20: ${w1} then ${r.headers['x-mbx-used-weight-1m']}`);
  console.log('ok - wrong secret -> -1022 (AuthenticationError); by hand: -1021 outside recvWindow, -1102 no timestamp, -2015 unknown key; X-MBX-USED-WEIGHT-1M counts');

  // POST /_sim/reset: the account back to its start; orderIds and tradeIds go on growing (Binance
  // never reuses one: a client holding an id from before the reset must not find another order)
  const o2 = await ex.createOrder(sym, 'limit', 'buy', 100, px);
  const rs = await request('POST', ep.control + '/reset');
  check(rs.status === 200 && JSON.parse(rs.body).ok === true, `POST /_sim/reset: ${rs.status} ${rs.body}`);
  st = await getJson(ep.control + '/state');
  check(st.accounts[0].open_orders.length === 0 && st.accounts[0].trades.length === 0 && Number(st.accounts[0].balances.NKN) === 1000000, `after the reset: ${JSON.stringify(st.accounts[0]).slice(0, 300)}`);
  await expectError(ex.cancelOrder(o2.id, sym), ccxt.OrderNotFound, -2011, 'cancelling an order from before the reset', 'Unknown order sent.');
  const o3 = await ex.createOrder(sym, 'limit', 'buy', 100, px);
  const m2 = await ex.createOrder(sym, 'market', 'buy', 100);
  const lastIds = [o1.id, o2.id, m.id].map(Number), lastTrade = Math.max(...m.trades.map((x) => Number(x.id)));
  check(Number(o3.id) > Math.max(...lastIds) && Number(m2.id) > Number(o3.id), `orderIds after the reset are new: ${o3.id}, ${m2.id}; before: ${lastIds}`);
  check(m2.trades.every((x) => Number(x.id) > lastTrade), `tradeIds after the reset are new: ${m2.trades.map((x) => x.id)}; before up to ${lastTrade}`);
  const c3 = await ex.cancelOrder(o3.id, sym);
  check(c3.status === 'canceled' && c3.id === o3.id, `cancel by orderId after the reset: ${JSON.stringify(c3)}`);
  console.log(`ok - POST /_sim/reset: the account back to its start; an order from before it is unknown (-2011); new orderIds (${o3.id}, ${m2.id}) and tradeIds follow the old ones`);
  console.log('PASS');
  process.exit(0);
})().catch((e) => { console.error('FAIL: ' + (e.stack || e)); process.exit(1); });
