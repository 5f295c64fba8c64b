// Browser tests for the static site that `loam build` writes.
//
// Run from the repository root with `node --test tests/browser/` (scripts/test does this).
// Needs: the loam binary (env LOAM_BIN, default <repo>/target/debug/loam), Debian's chromium
// (env LOAM_CHROMIUM, default /usr/bin/chromium) and `npm ci` in tests/browser.
// Set LOAM_KEEP_TMP=1 to keep the temporary gardens and built sites for inspection.
//
// Two sites are built:
// 1. Loam's own docs (content/ + loam.toml of this repo), copied to a temp dir with
//    base_url = "https://example.org/garden/" and one extra note holding a missing link, served
//    under /garden/ by a tiny local static server;
// 2. the real-world vault tests/corpora/vault-of-knowledge (read only: only ever built with
//    -o into a temp dir), served at /, to open pages with non-ASCII and emoji paths.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM, launch } from './chromium.mjs';
import { serveStatic } from './static-server.mjs';

const REPO = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
const LOAM_BIN = path.resolve(REPO, process.env.LOAM_BIN || 'target/debug/loam');
const VAULT = path.resolve(REPO, process.env.LOAM_VAULT || 'tests/corpora/vault-of-knowledge');
const KEEP_TMP = process.env.LOAM_KEEP_TMP === '1';

const BASE_URL = 'https://example.org/garden/';
const PREFIX = '/garden/';
const PROBE_TITLE = 'Missing link probe';
const PROBE_PATH = `${PREFIX}missing-link-probe/`;
const MISSING_TARGET = 'No Such Note';


const TIMEOUT = 15_000;
// Safety nets against hangs; the whole file normally runs in well under a minute.
const SUITE_TIMEOUT = { timeout: 240_000 };

// ------------------------------------------------------------------ helpers

let browser;
const tempDirs = [];

function makeTempDir(label) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `loam-browser-${label}-`));
  tempDirs.push(dir);
  return dir;
}

function runLoam(args) {
  return new Promise((resolve) => {
    execFile(LOAM_BIN, args, { maxBuffer: 256 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, error, stdout, stderr });
    });
  });
}

async function buildSite(garden, out) {
  const result = await runLoam(['build', garden, '-o', out]);
  assert.equal(
    result.code,
    0,
    `\`${LOAM_BIN} build ${garden} -o ${out}\` failed (exit ${result.code}):\n` +
      `${result.error?.message ?? ''}\n${tail(result.stderr)}\n${tail(result.stdout)}`,
  );
  assert.ok(fs.existsSync(path.join(out, 'index.html')), `loam build wrote no ${out}/index.html`);
  return result;
}

function tail(text, lines = 40) {
  return String(text ?? '').trimEnd().split('\n').slice(-lines).join('\n');
}

function siteTitleFromToml(toml) {
  return toml.match(/^\s*title\s*=\s*"([^"]*)"/m)?.[1];
}

/** The `content` key of loam.toml (top level only, before any [table]), default "content". */
function contentDirFromToml(toml) {
  const firstTable = toml.search(/^\s*\[/m);
  const top = firstTable === -1 ? toml : toml.slice(0, firstTable);
  return top.match(/^\s*content\s*=\s*"([^"]*)"/m)?.[1] ?? 'content';
}

function withBaseUrl(toml, baseUrl) {
  const line = `base_url = ${JSON.stringify(baseUrl)}`;
  if (/^\s*base_url\s*=.*$/m.test(toml)) {
    return toml.replace(/^\s*base_url\s*=.*$/m, line);
  }
  // Top-level keys must come before the first [table].
  const firstTable = toml.search(/^\s*\[/m);
  return firstTable === -1 ? `${toml.trimEnd()}\n${line}\n` : `${toml.slice(0, firstTable)}${line}\n${toml.slice(firstTable)}`;
}

/** Locations listed in sitemap.xml, as URL paths (absolute ones are stripped to their path). */
function sitemapPaths(out) {
  const xml = fs.readFileSync(path.join(out, 'sitemap.xml'), 'utf8');
  return [...xml.matchAll(/<loc>([^<]+)<\/loc>/g)].map((m) => {
    const loc = m[1].replaceAll('&amp;', '&').trim();
    return decodeURI(new URL(loc, 'http://placeholder.invalid').pathname);
  });
}

/** Percent-encoded form of a (decoded) URL path, as a browser would send it. */
function encodePath(p) {
  return new URL(p, 'http://placeholder.invalid').pathname;
}

/** index.html files under `dir`, in a stable (sorted) order. */
function* htmlPages(dir) {
  const entries = fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      yield* htmlPages(full);
    } else if (entry.name === 'index.html') {
      yield full;
    }
  }
}

/** URL path (decoded, under `prefix`) of a built index.html. */
function pagePathOf(out, file, prefix) {
  const rel = path.relative(out, path.dirname(file)).split(path.sep).filter(Boolean).join('/');
  return rel ? `${prefix}${rel}/` : prefix;
}

/** Opens `url` in a new page of `context`, recording anything that goes wrong while it loads. */
async function open(context, url, { status = 200, allowedPrefix } = {}) {
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  const problems = [];
  page.on('pageerror', (err) => problems.push(`uncaught page error: ${err.message}`));
  page.on('console', (msg) => {
    // Failed loads are reported with their URL by the 'response' handler below; the console line
    // has no URL and also covers the favicon.ico that Chromium asks for on its own.
    if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource:')) {
      problems.push(`console error: ${msg.text()}`);
    }
  });
  page.on('requestfailed', (req) => problems.push(`request failed: ${req.url()} (${req.failure()?.errorText})`));
  page.on('request', (req) => {
    const u = req.url();
    if (allowedPrefix && !u.startsWith(allowedPrefix) && !u.startsWith('data:') && !u.startsWith('about:')) {
      problems.push(`request outside the site's prefix: ${u}`);
    }
  });
  page.on('response', (res) => {
    if (res.status() >= 400 && !res.request().isNavigationRequest()) {
      problems.push(`HTTP ${res.status()} for subresource ${res.url()}`);
    }
  });
  const response = await page.goto(url, { waitUntil: 'load' });
  assert.ok(response, `no response when opening ${url}`);
  assert.equal(response.status(), status, `GET ${url}: expected HTTP ${status}, got ${response.status()}`);
  return { page, response, problems };
}

function assertNoProblems(problems, where) {
  assert.deepEqual(problems, [], `problems while loading ${where}:\n  ${problems.join('\n  ')}`);
}

async function h1Text(page, url) {
  const h1 = page.locator('h1').first();
  assert.ok((await page.locator('h1').count()) > 0, `${url}: page has no <h1>`);
  assert.ok(await h1.isVisible(), `${url}: the <h1> is not visible`);
  const text = (await h1.innerText()).trim();
  assert.ok(text.length > 0, `${url}: the <h1> is empty`);
  return text;
}

/** Clicks `link`, waits for the navigation and returns its response. */
async function clickAndWait(page, link, what) {
  const href = await link.getAttribute('href');
  const target = new URL(href, page.url());
  const targetNoHash = new URL(target);
  targetNoHash.hash = '';
  const responsePromise = page.waitForResponse(
    (res) => res.request().isNavigationRequest() && res.url() === targetNoHash.href,
    { timeout: TIMEOUT },
  );
  await link.click();
  const response = await responsePromise.catch((err) => {
    throw new Error(`${what}: clicking the link to ${href} did not navigate to ${targetNoHash.href} (${err.message})`);
  });
  await page.waitForLoadState('load');
  assert.equal(page.url(), target.href, `${what}: after the click the browser is at ${page.url()}, expected ${target.href}`);
  return { response, href, target };
}

function relativeLuminance(rgb) {
  const m = rgb.match(/rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)/);
  assert.ok(m, `cannot parse colour ${rgb}`);
  const [r, g, b] = m.slice(1, 4).map((v) => {
    const c = Number(v) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** Fetches every href (path with optional #fragment) from node; returns "href → problem" strings. */
async function checkHrefs(origin, hrefsWithSources) {
  const failures = [];
  const byPath = new Map();
  for (const [href, sources] of hrefsWithSources) {
    const u = new URL(href, origin);
    const key = u.pathname + u.search;
    if (!byPath.has(key)) byPath.set(key, []);
    byPath.get(key).push({ href, fragment: u.hash ? decodeURIComponent(u.hash.slice(1)) : null, sources });
  }
  for (const [key, uses] of byPath) {
    let res;
    let body = '';
    try {
      res = await fetch(new URL(key, origin), { redirect: 'manual' });
      body = await res.text();
    } catch (err) {
      failures.push(`${key}: fetch failed (${err.message}); linked from ${uses[0].sources.join(', ')}`);
      continue;
    }
    if (res.status !== 200) {
      const where = [...new Set(uses.flatMap((u) => u.sources))].slice(0, 5).join(', ');
      failures.push(`${key}: HTTP ${res.status}${res.headers.get('location') ? ` → ${res.headers.get('location')}` : ''}; linked from ${where}`);
      continue;
    }
    // A #fragment must name an element of the target page.
    for (const use of uses) {
      if (use.fragment === null || use.fragment === '') continue;
      if (!(res.headers.get('content-type') ?? '').startsWith('text/html')) continue;
      const ids = new Set([...body.matchAll(/\sid="([^"]*)"/g)].map((m) => decodeHtml(m[1])));
      if (!ids.has(use.fragment)) {
        failures.push(`${use.href}: the target page has no element with id="${use.fragment}"; linked from ${use.sources.slice(0, 5).join(', ')}`);
      }
    }
  }
  return failures;
}

function decodeHtml(s) {
  return s
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&#x27;', "'")
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');
}

/** Every href/src of a page's links, stylesheets and scripts, as written in the HTML. */
function collectLinks(page) {
  return page.evaluate(() => {
    const out = [];
    for (const el of document.querySelectorAll('a[href], link[href]')) out.push(el.getAttribute('href'));
    for (const el of document.querySelectorAll('script[src], img[src], source[src]')) out.push(el.getAttribute('src'));
    return out;
  });
}

// ------------------------------------------------------------------ suites

describe('Loam browser tests', SUITE_TIMEOUT, () => {
  before(async () => {
    assert.ok(
      fs.existsSync(LOAM_BIN),
      `the loam binary ${LOAM_BIN} does not exist: run \`cargo build\` first, or set LOAM_BIN`,
    );
    assert.ok(
      fs.existsSync(CHROMIUM),
      `${CHROMIUM} does not exist: install Debian's chromium (\`apt-get install chromium\`, done by scripts/test) or set LOAM_CHROMIUM`,
    );
    browser = await launch();
  });

  after(async () => {
    await browser?.close();
    if (!KEEP_TMP) {
      for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
    } else if (tempDirs.length) {
      console.log(`LOAM_KEEP_TMP=1: kept ${tempDirs.join(', ')}`);
    }
  });

  describe('the docs garden served under /garden/', () => {
    let site;
    let out;
    let siteTitle;
    let defaultFontFamily;

    before(async () => {
      const tmp = makeTempDir('docs');
      const garden = path.join(tmp, 'garden');
      out = path.join(tmp, 'out');
      const toml = fs.readFileSync(path.join(REPO, 'loam.toml'), 'utf8');
      // The notes folder is `content/` unless loam.toml's top-level `content` key says otherwise.
      const contentDir = contentDirFromToml(toml);
      assert.ok(
        !path.isAbsolute(contentDir) && !path.normalize(contentDir).startsWith('..') && path.normalize(contentDir) !== '.',
        `loam.toml sets content = ${JSON.stringify(contentDir)}: these tests expect a notes folder inside the repo`,
      );
      fs.cpSync(path.join(REPO, contentDir), path.join(garden, contentDir), { recursive: true });
      siteTitle = siteTitleFromToml(toml);
      assert.ok(siteTitle, 'the repo loam.toml has no `title = "..."`');
      fs.writeFileSync(path.join(garden, 'loam.toml'), withBaseUrl(toml, BASE_URL));
      fs.writeFileSync(
        path.join(garden, contentDir, 'missing-link-probe.md'),
        `---\ntitle: ${PROBE_TITLE}\n---\n\nThis note points at [[${MISSING_TARGET}]], which does not exist, and at [[syntax]], which does.\n`,
      );
      await buildSite(garden, out);
      site = await serveStatic(out, { prefix: PREFIX });

      const blank = await browser.newPage();
      await blank.setContent('<!doctype html><body>x</body>');
      defaultFontFamily = await blank.evaluate(() => getComputedStyle(document.body).fontFamily);
      await blank.close();
    });

    after(async () => {
      await site?.close();
      assert.equal(site?.server.listening ?? false, false, 'the static server is still listening after close()');
    });

    const url = (p) => site.url(p);
    const allowedPrefix = () => site.origin + PREFIX;

    test('every page has an icon, Loam\'s own where the garden has none, and it loads', async () => {
      const page = await browser.newPage();
      try {
        for (const at of [PREFIX, `${PREFIX}syntax/`, `${PREFIX}tags/`, `${PREFIX}guides/`, `${PREFIX}graph/`, `${PREFIX}no-such-page/`]) {
          await page.goto(url(at));
          const href = await page.locator('link[rel="icon"]').getAttribute('href');
          assert.equal(href, `${PREFIX}static/favicon.svg`, `${at}: the icon`);
          const icon = await page.request.get(new URL(href, page.url()).href);
          assert.equal(icon.status(), 200, `${at}: the icon loads`);
          assert.match(await icon.text(), /^<svg [^>]*viewBox/, `${at}: an SVG`);
        }
      } finally {
        await page.close();
      }
    });

    test('the home page renders its title and heading with the stylesheet applied', async () => {
      const context = await browser.newContext();
      try {
        const home = url(PREFIX);
        const { page, problems } = await open(context, home, { allowedPrefix: allowedPrefix() });
        const title = await page.title();
        assert.ok(title.includes(siteTitle), `${home}: <title> is ${JSON.stringify(title)}, expected it to contain the site title ${JSON.stringify(siteTitle)}`);
        await h1Text(page, home);
        const contentText = (await page.locator('main').innerText()).trim();
        assert.ok(contentText.length > 200, `${home}: <main> has only ${contentText.length} characters of text`);

        const css = await page.evaluate(() => {
          const sheets = [...document.styleSheets].map((s) => ({ href: s.href, rules: s.cssRules.length }));
          const body = getComputedStyle(document.body);
          const root = getComputedStyle(document.documentElement);
          return {
            sheets,
            fontFamily: body.fontFamily,
            margin: body.margin,
            background: body.backgroundColor,
            bgVar: root.getPropertyValue('--bg').trim(),
          };
        });
        const styleUrl = url(`${PREFIX}static/style.css`);
        assert.ok(
          css.sheets.some((s) => s.href === styleUrl && s.rules > 0),
          `${home}: stylesheet ${styleUrl} is not loaded (document.styleSheets: ${JSON.stringify(css.sheets)})`,
        );
        assert.notEqual(css.fontFamily, defaultFontFamily, `${home}: body font-family is the browser default (${css.fontFamily}): style.css not applied`);
        assert.equal(css.margin, '0px', `${home}: body margin is ${css.margin}, the browser default, not the theme's 0`);
        assert.ok(css.bgVar.length > 0, `${home}: the CSS custom property --bg is not set on :root`);
        assert.notEqual(css.background, 'rgba(0, 0, 0, 0)', `${home}: body has no background colour`);

        const res = await fetch(styleUrl);
        assert.equal(res.status, 200, `GET ${styleUrl}: HTTP ${res.status}`);
        assert.match(res.headers.get('content-type') ?? '', /^text\/css/, `${styleUrl}: wrong content type`);
        assertNoProblems(problems, home);
      } finally {
        await context.close();
      }
    });

    test('clicking an internal link lands on a page with an h1', async () => {
      const context = await browser.newContext();
      try {
        const home = url(PREFIX);
        const { page, problems } = await open(context, home, { allowedPrefix: allowedPrefix() });
        const link = page.locator('main .content a.internal:not([href*="#"])').first();
        assert.equal(await link.count(), 1, `${home}: no a.internal link (without #fragment) in main .content`);
        const { response, href } = await clickAndWait(page, link, home);
        assert.ok(href.startsWith(PREFIX), `${home}: internal link href ${href} does not start with ${PREFIX}`);
        assert.equal(response.status(), 200, `following ${href} from the home page: HTTP ${response.status()}`);
        const heading = await h1Text(page, page.url());
        assert.notEqual(heading, 'Page not found', `following ${href} from the home page landed on the 404 page`);
        assertNoProblems(problems, page.url());
      } finally {
        await context.close();
      }
    });

    describe('the syntax page', () => {
      let context;
      let page;
      let problems;
      let pageUrl;

      before(async () => {
        context = await browser.newContext();
        pageUrl = url(`${PREFIX}syntax/`);
        ({ page, problems } = await open(context, pageUrl, { allowedPrefix: allowedPrefix() }));
      });
      after(async () => {
        await context?.close();
      });

      test('loads without errors and has a table of contents whose links have targets', async () => {
        await h1Text(page, pageUrl);
        const toc = page.locator('nav.toc');
        assert.ok(await toc.isVisible(), `${pageUrl}: nav.toc is not visible`);
        const missing = await page.evaluate(() =>
          [...document.querySelectorAll('nav.toc a[href^="#"]')]
            .map((a) => decodeURIComponent(a.getAttribute('href').slice(1)))
            .filter((id) => !document.getElementById(id)),
        );
        const count = await page.locator('nav.toc a[href^="#"]').count();
        assert.ok(count >= 2, `${pageUrl}: nav.toc has ${count} links, expected at least 2`);
        assert.deepEqual(missing, [], `${pageUrl}: nav.toc links to ids that are not on the page`);
        assertNoProblems(problems, pageUrl);
      });

      test('a callout is visible and styled differently from a plain blockquote', async () => {
        const callout = page.locator('.content div.callout[data-callout]').first();
        assert.equal(await callout.count(), 1, `${pageUrl}: no div.callout[data-callout] in .content`);
        assert.ok(await callout.isVisible(), `${pageUrl}: div.callout is not visible`);
        const title = callout.locator('.callout-title');
        assert.ok(await title.isVisible(), `${pageUrl}: the callout's .callout-title is not visible`);
        assert.ok((await title.innerText()).trim().length > 0, `${pageUrl}: the callout's .callout-title is empty`);
        assert.ok(await callout.locator('.callout-content').isVisible(), `${pageUrl}: the callout's .callout-content is not visible`);

        const styles = await page.evaluate(() => {
          const pick = (el) => {
            const s = getComputedStyle(el);
            return { borderLeftWidth: s.borderLeftWidth, borderLeftColor: s.borderLeftColor, backgroundColor: s.backgroundColor };
          };
          const callout = document.querySelector('.content div.callout[data-callout]');
          const quote = document.createElement('blockquote');
          quote.innerHTML = '<p>A plain quote, added by the test for comparison.</p>';
          callout.parentElement.insertBefore(quote, callout);
          const result = { callout: pick(callout), blockquote: pick(quote) };
          quote.remove();
          return result;
        });
        assert.ok(parseFloat(styles.callout.borderLeftWidth) > 0, `${pageUrl}: the callout has no left border (${JSON.stringify(styles.callout)})`);
        assert.notEqual(
          styles.callout.backgroundColor,
          styles.blockquote.backgroundColor,
          `${pageUrl}: the callout's background is the same as a plain blockquote's (${styles.callout.backgroundColor})`,
        );
        assert.notEqual(
          styles.callout.borderLeftColor,
          styles.blockquote.borderLeftColor,
          `${pageUrl}: the callout's border colour is the same as a plain blockquote's (${styles.callout.borderLeftColor})`,
        );
      });

      test('a foldable callout starts collapsed and opens when its summary is clicked', async () => {
        // Located by position, not by :not([open]), so the locator still matches once it is open.
        const index = await page.locator('.content details.callout').evaluateAll((ds) => ds.findIndex((d) => !d.open));
        assert.ok(index >= 0, `${pageUrl}: no collapsed details.callout (without [open]) in .content`);
        const folded = page.locator('.content details.callout').nth(index);
        const summary = folded.locator(':scope > summary');
        const body = folded.locator('.callout-content');
        assert.ok(await summary.isVisible(), `${pageUrl}: the foldable callout's <summary> is not visible`);
        assert.ok((await summary.innerText()).trim().length > 0, `${pageUrl}: the foldable callout's <summary> has no text`);
        assert.equal(await body.isVisible(), false, `${pageUrl}: the collapsed callout's .callout-content is visible before any click`);
        await summary.click();
        assert.equal(await folded.evaluate((d) => d.open), true, `${pageUrl}: clicking the <summary> did not open the details.callout`);
        await body.waitFor({ state: 'visible', timeout: 5_000 }).catch(() => {
          throw new Error(`${pageUrl}: the callout's .callout-content is still hidden after opening it`);
        });
      });

      test('the transclusion (.embed) shows the embedded text', async () => {
        const embed = page.locator('.content .embed:not(img)').first();
        assert.equal(await embed.count(), 1, `${pageUrl}: no .embed element in .content`);
        assert.ok(await embed.isVisible(), `${pageUrl}: the .embed is not visible`);
        const text = await embed.evaluate((el) => {
          const copy = el.cloneNode(true);
          copy.querySelector('.embed-title')?.remove();
          return copy.textContent.trim();
        });
        assert.ok(text.length > 40, `${pageUrl}: the .embed shows only ${JSON.stringify(text)} besides its title`);
        const source = embed.locator('.embed-title a.internal');
        assert.equal(await source.count(), 1, `${pageUrl}: the .embed has no .embed-title a.internal link to its source`);
        assert.ok((await source.getAttribute('href')).startsWith(PREFIX), `${pageUrl}: the embed's source link does not start with ${PREFIX}`);
      });

      test('math renders as MathML laid out by the browser, inline and as a block', async () => {
        const inline = page.locator('.content span.math-inline:not(.math-source) math').first();
        assert.equal(await inline.count(), 1, `${pageUrl}: no inline <math> element`);
        const fraction = page.locator('.content span.math-display math mfrac').first();
        assert.equal(await fraction.count(), 1, `${pageUrl}: the display formula has no <mfrac>`);
        // A browser that understands MathML stacks a fraction: it is taller than one line of the inline formula.
        const [inlineBox, fractionBox] = [await inline.boundingBox(), await fraction.boundingBox()];
        assert.ok(inlineBox && inlineBox.width > 20, `${pageUrl}: the inline formula has no width: ${JSON.stringify(inlineBox)}`);
        assert.ok(fractionBox && fractionBox.height > inlineBox.height, `${pageUrl}: the fraction is not stacked: ${JSON.stringify({ inlineBox, fractionBox })}`);
        const source = await page.locator('.content .math').allInnerTexts();
        assert.ok(!source.some((t) => t.includes('\\frac')), `${pageUrl}: TeX source is visible: ${JSON.stringify(source)}`);
      });

      test('the backlinks section lists the notes that link here', async () => {
        const section = page.locator('section.backlinks');
        assert.ok(await section.isVisible(), `${pageUrl}: section.backlinks is not visible`);
        const links = await section.locator('li a.internal').evaluateAll((as) => as.map((a) => ({ text: a.textContent.trim(), href: a.getAttribute('href') })));
        assert.ok(links.length >= 2, `${pageUrl}: backlinks lists ${links.length} notes: ${JSON.stringify(links)}`);
        assert.ok(
          links.some((l) => l.text === PROBE_TITLE),
          `${pageUrl}: backlinks do not list "${PROBE_TITLE}", a note that links to [[syntax]]: ${JSON.stringify(links)}`,
        );
        assert.ok(
          links.some((l) => l.href === PREFIX),
          `${pageUrl}: backlinks do not list the home page (${PREFIX}), whose index.md links to [[syntax]]: ${JSON.stringify(links)}`,
        );
        const bad = links.filter((l) => !l.href.startsWith(PREFIX) || l.href === `${PREFIX}syntax/`);
        assert.deepEqual(bad, [], `${pageUrl}: backlinks outside ${PREFIX} or pointing at the page itself`);
      });
    });

    test('every link under /garden/ on the site\'s pages returns 200 (and its #fragment exists)', async () => {
      const context = await browser.newContext({ javaScriptEnabled: false });
      try {
        const pages = new Set([PREFIX, `${PREFIX}syntax/`, `${PREFIX}linking/`, `${PREFIX}tags/`, PROBE_PATH]);
        for (const p of sitemapPaths(out)) pages.add(encodePath(p));
        const hrefs = new Map();
        const outsidePrefix = [];
        const page = await context.newPage();
        page.setDefaultTimeout(TIMEOUT);
        for (const p of pages) {
          const res = await page.goto(url(p));
          assert.equal(res.status(), 200, `GET ${p} (listed in sitemap.xml or a fixed page): HTTP ${res.status()}`);
          for (const href of await collectLinks(page)) {
            if (href.startsWith(PREFIX)) {
              if (!hrefs.has(href)) hrefs.set(href, []);
              hrefs.get(href).push(p);
            } else if (href.startsWith('/') && !href.startsWith('//')) {
              outsidePrefix.push(`${href} on ${p}`);
            }
          }
        }
        assert.ok(pages.size >= 10, `only ${pages.size} pages checked: is sitemap.xml empty?`);
        assert.deepEqual(outsidePrefix, [], `root-relative links that ignore base_url ${BASE_URL} (should start with ${PREFIX})`);
        assert.ok(hrefs.size >= 20, `only ${hrefs.size} distinct links under ${PREFIX} found on ${pages.size} pages`);
        const failures = await checkHrefs(site.origin, hrefs);
        assert.deepEqual(failures, [], `broken links under ${PREFIX} (checked ${hrefs.size} links on ${pages.size} pages)`);
      } finally {
        await context.close();
      }
    });

    test('a missing URL gets the styled 404 page with status 404', async () => {
      const context = await browser.newContext();
      try {
        const missing = url(`${PREFIX}no/such/page/`);
        const { page, problems } = await open(context, missing, { status: 404, allowedPrefix: allowedPrefix() });
        const heading = await h1Text(page, missing);
        assert.match(heading, /not found/i, `${missing}: the 404 page's h1 is ${JSON.stringify(heading)}`);
        const margin = await page.evaluate(() => getComputedStyle(document.body).margin);
        assert.equal(margin, '0px', `${missing}: the stylesheet is not applied on the 404 page at a nested URL`);
        assertNoProblems(problems, missing);
      } finally {
        await context.close();
      }
    });

    test('dark colour scheme changes the body background', async () => {
      const context = await browser.newContext({ colorScheme: 'light' });
      try {
        const home = url(PREFIX);
        const { page, problems } = await open(context, home, { allowedPrefix: allowedPrefix() });
        const read = () => page.evaluate(() => {
          const s = getComputedStyle(document.body);
          return { background: s.backgroundColor, color: s.color };
        });
        const light = await read();
        await page.emulateMedia({ colorScheme: 'dark' });
        const dark = await read();
        assert.notEqual(dark.background, light.background, `${home}: body background is ${light.background} in both light and dark colour schemes`);
        assert.ok(
          relativeLuminance(dark.background) < relativeLuminance(light.background),
          `${home}: the dark scheme's background ${dark.background} is not darker than the light one ${light.background}`,
        );
        assert.notEqual(dark.color, light.color, `${home}: text colour ${light.color} does not change in the dark scheme`);
        assertNoProblems(problems, home);
      } finally {
        await context.close();
      }
    });

    test('without JavaScript the page renders and shows no theme toggle, search or menu', async () => {
      const context = await browser.newContext({ javaScriptEnabled: false });
      try {
        for (const p of [PREFIX, `${PREFIX}syntax/`]) {
          const pageUrl = url(p);
          const { page, problems } = await open(context, pageUrl, { allowedPrefix: allowedPrefix() });
          await h1Text(page, pageUrl);
          const text = (await page.locator('main').innerText()).trim();
          assert.ok(text.length > 200, `${pageUrl} without JS: <main> shows only ${text.length} characters`);
          assert.equal(await page.locator('.theme-toggle:visible').count(), 0, `${pageUrl} without JS: a .theme-toggle button shows`);
          assert.equal(await page.locator('.search:visible, .menu-button:visible').count(), 0, `${pageUrl} without JS: search or menu shows`);
          const margin = await page.evaluate(() => getComputedStyle(document.body).margin);
          assert.equal(margin, '0px', `${pageUrl} without JS: the stylesheet is not applied`);
          if (p.endsWith('syntax/')) {
            // Foldable callouts are <details>: they must open without JavaScript.
            const index = await page.locator('.content details.callout').evaluateAll((ds) => ds.findIndex((d) => !d.open));
            assert.ok(index >= 0, `${pageUrl} without JS: no collapsed details.callout in .content`);
            const folded = page.locator('.content details.callout').nth(index);
            await folded.locator(':scope > summary').click();
            assert.equal(await folded.evaluate((d) => d.open), true, `${pageUrl} without JS: the foldable callout does not open`);
          }
          assertNoProblems(problems, pageUrl);
          await page.close();
        }
      } finally {
        await context.close();
      }
    });

    test('with JavaScript the theme toggle exists and switches data-theme', async () => {
      const context = await browser.newContext({ colorScheme: 'light' });
      try {
        const home = url(PREFIX);
        const { page, problems } = await open(context, home, { allowedPrefix: allowedPrefix() });
        const toggle = page.locator('.site-header .theme-toggle');
        await toggle.waitFor({ state: 'visible', timeout: 5_000 }).catch(() => {
          throw new Error(`${home}: no visible .theme-toggle button in the header with JavaScript enabled`);
        });
        assert.equal(await page.locator('.theme-toggle').count(), 1, `${home}: expected exactly one .theme-toggle`);
        const state = () => page.evaluate(() => ({
          theme: document.documentElement.dataset.theme ?? null,
          background: getComputedStyle(document.body).backgroundColor,
        }));
        const before = await state();
        await toggle.click();
        const afterClick = await state();
        assert.notEqual(afterClick.theme, before.theme, `${home}: clicking .theme-toggle left document.documentElement.dataset.theme at ${before.theme}`);
        assert.notEqual(afterClick.background, before.background, `${home}: clicking .theme-toggle (data-theme ${before.theme} → ${afterClick.theme}) did not change the body background ${before.background}`);
        await page.reload({ waitUntil: 'load' });
        const reloaded = await state();
        assert.equal(reloaded.theme, afterClick.theme, `${home}: the chosen theme ${afterClick.theme} is not kept after a reload`);
        assertNoProblems(problems, home);
      } finally {
        await context.close();
      }
    });

    test('at a 360px-wide viewport the home, syntax and a tag page do not scroll sideways', async () => {
      const context = await browser.newContext({ viewport: { width: 360, height: 740 } });
      try {
        const syntax = url(`${PREFIX}syntax/`);
        const { page: syntaxPage } = await open(context, syntax, { allowedPrefix: allowedPrefix() });
        const tagHref = await syntaxPage.locator('.page-meta a.tag').first().getAttribute('href');
        assert.ok(tagHref?.startsWith(`${PREFIX}tags/`), `${syntax}: no tag link under ${PREFIX}tags/ in .page-meta (got ${tagHref})`);
        await syntaxPage.close();

        const failures = [];
        const loadProblems = [];
        for (const p of [PREFIX, `${PREFIX}syntax/`, tagHref]) {
          const pageUrl = url(p);
          const { page, problems } = await open(context, pageUrl, { allowedPrefix: allowedPrefix() });
          loadProblems.push(...problems.map((m) => `${p}: ${m}`));
          const result = await page.evaluate(() => {
            const width = document.documentElement.clientWidth;
            const offenders = [];
            for (const el of document.querySelectorAll('body *')) {
              const r = el.getBoundingClientRect();
              if (r.right > width + 0.5 && r.width > 0) {
                const id = el.id ? `#${el.id}` : '';
                const cls = el.classList.length ? `.${[...el.classList].join('.')}` : '';
                offenders.push(`${el.tagName.toLowerCase()}${id}${cls} (right edge ${Math.round(r.right)}px)`);
              }
            }
            return { scrollWidth: document.documentElement.scrollWidth, offenders: offenders.slice(0, 8) };
          });
          if (result.scrollWidth > 360) {
            failures.push(`${p}: scrollWidth ${result.scrollWidth} > 360; widest elements: ${result.offenders.join(', ')}`);
          }
          await page.close();
        }
        assert.deepEqual(failures, [], 'pages overflow horizontally at 360px');
        assert.deepEqual(loadProblems, [], 'problems while loading the pages at 360px');
      } finally {
        await context.close();
      }
    });

    test('a link to a missing note renders as span.link-missing, not as an anchor', async () => {
      const context = await browser.newContext();
      try {
        const probe = url(PROBE_PATH);
        const { page, problems } = await open(context, probe, { allowedPrefix: allowedPrefix() });
        const heading = await h1Text(page, probe);
        assert.equal(heading, PROBE_TITLE, `${probe}: h1 is ${JSON.stringify(heading)}`);
        const missing = page.locator('.content span.link-missing');
        assert.ok((await missing.count()) >= 1, `${probe}: no span.link-missing for [[${MISSING_TARGET}]]`);
        assert.ok((await missing.first().innerText()).includes(MISSING_TARGET), `${probe}: span.link-missing text is ${JSON.stringify(await missing.first().innerText())}`);
        assert.ok(await missing.first().isVisible(), `${probe}: span.link-missing is not visible`);
        const anchors = await page.locator('a').evaluateAll((as, target) =>
          as.filter((a) => a.textContent.includes(target) || /no-such-note|no%20such%20note/i.test(a.getAttribute('href') ?? '')).map((a) => a.outerHTML),
        MISSING_TARGET);
        assert.deepEqual(anchors, [], `${probe}: the missing link [[${MISSING_TARGET}]] is rendered as an anchor`);
        const working = page.locator(`.content a.internal[href="${PREFIX}syntax/"]`);
        assert.equal(await working.count(), 1, `${probe}: the existing link [[syntax]] is not an a.internal to ${PREFIX}syntax/`);
        assertNoProblems(problems, probe);
      } finally {
        await context.close();
      }
    });
  });

  describe('the vault-of-knowledge corpus (non-ASCII, emoji and space paths)', () => {
    let site;
    let out;

    before(async () => {
      // The corpus is part of the repository: a checkout without it is broken, not a reason to skip.
      if (!fs.existsSync(VAULT)) throw new Error(`corpus not found at ${VAULT} (tests/corpora is part of the repository)`);
      const snapshot = () => {
        const names = fs.readdirSync(VAULT).sort();
        return { names, mtime: fs.statSync(VAULT).mtimeMs };
      };
      const beforeBuild = snapshot();
      out = path.join(makeTempDir('vault'), 'out');
      await buildSite(VAULT, out);
      assert.deepEqual(snapshot(), beforeBuild, `loam build -o ${out} changed the read-only corpus folder ${VAULT}`);
      site = await serveStatic(out, { prefix: '/' });
    });

    after(async () => {
      await site?.close();
    });

    /** Opens a page, checks 200 + h1, and checks its internal links answer 200. */
    async function openAndCheck(context, p) {
      const pageUrl = site.url(encodePath(p));
      const { page, problems } = await open(context, pageUrl, { allowedPrefix: site.origin + '/' });
      const heading = await h1Text(page, `${p} (${pageUrl})`);
      assert.notEqual(heading, 'Page not found', `${p}: got the 404 page`);
      assertNoProblems(problems, pageUrl);
      return { page, heading };
    }

    test('the home page opens', async (t) => {
      const context = await browser.newContext();
      try {
        await openAndCheck(context, '/');
      } finally {
        await context.close();
      }
    });

    test('three pages with non-ASCII paths open by percent-encoded URL', async (t) => {
      const nonAscii = sitemapPaths(out).filter((p) => /[^\x00-\x7F]/.test(p));
      assert.ok(nonAscii.length >= 3, `sitemap.xml lists only ${nonAscii.length} non-ASCII paths: ${JSON.stringify(nonAscii)}`);
      const context = await browser.newContext();
      try {
        for (const p of nonAscii.slice(0, 3)) {
          const { page } = await openAndCheck(context, p);
          const shown = await page.evaluate(() => decodeURIComponent(location.pathname));
          assert.equal(shown.normalize('NFC'), p.normalize('NFC'), `opened ${encodePath(p)} but the browser is at ${shown}`);
          await page.close();
        }
      } finally {
        await context.close();
      }
    });

    test('a link whose text has an emoji (a folder with emoji and spaces in its name) leads to its page, and on to a note inside', async (t) => {
      const emoji = /\p{Extended_Pictographic}/u;
      let found = null;
      for (const file of htmlPages(out)) {
        const html = fs.readFileSync(file, 'utf8');
        for (const m of html.matchAll(/<a\b[^>]*\bhref="(\/[^"#]*)"[^>]*>([^<]+)<\/a>/g)) {
          if (emoji.test(m[2])) {
            found = { from: pagePathOf(out, file, '/'), href: decodeHtml(m[1]), text: decodeHtml(m[2]).trim() };
            break;
          }
        }
        if (found) break;
      }
      assert.ok(found, `no link with an emoji in its text found in the built vault ${out}`);
      const context = await browser.newContext();
      try {
        const { page } = await openAndCheck(context, found.from);
        const link = page.locator(`a[href="${found.href.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"]`).filter({ hasText: found.text }).first();
        assert.equal(await link.count(), 1, `${found.from}: link ${JSON.stringify(found.text)} → ${found.href} not found in the DOM`);
        const { response } = await clickAndWait(page, link, `${found.from} → ${JSON.stringify(found.text)}`);
        assert.equal(response.status(), 200, `following ${JSON.stringify(found.text)} (${found.href}) from ${found.from}: HTTP ${response.status()}`);
        const heading = await h1Text(page, page.url());
        assert.equal(heading, found.text, `following ${JSON.stringify(found.text)} from ${found.from}: the page's h1 is ${JSON.stringify(heading)}`);

        // One level down: a note or folder inside the emoji folder.
        const inner = page.locator('main .note-list a.internal, main .folder-list a').first();
        assert.equal(await inner.count(), 1, `${page.url()}: the folder page lists no notes or folders`);
        const innerText = (await inner.innerText()).trim();
        const next = await clickAndWait(page, inner, `${page.url()} → ${JSON.stringify(innerText)}`);
        assert.equal(next.response.status(), 200, `following ${JSON.stringify(innerText)} (${next.href}): HTTP ${next.response.status()}`);
        const innerHeading = await h1Text(page, page.url());
        assert.notEqual(innerHeading, 'Page not found', `following ${JSON.stringify(innerText)} (${next.href}) landed on the 404 page`);
      } finally {
        await context.close();
      }
    });

    test('an internal link with a non-ASCII href is followed by a click', async (t) => {
      let found = null;
      for (const file of htmlPages(out)) {
        const html = fs.readFileSync(file, 'utf8');
        const m = html.match(/<a class="internal" href="(\/[^"#]*[^\x00-\x7F][^"#]*)"[^>]*>([^<]*)<\/a>/);
        if (m) {
          found = { from: pagePathOf(out, file, '/'), href: decodeHtml(m[1]), text: decodeHtml(m[2]).trim() };
          break;
        }
      }
      assert.ok(found, `no a.internal with a non-ASCII href in the built vault ${out}`);
      const context = await browser.newContext();
      try {
        const { page } = await openAndCheck(context, found.from);
        const link = page.locator(`a.internal[href="${found.href}"]`).first();
        assert.equal(await link.count(), 1, `${found.from}: a.internal[href="${found.href}"] not found in the DOM`);
        const { response } = await clickAndWait(page, link, `${found.from} → ${found.href}`);
        assert.equal(response.status(), 200, `following ${found.href} from ${found.from}: HTTP ${response.status()}`);
        await h1Text(page, page.url());
        const at = await page.evaluate(() => decodeURIComponent(location.pathname));
        assert.equal(at.normalize('NFC'), found.href.normalize('NFC'), `following ${found.href} from ${found.from}: the browser is at ${at}`);
      } finally {
        await context.close();
      }
    });
  });
});
