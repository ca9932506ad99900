// check_sweep.js SWEEP_DIR — opens SWEEP_DIR/sweep.html in headless Chromium (Debian's, or
// $TH_CHROMIUM) and checks it against SWEEP_DIR/sweep.json: one table row per run, in the same
// order (rank 1, 2, ...), the same run directory and ranked metric in each row, the metric
// ordered (higher first; fees: the metric is minus the fees, so the same), every row's link a
// relative path to a run's report page that exists, no console errors, no network request, no
// script. Prints one JSON line; exits 1 naming the first failure.
'use strict';
const fs = require('fs');
const path = require('path');
const { openOffline } = require('./offline_page');

function fail(msg) { console.error('FAIL: ' + msg); process.exit(1); }

(async () => {
  const dir = process.argv[2];
  if (!dir) fail('usage: check_sweep.js SWEEP_DIR');
  const html = path.resolve(dir, 'sweep.html');
  const sweep = JSON.parse(fs.readFileSync(path.resolve(dir, 'sweep.json'), 'utf8'));
  const url = 'file://' + html;
  const { browser, page, errors, requests } = await openOffline(url);
  try {
    const resp = await page.goto(url, { waitUntil: 'load' });
    if (!resp || !resp.ok()) fail('the page did not load');
    const seen = await page.evaluate(() => ({
      rows: [...document.querySelectorAll('table.sweep tbody tr')].map((tr) => {
        const r = tr.getBoundingClientRect();
        return { rank: +tr.dataset.rank, run: tr.dataset.run, metric: tr.dataset.metric === undefined ? null : +tr.dataset.metric,
                 firstCell: tr.cells[0].textContent, visible: r.width > 0 && r.height > 0,
                 links: [...tr.querySelectorAll('a')].map((a) => a.getAttribute('href')) };
      }),
      scripts: document.scripts.length,
      srcs: [...document.querySelectorAll('[src]')].map((e) => e.getAttribute('src')),
    }));
    const want = sweep.table;
    if (seen.rows.length !== want.length) fail(`${seen.rows.length} rows, sweep.json has ${want.length} runs`);
    seen.rows.forEach((row, i) => {
      const w = want[i];
      if (row.rank !== i + 1 || row.firstCell !== String(i + 1)) fail(`row ${i + 1} shows rank ${row.firstCell} (data-rank ${row.rank})`);
      if (row.run !== w.dir) fail(`row ${i + 1} is ${row.run}, sweep.json ranks ${w.dir} there`);
      if (!row.visible) fail(`row ${i + 1} is not rendered`);
      if (w.exit === 0 && row.metric === null) fail(`row ${i + 1} has no metric`);
      if (w.exit === 0) {
        const m = sweep.rank === 'fees' ? -w.fees : w[sweep.rank];
        if (Math.abs(row.metric - m) > 1e-6 * Math.max(1, Math.abs(m))) fail(`row ${i + 1}: metric ${row.metric}, sweep.json ${m}`);
        if (row.links.length !== 1) fail(`row ${i + 1}: ${row.links.length} links to its report`);
      }
      for (const href of row.links) {
        if (/^[a-z]+:/i.test(href) || href.startsWith('/')) fail(`row ${i + 1} links outside the sweep: ${href}`);
        if (!fs.existsSync(path.resolve(dir, href))) fail(`row ${i + 1} links to a missing page: ${href}`);
      }
      if (i > 0 && row.metric !== null && seen.rows[i - 1].metric !== null && row.metric > seen.rows[i - 1].metric)
        fail(`row ${i + 1} (${row.metric}) ranks below row ${i} (${seen.rows[i - 1].metric}) with a higher ${sweep.rank}`);
    });
    if (seen.scripts !== 0) fail(`${seen.scripts} scripts in the page`);
    if (seen.srcs.length) fail('resources referenced: ' + seen.srcs.join(', '));
    if (errors.length) fail('console: ' + errors.join(' | '));
    if (requests.length) fail('network requests: ' + requests.join(', '));
    console.log(JSON.stringify({ rows: seen.rows.length, rank: sweep.rank, errors: 0, requests: 0 }));
  } finally {
    await browser.close();
  }
})().catch((e) => fail(e.stack || String(e)));
