// ccxt_kraken.js — the same Kraken v2 book frames through ccxt's own websocket message handler
// (JSON.parse + kraken.handleMessage, exactly what its WS client does per frame), no network.
// Like bench_market, snapshots are applied untimed and only update frames are timed.
// usage: node bench/ccxt_kraken.js RECORDING [runs] [checksum:true|false]
'use strict';
const fs = require('fs');
const path = require('path');
const ccxt = require('ccxt'); // bench/node_modules (npm install in bench/)

const file = process.argv[2];
const runs = parseInt(process.argv[3] || '5', 10);
const checksum = process.argv[4] === 'true';
const frames = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => l.slice(l.indexOf(' ') + 1));
const isSnap = frames.map((f) => f.includes('"type":"snapshot"'));
const nUpd = isSnap.filter((s) => !s).length;

const ex = new ccxt.pro.kraken({ options: { watchOrderBook: { checksum } } });
const client = ex.client('wss://ws.kraken.com/v2');
let rejected = 0;
client.reject = () => { rejected++; };

const LOOPS = 40;
const rates = [];
for (let r = 0; r < runs; r++) {
  let updNs = 0n;
  for (let loop = 0; loop < LOOPS; loop++) {
    let t0 = 0n;
    for (let i = 0; i < frames.length; i++) {
      if (isSnap[i]) {
        if (t0) { updNs += process.hrtime.bigint() - t0; t0 = 0n; }
        ex.handleMessage(client, JSON.parse(frames[i]));
        continue;
      }
      if (!t0) t0 = process.hrtime.bigint();
      ex.handleMessage(client, JSON.parse(frames[i]));
    }
    if (t0) updNs += process.hrtime.bigint() - t0;
  }
  rates.push((nUpd * LOOPS) / (Number(updNs) / 1e9));
}
rates.sort((a, b) => a - b);
const median = rates[Math.floor(rates.length / 2)];
console.log(`ccxt ${ccxt.version} kraken handleMessage (checksum ${checksum ? 'on' : 'off'})   ${(median / 1e6).toFixed(3)} M frames/s  (checksum rejections ${rejected})`);
console.log(`RESULT ccxt_frames_per_s ${median.toFixed(0)}`);
