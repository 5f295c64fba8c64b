// Accessibility of every kind of page `loam build` writes: axe-core (WCAG 2.0-2.2, A and AA) on a note, a folder
// page, a tag page, the tag index, the graph, search results, the recent changes, a note's history and a
// comparison, 404 and home, in the light and dark themes, at 390 and 1280 px. Any violation fails, with what,
// where and why. Then keyboard walks: Tab from the top reaches the skip link, the search, the explorer and the
// content in order.
//
// Run from the repository root with `node --test tests/browser/` (scripts/test does this). Screenshots with
// focus rings go to target/screenshots/a11y-*.png.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { launch } from './chromium.mjs';
import { serveStatic } from './static-server.mjs';

const REPO = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
const LOAM_BIN = path.resolve(REPO, process.env.LOAM_BIN || 'target/debug/loam');
const AXE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const SHOTS = path.join(REPO, 'target', 'screenshots');
const PREFIX = '/garden/';
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

let browser;
let site;
let garden;

/** What axe finds on the open page, as lines naming the rule, the element and why. */
async function violations(page) {
  await page.addScriptTag({ content: AXE });
  const found = await page.evaluate(async (tags) => {
    const result = await window.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
    return result.violations.map((v) => ({
      id: v.id,
      help: v.help,
      nodes: v.nodes.slice(0, 4).map((n) => `${n.target.join(' ')}: ${n.failureSummary.replace(/\s+/g, ' ')}`),
      count: v.nodes.length,
    }));
  }, TAGS);
  return found.map((v) => `${v.id} (${v.count}): ${v.help}\n    ${v.nodes.join('\n    ')}`);
}

describe('every page is accessible (axe-core, WCAG 2.2 AA)', { timeout: 600_000 }, () => {
  before(async () => {
    garden = fs.mkdtempSync(path.join(os.tmpdir(), 'loam-a11y-'));
    fs.cpSync(path.join(REPO, 'content'), path.join(garden, 'content'), { recursive: true });
    const toml = fs.readFileSync(path.join(REPO, 'loam.toml'), 'utf8').replace(/^base_url\s*=.*$/m, '');
    fs.writeFileSync(
      path.join(garden, 'loam.toml'),
      `base_url = "https://example.org${PREFIX}"\n${toml}\n[history]\npublish = true\n`,
    );
    // A note with neither code nor math, as most notes are, for the page's weight.
    fs.writeFileSync(
      path.join(garden, 'content', 'plain.md'),
      `---\ntitle: A plain note\ntags: [guide]\n---\n\n${'Words of a plain note, linking to [[syntax]] and [[linking]]. '.repeat(40)}\n`,
    );
    // A note too short to scroll on a phone: its graph is in view from the start.
    fs.writeFileSync(path.join(garden, 'content', 'short.md'), '---\ntitle: A short note\n---\n\nOnly [[syntax]].\n');
    // The vault's own stylesheet, which must win over Loam's, even over those a note links after it.
    fs.writeFileSync(path.join(garden, 'content', 'publish.css'), '.callout { border-left-width: 6px; }\n');
    // A history to publish: the notes recorded, one edited.
    execFileSync(LOAM_BIN, ['import', garden], { stdio: 'pipe' });
    const linking = path.join(garden, 'content', 'linking.md');
    fs.appendFileSync(linking, '\nA line added later, for the history.\n');
    execFileSync(LOAM_BIN, ['import', garden], { stdio: 'pipe' });
    execFileSync(LOAM_BIN, ['build', garden, '-o', path.join(garden, 'public')], { stdio: 'pipe' });
    site = await serveStatic(path.join(garden, 'public'), { prefix: PREFIX });
    browser = await launch();
    fs.mkdirSync(SHOTS, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    await site?.close();
    fs.rmSync(garden, { recursive: true, force: true });
  });

  const pages = [
    ['home', ''],
    ['note', 'syntax/'],
    ['folder', 'guides/'],
    ['tag', 'tags/guide/'],
    ['tag index', 'tags/'],
    ['graph', 'graph/'],
    ['recent changes', '_changes/'],
    ['history', 'linking/?history'],
    ['404', 'no-such-page/'],
  ];
  for (const [width, scheme] of [
    [390, 'dark'],
    [1280, 'light'],
    [1280, 'dark'],
    [390, 'light'],
  ]) {
    test(`no violation on any kind of page at ${width} px, ${scheme}`, async () => {
      const context = await browser.newContext({ viewport: { width, height: 900 }, colorScheme: scheme });
      const page = await context.newPage();
      const errors = [];
      // The 404 page's own status is logged by Chromium as a failed load: that one is the page, not an error of it.
      const missing = site.url(`${PREFIX}no-such-page/`);
      page.on('console', (message) => {
        if (message.type() !== 'error') return;
        if (message.location().url === missing && /status of 404/.test(message.text())) return;
        errors.push(`${page.url()}: ${message.text()}`);
      });
      page.on('pageerror', (error) => errors.push(`${page.url()}: ${error.message}`));
      const found = [];
      try {
        for (const [kind, at] of pages) {
          await page.goto(site.url(`${PREFIX}${at}`));
          await page.waitForLoadState('networkidle');
          for (const line of await violations(page)) found.push(`${kind} (${at || '/'}): ${line}`);
        }
        // The search dialog, with results.
        await page.goto(site.url(`${PREFIX}syntax/`));
        await page.locator('.search-button').click();
        await page.locator('.search-input').fill('link');
        await page.locator('.search-result').first().waitFor({ timeout: 15_000 });
        for (const line of await violations(page)) found.push(`search results: ${line}`);
        await page.screenshot({ path: path.join(SHOTS, `a11y-search-${width}-${scheme}.png`) });
      } finally {
        await context.close();
      }
      assert.deepEqual(found, [], `axe-core found:\n${found.join('\n')}`);
      assert.deepEqual(errors, [], `the console logged errors:\n${errors.join('\n')}`);
    });
  }

  test('the keyboard: the skip link first, then search, the page and the explorer, each with a visible focus ring', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: 'light' });
    const page = await context.newPage();
    try {
      await page.goto(site.url(`${PREFIX}syntax/`));
      await page.waitForLoadState('networkidle');
      // What has the focus: its region, and whether a ring shows it.
      const focused = () =>
        page.evaluate(() => {
          const e = document.activeElement;
          const style = getComputedStyle(e);
          const ring = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
          const region = e.closest('.skip-link') ? 'skip' : e.closest('.search') ? 'search'
            : e.closest('main') ? 'main' : e.closest('.explorer') ? 'explorer' : e.closest('header') ? 'header' : 'other';
          const box = e.getBoundingClientRect();
          return { region, ring, tag: e.tagName, text: (e.textContent || e.value || '').trim().slice(0, 40), visible: box.width > 0 && box.height > 0 };
        });
      await page.keyboard.press('Tab');
      const first = await focused();
      assert.equal(first.region, 'skip', `the first Tab reaches the skip link, not ${JSON.stringify(first)}`);
      assert.ok(first.visible && first.ring, `the skip link shows, with a ring: ${JSON.stringify(first)}`);
      await page.screenshot({ path: path.join(SHOTS, 'a11y-focus-skip.png') });
      // Through the whole page: every stop shows a ring, and the regions come in order.
      const order = [];
      for (let i = 0; i < 200; i++) {
        const now = await focused();
        assert.ok(now.ring && now.visible, `a focus stop without a visible ring: ${JSON.stringify(now)}`);
        if (order[order.length - 1] !== now.region) order.push(now.region);
        if (now.region === 'explorer') break;
        await page.keyboard.press('Tab');
      }
      const at = (region) => order.indexOf(region);
      assert.ok(at('skip') === 0 && at('search') > 0 && at('main') > at('search') && at('explorer') > at('main'), `the order of the stops: ${order.join(' > ')}`);
      await page.screenshot({ path: path.join(SHOTS, 'a11y-focus-explorer.png') });

      // The skip link takes the reader to the page's content.
      await page.goto(site.url(`${PREFIX}syntax/`));
      await page.keyboard.press('Tab');
      await page.keyboard.press('Enter');
      await page.keyboard.press('Tab');
      assert.equal((await focused()).region, 'main', 'after the skip link, Tab is in the page');

      // Search by keyboard: "/" opens the dialog with the focus in its box; a query, the arrows through the
      // results; Tab stays inside the dialog; Escape closes it and the focus goes back where it was.
      const button = page.locator('.search-button');
      assert.equal(await button.getAttribute('aria-haspopup'), 'dialog');
      await page.evaluate(() => document.activeElement.setAttribute('data-was-focused', ''));
      await page.keyboard.press('/');
      const dialog = page.locator('.search-dialog');
      const input = page.locator('.search-input');
      assert.ok(await dialog.evaluate((d) => d.open && d.matches(':modal')), '/ opens the search as a modal dialog');
      assert.ok(await input.evaluate((e) => e === document.activeElement), 'the focus is in its box');
      await page.keyboard.type('link');
      await page.locator('.search-result').first().waitFor({ timeout: 15_000 });
      assert.equal(await input.getAttribute('aria-expanded'), 'true');
      assert.match(await page.locator('.search-status').innerText(), /\d/, 'the number of results is announced');
      await page.keyboard.press('ArrowDown');
      const active = await input.getAttribute('aria-activedescendant');
      assert.ok(active, 'the arrow moves to a result');
      assert.equal(await page.locator(`#${active}`).getAttribute('aria-selected'), 'true');
      await page.screenshot({ path: path.join(SHOTS, 'a11y-search-keyboard.png') });
      for (let i = 0; i < 6; i++) {
        await page.keyboard.press(i % 2 ? 'Shift+Tab' : 'Tab');
        await page.keyboard.press('Tab');
        const inside = await page.evaluate(() => document.activeElement.closest('.search-dialog') !== null);
        assert.ok(inside, `Tab leaves the open search dialog for ${JSON.stringify(await focused())}`);
        const stop = await focused();
        assert.ok(stop.ring && stop.visible, `a stop in the dialog without a visible ring: ${JSON.stringify(stop)}`);
      }
      await page.keyboard.press('Escape');
      assert.ok(!(await dialog.evaluate((d) => d.open)), 'Escape closes the search');
      await page.waitForFunction(() => document.activeElement?.hasAttribute('data-was-focused'));
      // Opened with its button, closed with its close button: the focus goes back to the button.
      await button.focus();
      await page.keyboard.press('Enter');
      assert.ok(await input.evaluate((e) => e === document.activeElement), 'Enter on the button opens the search');
      assert.equal(await input.inputValue(), 'link', 'the query is kept, selected');
      await page.locator('.search-close').click();
      assert.ok(!(await dialog.evaluate((d) => d.open)), 'the close button closes it');
      await page.waitForFunction(() => document.activeElement?.classList.contains('search-button'));
      // A result in the page being read: Enter closes the search and the page moves to the section.
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.keyboard.press('Control+K');
      await input.fill('callouts foldable');
      await page.locator('.search-result[href$="#callouts"]').first().waitFor({ timeout: 15_000 });
      await page.keyboard.press('Enter');
      await page.waitForURL(/#callouts$/);
      await page.waitForFunction(() => !document.querySelector('.search-dialog').open && window.scrollY > 500);
    } finally {
      await context.close();
    }
  });

  test('a note on a phone weighs under 100 KB before interaction; the graph and search come when wanted', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    const fetched = [];
    page.on('response', async (response) => {
      const body = await response.body().catch(() => Buffer.alloc(0));
      fetched.push([new URL(response.url()).pathname, body.length]);
    });
    try {
      await page.goto(site.url(`${PREFIX}plain/`));
      await page.waitForLoadState('networkidle');
      await page.waitForTimeout(300);
      const total = fetched.reduce((sum, [, n]) => sum + n, 0);
      const list = fetched.map(([p, n]) => `${p} ${n}`).join('\n');
      assert.ok(total < 100 * 1024, `the note weighs ${(total / 1024).toFixed(1)} KB:\n${list}`);
      for (const later of ['force-graph', 'graph.json', 'search.js', 'highlight.css', 'callouts.css', 'history.css', 'katex', 'graph.js']) {
        assert.ok(!fetched.some(([p]) => p.includes(later)), `${later} is fetched before it is wanted:\n${list}`);
      }
      // Down to the note's own graph: the library and the data come, and it is drawn.
      await page.locator('.local-graph').scrollIntoViewIfNeeded();
      await page.locator('[data-graph="local"][data-ready="1"]').waitFor({ timeout: 15_000 });
      assert.ok(fetched.some(([p]) => p.includes('force-graph')) && fetched.some(([p]) => p.endsWith('graph.json')));
      // Its text alternative names the notes it links with.
      const label = await page.locator('.graph-local [role="img"]').getAttribute('aria-label');
      assert.match(label, /Markdown and Obsidian syntax/, label);
      // A note so short that its graph is in view at once: the graph waits for its button.
      fetched.length = 0;
      await page.goto(site.url(`${PREFIX}short/`));
      await page.waitForLoadState('networkidle');
      await page.waitForTimeout(300);
      assert.ok(!fetched.some(([p]) => p.includes('force-graph') || p.endsWith('graph.json')), `a short note on a phone fetches no graph before it is asked for: ${fetched.map(([p]) => p).join(' ')}`);
      const show = page.locator('.graph-local .show-part');
      assert.ok(await show.isVisible(), 'the graph has a button to show it');
      for (const line of await violations(page)) assert.fail(`short note with the graph's button: ${line}`);
      await show.focus();
      await page.keyboard.press('Enter');
      await page.locator('[data-graph="local"][data-ready="1"]').waitFor({ timeout: 15_000 });
      assert.ok(await page.locator('.local-graph a.graph-open').evaluate((a) => a === document.activeElement), 'the focus goes to the link to the whole graph');
      // Search comes with the first touch of its button.
      const [script] = await Promise.all([
        page.waitForResponse((response) => response.url().endsWith('/static/search.js'), { timeout: 15_000 }),
        page.locator('.search-button').focus(),
      ]);
      assert.equal(script.status(), 200);
      await page.waitForFunction(() => window.loam.search);
    } finally {
      await context.close();
    }
  });

  test('nothing moves as a wide page comes in: the note\'s graph keeps its place above the outline before it is parsed', async () => {
    const context = await browser.newContext({ viewport: { width: 1350, height: 940 } });
    const page = await context.newPage();
    try {
      await page.goto(site.url(`${PREFIX}syntax/`));
      await page.waitForLoadState('networkidle');
      // The graph's section is last in the HTML: a browser paints what it has parsed, the outline before it.
      const moved = await page.evaluate(() => {
        const toc = document.querySelector('article.note > .toc');
        const graph = document.querySelector('article.note > .local-graph');
        const before = toc.getBoundingClientRect().top;
        const holder = graph.parentNode;
        graph.remove();
        const without = toc.getBoundingClientRect().top;
        holder.appendChild(graph);
        return { before, without, graph: graph.getBoundingClientRect().height };
      });
      assert.ok(moved.graph > 200, `the graph is shown beside the note: ${JSON.stringify(moved)}`);
      assert.equal(moved.without, moved.before, `the outline would jump when the graph's section is parsed: ${JSON.stringify(moved)}`);
      // The explorer is filled after the first paint: its column is as high filled as empty, so that the footer
      // of a page shorter than it does not move.
      await page.goto(site.url(`${PREFIX}tags/guide/`));
      await page.locator('.explorer-tree').waitFor();
      const footer = await page.evaluate(() => {
        const top = () => document.querySelector('.site-aside').getBoundingClientRect().height;
        const filled = top();
        const tree = document.querySelector('.explorer-tree');
        const holder = tree.parentNode;
        tree.remove();
        const empty = top();
        holder.appendChild(tree);
        return { filled, empty };
      });
      assert.equal(footer.filled, footer.empty, `the explorer's column grows as it fills: ${JSON.stringify(footer)}`);
    } finally {
      await context.close();
    }
  });

  test("a garden's own base.html from before search was a dialog still searches, from a box in its header", async () => {
    const own = fs.mkdtempSync(path.join(os.tmpdir(), 'loam-old-template-'));
    try {
      const base = fs.readFileSync(path.join(REPO, 'templates', 'base.html'), 'utf8');
      const start = base.indexOf('<div class="search" data-search hidden>');
      const end = base.indexOf('</dialog>', start) + '</dialog>\n    </div>'.length;
      assert.ok(start > 0 && end > start, 'the built-in search markup is where this test looks for it');
      const old = '<div class="search" role="search" data-search hidden>\n' +
        '      <input class="search-input" type="search" role="combobox" placeholder="Search" aria-label="Search" aria-controls="loam-search-results" aria-expanded="false">\n' +
        '      <div class="search-results" id="loam-search-results" role="listbox" aria-label="Results" hidden></div>\n    </div>';
      fs.mkdirSync(path.join(own, 'templates'), { recursive: true });
      fs.mkdirSync(path.join(own, 'content'), { recursive: true });
      fs.writeFileSync(path.join(own, 'templates', 'base.html'), base.slice(0, start) + old + base.slice(end));
      fs.writeFileSync(path.join(own, 'loam.toml'), 'title = "Own"\n');
      fs.writeFileSync(path.join(own, 'content', 'bees.md'), '# Bees\n\nThe hive hums with quillwort pollen.\n');
      fs.writeFileSync(path.join(own, 'content', 'wasps.md'), '# Wasps\n\nNo pollen here.\n');
      execFileSync(LOAM_BIN, ['build', own, '-o', path.join(own, 'public')], { stdio: 'pipe' });
      const server = await serveStatic(path.join(own, 'public'));
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const page = await context.newPage();
      try {
        await page.goto(server.url('/wasps/'));
        await page.waitForLoadState('networkidle');
        await page.keyboard.press('/');
        assert.ok(await page.locator('.search-input').evaluate((e) => e === document.activeElement), '/ focuses the box');
        await page.keyboard.type('quillwort');
        await page.locator('.search-result', { hasText: 'Bees' }).waitFor({ timeout: 15_000 });
      } finally {
        await context.close();
        await server.close();
      }
    } finally {
      fs.rmSync(own, { recursive: true, force: true });
    }
  });

  test("a garden's publish.css wins over Loam's stylesheets, wherever they are linked", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    try {
      await page.goto(site.url(`${PREFIX}syntax/`));
      await page.waitForLoadState('networkidle');
      // callouts.css comes with the note's first callout, in its body, after publish.css in the head.
      const order = await page.evaluate(() => [...document.querySelectorAll('link[rel=stylesheet]')].map((l) => new URL(l.href).pathname.split('/').pop()));
      assert.ok(order.indexOf('callouts.css') > order.indexOf('publish.css') && order.indexOf('publish.css') >= 0, order.join(' '));
      const width = await page.locator('.callout').first().evaluate((e) => getComputedStyle(e).borderLeftWidth);
      assert.equal(width, '6px', "publish.css's .callout rule wins over callouts.css's own");
    } finally {
      await context.close();
    }
  });

  test('pages reflow at 320 px (as text at 400 %), and print without the chrome', async () => {
    const context = await browser.newContext({ viewport: { width: 320, height: 640 } });
    const page = await context.newPage();
    try {
      for (const at of ['', 'syntax/', 'guides/', 'tags/', 'graph/', 'linking/?history']) {
        await page.goto(site.url(`${PREFIX}${at}`));
        await page.waitForLoadState('networkidle');
        const wide = await page.evaluate(() => document.documentElement.scrollWidth);
        assert.ok(wide <= 320, `/${at} scrolls sideways at 320 px: ${wide} px wide`);
      }
      await page.screenshot({ path: path.join(SHOTS, 'a11y-320.png'), fullPage: false });
      await page.goto(site.url(`${PREFIX}syntax/`));
      await page.emulateMedia({ media: 'print' });
      for (const chrome of ['.site-nav', '.search', '.site-aside', '.theme-toggle', '.menu-button', '.local-graph', '.skip-link']) {
        const shown = await page.locator(chrome).evaluateAll((all) => all.filter((e) => e.getClientRects().length > 0).length);
        assert.equal(shown, 0, `${chrome} is printed`);
      }
      assert.ok(await page.locator('main h1').isVisible(), 'the note is printed');
    } finally {
      await context.close();
    }
  });

  test('the preview (loam serve) has no violation either: a note, its history, the recent changes, a folder', async () => {
    const portFile = path.join(garden, 'port');
    const server = spawn(LOAM_BIN, ['serve', garden, '--port', '0', '--port-file', portFile], { stdio: 'ignore' });
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, colorScheme: 'dark' });
    try {
      const deadline = Date.now() + 20_000;
      while (!fs.existsSync(portFile) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      const base = `http://127.0.0.1:${Number(fs.readFileSync(portFile, 'utf8'))}${PREFIX}`;
      const page = await context.newPage();
      const found = [];
      for (const at of ['syntax/', '_history/linking/', '_changes/', 'guides/']) {
        const response = await page.goto(base + at);
        assert.equal(response.status(), 200, `${base}${at}`);
        await page.waitForLoadState('networkidle');
        for (const line of await violations(page)) found.push(`${at}: ${line}`);
      }
      assert.deepEqual(found, [], `axe-core found in the preview:\n${found.join('\n')}`);
    } finally {
      await context.close();
      server.kill();
    }
  });

  test('a link reached with the keyboard opens its preview, and Escape closes it', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    try {
      await page.goto(site.url(`${PREFIX}plain/`));
      await page.waitForLoadState('networkidle');
      // Tab into the note's text until a link to another page of the garden has the focus.
      await page.locator('main h1').first().click();
      let reached = false;
      for (let i = 0; i < 40 && !reached; i++) {
        await page.keyboard.press('Tab');
        reached = await page.evaluate(() => {
          const a = document.activeElement;
          return a.tagName === 'A' && !!a.closest('main .content') && /\/syntax\/$/.test(a.pathname);
        });
      }
      assert.ok(reached, 'Tab reaches the link to syntax/');
      const popover = page.locator('.popover');
      await popover.waitFor({ state: 'visible', timeout: 10_000 });
      assert.match(await popover.innerText(), /Markdown|syntax/i);
      await page.keyboard.press('Escape');
      await popover.waitFor({ state: 'hidden', timeout: 5_000 });
    } finally {
      await context.close();
    }
  });
});
