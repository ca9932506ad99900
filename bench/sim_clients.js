// bench/sim_clients.js — frames/s that `tradehost sim` serves to N websocket clients.
//   node bench/sim_clients.js ENDPOINTS_FILE N
// Each client subscribes to every symbol's book at depth 1000 (every recorded update becomes one
// frame to every client) before the replay starts (--paused); then POST /_sim/resume, and each
// client counts frames (no parsing: the client must not be the bottleneck) until none has come
// for 300 ms after the data ended. Prints per-client and aggregate frames/s and MB/s.
'use strict';
const fs = require('fs');
const path = require('path');
const WebSocket = require(path.join(__dirname, '../tests/ccxt/node_modules/ws'));
const { request, getJson, sleep } = require(path.join(__dirname, '../tests/ccxt/sim_lib.js'));

(async () => {
  const ep = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  const n = parseInt(process.argv[3] || '1', 10);
  const symbols = ['GRT/ETH', 'KSM/BTC', 'SC/EUR', 'WAVES/EUR', 'XMR/USD'];
  const clients = [];
  for (let i = 0; i < n; i++) {
    const c = { frames: 0, bytes: 0, acks: 0, last: 0 };
    c.ws = new WebSocket(ep.ws_public, { perMessageDeflate: false });
    c.ws.on('message', (b) => {
      c.frames++;
      c.bytes += b.length;
      c.last = process.hrtime.bigint();
      if (b.length < 400 && b.includes('"success":true')) c.acks++;
    });
    await new Promise((res, rej) => { c.ws.on('open', res); c.ws.on('error', rej); });
    c.ws.send(JSON.stringify({ method: 'subscribe', params: { channel: 'book', symbol: symbols, depth: 1000 } }));
    clients.push(c);
  }
  while (clients.some((c) => c.acks < symbols.length)) await sleep(10);
  for (const c of clients) { c.frames = 0; c.bytes = 0; }
  const t0 = process.hrtime.bigint();
  await request('POST', ep.control + '/resume');
  while (!(await getJson(ep.control + '/state')).data_ended) await sleep(50);
  let total = -1;
  for (;;) {
    await sleep(300);
    const t = clients.reduce((a, c) => a + c.frames, 0);
    if (t === total) break;
    total = t;
  }
  const last = clients.reduce((a, c) => (c.last > a ? c.last : a), 0n);
  const secs = Number(last - t0) / 1e9;
  const frames = clients.reduce((a, c) => a + c.frames, 0), bytes = clients.reduce((a, c) => a + c.bytes, 0);
  const min = Math.min(...clients.map((c) => c.frames)), max = Math.max(...clients.map((c) => c.frames));
  console.log(`RESULT clients=${n} frames_per_client=${min}..${max} seconds=${secs.toFixed(3)} frames_per_s_per_client=${Math.round(min / secs)} ` +
              `frames_per_s_total=${Math.round(frames / secs)} MB_per_s_total=${(bytes / secs / 1e6).toFixed(1)}`);
  for (const c of clients) c.ws.terminate();
  process.exit(0);
})().catch((e) => { console.error('FAIL: ' + e); process.exit(1); });
