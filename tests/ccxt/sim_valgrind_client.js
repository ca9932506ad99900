// sim_valgrind_client.js — a short, light client session against `tradehost sim` of any venue,
// for tests/functional/test_sim_valgrind.sh: public REST and websocket data, and (Kraken, Binance)
// signed REST, private websocket orders placed, filled and cancelled, user data events; one socket
// of each kind is left open for the SIGTERM that follows.
//   node sim_valgrind_client.js ENDPOINTS_FILE
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const WebSocket = require('ws');

const ep = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const check = (c, m) => { if (!c) { console.error('FAIL: ' + m); process.exit(1); } };

function req(method, url, headers = {}, body = undefined) {
  return new Promise((resolve, reject) => {
    const r = http.request(url, { method, headers }, (res) => {
      let d = '';
      res.on('data', (c) => { d += c; });
      res.on('end', () => resolve({ status: res.statusCode, body: d }));
    });
    r.on('error', reject);
    r.setTimeout(30000, () => r.destroy(new Error(`${method} ${url}: no answer in 30 s`)));
    r.end(body);
  });
}

// a websocket that collects JSON frames; until(pred) waits for one (30 s: the sim runs under valgrind)
function socket(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const frames = [];
    let waiter = null;
    ws.on('message', (d) => {
      try { frames.push(JSON.parse(String(d))); } catch (e) { frames.push({ unparsed: String(d) }); }
      if (waiter) waiter();
    });
    ws.on('error', reject);
    ws.on('open', () => resolve({
      ws, frames,
      send: (o) => ws.send(JSON.stringify(o)),
      until: (pred, what) => new Promise((res, rej) => {
        const t = setTimeout(() => rej(new Error(`${what}: not within 30 s; frames: ${JSON.stringify(frames.slice(-3))}`)), 30000);
        const look = () => { const f = frames.find(pred); if (f) { clearTimeout(t); waiter = null; res(f); } };
        waiter = look;
        look();
      }),
    }));
  });
}

async function kraken() {
  let r = await req('GET', ep.rest + '/0/public/Depth?pair=XMRUSD&count=5');
  check(r.status === 200 && JSON.parse(r.body).error.length === 0, `Depth: ${r.body.slice(0, 200)}`);
  const pub = await socket(ep.ws_public);
  pub.send({ method: 'subscribe', params: { channel: 'book', symbol: ['XMR/USD'], depth: 10 }, req_id: 1 });
  const snap = await pub.until((f) => f.channel === 'book' && f.type === 'snapshot', 'book snapshot');
  const ask = snap.data[0].asks[0].price;
  const path = '/0/private/GetWebSocketsToken', nonce = String(Date.now() * 1000), body = `nonce=${nonce}`;
  const sig = crypto.createHmac('sha512', Buffer.from(ep.secret, 'base64'))
    .update(path + crypto.createHash('sha256').update(nonce + body).digest('binary'), 'binary').digest('base64');
  r = await req('POST', ep.rest + path, { 'API-Key': ep.key, 'API-Sign': sig, 'Content-Type': 'application/x-www-form-urlencoded' }, body);
  const token = JSON.parse(r.body).result.token;
  check(token, `token: ${r.body}`);
  const prv = await socket(ep.ws_private);
  prv.send({ method: 'subscribe', params: { channel: 'executions', token }, req_id: 2 });
  prv.send({ method: 'subscribe', params: { channel: 'balances', token }, req_id: 3 });
  prv.send({ method: 'add_order', params: { order_type: 'limit', side: 'buy', order_qty: 1, limit_price: 100, symbol: 'XMR/USD', token }, req_id: 4 });
  const rest = await prv.until((f) => f.req_id === 4, 'add_order');
  prv.send({ method: 'add_order', params: { order_type: 'limit', side: 'buy', order_qty: 0.1, limit_price: ask + 5, symbol: 'XMR/USD', token }, req_id: 5 });
  await prv.until((f) => f.channel === 'balances' && f.type === 'update', 'a fill in balances');
  prv.send({ method: 'cancel_order', params: { order_id: [rest.result.order_id], token }, req_id: 6 });
  await prv.until((f) => f.req_id === 6 && f.success, 'cancel_order');
  prv.send({ method: 'cancel_all_orders_after', params: { timeout: 60, token }, req_id: 7 });
  await prv.until((f) => f.req_id === 7, 'cancel_all_orders_after');
}

async function binance() {
  let r = await req('GET', ep.rest + '/api/v3/depth?symbol=NKNUSDT&limit=5');
  const depth = JSON.parse(r.body);
  check(r.status === 200 && depth.asks.length > 0, `depth: ${r.body.slice(0, 200)}`);
  const st = await socket(ep.ws_streams);
  st.send({ method: 'SUBSCRIBE', params: ['nknusdt@depth@100ms', 'nknusdt@trade'], id: 1 });
  await st.until((f) => f.id === 1, 'SUBSCRIBE');
  const q = `symbol=NKNUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=100&price=0.2000&timestamp=${Date.now()}`;
  r = await req('POST', ep.rest + '/api/v3/order', { 'X-MBX-APIKEY': ep.key, 'Content-Type': 'application/x-www-form-urlencoded' },
    q + '&signature=' + crypto.createHmac('sha256', ep.secret).update(q).digest('hex'));
  check(r.status === 200, `REST order: ${r.body}`);
  const api = await socket(ep.ws_api);
  const signed = (p) => {
    const all = Object.assign({ apiKey: ep.key, timestamp: Date.now() }, p);
    const text = Object.keys(all).sort().map((k) => `${k}=${all[k]}`).join('&');
    return Object.assign(all, { signature: crypto.createHmac('sha256', ep.secret).update(text).digest('hex') });
  };
  api.send({ id: 'a', method: 'userDataStream.subscribe.signature', params: signed({}) });
  await api.until((f) => f.id === 'a' && f.status === 200, 'subscribe');
  api.send({ id: 'b', method: 'order.place', params: signed({ symbol: 'NKNUSDT', side: 'BUY', type: 'MARKET', quantity: '100' }) });
  await api.until((f) => f.id === 'b' && f.status === 200, 'order.place market');
  await api.until((f) => f.event && f.event.e === 'executionReport' && f.event.x === 'TRADE', 'a TRADE event');
  api.send({ id: 'c', method: 'openOrders.status', params: signed({ symbol: 'NKNUSDT' }) });
  const open = await api.until((f) => f.id === 'c', 'openOrders.status');
  api.send({ id: 'd', method: 'order.cancel', params: signed({ symbol: 'NKNUSDT', orderId: open.result[0].orderId }) });
  await api.until((f) => f.id === 'd' && f.status === 200, 'order.cancel');
  api.send({ id: 'e', method: 'order.place', params: signed({ symbol: 'NKNUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '100', price: '0.2000' }) });
  await api.until((f) => f.id === 'e' && f.status === 200, 'a resting order left at SIGTERM');
}

async function krakenFutures() {
  const r = await req('GET', ep.rest + '/derivatives/api/v3/instruments');
  check(r.status === 200 && JSON.parse(r.body).instruments.length > 0, `instruments: ${r.body.slice(0, 100)}`);
  const c = await socket(ep.ws_public);
  c.send({ event: 'subscribe', feed: 'book', product_ids: ['PI_XBTUSD', 'PI_ETHUSD'] });
  c.send({ event: 'subscribe', feed: 'ticker', product_ids: ['PI_ETHUSD'] });
  await c.until((f) => f.feed === 'book_snapshot' && f.product_id === 'PI_ETHUSD', 'book_snapshot');
  c.send({ event: 'unsubscribe', feed: 'book', product_ids: ['PI_XBTUSD'] });
  await c.until((f) => f.event === 'unsubscribed', 'unsubscribed');
}

(async () => {
  if (ep.venue === 'kraken') await kraken();
  else if (ep.venue === 'binance') await binance();
  else await krakenFutures();
  console.log(`ok - ${ep.venue}: client session done`);
  process.exit(0); // the sockets are left open: the sim meets SIGTERM with clients attached
})().catch((e) => { console.error('FAIL: ' + (e.stack || e)); process.exit(1); });
