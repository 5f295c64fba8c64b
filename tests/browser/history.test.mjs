// A note's history in `loam serve`, the way a reader gets there: from the note's page to its History, an edit
// opened to see what it changed, two versions picked and compared (the text as read, then the Markdown), and who
// wrote what; an old version read at its own address; "this page changed since you last read it"; the recent
// changes filtered by author, and an author's page. The garden is edited by two authors on three days (`loam import`, each file's time set).
// Screenshots at 1280 px light and 390 px dark go to target/screenshots/.
//
// Run from the repository root with `node --test tests/browser/` (scripts/test does this).

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { launch } from './chromium.mjs';
import { serveStatic } from './static-server.mjs';

const REPO = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
const LOAM_BIN = path.resolve(REPO, process.env.LOAM_BIN || 'target/debug/loam');
const SHOTS = path.join(REPO, 'target', 'screenshots');
/** 2026-03-01 00:00:00 UTC, in seconds. */
const DAY_ONE = 1_772_323_200;

/** Saves `text` as content/bees.md by `author` at `day` (and `seconds` into it), recorded by `loam import`. */
function save(root, author, text, day, seconds = 0) {
  fs.writeFileSync(path.join(root, 'loam.toml'), `title = "Bees"\nbase_url = "/"\n[author]\nname = "${author}"\n`);
  const file = path.join(root, 'content', 'bees.md');
  fs.writeFileSync(file, text);
  const when = DAY_ONE + day * 86_400 + seconds;
  fs.utimesSync(file, when, when);
  execFileSync(LOAM_BIN, ['import', root], { stdio: 'ignore' });
}

function garden() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'loam-history-browser-'));
  fs.mkdirSync(path.join(root, 'content'));
  save(root, 'Ada', '# Bees\n\nBees dance to say where flowers are.\n\n## Stings\n\nOnly females sting.\n', 0);
  save(root, 'Bo', '# Bees\n\nBees dance to say where flowers are.\n\n## Stings\n\nOnly female bees sting, and rarely.\n', 1);
  const third = '# Bees\n\nBees dance to say where the flowers are.\n\n## Stings\n\nOnly female bees sting, and rarely.\n';
  save(root, 'Ada', third, 2, 60);
  save(root, 'Ada', `${third}\n## Honey\n\nThey make honey.\n`, 2, 120);
  return root;
}

/** `loam serve` on `root`; resolves once it listens. */
async function serve(root) {
  const portFile = path.join(root, 'port');
  const child = spawn(LOAM_BIN, ['serve', root, '--port', '0', '--port-file', portFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stderr.on('data', (chunk) => {
    log += chunk;
  });
  const lines = readline.createInterface({ input: child.stdout });
  await new Promise((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`loam serve exited (${code}):\n${log}`)));
  });
  while (!fs.existsSync(portFile)) await new Promise((resolve) => setTimeout(resolve, 20));
  const port = Number(fs.readFileSync(portFile, 'utf8'));
  return {
    base: `http://127.0.0.1:${port}/`,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', resolve);
        child.kill('SIGTERM');
      }),
  };
}

describe("a note's history in loam serve", { timeout: 120_000 }, () => {
  let browser;
  let root;
  let server;

  before(async () => {
    browser = await launch();
    root = garden();
    server = await serve(root);
    fs.mkdirSync(SHOTS, { recursive: true });
  });

  after(async () => {
    await server?.stop();
    await browser?.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  test('from the note to its history, an edit opened, two versions compared, who wrote what', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 }, colorScheme: 'light' });
    await page.goto(`${server.base}bees/`);
    await page.click('.history-link a');
    await page.waitForURL(/_history\/bees\/$/);
    assert.equal(await page.locator('h1.page-title').innerText(), 'History');
    // Newest day first; Ada's two saves a minute apart are one edit.
    const days = await page.locator('.history-day time').allInnerTexts();
    assert.deepEqual(days, ['2026-03-03', '2026-03-02', '2026-03-01']);
    const first = page.locator('.history-edit').first();
    assert.match(await first.innerText(), /Ada[\s\S]*2 saves/);
    assert.match(await first.locator(".history-summary").innerText(), /changed “Bees dance to say where the flowers are.” and 2 more lines/);
    // Opening it shows what it changed, word by word.
    await first.locator('summary').first().click();
    assert.equal(await first.locator('.diff-text ins').first().isVisible(), true);
    assert.match(await first.locator('.diff-text').innerText(), /the flowers/);
    await page.screenshot({ path: path.join(SHOTS, 'history-1280-light.png'), fullPage: true });

    // Bo's version against Ada's first: pick "from" on Bo's row (the version before it) and "to" on it.
    const bo = page.locator('.history-edit', { hasText: 'Bo' });
    await bo.locator('input[name="from"]').check();
    await bo.locator('input[name="to"]').check();
    await page.click('button[type="submit"]');
    await page.waitForURL(/\?from=.*&to=/);
    assert.equal(await page.locator('h1.page-title').innerText(), 'Compare');
    assert.equal(await page.locator('.diff-text del').first().innerText(), 'females');
    assert.equal(await page.locator('.diff-text ins').first().innerText(), 'female bees');
    await page.click('.diff-source-toggle summary');
    assert.equal(await page.locator('.diff-source tr.removed').first().innerText().then((t) => t.includes('Only females sting.')), true);
    await page.screenshot({ path: path.join(SHOTS, 'history-compare-1280-light.png'), fullPage: true });

    // Who wrote what.
    await page.click('.history-views a[href$="?blame"]');
    await page.waitForURL(/\?blame$/);
    // Bo rewrote Ada's line, keeping some of her words: both are named, she who wrote most first.
    const stings = page.locator('.blame tr', { hasText: 'Only female bees sting, and rarely.' });
    assert.match(await stings.innerText(), /Ada, Bo/);
    await page.close();
  });

  test("an old version read at its own address, then what changed since", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 }, colorScheme: 'light' });
    await page.goto(`${server.base}_history/bees/`);
    const bo = page.locator('.history-edit', { hasText: 'Bo' });
    await bo.locator('summary').first().click();
    await bo.locator('.history-read a').click();
    await page.waitForURL(/\?at=[0-9a-f]{8}$/);
    const banner = page.locator('.version-banner');
    assert.match(await banner.innerText(), /An earlier version of this page[\s\S]*2026-03-02[\s\S]*Bo/);
    const text = await page.locator('.content').innerText();
    assert.match(text, /Only female bees sting, and rarely\./);
    assert.doesNotMatch(text, /They make honey|the flowers/);
    await page.screenshot({ path: path.join(SHOTS, 'history-old-version-1280-light.png'), fullPage: true });
    // From there to what changed since, then to the current page.
    await banner.locator('a', { hasText: 'What changed since' }).click();
    await page.waitForURL(/\?from=.*&to=/);
    assert.match(await page.locator('.diff-text ins').allInnerTexts().then((t) => t.join(' ')), /They make honey/);
    await page.goBack();
    await banner.locator('a', { hasText: 'Current version' }).click();
    await page.waitForURL(/\/bees\/$/);
    assert.match(await page.locator('.content').innerText(), /They make honey/);
    await page.close();
  });

  test('the page says what changed since the reader last read it', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 }, colorScheme: 'light' });
    await page.goto(`${server.base}bees/`);
    const edited = () => page.locator('.history-link').getAttribute('data-edited').then(Number);
    const before = await edited();
    assert.ok(before > DAY_ONE, `data-edited is ${before}`);
    // A first visit says nothing.
    assert.equal(await page.locator('.since-visit').count(), 0);
    // Someone edits the note while the reader is away (an open page would reload and show it); the preview
    // records it.
    await page.goto('about:blank');
    const file = path.join(root, 'content', 'bees.md');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8') + '\nBees sleep at night.\n');
    const other = await browser.newPage();
    const deadline = Date.now() + 30_000;
    for (;;) {
      await other.goto(`${server.base}bees/`);
      const now = await other.locator('.history-link').getAttribute('data-edited').then(Number);
      if (now > before) break;
      assert.ok(Date.now() < deadline, 'the edit was never recorded');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await other.close();
    await page.goto(`${server.base}bees/`);
    assert.equal(await page.locator('.since-visit').count(), 1, 'the page does not say it changed');
    assert.match(await page.locator('.since-visit').innerText(), /This page changed since you last read it/);
    await page.screenshot({ path: path.join(SHOTS, 'history-since-visit-1280-light.png') });
    await page.click('.since-visit a');
    await page.waitForURL(/\?from=@\d+&to=@\d+$/);
    assert.equal((await page.locator('.diff-text ins').first().innerText()).trim(), 'Bees sleep at night.');
    // Read now: the next visit says nothing.
    await page.goto(`${server.base}bees/`);
    assert.equal(await page.locator('.since-visit').count(), 0);
    await page.close();
  });

  test("recent changes, filtered by author, lead to an author's page; on a phone too", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 }, colorScheme: 'light' });
    await page.goto(`${server.base}bees/`);
    await page.click('.site-nav a[href$="_changes/"]');
    await page.waitForURL(/_changes\/$/);
    assert.equal(await page.locator('h1.page-title').innerText(), 'Recent changes');
    assert.ok((await page.locator('.changes-entry').count()) >= 3);
    await page.selectOption('select[name="author"]', 'Bo');
    await page.click('.changes-filter button');
    await page.waitForURL(/author=Bo/);
    const authors = await page.locator('.changes-entry .history-author').allInnerTexts();
    assert.ok(authors.length >= 1 && authors.every((name) => name === 'Bo'), authors.join());
    await page.screenshot({ path: path.join(SHOTS, 'changes-1280-light.png'), fullPage: true });
    await page.locator('.changes-entry .history-author').first().click();
    await page.waitForURL(/_authors\/bo\/$/);
    assert.equal(await page.locator('h1.page-title').innerText(), 'Bo');
    assert.match(await page.locator('.author-notes').innerText(), /bees/);
    await page.close();
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, colorScheme: 'dark' });
    await phone.goto(`${server.base}_changes/`);
    const wide = await phone.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(wide <= 390, `the page is ${wide} px wide`);
    await phone.screenshot({ path: path.join(SHOTS, 'changes-390-dark.png'), fullPage: true });
    await phone.close();
  });

  test('the history reads on a phone in the dark', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 }, colorScheme: 'dark' });
    await page.goto(`${server.base}_history/bees/`);
    await page.locator('.history-edit summary').first().click();
    // Nothing wider than the screen.
    const wide = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(wide <= 390, `the page is ${wide} px wide`);
    await page.screenshot({ path: path.join(SHOTS, 'history-390-dark.png'), fullPage: true });
    await page.locator('.history-read a').first().click();
    await page.waitForURL(/\?at=/);
    const banner = await page.evaluate(() => document.querySelector('.version-banner').getBoundingClientRect().right);
    assert.ok(banner <= 390, `the banner ends at ${banner} px`);
    assert.ok((await page.evaluate(() => document.documentElement.scrollWidth)) <= 390);
    await page.screenshot({ path: path.join(SHOTS, 'history-old-version-390-dark.png'), fullPage: true });
    await page.close();
  });
});

/** `loam build` of `root` into root/public, served under `prefix`. */
async function buildAndServe(root, prefix) {
  execFileSync(LOAM_BIN, ['build', root, '-o', path.join(root, 'public')], { stdio: 'ignore' });
  fs.mkdirSync(SHOTS, { recursive: true });
  return serveStatic(path.join(root, 'public'), { prefix });
}

describe("a note's history in a built site", { timeout: 120_000 }, () => {
  let browser;
  let root;
  let site;
  const PREFIX = '/garden/';

  before(async () => {
    browser = await launch();
    root = garden();
    fs.writeFileSync(
      path.join(root, 'loam.toml'),
      `title = "Bees"\nbase_url = "https://bees.example${PREFIX}"\n[history]\npublish = true\n`,
    );
    site = await buildAndServe(root, PREFIX);
  });

  after(async () => {
    await site?.close();
    await browser?.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  test('from the note to its history, an edit opened, two versions compared, who wrote what', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 }, colorScheme: 'light' });
    await page.goto(`${site.url(PREFIX)}bees/`);
    await page.click('.history-link a');
    await page.waitForURL(/\/garden\/bees\/\?history$/);
    await page.locator('h1.page-title', { hasText: 'History' }).waitFor();
    const days = await page.locator('.history-day time').allInnerTexts();
    assert.deepEqual(days, ['2026-03-03', '2026-03-02', '2026-03-01']);
    const first = page.locator('.history-edit').first();
    assert.match(await first.innerText(), /Ada[\s\S]*2 saves/);
    assert.match(await first.locator('.history-summary').innerText(), /changed “Bees dance to say where the flowers are.”/);
    await first.locator('summary').first().click();
    // The difference is made when the edit opens (its toggle event): wait for it.
    await first.locator('.diff-text ins').first().waitFor();
    assert.match(await first.locator('.diff-text ins').allInnerTexts().then((t) => t.join(' ')), /the|Honey/);
    await page.screenshot({ path: path.join(SHOTS, 'built-history-1280-light.png'), fullPage: true });

    const bo = page.locator('.history-edit', { hasText: 'Bo' });
    await bo.locator('input[name="from"]').check();
    await bo.locator('input[name="to"]').check();
    await page.click('button[type="submit"]');
    await page.waitForURL(/\?history=&from=.*&to=/);
    await page.locator('h1.page-title', { hasText: 'Compare' }).waitFor();
    assert.equal(await page.locator('.diff-text del').first().innerText(), 'females');
    assert.equal(await page.locator('.diff-text ins').first().innerText(), 'female bees');
    await page.click('.diff-source-toggle summary');
    assert.match(await page.locator('.diff-source tr.removed').first().innerText(), /Only females sting\./);
    await page.screenshot({ path: path.join(SHOTS, 'built-history-compare-1280-light.png'), fullPage: true });

    await page.click('.history-views a[href$="&blame"]');
    await page.waitForURL(/\?history&blame$/);
    const stings = page.locator('.blame tr', { hasText: 'Only female bees sting, and rarely.' });
    assert.match(await stings.innerText(), /Bo/);
    // Line by line: the title is Ada's, and named where her lines begin.
    assert.match(await page.locator('.blame tr').first().innerText(), /Ada[\s\S]*# Bees/);
    await page.close();
  });

  test('an old version read at its own address, then what changed since; on a phone in the dark', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 }, colorScheme: 'dark' });
    await page.goto(`${site.url(PREFIX)}bees/?history`);
    const bo = page.locator('.history-edit', { hasText: 'Bo' });
    await bo.locator('summary').first().click();
    assert.ok((await page.evaluate(() => document.documentElement.scrollWidth)) <= 390);
    await page.screenshot({ path: path.join(SHOTS, 'built-history-390-dark.png'), fullPage: true });
    await bo.locator('.history-read a').click();
    await page.waitForURL(/\?at=[0-9a-f]{8}$/);
    const banner = page.locator('.version-banner');
    assert.match(await banner.innerText(), /2026-03-02[\s\S]*Bo/);
    const text = await page.locator('article .content').innerText();
    assert.match(text, /Only female bees sting, and rarely\./);
    assert.doesNotMatch(text, /They make honey|the flowers/);
    assert.ok((await page.evaluate(() => document.documentElement.scrollWidth)) <= 390);
    await page.screenshot({ path: path.join(SHOTS, 'built-history-old-version-390-dark.png'), fullPage: true });
    await banner.locator('a').nth(1).click();
    await page.waitForURL(/\?history&from=.*&to=/);
    await page.locator('.diff-text ins').first().waitFor();
    assert.match(await page.locator('.diff-text ins').allInnerTexts().then((t) => t.join(' ')), /They make honey/);
    await page.close();
  });
});

/** Writes `text` as content/`name` by `author` at `day` (and `seconds` into it) and records it (`loam import`);
 * `text` null deletes the file. */
function record(root, author, name, text, day, seconds = 0) {
  fs.writeFileSync(
    path.join(root, 'loam.toml'),
    `title = "Hive"\nbase_url = "/garden/"\n[author]\nname = "${author}"\n[history]\npublish = true\n`,
  );
  const file = path.join(root, 'content', name);
  if (text === null) {
    fs.rmSync(file);
  } else {
    fs.writeFileSync(file, text);
    const when = DAY_ONE + day * 86_400 + seconds;
    fs.utimesSync(file, when, when);
  }
  execFileSync(LOAM_BIN, ['import', root], { stdio: 'ignore' });
}

describe('a past version in a built site, as its page was', { timeout: 120_000 }, () => {
  let browser;
  let root;
  let site;
  const PREFIX = '/garden/';
  const FIRST = `# Hive

> [!tip] Smoke
> Calm the bees with ==cool smoke==.

- [x] Check the queen
- [ ] Add a super

See [[Bees#Stings]], [[Old swarm]], [[Secret plans|the plan]], [the bees](Bees.md), #apiary and #smoke.

![[comb.png]] ![[old.png]]

Smoke works by $E = mc^2$, roughly.[^1]

[^1]: Not really.
`;

  before(async () => {
    browser = await launch();
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'loam-history-past-'));
    fs.mkdirSync(path.join(root, 'content'));
    fs.writeFileSync(path.join(root, 'content', 'comb.png'), Buffer.from(
      'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64'));
    fs.copyFileSync(path.join(root, 'content', 'comb.png'), path.join(root, 'content', 'old.png'));
    record(root, 'Ada', 'Bees.md', '# Bees\n\n## Stings\n\nOnly females sting. #apiary $x^2$\n\n![[comb.png]]\n', 0);
    record(root, 'Ada', 'Old swarm.md', '# Old swarm\n', 0);
    record(root, 'Ada', 'Secret plans.md', '---\npublish: false\n---\nMove the hives at night.\n', 0);
    record(root, 'Ada', 'Hive.md', FIRST, 0, 30);
    record(root, 'Bo', 'Old swarm.md', null, 1);
    record(root, 'Bo', 'Hive.md', '# Hive\n\nRewritten from the start.\n', 2);
    site = await buildAndServe(root, PREFIX);
  });

  after(async () => {
    await site?.close();
    await browser?.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  test('the recent changes filtered by author, tag and folder, in the browser', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, colorScheme: 'light' });
    await page.goto(`${site.url(PREFIX)}_changes/`);
    await page.selectOption('.changes-filter select[name="author"]', 'Bo');
    await page.click('.changes-filter button[type="submit"]');
    await page.waitForURL(/_changes\/\?author=Bo/);
    // Bo's changes alone: the rewrite of the hive and the deletion of the old swarm.
    await page.waitForFunction(() =>
      [...document.querySelectorAll('.changes-entry .history-author')].every((a) => a.textContent === 'Bo'));
    const titles = await page.locator('.changes-entry .changes-note').allInnerTexts();
    assert.deepEqual(titles.sort(), ['Hive', 'Old swarm']);
    assert.equal(await page.locator('.changes-filter select[name="author"]').inputValue(), 'Bo');
    await page.screenshot({ path: path.join(SHOTS, 'built-changes-filtered-1280-light.png'), fullPage: true });
    // By tag: the notes filed under it today.
    await page.goto(`${site.url(PREFIX)}_changes/?tag=%23apiary`);
    await page.waitForFunction(() =>
      [...document.querySelectorAll('.changes-entry .changes-note')].every((a) => a.textContent === 'Bees'));
    assert.equal(await page.locator('.changes-entry').count(), 1);
    // A folder with nothing in it.
    await page.goto(`${site.url(PREFIX)}_changes/?folder=nowhere`);
    await page.locator('.changes-none').waitFor();
    assert.equal(await page.locator('.changes-entry').count(), 0);
    await page.close();
  });

  for (const [width, scheme] of [[1280, 'light'], [390, 'dark']]) {
    test(`rendered, its links resolved against the garden as it is, at ${width} px ${scheme}`, async () => {
      const page = await browser.newPage({ viewport: { width, height: 900 }, colorScheme: scheme });
      // The version current a minute into the first day.
      await page.goto(`${site.url(PREFIX)}hive/?at=@${DAY_ONE + 60}`);
      const text = page.locator('article .version-text');
      await text.locator('.callout').waitFor();
      assert.match(await page.locator('.version-banner').innerText(), /2026-03-01[\s\S]*Ada/);
      // The page's dates and contributors as they were then: Bo had not written it yet.
      assert.match(await page.locator('main .contributors').innerText(), /^Contributors?: Ada$/);
      assert.match(await page.locator('.page-meta, main header').first().innerText(), /2026-03-01/);
      assert.equal(await text.locator('.callout[data-callout="tip"] .callout-title').innerText(), 'Smoke');
      assert.equal(await text.locator('.callout mark').innerText(), 'cool smoke');
      assert.deepEqual(
        await text.locator('li input[type="checkbox"]').evaluateAll((boxes) => boxes.map((b) => b.checked)),
        [true, false],
      );
      // Still there: linked, to the heading; gone since: marked missing; never published: not even named.
      assert.equal(await text.locator('a.internal', { hasText: 'Bees > Stings' }).getAttribute('href'), '/garden/bees/#stings');
      assert.equal(await text.locator('a.internal', { hasText: 'the bees' }).getAttribute('href'), '/garden/bees/');
      assert.equal(await text.locator('.link-missing', { hasText: 'Old swarm' }).count(), 1);
      // A tag with a page today links there; one without is shown as written.
      assert.equal(await text.locator('a.tag').getAttribute('href'), '/garden/tags/apiary/');
      assert.equal(await text.locator('span.tag').innerText(), '#smoke');
      // An image a page shows today is there; one no page shows is not in the site: marked missing.
      assert.equal(await text.locator('img.embed').getAttribute('src'), '/garden/comb.png');
      assert.ok(await text.locator('img.embed').evaluate((img) => img.complete && img.naturalWidth > 0));
      assert.equal(await text.locator('.link-missing', { hasText: 'old.png' }).count(), 1);
      // Math typeset by KaTeX (the site has it: a page has math today), footnotes numbered at the end.
      await text.locator('.math.math-inline.math-typeset').waitFor();
      assert.equal(await text.locator('sup.footnote-ref').innerText(), '1');
      assert.match(await text.locator('section.footnotes li').innerText(), /Not really\./);
      // The text's `# Hive` is the page's title, shown once.
      assert.equal(await page.locator('h1').count(), 1);
      const shown = await page.locator('body').innerText();
      assert.match(shown, /unpublished note/);
      assert.doesNotMatch(shown, /Secret|the plan|Rewritten/);
      const file = await page.evaluate(() => fetch('/garden/_history/hive.json').then((r) => r.text()));
      assert.doesNotMatch(file, /Secret|the plan/);
      assert.ok((await page.evaluate(() => document.documentElement.scrollWidth)) <= width);
      await page.screenshot({ path: path.join(SHOTS, `built-history-past-${width}-${scheme}.png`), fullPage: true });
      await page.close();
    });
  }
});
