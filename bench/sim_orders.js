// bench/sim_orders.js — order round trips against `tradehost sim` over loopback.
//   node bench/sim_orders.js ENDPOINTS_FILE [N]
// WS v2: add_order (a resting limit buy far from the market) -> its answer, then cancel_order ->
// its answer, N times in sequence on one private connection; REST: signed AddOrder and CancelOrder
// over one keep-alive connection. Prints p50/p99/max of each, in microseconds.
'use strict';
const fs = require('fs');
const path = require('path');
const http = require('http');
const WebSocket = require(path.join(__dirname, '../tests/ccxt/node_modules/ws'));
const { krakenSign } = require(path.join(__dirname, '../tests/ccxt/sim_lib'));

function pct(v, p) { const s = [...v].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; }
function report(name, v) { console.log(`RESULT ${name} n=${v.length} p50_us=${pct(v, 0.5).toFixed(0)} p99_us=${pct(v, 0.99).toFixed(0)} max_us=${Math.max(...v).toFixed(0)}`); }
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
let nonce = Date.now() * 1000;
function priv(ep, method, params) {
  const p = '/0/private/' + method, n = String(++nonce);
  const body = new URLSearchParams(Object.assign({ nonce: n }, params)).toString();
  const sig = krakenSign(p, n, body, ep.secret);
  return new Promise((resolve, reject) => {
    const req = http.request(ep.rest + p, { method: 'POST', agent, headers: { 'API-Key': ep.key, 'API-Sign': sig, 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': Buffer.byteLength(body) } }, (res) => {
      let d = '';
      res.on('data', (c) => { d += c; });
      res.on('end', () => resolve(JSON.parse(d)));
    });
    req.on('error', reject);
    req.end(body);
  });
}

(async () => {
  const ep = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  const N = parseInt(process.argv[3] || '2000', 10);
  const token = (await priv(ep, 'GetWebSocketsToken', {})).result.token;
  const ws = new WebSocket(ep.ws_private, { perMessageDeflate: false });
  let waiting = null;
  ws.on('message', (b) => {
    const m = JSON.parse(b.toString());
    if (m.req_id !== undefined && waiting && waiting.id === m.req_id) { const w = waiting; waiting = null; w.resolve(m); }
  });
  await new Promise((res) => ws.on('open', res));
  const call = (id, msg) => new Promise((resolve) => { waiting = { id, resolve }; ws.send(JSON.stringify(Object.assign(msg, { req_id: id }))); });
  const add = [], cancel = [];
  for (let i = 0; i < N + 100; i++) {
    let t = process.hrtime.bigint();
    const a = await call(2 * i + 1, { method: 'add_order', params: { order_type: 'limit', side: 'buy', order_qty: 0.1, limit_price: 100, symbol: 'XMR/USD', token } });
    const ta = Number(process.hrtime.bigint() - t) / 1e3;
    if (!a.success) throw new Error(JSON.stringify(a));
    t = process.hrtime.bigint();
    const c = await call(2 * i + 2, { method: 'cancel_order', params: { order_id: [a.result.order_id], token } });
    const tc = Number(process.hrtime.bigint() - t) / 1e3;
    if (!c.success) throw new Error(JSON.stringify(c));
    if (i >= 100) { add.push(ta); cancel.push(tc); } // the first 100 warm up
  }
  report('ws_add_order_rtt', add);
  report('ws_cancel_order_rtt', cancel);
  const radd = [], rcancel = [];
  const M = Math.max(200, Math.floor(N / 4));
  for (let i = 0; i < M + 50; i++) {
    let t = process.hrtime.bigint();
    const a = await priv(ep, 'AddOrder', { pair: 'XMRUSD', type: 'buy', ordertype: 'limit', volume: '0.1', price: '100' });
    const ta = Number(process.hrtime.bigint() - t) / 1e3;
    if (a.error.length) throw new Error(JSON.stringify(a));
    t = process.hrtime.bigint();
    const c = await priv(ep, 'CancelOrder', { txid: a.result.txid[0] });
    const tc = Number(process.hrtime.bigint() - t) / 1e3;
    if (c.error.length) throw new Error(JSON.stringify(c));
    if (i >= 50) { radd.push(ta); rcancel.push(tc); }
  }
  report('rest_add_order_rtt', radd);
  report('rest_cancel_order_rtt', rcancel);
  ws.terminate();
  process.exit(0);
})().catch((e) => { console.error('FAIL: ' + e); process.exit(1); });
