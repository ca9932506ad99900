// ccxt_kraken_session.js — every frame of a Kraken v2 recording, snapshots included, through
// ccxt's own websocket message handler (JSON.parse + kraken.handleMessage, what its WS client does
// per frame), no network: the reference for bench/replay_vs_ccxt.sh, which counts the same frames
// for `tradehost replay`. The file is read and split into frames before the clock starts (startup
// and I/O excluded); each pass is timed on its own, with a fresh exchange object.
// usage: node bench/ccxt_kraken_session.js RECORDING [passes]
// Prints one line per pass: "PASS <frames> <seconds> <update frames> <their seconds>", then the
// ccxt version.
'use strict';
const fs = require('fs');
const ccxt = require('ccxt'); // bench/node_modules (npm install in bench/)

const file = process.argv[2];
const passes = parseInt(process.argv[3] || '1', 10);
const text = fs.readFileSync(file, 'latin1');
const frames = [];
for (let i = 0; i < text.length;) {
  let nl = text.indexOf('\n', i);
  if (nl < 0) nl = text.length;
  const sp = text.indexOf(' ', i);
  if (sp > i && sp < nl) frames.push(text.slice(sp + 1, nl));
  i = nl + 1;
}
const isSnap = frames.map((f) => f.startsWith('{"channel":"book","type":"snapshot"'));
const nUpd = isSnap.filter((s) => !s).length;

for (let p = 0; p < passes; p++) {
  // Checksum validation stays at ccxt's default (off): turned on, 4.5.x throws on v2's JSON-number
  // prices (formatNumber calls data.split on a number), so its default is the only comparable run.
  const ex = new ccxt.pro.kraken();
  const client = ex.client('wss://ws.kraken.com/v2');
  let rejected = 0;
  client.reject = () => { rejected++; };
  // Also timed apart: the update frames alone (the clock stops around each snapshot), the figure
  // bench/ccxt_kraken.js reports; ccxt is faster there, as its snapshots cost it most.
  let updNs = 0n, seg = 0n;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < frames.length; i++) {
    if (isSnap[i]) {
      if (seg) { updNs += process.hrtime.bigint() - seg; seg = 0n; }
    } else if (!seg) seg = process.hrtime.bigint();
    ex.handleMessage(client, JSON.parse(frames[i]));
  }
  const t1 = process.hrtime.bigint();
  if (seg) updNs += t1 - seg;
  if (rejected) { console.error(`ccxt rejected ${rejected} frames`); process.exit(1); }
  console.log(`PASS ${frames.length} ${(Number(t1 - t0) / 1e9).toFixed(4)} ${nUpd} ${(Number(updNs) / 1e9).toFixed(4)}`);
}
console.log(`CCXT ${ccxt.version}`);
