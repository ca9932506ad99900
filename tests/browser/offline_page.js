// offline_page.js — the one way the browser checks open a page: Debian's Chromium (or
// $TH_CHROMIUM) headless, with every console error or warning, page error and request for another
// URL than the page's own collected, so that each check can require none. Used by check_report.js
// and check_sweep.js.
'use strict';
const { chromium } = require('playwright-core');

async function openOffline(url) {
  const browser = await chromium.launch({
    executablePath: process.env.TH_CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu'],
  });
  const errors = [], requests = [];
  let page;
  try {
    page = await browser.newPage();
  } catch (e) {
    await browser.close(); /* the caller's finally closes it only once it has the page */
    throw e;
  }
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') errors.push(m.type() + ': ' + m.text()); });
  page.on('pageerror', (e) => errors.push('pageerror: ' + e.message));
  page.on('request', (r) => { if (r.url() !== url) requests.push(r.url()); });
  return { browser, page, errors, requests };
}

module.exports = { openOffline };
