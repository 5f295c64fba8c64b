// Browser tests for what a reader of a built garden finds their way with: search, the graph, link previews,
// KaTeX math, highlighted code, mermaid diagrams, the table of contents, the explorer, recent notes and the tags
// for sharing, and that nothing is loaded from another site.
//
// Run from the repository root with `node --test tests/browser/` (scripts/test does this).
// Needs: the loam binary (env LOAM_BIN, default <repo>/target/debug/loam), Debian's chromium
// (env LOAM_CHROMIUM, default /usr/bin/chromium) and `npm ci` in tests/browser.
//
// Two sites are built, each from a temporary folder:
// 1. Loam's own docs (this repository's content/ and loam.toml) with base_url https://example.org/garden/ and one
//    extra note (the probe) holding math, a diagram, code, Chinese text and links to headings, served under
//    /garden/ by the tests' static server;
// 2. a small garden in Chinese (language = "zh"), for search in a language written without spaces.
// Screenshots of a note, the search and the graph, light and dark, go to target/screenshots/ (or
// LOAM_SCREENSHOTS) for people to look at.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch } from './chromium.mjs';
import { serveStatic } from './static-server.mjs';

const REPO = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
const LOAM_BIN = path.resolve(REPO, process.env.LOAM_BIN || 'target/debug/loam');
const SCREENSHOTS = path.resolve(REPO, process.env.LOAM_SCREENSHOTS || 'target/screenshots');
const KEEP_TMP = process.env.LOAM_KEEP_TMP === '1';
const TIMEOUT = 20_000;
const PREFIX = '/garden/';
const PROBE = `${PREFIX}reading-probe/`;

const PROBE_NOTE = `---
title: Reading probe
aliases: [Wormery]
tags: [probe, vermiculture]
description: A note that uses every reading feature at once.
---

The word zyxquartz appears in this note and nowhere else, like no constructor.

Inline math $e^{i\\pi} + 1 = 0$ and a display formula:

$$\\int_0^1 x^2\\,dx = \\frac{1}{3}$$

\`\`\`mermaid
graph TD
  Compost --> Soil
\`\`\`

\`\`\`rust
fn main() {
    let worms = 3;
    println!("{worms} < 4");
}
\`\`\`

See [[configuration#language]] for the language setting and [[syntax]] for everything else.

## First section

${'Padding text for scrolling. '.repeat(80)}

## Second section

A ptarmigan nests in this section only.

${'More padding text for scrolling. '.repeat(80)}

## Third section

${'Last padding text. '.repeat(80)}
`;

let browser;
const tempDirs = [];

function makeTempDir(label) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `loam-reading-${label}-`));
  tempDirs.push(dir);
  return dir;
}

function build(garden, out) {
  return new Promise((resolve, reject) => {
    execFile(LOAM_BIN, ['build', garden, '-o', out], { maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`loam build ${garden} failed: ${error.message}\n${stderr}`));
      else resolve(stderr);
    });
  });
}

/** A page of `context` that records requests leaving `origin` and script errors. */
async function open(context, url, origin) {
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  page.problems = [];
  page.on('pageerror', (err) => page.problems.push(`uncaught page error: ${err.message}`));
  page.on('request', (req) => {
    const u = req.url();
    if (!u.startsWith(origin) && !u.startsWith('data:') && !u.startsWith('blob:') && !u.startsWith('about:')) {
      page.problems.push(`request to another origin: ${u}`);
    }
  });
  page.on('response', (res) => {
    if (res.status() >= 400 && !res.request().isNavigationRequest()) {
      page.problems.push(`HTTP ${res.status()} for ${res.url()}`);
    }
  });
  await page.goto(url, { waitUntil: 'load' });
  return page;
}

function assertClean(page, where) {
  assert.deepEqual(page.problems, [], `problems on ${where}:\n  ${page.problems.join('\n  ')}`);
}

async function screenshot(page, name) {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: false });
}

/** Opens the search dialog with the header's button, unless it is open. */
async function openSearch(page) {
  if (!(await page.locator('.search-dialog').evaluate((dialog) => dialog.open))) await page.locator('.search-button').click();
}

/** Types `query` into the search dialog's box and waits for a result whose title is `title`. */
async function search(page, query, title) {
  await openSearch(page);
  const input = page.locator('.search-input');
  await input.fill(query);
  // The results of this query, not those of the one before (search.js marks the list with its query).
  await page.waitForFunction((q) => document.querySelector('.search-results')?.dataset.query === q, query.trim());
  const result = page.locator('.search-result', { has: page.locator('.search-title', { hasText: title }) });
  await result.first().waitFor({ state: 'visible' });
  return result.first();
}

/** A garden of `notes` (name -> text) in `content/` with `toml` as its loam.toml, built and served. */
async function servedGarden(label, toml, notes) {
  const tmp = makeTempDir(label);
  const garden = path.join(tmp, 'garden');
  const out = path.join(tmp, 'out');
  fs.mkdirSync(path.join(garden, 'content'), { recursive: true });
  fs.writeFileSync(path.join(garden, 'loam.toml'), toml);
  for (const [name, text] of Object.entries(notes)) fs.writeFileSync(path.join(garden, 'content', name), text);
  await build(garden, out);
  return serveStatic(out);
}

/** Every file under `dir`, relative, sorted. */
function files(dir, base = dir) {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const full = path.join(dir, entry.name);
      return entry.isDirectory() ? files(full, base) : [path.relative(base, full)];
    })
    .sort();
}

before(async () => {
  assert.ok(fs.existsSync(LOAM_BIN), `no loam binary at ${LOAM_BIN}: run cargo build first`);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  if (!KEEP_TMP) for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

describe('reading a built garden', { timeout: 300_000 }, () => {
  let out;
  let server;
  let origin;

  before(async () => {
    const tmp = makeTempDir('docs');
    const garden = path.join(tmp, 'garden');
    out = path.join(tmp, 'out');
    fs.cpSync(path.join(REPO, 'content'), path.join(garden, 'content'), { recursive: true });
    const toml = fs.readFileSync(path.join(REPO, 'loam.toml'), 'utf8').replace(/^base_url\s*=.*$/m, '');
    fs.writeFileSync(path.join(garden, 'loam.toml'), `base_url = "https://example.org${PREFIX}"\n${toml}`);
    fs.writeFileSync(path.join(garden, 'content', 'reading-probe.md'), PROBE_NOTE);
    await build(garden, out);
    server = await serveStatic(out, { prefix: PREFIX });
    origin = server.origin;
  });

  after(async () => {
    await server?.close();
  });

  test('typing a query finds the note, highlighted, and Enter opens it', async () => {
    const context = await browser.newContext();
    const page = await open(context, `${origin}${PREFIX}`, origin);
    const result = await search(page, 'zyxquartz', 'Reading probe');
    assert.match(await result.locator('mark').first().innerText(), /zyxquartz/i, 'the matched word is marked');
    // Only it: "constructor" is a name every JavaScript object answers to, not a matched word.
    assert.equal(await result.locator('mark').count(), 1);
    const shown = await result.locator('.search-excerpt').innerText();
    assert.doesNotMatch(shown, /Wormery|vermiculture|\\pi/, `aliases, tags and TeX stay out of the excerpt: ${shown}`);
    await screenshot(page, 'search-light');
    await page.keyboard.press('Enter');
    await page.waitForURL(`${origin}${PROBE}`);
    assert.equal(await page.locator('h1').first().innerText(), 'Reading probe');
    assertClean(page, 'the search');
    await context.close();
  });

  test('search matches as one types, ignores case and quotes, and leads to the section of a match', async () => {
    const context = await browser.newContext();
    const page = await open(context, `${origin}${PREFIX}`, origin);
    // "PTARM" is the start of a word under the second heading: the result names the section and links to it.
    const result = await search(page, 'PTARM', 'Reading probe');
    assert.equal(await result.locator('.search-section').innerText(), 'Second section');
    assert.equal(await result.locator('mark').first().innerText(), 'ptarmigan', 'the whole word is marked');
    assert.match(await result.getAttribute('href'), /\/reading-probe\/#second-section$/);
    await search(page, '"zyxquartz" note', 'Reading probe');
    // A plural finds the singular (English gardens key words without their plural ending).
    const plural = await search(page, 'ptarmigans', 'Reading probe');
    assert.equal(await plural.locator('mark').first().innerText(), 'ptarmigan');
    const input = page.locator('.search-input');
    await input.fill('zyxquartz qqqxxxzzz');
    await page.locator('.search-message', { hasText: 'No notes match' }).waitFor();
    assert.equal(await page.locator('.search-result').count(), 0, 'every word of a query must be found');
    await search(page, 'ptarmigan', 'Reading probe');
    await page.keyboard.press('Enter');
    await page.waitForURL(`${origin}${PROBE}#second-section`);
    await context.close();
  });

  test('search finds a note by its alias and its tag, and moves through results with the arrow keys', async () => {
    const context = await browser.newContext();
    const page = await open(context, `${origin}${PREFIX}`, origin);
    await search(page, 'Wormery', 'Reading probe');
    // By a tag its text never mentions (tags are metadata, not text).
    await search(page, 'vermiculture', 'Reading probe');
    await search(page, 'configuration', 'Configuration');
    const count = await page.locator('.search-result').count();
    assert.ok(count >= 2, `several notes mention configuration, got ${count}`);
    await page.keyboard.press('ArrowDown');
    const selected = page.locator('.search-result[aria-selected="true"]');
    assert.equal(await selected.count(), 1);
    assert.equal(await selected.getAttribute('id'), 'loam-search-result-1', 'ArrowDown selects the second result');
    const href = await selected.getAttribute('href');
    await page.keyboard.press('Enter');
    await page.waitForURL(new URL(href, origin).href);
    await context.close();
  });

  test('the graph page draws every note on a canvas, and a click opens the note', async () => {
    const graph = JSON.parse(fs.readFileSync(path.join(out, 'graph.json'), 'utf8'));
    assert.ok(graph.nodes.some((n) => n.url === PROBE), 'the probe is a node');
    for (const [from, to] of graph.links) {
      assert.ok(graph.nodes[from] && graph.nodes[to], `link ${from} -> ${to} joins two nodes`);
    }
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await open(context, `${origin}${PREFIX}graph/`, origin);
    const container = page.locator('[data-graph="global"][data-ready="1"]');
    await container.waitFor();
    assert.equal(Number(await container.getAttribute('data-nodes')), graph.nodes.length);
    assert.equal(await page.locator('[data-graph="global"] canvas').count() > 0, true, 'drawn on a canvas');
    // The layout settles (and frames itself) before the screenshot and the click.
    await page.locator('[data-graph="global"][data-settled="1"]').waitFor();
    await page.waitForTimeout(500);
    await screenshot(page, 'graph-light');
    const target = graph.nodes.find((n) => n.url === `${PREFIX}syntax/`);
    const point = await page.evaluate((url) => window.loamGraph.screenCoords(url), target.url);
    await page.mouse.click(point.x, point.y);
    await page.waitForURL(`${origin}${target.url}`);
    assertClean(page, 'the graph page');
    await context.close();
  });

  test("a note's page draws its neighbours in its own graph", async () => {
    const context = await browser.newContext();
    const page = await open(context, `${origin}${PROBE}`, origin);
    const local = page.locator('[data-graph="local"][data-ready="1"]');
    await local.waitFor();
    // The probe links to two notes, and nothing links to it: it and its neighbours (and theirs) are drawn.
    assert.ok(Number(await local.getAttribute('data-nodes')) >= 3);
    assert.ok(await page.locator('.local-graph').isVisible());
    await context.close();
  });

  test('hovering a link shows a preview of the note, or of the section it points at', async () => {
    const context = await browser.newContext();
    const page = await open(context, `${origin}${PROBE}`, origin);
    await page.locator('.content a.internal[href$="/syntax/"]').hover();
    const popover = page.locator('.popover');
    await popover.waitFor({ state: 'visible' });
    assert.equal(await popover.locator('.popover-title').innerText(), 'Markdown and Obsidian syntax');
    await page.mouse.move(0, 0);
    await popover.waitFor({ state: 'detached' });
    await page.locator('.content a.internal[href*="/configuration/#language"]').hover();
    await popover.waitFor({ state: 'visible' });
    const body = await popover.locator('.popover-body').innerText();
    assert.match(body, /^language/i, `the preview starts at the heading: ${body.slice(0, 80)}`);
    assert.doesNotMatch(body, /publish_mode/, 'and stops before the next heading of its level');
    await context.close();
  });

  test('math is typeset by KaTeX, code is highlighted and diagrams are drawn', async () => {
    const context = await browser.newContext();
    const page = await open(context, `${origin}${PROBE}`, origin);
    await page.locator('.math-inline .katex').first().waitFor();
    assert.equal(await page.locator('.math-display .katex-display').count(), 1);
    assert.ok((await page.locator('pre code [class*="hl-"]').count()) > 3, 'code has highlighted tokens');
    await page.locator('pre.mermaid svg').waitFor();
    await screenshot(page, 'note-light');
    assertClean(page, 'the probe note');
    await context.close();
  });

  test('in dark mode code and the page use the dark palette; screenshots for people', async () => {
    const colours = {};
    for (const scheme of ['light', 'dark']) {
      const context = await browser.newContext({ colorScheme: scheme, viewport: { width: 1280, height: 900 } });
      const page = await open(context, `${origin}${PROBE}`, origin);
      await page.locator('.math-inline .katex').first().waitFor();
      await page.locator('pre.mermaid svg').waitFor();
      colours[scheme] = await page.evaluate(() => {
        const keyword = document.querySelector('pre code [class*="hl-"]');
        return { body: getComputedStyle(document.body).backgroundColor, code: getComputedStyle(keyword).color };
      });
      if (scheme === 'dark') {
        await screenshot(page, 'note-dark');
        await search(page, 'zyxquartz', 'Reading probe');
        await screenshot(page, 'search-dark');
        await page.goto(`${origin}${PREFIX}graph/`);
        await page.locator('[data-graph="global"][data-settled="1"]').waitFor();
        await page.waitForTimeout(500);
        await screenshot(page, 'graph-dark');
      }
      await context.close();
    }
    assert.notEqual(colours.light.body, colours.dark.body);
    assert.notEqual(colours.light.code, colours.dark.code, 'code colours follow the theme');
  });

  test('the table of contents marks the section being read', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 700 } });
    const page = await open(context, `${origin}${PROBE}`, origin);
    await page.locator('#second-section').scrollIntoViewIfNeeded();
    await page.evaluate(() => document.getElementById('second-section').scrollIntoView());
    const current = page.locator('.toc a[aria-current="location"]');
    await current.waitFor();
    assert.equal(await current.innerText(), 'Second section');
    await context.close();
  });

  test('the explorer opens at the page being read, breadcrumbs lead home, and the home page lists recent notes', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await open(context, `${origin}${PREFIX}guides/configuration/`, origin);
    const here = page.locator('.explorer a[aria-current="page"]');
    await here.waitFor();
    assert.equal(await here.innerText(), await page.locator('h1').first().innerText());
    assert.ok((await page.locator('.explorer-toggle[aria-expanded="true"]').count()) >= 1, 'the guides folder is open');
    // Opening a closed folder with its button (a disclosure: the button beside the folder's link, never around
    // it) lists its notes; pressing it again hides them.
    const closed = page.locator('.explorer-toggle[aria-expanded="false"]').first();
    assert.ok(await closed.count(), 'folders away from the page start closed');
    // The same button throughout (a locator by its state would move to another once it opens).
    const controls = await closed.getAttribute('aria-controls');
    const toggle = page.locator(`.explorer-toggle[aria-controls="${controls}"]`);
    const list = page.locator(`#${controls}`);
    assert.equal(await list.locator('li').count(), 0, 'a closed folder is not filled in yet');
    assert.ok(await list.isHidden());
    await toggle.focus();
    await page.keyboard.press('Enter');
    await list.locator('li').first().waitFor({ timeout: 5000 });
    assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
    await page.keyboard.press('Space');
    assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
    assert.ok(await list.isHidden(), 'closed again');
    assert.equal(await page.locator('.explorer a button, .explorer button a, .explorer summary a').count(), 0, 'nothing nested');
    assert.ok((await page.locator('.breadcrumbs a').count()) >= 2);
    assert.equal(await page.locator('.recent').count(), 0, 'recent notes are on the home page only');
    await page.goto(`${origin}${PREFIX}`);
    const recent = page.locator('.recent li a');
    assert.ok((await recent.count()) >= 3, 'the home page lists the notes changed last');
    assert.equal(await recent.first().innerText(), 'Reading probe', 'newest first');
    await context.close();
  });

  test('on a phone the menu button opens the explorer over the page, and Escape closes it', async () => {
    for (const colorScheme of ['light', 'dark']) {
      const context = await browser.newContext({ viewport: { width: 390, height: 844 }, colorScheme });
      const page = await open(context, `${origin}${PREFIX}guides/configuration/`, origin);
      const menu = page.locator('.menu-button');
      await menu.waitFor();
      const explorer = page.locator('.explorer');
      // Under the page, the explorer is filled only when the reader comes near it or opens it.
      await page.waitForLoadState('networkidle');
      assert.equal(await explorer.locator('a').count(), 0, 'not filled while it is out of sight');
      const box = () => page.locator('.site-aside').boundingBox();
      assert.ok((await box()).y > 844, 'closed, the explorer is below the page');
      await menu.click();
      await explorer.locator('a[aria-current="page"]').waitFor({ state: 'attached' });
      assert.equal(await menu.getAttribute('aria-expanded'), 'true');
      const opened = await box();
      assert.ok(opened.y >= 0 && opened.y < 200 && opened.x >= 0 && opened.x + opened.width <= 390, JSON.stringify(opened));
      await screenshot(page, `phone-menu-${colorScheme}`);
      // A link in it is a link like any other.
      assert.ok(await explorer.locator('a[aria-current="page"]').isVisible(), 'the page being read is shown');
      await page.keyboard.press('Escape');
      assert.equal(await menu.getAttribute('aria-expanded'), 'false');
      assert.ok((await box()).y > 844, 'closed again');
      // Search takes the whole screen, and its results fit it.
      await openSearch(page);
      const input = page.locator('.search-input');
      await input.fill('configuration');
      const results = page.locator('.search-results');
      await results.locator('a').first().waitFor();
      const shown = await results.boundingBox();
      assert.ok(shown.x >= 0 && shown.x + shown.width <= 390, `search results fit: ${JSON.stringify(shown)}`);
      const dialog = await page.locator('.search-dialog').boundingBox();
      assert.ok(dialog.x === 0 && dialog.y === 0 && dialog.width === 390 && dialog.height === 844, `the search fills the screen: ${JSON.stringify(dialog)}`);
      await screenshot(page, `phone-search-${colorScheme}`);
      await page.keyboard.press('Escape');
      assert.deepEqual(page.problems, []);
      await context.close();
    }
  });

  test('the local graph of a well linked note is readable: every note inside its frame, no label over another', async () => {
    // A hub linking to 30 notes with long titles, each linking to the next: too many for every label to fit.
    const notes = { 'Hub.md': '# Hub\n\n' };
    for (let i = 1; i <= 30; i++) {
      const name = `Neighbouring note with a long title number ${i}`;
      notes['Hub.md'] += `- [[${name}]]\n`;
      notes[`${name}.md`] = `Next: [[Neighbouring note with a long title number ${(i % 30) + 1}]]\n`;
    }
    const served = await servedGarden('local-graph', 'title = "Hubs"\n', notes);
    try {
      for (const colorScheme of ['light', 'dark']) {
        const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme });
        const page = await open(context, `${served.origin}/hub/`, served.origin);
        const local = page.locator('[data-graph="local"][data-settled="1"]');
        await local.waitFor({ timeout: 30_000 });
        await page.waitForTimeout(600); // the last fit's animation
        const frame = await page.locator('[data-graph="local"]').boundingBox();
        const nodes = await page.evaluate(() => window.loamGraph.nodeCoords());
        assert.equal(nodes.length, 31, 'the note and its neighbours');
        for (const node of nodes) {
          const inside = node.x >= frame.x && node.x <= frame.x + frame.width && node.y >= frame.y && node.y <= frame.y + frame.height;
          assert.ok(inside, `a note at ${JSON.stringify(node)} is outside the frame ${JSON.stringify(frame)}`);
        }
        const labels = await page.evaluate(() => window.loamGraph.labelBoxes());
        assert.ok(labels.some((l) => l.text === 'Hub'), 'the note itself is labelled');
        assert.ok(labels.length >= 4, `some neighbours are labelled: ${labels.map((l) => l.text)}`);
        for (const [i, a] of labels.entries()) {
          assert.ok(a.x0 >= frame.x - 1 && a.x1 <= frame.x + frame.width + 1, `label ${JSON.stringify(a)} is inside the frame ${JSON.stringify(frame)}`);
          for (const b of labels.slice(i + 1)) {
            const overlap = a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
            assert.ok(!overlap, `labels ${a.text} and ${b.text} overlap`);
          }
        }
        await page.locator('article.note > .local-graph').screenshot({ path: path.join(SCREENSHOTS, `local-graph-${colorScheme}.png`) });
        assertClean(page, 'the hub');
        await context.close();
      }
    } finally {
      await served.close();
    }
  });

  test('on a wide screen there is no menu button, and a right column holds the outline, backlinks and graph', async () => {
    for (const colorScheme of ['light', 'dark']) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme });
      const page = await open(context, `${origin}${PREFIX}guides/configuration/`, origin);
      await page.locator('.explorer a[aria-current="page"]').waitFor();
      assert.equal(await page.locator('.menu-button').isVisible(), false);
      const content = await page.locator('article.note > .content').boundingBox();
      for (const side of ['.toc', '.backlinks', '.local-graph']) {
        const box = await page.locator(`article.note > ${side}`).boundingBox();
        assert.ok(box, `${side} is shown`);
        assert.ok(box.x >= content.x + content.width && box.x + box.width <= 1280, `${side} is on the right: ${JSON.stringify(box)}`);
      }
      // The right column starts level with the text, not below it, with the graph first, as in Publish.
      await page.locator('.graph-local canvas').waitFor();
      const graph = await page.locator('article.note > .local-graph').boundingBox();
      const toc = await page.locator('article.note > .toc').boundingBox();
      assert.ok(Math.abs(graph.y - content.y) < 40, `the graph at ${graph.y}, text at ${content.y}`);
      assert.ok(toc.y > graph.y, `the outline under the graph: ${toc.y}, ${graph.y}`);
      await screenshot(page, `three-columns-${colorScheme}`);
      assert.deepEqual(page.problems, []);
      await context.close();
    }
  });

  test('pages carry open-graph and twitter tags with absolute URLs', async () => {
    const html = fs.readFileSync(path.join(out, 'reading-probe', 'index.html'), 'utf8');
    assert.match(html, /<meta property="og:title" content="Reading probe">/);
    assert.match(html, /<meta property="og:url" content="https:\/\/example\.org\/garden\/reading-probe\/">/);
    assert.match(html, /<meta property="og:description" content="A note that uses every reading feature at once.">/);
    assert.match(html, /<meta name="twitter:card" content="summary">/);
  });

  test('with JavaScript off every page reads and navigates, and the script-only parts stay hidden', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${origin}${PROBE}`);
    assert.ok(await page.locator('.content').isVisible());
    assert.ok(await page.locator('.math-display math').isVisible(), 'math reads as MathML');
    assert.match(await page.locator('pre.mermaid').innerText(), /Compost --> Soil/);
    for (const hidden of ['.search', '.local-graph', '.explorer']) {
      assert.equal(await page.locator(hidden).isVisible(), false, `${hidden} is hidden without JavaScript`);
    }
    await page.locator('.breadcrumbs a').first().click();
    await page.waitForURL(`${origin}${PREFIX}`);
    await page.goto(`${origin}${PREFIX}graph/`);
    assert.match(await page.locator('noscript, .graph-page').first().innerText(), /Graph/);
    await context.close();
  });

  test('no page of the output loads anything from another origin', async () => {
    // The files themselves: scripts, styles, images and frames named in HTML, and url()/@import in CSS.
    const offenders = [];
    for (const file of files(out)) {
      const text = /\.(html|css)$/.test(file) ? fs.readFileSync(path.join(out, file), 'utf8') : '';
      const loads = [
        ...text.matchAll(/<(?:script|img|iframe|source|audio|video|embed)\b[^>]*\bsrc="([^"]*)"/g),
        ...text.matchAll(/<link\b[^>]*\bhref="([^"]*)"/g),
        ...text.matchAll(/url\(\s*['"]?([^'")]+)/g),
        ...text.matchAll(/@import\s+(?:url\()?['"]([^'"]+)/g),
      ].map((m) => m[1]);
      for (const url of loads) {
        if (/^(?:[a-z]+:)?\/\//i.test(url) && !url.startsWith('https://example.org/garden/')) {
          offenders.push(`${file}: ${url}`);
        }
      }
    }
    assert.deepEqual(offenders, []);
    // And in the browser, on each kind of page with every script running.
    const context = await browser.newContext();
    for (const url of [PREFIX, PROBE, `${PREFIX}graph/`, `${PREFIX}tags/`, `${PREFIX}guides/`]) {
      const page = await open(context, `${origin}${url}`, origin);
      await page.waitForLoadState('networkidle');
      assertClean(page, url);
      await page.close();
    }
    await context.close();
  });
});

describe("a note's own HTML in the browser", { timeout: 120_000 }, () => {
  // Each attack sets window.pwned if it runs; the harmless HTML around it must still work.
  const HOSTILE = `# Visitor

<img src="x" onerror="window.pwned = 'img onerror'">
<svg onload="window.pwned = 'svg onload'"><circle r="3"/></svg>

<a id="js-link" href="javascript:void(window.pwned = 'javascript link')">a link</a> and [another](javascript:void(window.pwned='markdown')) <script>window.pwned = 'script'</script>

<details><summary>Folded</summary>

Inside the details, <kbd>Ctrl</kbd>.

</details>
`;
  const HOST = 'The [[visitor]] wrote something.\n';
  const sites = {};

  before(async () => {
    for (const [name, toml] of [['sanitised', ''], ['unsafe', 'unsafe_html = true\n']]) {
      const tmp = makeTempDir(name);
      const garden = path.join(tmp, 'garden');
      const out = path.join(tmp, 'out');
      fs.mkdirSync(path.join(garden, 'content'), { recursive: true });
      fs.writeFileSync(path.join(garden, 'loam.toml'), `title = "Commons"\n${toml}`);
      fs.writeFileSync(path.join(garden, 'content', 'visitor.md'), HOSTILE);
      fs.writeFileSync(path.join(garden, 'content', 'host.md'), HOST);
      await build(garden, out);
      sites[name] = await serveStatic(out);
    }
  });

  after(async () => {
    for (const server of Object.values(sites)) await server.close();
  });

  /** Opens the visitor's page, clicks its links and hovers a link to it elsewhere; returns window.pwned. */
  async function visit(origin) {
    const context = await browser.newContext();
    const page = await context.newPage();
    page.setDefaultTimeout(TIMEOUT);
    await page.goto(`${origin}/visitor/`, { waitUntil: 'load' });
    await page.waitForFunction(() => [...document.images].every((img) => img.complete));
    await page.locator('#js-link').click();
    await page.locator('.content a', { hasText: 'another' }).click();
    const onPage = await page.evaluate(() => window.pwned);
    // The link preview brings the visitor's page into another one.
    const host = await context.newPage();
    host.setDefaultTimeout(TIMEOUT);
    await host.goto(`${origin}/host/`, { waitUntil: 'load' });
    await host.locator('.content a.internal[href$="/visitor/"]').hover();
    await host.locator('.popover .popover-body').waitFor({ state: 'visible' });
    await host.waitForFunction(() => [...document.images].every((img) => img.complete));
    const inPreview = await host.evaluate(() => window.pwned);
    const details = await page.locator('.content details summary').innerText();
    await context.close();
    return { onPage, inPreview, details };
  }

  test('no script of a note runs, on its page or in a preview, and its details still fold', async () => {
    const { onPage, inPreview, details } = await visit(sites.sanitised.origin);
    assert.equal(onPage, undefined, `a note's script ran on its page: ${onPage}`);
    assert.equal(inPreview, undefined, `a note's script ran in a preview: ${inPreview}`);
    assert.equal(details, 'Folded');
  });

  test('with unsafe_html = true the same note runs its scripts (what the check above would catch)', async () => {
    const { onPage } = await visit(sites.unsafe.origin);
    assert.ok(onPage, 'the unsanitised note set window.pwned');
  });
});

describe('search in a garden written in Chinese', { timeout: 120_000 }, () => {
  let server;

  before(async () => {
    server = await servedGarden('zh', 'title = "花园"\nlanguage = "zh"\n', {
      '堆肥.md': '# 堆肥\n\n厨房的剩菜和落叶可以变成肥沃的土壤，蚯蚓帮助分解。\n',
      '浇水.md': '# 浇水\n\n夏天早上浇水最好，避免中午的阳光。\n',
    });
  });

  after(async () => {
    await server?.close();
  });

  test('a word in the middle of a sentence is found', async () => {
    const context = await browser.newContext();
    const { origin } = server;
    const page = await open(context, `${origin}/`, origin);
    // 蚯蚓 (earthworm) sits inside a sentence with no spaces around it.
    const result = await search(page, '蚯蚓', '堆肥');
    assert.match(await result.locator('mark').first().innerText(), /蚯蚓/);
    assert.equal(await page.locator('.search-result').count(), 1, 'the other note does not match');
    await context.close();
  });

  test("the interface's words are Chinese, the scripts' too", async () => {
    const context = await browser.newContext();
    const { origin } = server;
    const page = await open(context, `${origin}/`, origin);
    assert.equal(await page.locator('html').getAttribute('lang'), 'zh');
    assert.equal(await page.locator('.search-input').getAttribute('placeholder'), '搜索');
    await page.locator('.theme-toggle').waitFor();
    assert.equal(await page.locator('.theme-toggle').innerText(), '主题: 自动');
    await openSearch(page);
    const input = page.locator('.search-input');
    await input.fill('没有这个词');
    await page.locator('.search-results', { hasText: '没有匹配的笔记' }).waitFor();
    await context.close();
  });
});

describe('search and the graph in a real vault with other scripts in its paths', { timeout: 180_000 }, () => {
  const VAULT = path.resolve(REPO, process.env.LOAM_VAULT || 'tests/corpora/vault-of-knowledge');
  let server;
  let out;

  before(async () => {
    if (!fs.existsSync(VAULT)) throw new Error(`corpus not found at ${VAULT} (tests/corpora is part of the repository)`);
    out = path.join(makeTempDir('vault'), 'out');
    await build(VAULT, out);
    server = await serveStatic(out);
  });

  after(async () => {
    await server?.close();
  });

  test('the whole graph of a large vault comes laid out by the build: drawn at once, still, and the tags switch lays it out again', async (t) => {
    if (!server) return t.skip(`no vault at ${VAULT}`);
    const { origin } = server;
    const graph = JSON.parse(fs.readFileSync(path.join(out, 'graph.json'), 'utf8'));
    assert.ok(graph.nodes.length >= 300 && graph.nodes.every((n) => Number.isFinite(n.x) && Number.isFinite(n.y)), 'graph.json places every note');
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await open(context, `${origin}/graph/`, origin);
    await page.locator('[data-graph="global"][data-settled="1"]').waitFor({ timeout: 30_000 });
    const coords = () => page.evaluate(() => window.loamGraph.nodeCoords().map((c) => (c ? `${Math.round(c.x)},${Math.round(c.y)}` : '')));
    const first = await coords();
    assert.equal(first.filter(Boolean).length, graph.nodes.length, 'every note is drawn');
    const box = await page.locator('.graph-canvas').boundingBox();
    const inside = first.filter((c) => {
      const [x, y] = c.split(',').map(Number);
      return x >= box.x && x <= box.x + box.width && y >= box.y && y <= box.y + box.height;
    });
    assert.equal(inside.length, first.length, 'the whole layout is framed');
    await page.waitForTimeout(700);
    assert.deepEqual(await coords(), first, 'nothing moves: there is nothing to settle');
    // The tags join the notes: the layout moves again, and settles.
    await page.locator('.graph-controls input[type="checkbox"]').check();
    await page.locator('[data-graph="global"][data-settled="1"]').waitFor({ timeout: 60_000 });
    assert.notDeepEqual((await coords()).slice(0, first.length), first, 'laid out again with the tags');
    await screenshot(page, 'vault-graph');
    assert.deepEqual(page.problems, []);
    await context.close();
  });

  test('the browser cuts and folds every note of the vault as the build did', async (t) => {
    if (!server) return t.skip(`no vault at ${VAULT}`);
    const { origin } = server;
    const context = await browser.newContext();
    const page = await open(context, `${origin}/`, origin);
    // search.js finds where matched words are in a note's text by cutting the text into words again, and looks
    // words up by their keys (folded, without a plural ending): both must agree with src/search.rs on every note,
    // or excerpts mark the wrong words.
    // search.js comes when the search button is first touched.
    await page.locator('.search-button').focus();
    await page.waitForFunction(() => window.loam.search);
    const report = await page.evaluate(async () => {
      const { stem } = await window.loam.search.load().then((index) => index.meta);
      const root = `${window.loam.base}static/search/`;
      const { pages, bundle, chunks } = await (await fetch(`${root}meta.json`)).json();
      const cutting = [];
      let notes = 0;
      for (let n = 0; n * bundle < pages; n++) {
        for (const note of await (await fetch(`${root}text/${n}.json`)).json()) {
          notes++;
          const pieces = window.loam.search.pieces(note.text).length;
          if (pieces !== note.words) cutting.push(`${note.url}: ${pieces} pieces, ${note.words} words`);
        }
      }
      const folding = [];
      let words = 0;
      for (let n = 0; n < chunks.length; n++) {
        for (const [word] of await (await fetch(`${root}index/${n}.json`)).json()) {
          words++;
          const terms = window.loam.search.terms(word);
          const same = terms.length === 1 && terms[0].words.join('') === word;
          if (!same) folding.push(`${word} -> ${JSON.stringify(terms)}`);
        }
      }
      return { notes, words, cutting, folding, stem };
    });
    assert.ok(report.notes > 2000 && report.words > 10000, `the whole vault: ${report.notes} notes, ${report.words} words`);
    assert.equal(report.stem, true, 'an English vault keys words without their plural ending');
    assert.deepEqual(report.cutting.slice(0, 10), [], `${report.cutting.length} notes cut differently`);
    assert.deepEqual(report.folding.slice(0, 10), [], `${report.folding.length} words folded differently`);
    await context.close();
  });

  test('a note with Greek letters and accents in its path is found, and the result opens it', async (t) => {
    if (!server) return t.skip(`no vault at ${VAULT}`);
    const { origin } = server;
    const context = await browser.newContext();
    const page = await open(context, `${origin}/`, origin);
    // Without its accent too, and the note with the word in its title comes first.
    await search(page, 'godel', "Gödel's Incompleteness Theorem");
    assert.equal(await page.locator('.search-result .search-title').first().innerText(), "Gödel's Incompleteness Theorem");
    await search(page, 'Gödel', "Gödel's Incompleteness Theorem");
    await page.keyboard.press('Enter');
    await page.waitForURL((url) => decodeURI(url.pathname).endsWith('/gödels-incompleteness-theorem/'));
    assert.equal(await page.locator('h1').first().innerText(), "Gödel's Incompleteness Theorem");
    await search(page, 'ΛCDM', 'ΛCDM Model');
    // The explorer and the note's own graph find the page by its (percent-encoded) address too.
    await page.keyboard.press('Enter');
    await page.locator('.explorer a[aria-current="page"]').waitFor();
    await page.locator('[data-graph="local"][data-ready="1"]').waitFor();
    assertClean(page, 'the vault');
    await context.close();
  });
});

describe('search in a garden written in Japanese', { timeout: 120_000 }, () => {
  let server;

  before(async () => {
    server = await servedGarden('ja', 'title = "庭"\nlanguage = "ja"\n', {
      '堆肥.md': '# 堆肥\n\n台所の生ごみと落ち葉は、ミミズの力で豊かな土になります。\n',
      '水やり.md': '# 水やり\n\n夏は朝早くに水をやるのが一番です。\n',
    });
  });

  after(async () => {
    await server?.close();
  });

  test('a word in the middle of a sentence is found and marked, in katakana and in kanji', async () => {
    const context = await browser.newContext();
    const { origin } = server;
    const page = await open(context, `${origin}/`, origin);
    const result = await search(page, 'ミミズ', '堆肥');
    assert.match(await result.locator('mark').first().innerText(), /ミミズ/);
    assert.equal(await page.locator('.search-result').count(), 1, 'the other note does not match');
    const water = await search(page, '朝早く', '水やり');
    assert.match(await water.locator('mark').first().innerText(), /朝/);
    assert.equal(await page.locator('.search-input').getAttribute('placeholder'), '検索');
    await context.close();
  });
});

// An Obsidian vault as a Publish user sees it (issue 18): the home page from `permalink: /`, a callout embedded by
// its block id, a section of the same note embedded, line breaks as Obsidian shows them, and a callout title
// holding a link, at a desktop and a phone width, light and dark.
describe('an Obsidian vault as Obsidian Publish shows it', { timeout: 120_000 }, () => {
  let server;

  before(async () => {
    const tmp = makeTempDir('vault');
    const vault = path.join(tmp, 'vault');
    const out = path.join(tmp, 'out');
    fs.mkdirSync(path.join(vault, '.obsidian'), { recursive: true });
    fs.writeFileSync(path.join(vault, '.obsidian', 'app.json'), '{"strictLineBreaks": false}');
    fs.writeFileSync(
      path.join(vault, 'Welcome.md'),
      '---\npermalink: /\ntitle: Welcome\n---\nRoses are red,\nviolets are blue.\n\nSee [[#Later]].\n\n' +
        '![[Tips#^best]]\n\n![[#Later]]\n\n## Later\n\nThe later words.\n',
    );
    fs.writeFileSync(
      path.join(vault, 'Tips.md'),
      '# Tips\n\nBefore the callout.\n\n> [!tip] The best tip links to [[Welcome|the start]] with `code`\n' +
        '> Water in the morning.\n\n^best\n\nAfter the callout.\n',
    );
    await build(vault, out);
    server = await serveStatic(out);
  });

  after(async () => {
    await server?.close();
  });

  for (const [width, height] of [[1280, 900], [390, 844]]) {
    for (const colorScheme of ['light', 'dark']) {
      test(`at ${width} px, ${colorScheme}`, async () => {
        const context = await browser.newContext({ viewport: { width, height }, colorScheme });
        const { origin } = server;
        const page = await open(context, `${origin}/`, origin);
        // The home page is the note, under one title.
        assert.equal(await page.locator('h1').count(), 1);
        assert.equal((await page.locator('h1').innerText()).trim(), 'Welcome');
        // A single newline is a line break: the two lines are one above the other.
        const lines = page.locator('p', { hasText: 'Roses are red' });
        assert.equal(await lines.locator('br').count(), 1);
        // The callout is embedded by its block id, with its box, icon and title, and nothing around it.
        const embed = page.locator('.embed', { has: page.locator('.callout') });
        await embed.waitFor();
        const text = await embed.innerText();
        assert.ok(text.includes('Water in the morning.') && !text.includes('Before the callout') && !text.includes('After the callout'), text);
        // Its title holds a link and code on one line of text, beside the icon.
        const title = embed.locator('.callout-title');
        const titleBox = await title.boundingBox();
        const link = title.locator('a');
        assert.equal(await link.getAttribute('href'), '/');
        const icon = await title.evaluate((el) => getComputedStyle(el, '::before').maskImage || getComputedStyle(el, '::before').webkitMaskImage);
        assert.match(icon, /^url\("data:image\/svg\+xml/, 'the tip icon is drawn from a data: URL');
        const linkBox = await link.boundingBox();
        assert.ok(linkBox.y < titleBox.y + titleBox.height && linkBox.x > titleBox.x, 'the link is in the title');
        // The section of the same note is embedded, and the heading link goes to the section.
        assert.ok((await page.locator('.embed', { hasText: 'The later words.' }).count()) >= 1);
        assert.equal(await page.locator('a', { hasText: /^Later$/ }).first().getAttribute('href'), '#later');
        // Nothing is cut off at the side.
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(overflow <= 1, `the page is ${overflow} px wider than the screen`);
        await screenshot(page, `vault-home-${width}-${colorScheme}`);
        assert.deepEqual(page.problems, []);
        await context.close();
      });
    }
  }
});
