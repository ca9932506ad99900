// check_report.js REPORT_DIR — opens REPORT_DIR/report.html in headless Chromium (Debian's, or
// $TH_CHROMIUM) and checks what a person would see: every plot rendered with data points (a
// line of at least two points or a marker, with a non-empty rendered box), one fills table row per
// fill of report.json, a plot section per pair, no console errors or page errors, and no network
// request at all (the page is self-contained: no script, no stylesheet or font from anywhere).
// Prints one JSON line with the counts; exits 1 naming the first failure.
'use strict';
const fs = require('fs');
const path = require('path');
const { openOffline } = require('./offline_page');

function fail(msg) { console.error('FAIL: ' + msg); process.exit(1); }

(async () => {
  const dir = process.argv[2];
  if (!dir) fail('usage: check_report.js REPORT_DIR');
  const html = path.resolve(dir, 'report.html');
  const report = JSON.parse(fs.readFileSync(path.resolve(dir, 'report.json'), 'utf8'));
  const url = 'file://' + html;
  const { browser, page, errors, requests } = await openOffline(url);
  try {
    const resp = await page.goto(url, { waitUntil: 'load' });
    if (!resp || !resp.ok()) fail('the page did not load');
    const seen = await page.evaluate(() => {
      const plots = [...document.querySelectorAll('svg.plot')].map((svg) => {
        const title = svg.closest('figure').querySelector('figcaption').textContent;
        let lines = 0, markers = 0, drawn = 0;
        for (const pl of svg.querySelectorAll('polyline')) {
          const n = pl.points.numberOfItems;
          const box = pl.getBBox();
          if (n >= 2 && (box.width > 0 || box.height > 0)) { lines++; drawn += n; }
        }
        for (const c of svg.querySelectorAll('circle')) {
          const box = c.getBoundingClientRect();
          if (box.width > 0 && box.height > 0) { markers++; drawn++; }
        }
        const r = svg.getBoundingClientRect();
        return { title, lines, markers, drawn, declared: +svg.dataset.points, w: r.width, h: r.height };
      });
      return {
        plots,
        empty: [...document.querySelectorAll('figure p.empty')].map((p) => p.closest('figure').querySelector('figcaption').textContent),
        sections: [...document.querySelectorAll('section.pair h2')].map((h) => h.textContent),
        fillRows: document.querySelectorAll('table.fills tr').length - 1,
        scripts: document.scripts.length,
        external: [...document.querySelectorAll('[src],[href]')].map((e) => e.getAttribute('src') || e.getAttribute('href')),
      };
    });
    const pairs = Object.keys(report.pairs);
    if (seen.empty.length) fail('plots without data: ' + seen.empty.join(', '));
    if (seen.plots.length !== 2 + 3 * pairs.length) fail(`${seen.plots.length} plots for ${pairs.length} pairs (expected ${2 + 3 * pairs.length})`);
    for (const p of seen.plots) {
      if (!(p.w > 0 && p.h > 0)) fail(`plot "${p.title}" has no size`);
      if (p.drawn < 1 || (p.lines < 1 && p.markers < 1)) fail(`plot "${p.title}" drew no data points`);
      if (p.drawn > p.declared) fail(`plot "${p.title}" drew ${p.drawn} points, declares ${p.declared}`);
    }
    for (const s of pairs) if (!seen.sections.includes(s)) fail('no section for ' + s);
    if (seen.fillRows !== report.fills.length) fail(`${seen.fillRows} fills table rows, ${report.fills.length} fills in report.json`);
    if (report.fills.length) {
      const markers = seen.plots.reduce((a, p) => a + p.markers, 0);
      if (markers < 1) fail('fills in the report but no fill markers plotted');
    }
    if (seen.scripts !== 0) fail(`${seen.scripts} scripts in the page`);
    if (seen.external.length) fail('resources referenced: ' + seen.external.join(', '));
    if (errors.length) fail('console: ' + errors.join(' | '));
    if (requests.length) fail('network requests: ' + requests.join(', '));
    console.log(JSON.stringify({ plots: seen.plots.length, points: seen.plots.reduce((a, p) => a + p.drawn, 0),
                                 pairs: pairs.length, fills: seen.fillRows, errors: 0, requests: 0 }));
  } finally {
    await browser.close();
  }
})().catch((e) => fail(e.stack || String(e)));
