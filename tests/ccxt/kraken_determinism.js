// kraken_determinism.js — places the same resting orders on a --paused sim, replays the recording
// at full pace (the recording fills them through the queue model), and prints GET /_sim/state.
// test_sim_determinism.sh runs it on two sims with the same recording, accounts and seed and
// compares the outputs byte for byte.
//   node kraken_determinism.js ENDPOINTS_FILE
'use strict';
const fs = require('fs');
const http = require('http');
const WebSocket = require('ws');
const { krakenSign, request, getJson, sleep, check } = require('./sim_lib');

function post(ep, method, params, nonce) {
  const path = '/0/private/' + method;
  const body = new URLSearchParams(Object.assign({ nonce: String(nonce) }, params)).toString();
  const sig = krakenSign(path, nonce, body, ep.secret);
  return new Promise((resolve, reject) => {
    const req = http.request(ep.rest + path, { method: 'POST', headers: { 'API-Key': ep.key, 'API-Sign': sig, 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': Buffer.byteLength(body) } }, (res) => {
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
  let nonce = 1;
  const token = (await post(ep, 'GetWebSocketsToken', {}, nonce++)).result.token;
  const ws = new WebSocket(ep.ws_private);
  const answers = [];
  ws.on('message', (b) => { const m = JSON.parse(b.toString()); if (m.req_id) answers.push(m); });
  await new Promise((res) => ws.on('open', res));
  // resting orders around the recording's prices (XMR/USD traded 353-355, SC/EUR 0.0430-0.0432)
  const orders = [['XMR/USD', 'buy', 0.5, 353.9], ['XMR/USD', 'buy', 1, 353.5], ['XMR/USD', 'sell', 0.7, 354.6], ['XMR/USD', 'sell', 2, 355.2],
                  ['SC/EUR', 'buy', 2000, 0.0430], ['SC/EUR', 'sell', 3000, 0.04315], ['WAVES/EUR', 'buy', 3, 13.2]];
  orders.forEach(([symbol, side, qty, price], i) =>
    ws.send(JSON.stringify({ method: 'add_order', params: { order_type: 'limit', side, order_qty: qty, limit_price: price, symbol, cl_ord_id: 'det-' + i, token }, req_id: i + 1 })));
  for (let i = 0; answers.length < orders.length; i++) { check(i < 200, 'answers'); await sleep(20); }
  check(answers.every((a) => a.success), `orders accepted: ${JSON.stringify(answers.filter((a) => !a.success))}`);
  await request('POST', ep.control + '/resume');
  let st;
  for (let i = 0; !(st = await getJson(ep.control + '/state')).data_ended; i++) { check(i < 200, 'data end'); await sleep(50); }
  await post(ep, 'CancelAll', {}, nonce++);
  st = await getJson(ep.control + '/state');
  process.stdout.write(JSON.stringify(st.accounts) + '\n');
  ws.terminate();
  process.exit(0);
})().catch((e) => { console.error('FAIL: ' + (e && e.stack || e)); process.exit(1); });
