// Why a page scores what it does: Lighthouse 12.2.3's performance metrics of one page of a built site, with its
// long tasks, the scripts that cost most to start and the layout shifts, for the page run.mjs scores low.
//
//   node detail.mjs SITE_DIR PAGE [mobile|desktop]      e.g. node detail.mjs /tmp/site tags/ desktop
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import lighthouse from 'lighthouse';
import * as chromeLauncher from 'chrome-launcher';

const REPO = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
const { serveStatic } = await import(path.join(REPO, 'tests/browser/static-server.mjs'));
const [dir, page = '', form = 'mobile'] = process.argv.slice(2);
if (!dir) {
  console.error('usage: node detail.mjs SITE_DIR PAGE [mobile|desktop]');
  process.exit(2);
}
const server = await serveStatic(dir);
const chrome = await chromeLauncher.launch({
  chromePath: process.env.LOAM_CHROMIUM || '/usr/bin/chromium',
  chromeFlags: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
});
try {
  const config = form === 'desktop' ? (await import('lighthouse/core/config/desktop-config.js')).default : undefined;
  const { lhr } = await lighthouse(
    server.url(`/${page}`),
    { port: chrome.port, output: 'json', logLevel: 'error', onlyCategories: ['performance'] },
    config,
  );
  const a = lhr.audits;
  console.log(`/${page} ${form}: performance ${Math.round(lhr.categories.performance.score * 100)}`);
  for (const id of ['first-contentful-paint', 'largest-contentful-paint', 'total-blocking-time', 'cumulative-layout-shift', 'speed-index', 'interactive']) {
    console.log(`  ${id}: ${a[id].displayValue} (score ${a[id].score})`);
  }
  for (const item of a['long-tasks']?.details?.items ?? []) console.log(`  long task ${Math.round(item.duration)} ms at ${Math.round(item.startTime)} ms: ${item.url}`);
  for (const item of (a['bootup-time']?.details?.items ?? []).slice(0, 6)) console.log(`  start-up ${Math.round(item.total)} ms (scripting ${Math.round(item.scripting)}): ${item.url}`);
  for (const item of a['layout-shifts']?.details?.items ?? []) console.log(`  shift ${item.score?.toFixed?.(4)}: ${item.node?.snippet ?? ''}`);
} finally {
  await chrome.kill();
  await server.close();
}
