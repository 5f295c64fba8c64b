// Lighthouse 12.2.3 on built Loam sites, mobile and desktop: each page's four scores, its weight and its LCP.
// A benchmark that prints numbers, not a test.
//
//   cd bench/lighthouse && npm ci && node run.mjs [SITE_DIR PREFIX PAGE...]
//
// Without arguments it builds Loam's docs garden (content/) and tests/corpora/vault-of-knowledge with
// target/release/loam (LOAM_BIN), serves each with the browser tests' static server (a plain static host:
// no compression) and measures a note, a folder, a tag page, the graph, home and 404. Chromium: LOAM_CHROMIUM
// or /usr/bin/chromium.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import lighthouse from 'lighthouse';
import * as chromeLauncher from 'chrome-launcher';
import { serveStatic } from '../../tests/browser/static-server.mjs';

const REPO = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
const LOAM = path.resolve(REPO, process.env.LOAM_BIN || 'target/release/loam');
const CHROMIUM = process.env.LOAM_CHROMIUM || '/usr/bin/chromium';

function built(garden, extra = []) {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'loam-lighthouse-'));
  execFileSync(LOAM, ['build', garden, '-o', out, '-q', '--keep-going', ...extra], { stdio: 'inherit' });
  return out;
}

const sites = process.argv.length > 3
  ? [{ name: path.basename(process.argv[2]), dir: process.argv[2], prefix: process.argv[3], pages: process.argv.slice(4) }]
  : [
      { name: 'docs (content/)', dir: built(REPO), prefix: '/', pages: ['', 'syntax/', 'guides/', 'guides/getting-started/', 'tags/guide/', 'graph/', 'no-such-page/'] },
      {
        name: 'vault-of-knowledge',
        dir: built(path.join(REPO, 'tests/corpora/vault-of-knowledge')),
        prefix: '/',
        pages: ['', 'tags/', 'graph/', 'no-such-page/'],
      },
    ];

const chrome = await chromeLauncher.launch({
  chromePath: CHROMIUM,
  chromeFlags: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
});
const commit = execFileSync('git', ['rev-parse', '--short=10', 'HEAD'], { cwd: REPO }).toString().trim();
console.log(`Lighthouse 12.2.3, Loam ${commit}, ${new Date().toISOString().slice(0, 10)}`);
console.log('| site | page | form | performance | accessibility | best practices | SEO | weight KB | LCP ms |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const site of sites) {
  const server = await serveStatic(site.dir, { prefix: site.prefix });
  let pages = site.pages;
  if (site.name === 'vault-of-knowledge') {
    // A note and a folder of the vault, whatever they are called: the first of each in its graph.json.
    const graph = JSON.parse(fs.readFileSync(path.join(site.dir, 'graph.json'), 'utf8'));
    const note = graph.nodes.find((n) => n.url && !n.tag)?.url;
    const folder = graph.folders?.[1]?.url;
    pages = [...pages, note, folder].filter(Boolean).map((url) => url.replace(/^\//, ''));
  }
  for (const page of pages) {
    if (page === 'no-such-page/') {
      // Lighthouse scores only pages answered 200: a 404 page is left to the axe-core tests.
      console.log(`| ${site.name} | /${page} | both | not scored (status 404) | | | | | |`);
      continue;
    }
    for (const form of ['mobile', 'desktop']) {
      const config = form === 'desktop' ? (await import('lighthouse/core/config/desktop-config.js')).default : undefined;
      const result = await lighthouse(
        server.url(site.prefix + page),
        { port: chrome.port, output: 'json', logLevel: 'error', onlyCategories: ['performance', 'accessibility', 'best-practices', 'seo'] },
        config,
      );
      const lhr = result.lhr;
      const score = (id) => Math.round((lhr.categories[id]?.score ?? 0) * 100);
      const weight = lhr.audits['total-byte-weight']?.numericValue ?? 0;
      const lcp = lhr.audits['largest-contentful-paint']?.numericValue ?? 0;
      console.log(
        `| ${site.name} | /${page} | ${form} | ${score('performance')} | ${score('accessibility')} | ${score('best-practices')} | ${score('seo')} | ${(weight / 1024).toFixed(0)} | ${lcp.toFixed(0)} |`,
      );
      if (process.env.VERBOSE) {
        for (const [id, audit] of Object.entries(lhr.audits)) {
          if (audit.score !== null && audit.score < 0.9 && audit.scoreDisplayMode !== 'informative') console.log(`    ${id}: ${audit.title} (${audit.displayValue ?? audit.score})`);
        }
      }
    }
  }
  await server.close();
}
await chrome.kill();
