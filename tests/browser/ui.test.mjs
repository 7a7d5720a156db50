// SPDX-License-Identifier: MIT
// The review web UI in a real browser: Debian's chromium driven by playwright-core. Logs in,
// triages three hits with the keyboard, checks the audit log, opens the XSS fixture's hit and
// captured page (no dialog may open, no request may leave the server), refuses a POST without
// the CSRF token and every page without a session, and saves a screenshot of each page.
// Prints TAP. Environment: BASE (http://127.0.0.1:PORT/), TOKEN (alice's), OUT (screenshots).
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';

const base = process.env.BASE, token = process.env.TOKEN, out = process.env.OUT;
const origin = new URL(base).origin;
let n = 0, failed = 0;
function check(ok, what) {
  n++;
  if (!ok) failed++;
  console.log(`${ok ? 'ok' : 'not ok'} ${n} - ${what}`);
}

mkdirSync(out, { recursive: true });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-background-networking', '--disable-dev-shm-usage',
         '--no-first-run', '--disable-component-update', '--disable-sync'],
});
const dialogs = [], offsite = [];
const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
// A request the browser would really send elsewhere reaches this route (and goes nowhere);
// ones the CSP blocks never get here (the 'request' event would still list them).
await context.route((url) => url.origin !== origin, (route) => {
  offsite.push(route.request().url());
  return route.abort();
});
const blocked = [];
context.on('requestfailed', (r) => blocked.push(`${r.url()} ${r.failure()?.errorText}`));
const page = await context.newPage();
// A dialog is recorded and dismissed (it may be gone already when the page navigates).
const onDialog = (d) => { dialogs.push(d.message()); d.dismiss().catch(() => {}); };
page.on('dialog', onDialog);
page.on('popup', (p) => p.on('dialog', onDialog));
const shot = (name) => page.screenshot({ path: `${out}/review-${name}.png` });

try {
  // Every page without a session goes to the login.
  let refused = true;
  for (const p of ['', 'hit/1', 'hit/1/evidence', 'hit/1/raw', 'rules', 'venues', 'audit',
                   'export?format=jsonl']) {
    const r = await context.request.get(base + p, { maxRedirects: 0 });
    if (r.status() !== 303 || r.headers()['location'] !== '/login') refused = false;
  }
  check(refused, 'every page without a session redirects to /login');
  await page.goto(base);
  check(page.url() === base + 'login', 'the browser lands on the login page');
  await shot('login');

  await page.fill('input[name=name]', 'alice');
  await page.fill('input[name=token]', token);
  await Promise.all([page.waitForURL(base), page.click('form[action="/login"] button')]);
  check(page.url() === base, 'logged in: the queue');
  const cookies = await context.cookies();
  const sc = cookies.find((c) => c.name === 'patrol_session');
  check(sc && sc.httpOnly && sc.sameSite === 'Strict', 'the session cookie is HttpOnly, SameSite=Strict');
  await shot('queue');

  // Keyboard triage: c, d, e on the first three rows (each action moves to the next row).
  const ids = await page.$$eval('#rows tbody tr', (rs) => rs.slice(0, 3).map((r) => r.dataset.id));
  check(ids.length === 3, `three hits to triage (${ids.join(', ')})`);
  const want = { c: 'confirmed', d: 'dismissed', e: 'escalated' };
  let i = 0;
  for (const key of ['c', 'd', 'e']) {
    await page.keyboard.press(key);
    // Polled from here: the page's CSP rightly forbids the eval waitForFunction needs.
    let got = '';
    for (let t = 0; t < 50 && got !== want[key]; t++) {
      got = await page.$eval(`tr[data-id="${ids[i]}"] td.st`, (td) => td.textContent);
      if (got !== want[key]) await page.waitForTimeout(100);
    }
    if (got !== want[key]) throw new Error(`#${ids[i]} is ${got}, not ${want[key]}`);
    i++;
  }
  check(true, 'c, d, e set the three rows confirmed, dismissed, escalated');
  await page.keyboard.press('?');
  check(await page.isVisible('#help'), '? shows the keys');
  await shot('queue-help');
  await page.keyboard.press('Escape');

  await page.goto(base + 'audit');
  const audit = await page.$$eval('table.audit tbody tr', (rs) => rs.map((r) => r.textContent));
  const ok = ids.every((id, k) => audit.some((t) => t.includes(`#${id}`) && t.includes('alice') &&
                                                    t.includes(`new → ${Object.values(want)[k]}`)));
  check(ok, 'the audit log has the three changes under alice');
  await shot('audit');

  // The XSS page: its hit, its captured page. Nothing may run or leave.
  await page.goto(base + '?status=all&rule=test.xss-prize');
  const xid = await page.$eval('#rows tbody tr', (r) => r.dataset.id);
  await page.goto(base + `hit/${xid}`);
  await shot('hit');
  await page.goto(base + `hit/${xid}/evidence`);
  await page.waitForTimeout(1500); // the frame's meta refresh would fire at 0 s
  await shot('evidence');
  const frame = page.frames().find((f) => f.url().endsWith(`/hit/${xid}/raw`));
  check(!!frame, 'the captured page renders in its frame');
  const links = await page.$$eval('a', (as) => as.map((a) => a.getAttribute('href') || ''));
  check(!links.some((h) => /^\s*(javascript|data|vbscript):/i.test(h)),
        'no javascript: or data: link on the evidence page');
  check(dialogs.length === 0, `no dialog opened (${dialogs.length})`);
  check(offsite.length === 0, `no request left ${origin} (${offsite.slice(0, 3).join(' ')})`);
  console.log(`# blocked in the page: ${blocked.length} (${blocked.slice(0, 2).join(', ')})`);

  // A POST without the CSRF token is refused, even with the session.
  const noCsrf = await context.request.post(base + 'review',
    { form: { id: xid, action: 'confirm' }, maxRedirects: 0 });
  check(noCsrf.status() === 403, `a POST without the CSRF token is refused (${noCsrf.status()})`);

  await page.goto(base + 'rules');
  await shot('rules');
  await page.goto(base + 'venues');
  await shot('venues');
  check(await page.isVisible('svg.trend rect:not(.bg)'), 'the venues page charts the hits per day');
  await page.fill('form.tip input[name=url]', 'http://unknown.example/a.html');
  await Promise.all([page.waitForURL(base + 'tip'), page.click('form.tip button')]);
  check((await page.textContent('p.err')).includes('no registered venue covers the host'),
        'a tip off every venue is refused, saying why');
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.goto(base + '?status=all');
  await shot('queue-dark');
  await page.emulateMedia({ colorScheme: 'light' });

  // The language switch in the header: Chinese and Shanghai time, kept for alice; times are
  // rewritten by ui.js from <time datetime> into the saved zone, the UTC text kept as tooltip.
  await page.goto(base + '?status=all');
  await page.selectOption('form.prefs select[name=lang]', 'zh_CN');
  await page.fill('form.prefs input[name=tz]', 'Asia/Shanghai');
  await Promise.all([page.waitForURL(base), page.click('form.prefs button')]);
  await page.goto(base + '?status=all');
  const zhLang = await page.getAttribute('html', 'lang');
  const zhTitle = await page.title();
  check(zhLang === 'zh-CN' && zhTitle.startsWith('研判队列'),
        `the switch gives the queue in Chinese (${zhLang}, ${zhTitle})`);
  const t = await page.$eval('td.t time', (e) => [e.getAttribute('datetime'), e.textContent, e.title]);
  const utc = new Date(t[0]);
  const sh = new Date(utc.getTime() + 8 * 3600 * 1000).toISOString().slice(11, 16);
  check(t[2].endsWith(' UTC') && t[1].includes(sh) && !t[1].includes('UTC'),
        `first seen shown in Asia/Shanghai (${t[1]}; ${t[2]})`);
  await shot('queue-zh');
  const other = await browser.newContext({ locale: 'en-US' });
  const r = await other.request.get(base + 'login', { headers: { 'Accept-Language': 'zh-CN' } });
  check((await r.text()).includes('<html lang="zh-CN">'),
        'Accept-Language zh-CN gets the login in Chinese');
  await other.close();
  await page.selectOption('form.prefs select[name=lang]', '');
  await page.fill('form.prefs input[name=tz]', '');
  await Promise.all([page.waitForURL(base), page.click('form.prefs button')]);
  check(await page.getAttribute('html', 'lang') === 'en', 'back to the browser\'s language: English');

  await Promise.all([page.waitForURL(base + 'login'), page.click('form.who button')]);
  const after = await context.request.get(base, { maxRedirects: 0 });
  check(after.status() === 303, 'after logging out the queue is refused again');
} catch (e) {
  check(false, `browser session: ${e.message.split('\n')[0]}`);
} finally {
  await browser.close();
}
console.log(`1..${n}`);
process.exit(failed ? 1 : 0);
