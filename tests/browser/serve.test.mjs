// Browser tests for `loam serve`: a page open in headless Chromium follows the note on disk, with no manual reload.
//
// Run from the repository root with `node --test tests/browser/` (scripts/test does this).
// Needs: the loam binary (env LOAM_BIN, default <repo>/target/debug/loam), Debian's chromium
// (env LOAM_CHROMIUM, default /usr/bin/chromium) and `npm ci` in tests/browser.
//
// The garden is a copy of Loam's own docs (content/ and loam.toml of this repository) in a temporary folder,
// plus one long note to scroll in. `loam serve --port 0` picks a free loopback port and prints it.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { launch } from './chromium.mjs';
import { serveStatic } from './static-server.mjs';

const REPO = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
const LOAM_BIN = path.resolve(REPO, process.env.LOAM_BIN || 'target/debug/loam');
const TIMEOUT = 15_000;

let browser;
let server;
let serverLog = '';
let base;
let garden;

/** A long note: enough paragraphs to scroll, and a last one that the tests change. */
function longNote(last, frontmatter = '---\ntitle: Live note\ntags: [live]\n---\n') {
  const paragraphs = Array.from({ length: 150 }, (_, i) => `Paragraph ${i} of a note long enough to scroll in.`);
  return `${frontmatter}\n${paragraphs.join('\n\n')}\n\n${last}\n`;
}

describe('loam serve in a browser', { timeout: 120_000 }, () => {
  before(async () => {
    garden = fs.mkdtempSync(path.join(os.tmpdir(), 'loam-serve-browser-'));
    fs.cpSync(path.join(REPO, 'content'), path.join(garden, 'content'), { recursive: true });
    fs.copyFileSync(path.join(REPO, 'loam.toml'), path.join(garden, 'loam.toml'));
    fs.writeFileSync(path.join(garden, 'content', 'live.md'), longNote('The last paragraph says version one.'));

    const portFile = path.join(garden, 'port');
    server = spawn(LOAM_BIN, ['serve', garden, '--port', '0', '--port-file', portFile], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server.stderr.on('data', (chunk) => {
      serverLog += chunk;
    });
    const lines = readline.createInterface({ input: server.stdout });
    await new Promise((resolve, reject) => {
      lines.once('line', resolve);
      server.once('exit', (code) => reject(new Error(`loam serve exited (${code}):\n${serverLog}`)));
    });
    // The port from the file loam writes once it listens (just after that line); the garden's base_url is "/".
    while (!fs.existsSync(portFile)) await new Promise((resolve) => setTimeout(resolve, 20));
    base = `http://127.0.0.1:${Number(fs.readFileSync(portFile, 'utf8'))}/`;
    browser = await launch();
  });

  after(async () => {
    await browser?.close();
    server?.kill('SIGTERM');
    if (garden) fs.rmSync(garden, { recursive: true, force: true });
  });

  test('a saved note shows in the open page by itself, where the reader was', async () => {
    const page = await browser.newPage({ viewport: { width: 1000, height: 700 } });
    try {
      await page.goto(`${base}live/`);
      await page.getByText('version one').waitFor({ timeout: TIMEOUT });
      // The event stream is open before the note changes (the script connects once the page has loaded).
      await page.locator('html[data-loam-live="connected"]').waitFor({ state: 'attached', timeout: TIMEOUT });
      await page.evaluate(() => window.scrollTo(0, 1500));
      await page.waitForFunction(() => window.scrollY > 1400, null, { timeout: TIMEOUT });
      const marker = await page.evaluate(() => {
        window.__notReloaded = true;
        return window.scrollY;
      });

      fs.writeFileSync(path.join(garden, 'content', 'live.md'), longNote('The last paragraph says version two.'));
      await page.getByText('version two').waitFor({ timeout: TIMEOUT });
      assert.equal(await page.evaluate(() => window.__notReloaded), undefined, 'the page was reloaded by the preview');
      await page.waitForFunction((y) => Math.abs(window.scrollY - y) < 50, marker, { timeout: TIMEOUT });
    } catch (error) {
      error.message += `\nserver log:\n${serverLog}`;
      throw error;
    } finally {
      await page.close();
    }
  });

  test('search works in the preview: the index is made when first asked for, and follows saves', async () => {
    const page = await browser.newPage();
    try {
      // The index is made when a reader first searches, and is answered 503 until it is ready: here the first
      // three asks for it are, however fast this machine makes it, so that the wait is seen.
      let held = 0;
      await page.route('**/static/search/meta.json', async (route) => {
        if (held < 3) {
          held += 1;
          await route.fulfill({ status: 503, headers: { 'retry-after': '1' }, body: 'the search index is being made' });
        } else {
          await route.continue();
        }
      });
      await page.goto(`${base}live/`);
      const input = page.locator('.search-input');
      // After a save, the last index answers until the new one is made (a moment later): asked again, a query
      // finds what the save wrote.
      const openSearch = async () => {
        if (!(await page.locator('.search-dialog').evaluate((dialog) => dialog.open))) await page.locator('.search-button').click();
      };
      const find = async (query, title) => {
        await openSearch();
        const result = page.locator('.search-result .search-title', { hasText: title });
        for (let attempt = 0; attempt < 40 && !(await result.count()); attempt++) {
          await input.fill('');
          await input.fill(query);
          await page.waitForTimeout(500);
        }
        await result.first().waitFor({ timeout: TIMEOUT });
      };
      await openSearch();
      await input.fill('configuration');
      const waiting = page.locator('.search-results[data-state="waiting"] .search-message');
      await waiting.waitFor({ timeout: TIMEOUT });
      assert.match(await waiting.innerText(), /being made.*again by itself/);
      await page.locator('.search-result .search-title', { hasText: 'Configuration' }).first().waitFor({ timeout: TIMEOUT });
      assert.equal(held, 3, 'it asked again until the index came');
      assert.equal(await page.locator('.search-results').getAttribute('data-state'), 'done');
      fs.writeFileSync(path.join(garden, 'content', 'fresh.md'), '---\ntitle: Fresh note\n---\n\nThe word quillwort is only here.\n');
      // The save reloads the open page (live reload); the reloaded page searches the index made after the save
      // (search.js drops an index it loaded before a newer one was made).
      await page.waitForEvent('load', { timeout: TIMEOUT });
      await find('quillwort', 'Fresh note');
    } catch (error) {
      error.message += `\nserver log:\n${serverLog}`;
      throw error;
    } finally {
      await page.close();
    }
  });

  test('a page of another site cannot open /sync or read /_loam/; the preview\'s own page can', async () => {
    // Another site on this machine (another port is another origin), as a page the user happens to have open.
    const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'loam-elsewhere-'));
    fs.writeFileSync(path.join(elsewhere, 'index.html'), '<!doctype html><title>Elsewhere</title><p>Elsewhere</p>');
    const site = await serveStatic(elsewhere);
    const page = await browser.newPage();
    // From a page, what a WebSocket to the preview's /sync and a read of /_loam/documents come to.
    const reach = (target) => {
      const ws = new URL('sync', target);
      ws.protocol = 'ws:';
      const socket = new Promise((resolve) => {
        const s = new WebSocket(ws.href);
        s.binaryType = 'arraybuffer';
        s.onopen = () => {
          s.close();
          resolve('open');
        };
        s.onerror = () => resolve('refused');
      });
      const read = fetch(new URL('_loam/documents', target)).then(
        (response) => `read (${response.type})`,
        () => 'refused'
      );
      return Promise.all([socket, read]);
    };
    try {
      await page.goto(site.url('/'));
      const [socket, read] = await page.evaluate(reach, base);
      assert.deepEqual([socket, read], ['refused', 'refused'], 'a page of another site reached the garden');
      // Refused by the preview, not only by the browser's CORS rules (which never cover a WebSocket).
      const logged = [/refused \/sync from a page of "http:\/\/127\.0\.0\.1:\d+"/, /refused \/_loam\/documents from/];
      for (let waited = 0; !logged.every((line) => line.test(serverLog)) && waited < TIMEOUT; waited += 100) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      for (const line of logged) assert.match(serverLog, line);

      await page.goto(`${base}live/`);
      const own = await page.evaluate(reach, base);
      assert.deepEqual(own, ['open', 'read (basic)'], 'the preview\'s own page reaches its server');
    } catch (error) {
      error.message += `\nserver log:\n${serverLog}`;
      throw error;
    } finally {
      await page.close();
      await site.close();
      fs.rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  test('broken frontmatter shows an overlay in the browser until it is fixed', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(`${base}live/`);
      await page.getByText('Paragraph 3 of').waitFor({ timeout: TIMEOUT });
      fs.writeFileSync(path.join(garden, 'content', 'live.md'), longNote('Still here.', '---\ntitle: [oops\n---\n'));
      const overlay = page.locator('#loam-overlay');
      await overlay.waitFor({ timeout: TIMEOUT });
      const text = await overlay.innerText();
      assert.match(text, /live\.md:\d+:\d+: cannot read the frontmatter/, 'the overlay names the file and line');
      // The file and line, the message and the hint are readable over the site's light and dark style alike.
      for (const scheme of ['light', 'dark']) {
        await page.emulateMedia({ colorScheme: scheme });
        const ratios = await overlay.evaluate((box) => {
          const rgb = (text) => text.match(/[\d.]+/g).slice(0, 4).map(Number);
          const luminance = ([r, g, b]) => {
            const channel = (c) => ((c /= 255) <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
            return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
          };
          // The colour behind an element: the first ancestor's that is not transparent.
          const behind = (element) => {
            for (let e = element; e; e = e.parentElement) {
              const colour = rgb(getComputedStyle(e).backgroundColor);
              if (colour.length < 4 || colour[3] > 0) return colour;
            }
            return [255, 255, 255];
          };
          const contrast = (element) => {
            const [a, b] = [luminance(rgb(getComputedStyle(element).color)), luminance(behind(element))];
            return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
          };
          return ['.loam-error-place', '.loam-error-message', 'em', 'strong'].map((s) => [s, contrast(box.querySelector(s))]);
        });
        for (const [part, ratio] of ratios) {
          assert.ok(ratio >= 7, `${scheme}: ${part} has a contrast of ${ratio.toFixed(2)}, under 7:1`);
        }
        await page.screenshot({ path: path.join(REPO, 'target', 'screenshots', `overlay-${scheme}.png`) });
      }
      // The rest of the garden keeps serving.
      const other = await browser.newPage();
      await other.goto(`${base}guides/getting-started/`);
      assert.ok((await other.locator('h1').count()) > 0);
      await other.close();

      fs.writeFileSync(path.join(garden, 'content', 'live.md'), longNote('Mended.'));
      await page.getByText('Mended.').waitFor({ timeout: TIMEOUT });
      assert.equal(await page.locator('#loam-overlay').count(), 0, 'the overlay is gone once the note is fixed');
    } catch (error) {
      error.message += `\nserver log:\n${serverLog}`;
      throw error;
    } finally {
      await page.close();
    }
  });
});

// The preview of a garden kept in step with peers shows where sync stands: a peer that cannot be reached is a
// badge saying so, with each peer's address and reason in its title.
describe('the preview shows how sync stands', { timeout: 60_000 }, () => {
  let own;
  let ownLog = '';
  let ownBase;
  let dir;
  let closed;
  let chromium;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loam-sync-badge-'));
    fs.mkdirSync(path.join(dir, 'content'));
    fs.writeFileSync(path.join(dir, 'content', 'index.md'), '# Home\n\nA garden with a peer that is away.\n');
    // A port nothing listens on: bound, then let go.
    const net = await import('node:net');
    const probe = net.createServer();
    await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve));
    closed = probe.address().port;
    await new Promise((resolve) => probe.close(resolve));
    fs.writeFileSync(path.join(dir, 'loam.toml'), 'title = "Away"\n');
    const portFile = path.join(dir, 'port');
    own = spawn(LOAM_BIN, ['serve', dir, '--port', '0', '--port-file', portFile, '--peer', `ws://127.0.0.1:${closed}/sync`], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    own.stderr.on('data', (chunk) => {
      ownLog += chunk;
    });
    const started = Date.now();
    while (!fs.existsSync(portFile)) {
      if (Date.now() - started > TIMEOUT) throw new Error(`loam serve did not start:\n${ownLog}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    ownBase = `http://127.0.0.1:${Number(fs.readFileSync(portFile, 'utf8'))}/`;
    chromium = await launch();
  });

  after(async () => {
    await chromium?.close();
    own?.kill('SIGTERM');
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const [width, height, scheme] of [[1280, 900, 'light'], [390, 844, 'dark']]) {
    test(`an unreachable peer is a badge naming it, at ${width} px, ${scheme}`, async () => {
      const page = await chromium.newPage({ viewport: { width, height }, colorScheme: scheme });
      try {
        await page.goto(ownBase);
        const badge = page.locator('#loam-sync-badge[data-state="unreachable"]');
        await badge.waitFor({ timeout: TIMEOUT });
        assert.match(await badge.textContent(), /Sync: unreachable/);
        const title = await badge.getAttribute('title');
        assert.ok(title.includes(`ws://127.0.0.1:${closed}/sync: unreachable (cannot connect`), title);
        const box = await badge.boundingBox();
        assert.ok(box.x >= 0 && box.x + box.width <= width && box.y + box.height <= height, JSON.stringify(box));
        fs.mkdirSync(path.join(REPO, 'target', 'screenshots'), { recursive: true });
        await page.screenshot({ path: path.join(REPO, 'target', 'screenshots', `sync-badge-${width}-${scheme}.png`) });
      } finally {
        await page.close();
      }
    });
  }
});
