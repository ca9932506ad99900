// sim_lib.js — helpers shared by the ccxt tests of `tradehost sim`: the endpoints line, a ccxt
// client pointed at the sim, the control endpoint, and an independent Kraken v2 book builder
// (plain JS, no tradehost code) used as the reference.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const ccxt = require('ccxt');

// The endpoints line from the file the test's sim writes. With READY_FILE set, the script first
// says it has loaded (requiring ccxt takes a second or two) and waits for the line: the sim then
// starts after the client is ready, so a short replay is watched from its start.
// `keys` are the URLs the venue must announce (Kraken's by default); the two websocket URLs of
// the pair given in `distinct` must differ (public and private, as on the exchange).
async function endpoints(keys = ['rest', 'ws_public', 'ws_private', 'control'], distinct = ['ws_public', 'ws_private']) {
  const file = process.argv[2];
  if (process.env.READY_FILE) {
    fs.writeFileSync(process.env.READY_FILE, 'ready\n');
    for (let i = 0; !(fs.existsSync(file) && fs.readFileSync(file, 'utf8').includes('}')); i++) {
      if (i > 400) throw new Error('no endpoints line within 20 s');
      await sleep(50);
    }
  }
  const ep = JSON.parse(fs.readFileSync(file, 'utf8'));
  for (const k of keys)
    if (typeof ep[k] !== 'string') throw new Error(`endpoints line without ${k}`);
  if (ep[distinct[0]] === ep[distinct[1]]) throw new Error(`${distinct[0]} and ${distinct[1]} URLs must differ`);
  return ep;
}

// A ccxt pro kraken client whose every URL is the sim's (markets from the sim's own REST).
async function krakenClient(ep, extra = {}) {
  const ex = new ccxt.pro.kraken(Object.assign({ enableRateLimit: false, timeout: 10000 }, extra));
  ex.urls.api.public = ep.rest;
  ex.urls.api.private = ep.rest;
  ex.urls.api.ws = Object.assign({}, ex.urls.api.ws, { publicV2: ep.ws_public, privateV2: ep.ws_private,
    public: ep.ws_public, private: ep.ws_private });
  await ex.loadHttpProxyAgent(); // ccxt refuses ws:// without it
  await ex.loadMarkets();
  return ex;
}

function request(method, url, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: body ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } : {} }, (res) => {
      let data = '';
      res.on('data', (c) => { data += c; });
      res.on('end', () => resolve({ status: res.statusCode, body: data }));
    });
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

async function getJson(url) {
  const r = await request('GET', url);
  if (r.status !== 200) throw new Error(`GET ${url}: ${r.status} ${r.body}`);
  return JSON.parse(r.body);
}

// Kraken v2 book rules, from the venue's documentation: a snapshot replaces the book, an update
// sets each level (qty 0 deletes), then the book is truncated to the subscribed depth. Numbers
// are kept as their wire text (the recording's) and compared as numbers.
function referenceBooks(recordingPath, depth = 1000) {
  const books = {};
  const lines = fs.readFileSync(recordingPath, 'utf8').split('\n');
  for (const line of lines) {
    const sp = line.indexOf(' ');
    if (sp < 0) continue;
    const text = line.slice(sp + 1);
    if (!text.startsWith('{"channel":"book"')) continue;
    const msg = JSON.parse(text.replace(/"(price|qty)":([-0-9.eE+]+)/g, '"$1":"$2"'));
    for (const d of msg.data) {
      if (msg.type === 'snapshot' || !books[d.symbol]) books[d.symbol] = { bids: new Map(), asks: new Map() };
      const b = books[d.symbol];
      for (const side of ['bids', 'asks']) {
        for (const l of d[side] || []) {
          const p = Number(l.price), q = Number(l.qty);
          if (q === 0) b[side].delete(p); else b[side].set(p, q);
        }
        const sorted = [...b[side].entries()].sort((x, y) => side === 'bids' ? y[0] - x[0] : x[0] - y[0]);
        b[side] = new Map(sorted.slice(0, depth));
      }
    }
  }
  const out = {};
  for (const [sym, b] of Object.entries(books)) {
    out[sym] = {
      bids: [...b.bids.entries()].sort((x, y) => y[0] - x[0]),
      asks: [...b.asks.entries()].sort((x, y) => x[0] - y[0]),
    };
  }
  return out;
}

// Kraken's book checksum (docs.kraken.com, v2 "checksum"): CRC32 of the top 10 asks then bids,
// each price and qty text with the point and leading zeros removed.
const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();
function crc32(str) {
  let c = 0xffffffff;
  for (let i = 0; i < str.length; i++) c = CRC_TABLE[(c ^ str.charCodeAt(i)) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function krakenChecksum(asks, bids) { // levels: [[priceText, qtyText], ...] best first
  const f = (t) => t.replace('.', '').replace(/^0+/, '');
  let s = '';
  for (const [p, q] of asks.slice(0, 10)) s += f(p) + f(q);
  for (const [p, q] of bids.slice(0, 10)) s += f(p) + f(q);
  return crc32(s);
}

function sameLevels(a, b, n) { // [[p, q], ...] as numbers or strings
  const x = a.slice(0, n), y = b.slice(0, n);
  if (x.length !== y.length) return false;
  return x.every((l, i) => Number(l[0]) === Number(y[i][0]) && Number(l[1]) === Number(y[i][1]));
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Kraken's API-Sign: base64(HMAC-SHA512(base64-decoded secret, path + SHA256(nonce + body))).
function krakenSign(path, nonce, body, secret) {
  const hash = crypto.createHash('sha256').update(String(nonce) + body).digest();
  return crypto.createHmac('sha512', Buffer.from(secret, 'base64')).update(Buffer.concat([Buffer.from(path), hash])).digest('base64');
}

function check(cond, msg) { if (!cond) { console.error('FAIL: ' + msg); process.exit(1); } }

module.exports = { ccxt, endpoints, krakenSign, krakenClient, request, getJson, referenceBooks, krakenChecksum, sameLevels, sleep, check };
