// kraken_public.js — ccxt (and a raw websocket client) against `tradehost sim --venue kraken`,
// public side. Run by tests/functional/test_sim_kraken_public.sh with the sim replaying the bundled
// Kraken book recording merged with its trades recording, at 5x the recorded pace (about 6 s), held by --paused until the clients have subscribed:
//   node kraken_public.js ENDPOINTS_FILE BOOK_RECORDING TRADES_RECORDING
// What it proves:
//  - ccxt loads its markets from the sim's own REST (Assets, AssetPairs) and names every recorded
//    pair as it would on Kraken;
//  - ccxt's watchOrderBook on every recorded symbol, at depth 10 (ccxt's default) and 1000, while
//    the data plays: after the data has ended its books equal the sim's own (GET /_sim/state) and a
//    reference built here from the recording with the documented v2 rules (no tradehost code);
//  - every book frame's checksum, on raw connections at depths 10 and 1000, equals the CRC32 a
//    client computes from the levels it holds (so the sim's diffs and checksums agree);
//  - status frame first, ping/pong with req_id, subscribe acks and errors in Kraken's shapes,
//    garbage answered with an error without losing the connection, trade and ticker and
//    instrument channels, heartbeats, a client joining after the data ended; the ticker's default
//    `trades` trigger: one update per recorded trade with last, volume, low and high.
'use strict';
const fs = require('fs');
const WebSocket = require('ws');
const { endpoints, krakenClient, request, getJson, referenceBooks, krakenChecksum, sameLevels, sleep, check } = require('./sim_lib');

let ep;
const bookRec = process.argv[3], tradesRec = process.argv[4];

// A raw v2 client that keeps its own books at `depth` from the wire text and checks every checksum.
function rawClient(depth, symbols, extra = []) {
  const ws = new WebSocket(ep.ws_public);
  const st = { frames: [], books: {}, checksums: 0, bad: [], trades: 0, tickers: [], heartbeats: 0, acks: [], errors: [], pongs: [], instrument: null, first: null };
  ws.on('message', (buf) => {
    const text = buf.toString();
    const m = JSON.parse(text.replace(/"(price|qty|bid|ask|bid_qty|ask_qty|last)":([-0-9.eE+]+)/g, '"$1":"$2"'));
    if (!st.first) st.first = m;
    if (m.channel === 'book') {
      for (const d of m.data) {
        if (m.type === 'snapshot') st.books[d.symbol] = { bids: new Map(), asks: new Map() };
        const b = st.books[d.symbol];
        check(b, `update before snapshot for ${d.symbol}`);
        for (const side of ['bids', 'asks']) {
          for (const l of d[side]) { if (Number(l.qty) === 0) b[side].delete(l.price); else b[side].set(l.price, l.qty); }
          const sorted = [...b[side].entries()].sort((x, y) => side === 'bids' ? Number(y[0]) - Number(x[0]) : Number(x[0]) - Number(y[0]));
          b[side] = new Map(sorted.slice(0, depth));
        }
        const want = krakenChecksum([...b.asks.entries()], [...b.bids.entries()]);
        st.checksums++;
        if (want !== d.checksum) st.bad.push(`${d.symbol} ${m.type}: frame says ${d.checksum}, the levels held give ${want}`);
      }
    } else if (m.channel === 'trade' && m.type === 'update') st.trades += m.data.length;
    else if (m.channel === 'ticker') st.tickers.push(m.data[0]);
    else if (m.channel === 'heartbeat') st.heartbeats++;
    else if (m.channel === 'instrument') st.instrument = m;
    else if (m.method === 'pong') st.pongs.push(m);
    else if (m.success === true) st.acks.push(m);
    else if (m.success === false) st.errors.push(m);
  });
  st.ready = new Promise((res, rej) => { ws.on('open', res); ws.on('error', rej); });
  st.ws = ws;
  st.send = (o) => ws.send(typeof o === 'string' ? o : JSON.stringify(o));
  st.subscribe = () => {
    st.send({ method: 'subscribe', params: { channel: 'book', symbol: symbols, depth }, req_id: depth });
    for (const e of extra) st.send(e);
  };
  return st;
}

function top(sideMap, n) { return [...sideMap.entries()].slice(0, n).map(([p, q]) => [Number(p), Number(q)]); }

(async () => {
  ep = await endpoints();
  // markets from the sim's REST, named as on Kraken
  const ex10 = await krakenClient(ep);
  const state0 = await getJson(ep.control + '/state');
  const ref = referenceBooks(bookRec);
  const symbols = Object.keys(ref).sort();
  check(symbols.length === 5, `the recording has 5 symbols, got ${symbols}`);
  for (const s of symbols) {
    const m = ex10.market(s);
    check(m && m.spot && m.active, `ccxt has no active market ${s}`);
  }
  check(ex10.market('XMR/USD').id === 'XXMRZUSD' && ex10.market('KSM/BTC').id === 'KSMXBT', 'Kraken REST pair ids (XXMRZUSD, KSMXBT)');
  check(ex10.market('XMR/USD').precision.price === 0.01 && ex10.market('XMR/USD').limits.amount.min === 0.05, 'XMR/USD precision and ordermin from the instrument data');
  console.log(`ok - ccxt loadMarkets from the sim: ${Object.keys(ex10.markets).length} markets, ${symbols.join(' ')}`);

  // raw clients: depth 10 with trade/ticker/instrument, depth 1000
  const raw10 = rawClient(10, symbols, [
    { method: 'subscribe', params: { channel: 'trade', symbol: symbols }, req_id: 20 },
    { method: 'subscribe', params: { channel: 'ticker', symbol: ['XMR/USD'], event_trigger: 'bbo' }, req_id: 21 },
    { method: 'subscribe', params: { channel: 'instrument' }, req_id: 22 },
    { method: 'subscribe', params: { channel: 'ticker', symbol: ['SC/EUR'] }, req_id: 26 },
    { method: 'subscribe', params: { channel: 'book', symbol: ['NOPE/USD'] }, req_id: 23 },
    { method: 'subscribe', params: { channel: 'book', symbol: ['XMR/USD'], depth: 7 }, req_id: 24 },
    'this is not json',
    { method: 'ping', req_id: 25 },
  ]);
  const raw1000 = rawClient(1000, symbols);
  await Promise.all([raw10.ready, raw1000.ready]);
  raw10.subscribe();
  raw1000.subscribe();

  // ccxt at depth 10 (its default) subscribes before the replay starts (its snapshots come when
  // the recording's do); ccxt at depth 1000 joins a second into the replay (a snapshot of a moving
  // book, then updates); both watch until the data has ended
  let done = false;
  const updates = { 10: 0, 1000: 0 };
  const watch = (ex, limit) => {
    for (const s of symbols)
      (async () => {
        while (!done) {
          await ex.watchOrderBook(s, limit);
          updates[limit || 10]++;
        }
      })().catch((e) => { if (!done) { console.error(`FAIL: watchOrderBook ${s} ${limit}: ${e}`); process.exit(1); } });
  };
  watch(ex10, undefined);
  for (let i = 0; raw10.acks.length < 13 || raw1000.acks.length < 5; i++) {
    check(i < 100, `subscriptions not acknowledged: ${raw10.acks.length}/13, ${raw1000.acks.length}/5`);
    await sleep(50);
  }
  await sleep(300);
  const resumed = await request('POST', ep.control + '/resume');
  check(resumed.status === 200 && JSON.parse(resumed.body).resumed === true, `POST /_sim/resume: ${resumed.status} ${resumed.body}`);
  await sleep(1000);
  const ex1000 = await krakenClient(ep);
  watch(ex1000, 1000);

  let state;
  for (let i = 0; ; i++) {
    state = await getJson(ep.control + '/state');
    if (state.data_ended) break;
    check(i < 600, 'the data did not end within 60 s');
    await sleep(100);
  }
  check(state0.records === 0 && state.records === 2649, `the replay was held until the clients subscribed, then played whole: records ${state0.records} then ${state.records}`);
  // frames written before the data ended arrive in order: wait until ccxt's books settle on the state's
  const eqState = (ex, s) => ex.orderbooks[s] && sameLevels(ex.orderbooks[s].bids, state.books[s].bids, 10) && sameLevels(ex.orderbooks[s].asks, state.books[s].asks, 10);
  for (let i = 0; i < 100 && !symbols.every((s) => eqState(ex10, s) && eqState(ex1000, s)); i++) await sleep(50);
  for (const s of symbols) {
    check(eqState(ex10, s), `ccxt depth 10 ${s} top 10 differs from GET /_sim/state:\nccxt ${JSON.stringify(ex10.orderbooks[s] && ex10.orderbooks[s].bids.slice(0, 10))}\nsim  ${JSON.stringify(state.books[s].bids)}`);
    check(eqState(ex1000, s), `ccxt depth 1000 ${s} top 10 differs from GET /_sim/state`);
    const r = ref[s];
    check(sameLevels(ex10.orderbooks[s].bids, r.bids, 10) && sameLevels(ex10.orderbooks[s].asks, r.asks, 10), `ccxt depth 10 ${s} differs from the reference book`);
    // ccxt takes a book's depth from the number of asks in its snapshot (a quirk of its kraken
    // client, the same against the exchange) and truncates to it; levels that later rise into that
    // window from below were sent while outside it, so its tail can be short. What it keeps must
    // be exactly the reference's best levels, and the top 10 complete (checked above).
    const b = ex1000.orderbooks[s];
    check(b.bids.length >= 50 && b.asks.length >= 50 || r.asks.length < 50, `ccxt depth 1000 ${s}: only ${b.bids.length}/${b.asks.length} levels`);
    check(sameLevels(b.bids, r.bids, b.bids.length) && sameLevels(b.asks, r.asks, b.asks.length), `ccxt depth 1000 ${s}: its ${b.bids.length}/${b.asks.length} levels are not the reference's best`);
  }
  console.log(`ok - ccxt watchOrderBook on ${symbols.length} symbols (${updates[10]} + ${updates[1000]} book updates seen): after the data ended, depth 10 and all ${symbols.map((s) => ex1000.orderbooks[s].bids.length + ex1000.orderbooks[s].asks.length).reduce((a, b) => a + b)} levels ccxt keeps at depth 1000 equal GET /_sim/state and the reference built from the recording`);

  // the raw clients: checksums, and books equal to the reference
  for (const [raw, depth] of [[raw10, 10], [raw1000, 1000]]) {
    check(raw.bad.length === 0, `depth ${depth}: ${raw.bad.length} checksums disagree with the levels held, first: ${raw.bad[0]}`);
    for (const s of symbols) {
      const b = raw.books[s];
      check(b && sameLevels(top(b.bids, depth), ref[s].bids, depth) && sameLevels(top(b.asks, depth), ref[s].asks, depth), `raw depth ${depth} ${s} differs from the reference`);
    }
  }
  check(raw10.checksums > 500 && raw1000.checksums > 500, `few book frames: ${raw10.checksums}, ${raw1000.checksums}`);
  console.log(`ok - raw v2 clients: ${raw10.checksums} (depth 10) and ${raw1000.checksums} (depth 1000) book frames, every checksum equals the CRC32 of the levels the client holds`);

  // protocol details
  const f = raw10.first;
  check(f.channel === 'status' && f.type === 'update' && f.data[0].system === 'online' && f.data[0].api_version === 'v2' && Number.isInteger(f.data[0].connection_id), `first frame is the status frame: ${JSON.stringify(f)}`);
  const ack = raw10.acks.find((a) => a.req_id === 10 && a.result.symbol === 'XMR/USD');
  check(ack && ack.method === 'subscribe' && ack.result.channel === 'book' && ack.result.depth === 10 && ack.result.snapshot === true && ack.time_in && ack.time_out, `book subscribe ack: ${JSON.stringify(ack)}`);
  const e23 = raw10.errors.find((e) => e.req_id === 23), e24 = raw10.errors.find((e) => e.req_id === 24);
  check(e23 && e23.error === 'Currency pair not supported NOPE/USD' && e23.symbol === 'NOPE/USD', `unknown pair error: ${JSON.stringify(e23)}`);
  check(e24 && /depth/i.test(e24.error), `bad depth error: ${JSON.stringify(e24)}`);
  check(raw10.errors.some((e) => e.req_id === undefined && /malformed/.test(e.error)), 'garbage is answered with an error');
  check(raw10.pongs.some((p) => p.req_id === 25), 'ping req_id 25 answered with pong req_id 25 after the garbage');
  let trades = 0;
  const sc = [];
  for (const line of fs.readFileSync(tradesRec, 'utf8').split('\n')) {
    const m = line.match(/^\d+\.\d+: (\[.*\])$/);
    if (!m) continue;
    const v = JSON.parse(m[1]);
    const pair = v[3].replace('XBT', 'BTC');
    if (v[2] === 'trade' && symbols.includes(pair)) trades += v[1].length;
    if (v[2] === 'trade' && pair === 'SC/EUR') sc.push(...v[1].map((t) => [Number(t[0]), Number(t[1])]));
  }
  check(trades > 0 && raw10.trades === trades, `trade channel: ${raw10.trades} trades, the recording has ${trades}`);
  const xmrTickers = raw10.tickers.filter((x) => x.symbol === 'XMR/USD');
  const tk = xmrTickers[xmrTickers.length - 1];
  check(tk && Number(tk.bid) === ref['XMR/USD'].bids[0][0] && Number(tk.ask) === ref['XMR/USD'].asks[0][0], `last bbo ticker equals the final best bid/ask: ${JSON.stringify(tk)}`);
  // the ticker's default trigger (`trades`): one update per recorded trade, then last, volume,
  // low, high over the replay
  const kt = raw10.tickers.filter((x) => x.symbol === 'SC/EUR'), kl = kt[kt.length - 1];
  const kvol = sc.reduce((a, t) => a + t[1], 0);
  check(sc.length > 0 && kt.length === 1 + sc.length && Number(kl.last) === sc[sc.length - 1][0] && Math.abs(kl.volume - kvol) < 1e-6 &&
    Number(kl.low) === Math.min(...sc.map((t) => t[0])) && Number(kl.high) === Math.max(...sc.map((t) => t[0])),
    `ticker SC/EUR (trigger trades): ${kt.length} frames for ${sc.length} trades, last ${JSON.stringify(kl)}; recorded last ${sc.length && sc[sc.length - 1][0]}, volume ${kvol}`);
  const ins = raw10.instrument;
  check(ins && ins.type === 'snapshot' && ins.data.pairs.length === 5 && ins.data.pairs.some((p) => p.symbol === 'KSM/BTC' && p.price_precision === 6), 'instrument snapshot with the 5 pairs');
  console.log(`ok - status frame, acks, errors (unknown pair, bad depth, garbage), pong; ${raw10.trades} trades = the recording's; bbo ticker; trades ticker (${sc.length} SC/EUR trades, ${kt.length} frames); instrument snapshot`);

  // after the data: heartbeats about once a second, and a late client gets the final books
  const hb0 = raw10.heartbeats;
  await sleep(2300);
  check(raw10.heartbeats - hb0 >= 2 && raw10.heartbeats - hb0 <= 3, `heartbeats while idle: ${raw10.heartbeats - hb0} in 2.3 s`);
  const late = await krakenClient(ep);
  for (const s of symbols) {
    const ob = await late.watchOrderBook(s);
    check(sameLevels(ob.bids, ref[s].bids, 10) && sameLevels(ob.asks, ref[s].asks, 10), `late client ${s} snapshot equals the reference`);
  }
  console.log('ok - heartbeats about once a second when idle; a client joining after the data ended gets the final books');
  done = true;
  for (const ex of [ex10, ex1000, late]) await ex.close();
  raw10.ws.close();
  raw1000.ws.close();
  console.log('PASS');
  process.exit(0);
})().catch((e) => { console.error('FAIL: ' + (e && e.stack || e)); process.exit(1); });
