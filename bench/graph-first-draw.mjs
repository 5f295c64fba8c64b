// How long the graph page takes to draw its first frame: the median of `window.loamGraph.firstDraw`
// (milliseconds from navigation start, set by static/graph.js) over fresh page loads in Debian's
// chromium.
//
//   node bench/graph-first-draw.mjs SITE [PATH] [--prefix /garden/] [--runs 5]
//   node bench/graph-first-draw.mjs --synthetic 10000:50000 [--runs 5]
//
// SITE is a folder `loam build` wrote; it is served under --prefix (default `/`) by the browser tests'
// static server, and PATH (default `<prefix>graph/`) is opened in a 1280x800 window, each run in a new
// browser context (empty cache), as a reader's first visit would be. --synthetic NODES:LINKS builds a
// site of its own instead, in a temporary folder: graph.json with that many notes and distinct links
// (a fixed pseudo-random graph where some notes are hubs, as in real gardens), a bare graph/ page, and
// static/ from this repository (loam.js, graph.js, style.css, vendor/), so graph.js can be timed without a
// garden of that size.
//
// Needs `npm ci` in tests/browser (playwright-core) and chromium (env LOAM_CHROMIUM, default
// /usr/bin/chromium). Prints every run, then the median, the number of nodes and links drawn, and how
// long the layout took to settle.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { serveStatic } from '../tests/browser/static-server.mjs';

const REPO = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
const require = createRequire(path.join(REPO, 'tests/browser/package.json'));
const { chromium } = require('playwright-core');
const CHROMIUM = process.env.LOAM_CHROMIUM || '/usr/bin/chromium';
const TIMEOUT = 60_000;

function usage(message) {
  if (message) console.error(`graph-first-draw: ${message}`);
  console.error('usage: node bench/graph-first-draw.mjs SITE [PATH] [--prefix /garden/] [--runs 5]');
  console.error('       node bench/graph-first-draw.mjs --synthetic NODES:LINKS [--runs 5]');
  process.exit(2);
}

function parseArgs(argv) {
  const options = { prefix: '/', runs: 5, positional: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => (i + 1 < argv.length ? argv[++i] : usage(`${arg} needs a value`));
    if (arg === '--prefix') options.prefix = value();
    else if (arg === '--runs') options.runs = Number(value());
    else if (arg === '--synthetic') options.synthetic = value();
    else if (arg === '-h' || arg === '--help') usage();
    else if (arg.startsWith('--')) usage(`unknown option ${arg}`);
    else options.positional.push(arg);
  }
  if (!options.prefix.startsWith('/') || !options.prefix.endsWith('/')) usage('--prefix must start and end with /');
  if (!(options.runs >= 1)) usage('--runs must be at least 1');
  if (!options.synthetic && !options.positional.length) usage('give a site folder or --synthetic');
  return options;
}

/** A deterministic pseudo-random number generator (mulberry32), so every run times the same graph. */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** graph.json with `nodes` notes and `links` distinct links; targets lean towards low indexes (hubs). */
function syntheticGraph(nodes, links) {
  if (links > nodes * (nodes - 1)) throw new Error('more links than distinct pairs');
  const next = random(6);
  const tags = Array.from({ length: 40 }, (_, i) => `topic-${i}`);
  const graph = {
    nodes: Array.from({ length: nodes }, (_, i) => ({
      title: `Note ${i}`,
      url: `/notes/note-${i}/`,
      tags: next() < 0.6 ? [Math.floor(next() * tags.length)] : [],
    })),
    links: [],
    tags,
  };
  const seen = new Set();
  while (graph.links.length < links) {
    const from = Math.floor(next() * nodes);
    const to = Math.floor(next() ** 2 * nodes);
    const key = from * nodes + to;
    if (from === to || seen.has(key)) continue;
    seen.add(key);
    graph.links.push([from, to]);
  }
  return graph;
}

function syntheticSite(spec) {
  const match = /^(\d+):(\d+)$/.exec(spec);
  if (!match) usage('--synthetic takes NODES:LINKS, such as 10000:50000');
  const site = fs.mkdtempSync(path.join(os.tmpdir(), 'loam-graph-bench-'));
  fs.cpSync(path.join(REPO, 'static'), path.join(site, 'static'), { recursive: true });
  fs.writeFileSync(path.join(site, 'graph.json'), JSON.stringify(syntheticGraph(Number(match[1]), Number(match[2]))));
  fs.mkdirSync(path.join(site, 'graph'));
  fs.writeFileSync(
    path.join(site, 'graph', 'index.html'),
    `<!doctype html>
<html lang="en" data-base="/">
<head>
<meta charset="utf-8">
<title>Graph</title>
<link rel="stylesheet" href="/static/style.css">
<script src="/static/loam.js" defer></script>
<script src="/static/graph.js" defer></script>
</head>
<body>
<main class="site-main"><h1>Graph</h1><div class="graph graph-global" data-graph="global"></div></main>
</body>
</html>
`
  );
  return site;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const site = options.synthetic ? syntheticSite(options.synthetic) : path.resolve(options.positional[0]);
  const prefix = options.synthetic ? '/' : options.prefix;
  const pagePath = (!options.synthetic && options.positional[1]) || `${prefix}graph/`;
  if (!fs.existsSync(site)) usage(`no such folder: ${site}`);

  const server = await serveStatic(site, { prefix });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
  const times = [];
  let last = null;
  try {
    for (let run = 0; run < options.runs; run++) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const page = await context.newPage();
      const errors = [];
      page.on('pageerror', (error) => errors.push(error.message));
      await page.goto(server.url(pagePath), { waitUntil: 'load', timeout: TIMEOUT });
      try {
        await page.waitForFunction(() => window.loamGraph && window.loamGraph.firstDraw, null, { timeout: TIMEOUT });
      } catch (error) {
        throw new Error(`no graph was drawn at ${pagePath}${errors.length ? `: ${errors.join('; ')}` : ''}`);
      }
      const drawn = await page.evaluate(() => ({
        firstDraw: window.loamGraph.firstDraw,
        nodes: window.loamGraph.nodes,
        links: window.loamGraph.links,
      }));
      const settled = await page
        .waitForFunction(() => window.loamGraph.settled, null, { timeout: TIMEOUT })
        .then(() => page.evaluate(() => performance.now()))
        .catch(() => null);
      times.push(drawn.firstDraw);
      last = { ...drawn, settled };
      console.log(
        `run ${run + 1}: first draw ${drawn.firstDraw.toFixed(0)} ms` +
          (settled === null ? '' : `, settled by ${settled.toFixed(0)} ms`)
      );
      await context.close();
    }
  } finally {
    await browser.close();
    await server.close();
    if (options.synthetic) fs.rmSync(site, { recursive: true, force: true });
  }
  console.log(
    `median first draw: ${median(times).toFixed(0)} ms from navigation start ` +
      `(${options.runs} runs; ${last.nodes} nodes, ${last.links} links drawn)`
  );
}

main().catch((error) => {
  console.error(`graph-first-draw: ${error.message}`);
  process.exit(1);
});
