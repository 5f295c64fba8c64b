import { launch } from './chromium.mjs';
import { serveStatic } from './static-server.mjs';
const [dir, at, w, h] = process.argv.slice(2);
const site = await serveStatic(dir);
const browser = await launch();
for (let run = 0; run < 4; run++) {
  const ctx = await browser.newContext({ viewport: { width: Number(w || 1350), height: Number(h || 940) } });
  const page = await ctx.newPage();
  await page.addInitScript(() => {
    window.__shifts = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        window.__shifts.push({ value: e.value.toFixed(4), t: Math.round(e.startTime), sources: (e.sources || []).map((s) => {
          const n = s.node; const d = n && n.nodeType === 1 ? n.tagName + '.' + n.className : n ? n.nodeName + ':' + (n.textContent || '').slice(0, 30) : '?';
          return `${d} ${JSON.stringify(s.previousRect)} -> ${JSON.stringify(s.currentRect)}`; }) });
      }
    }).observe({ type: 'layout-shift', buffered: true });
    const snap = (label) => {
      const g = document.querySelector('.local-graph'), t = document.querySelector('.toc'), h = document.querySelector('article.note > .page-header'), c = document.querySelector('article.note > .content');
      window.__shifts.push({ label, t: Math.round(performance.now()), html: document.documentElement.className, g: g && [getComputedStyle(g).display, Math.round(g.getBoundingClientRect().top), Math.round(g.getBoundingClientRect().height)], toc: t && Math.round(t.getBoundingClientRect().top), head: h && Math.round(h.getBoundingClientRect().height), art: document.querySelector('article.note') && getComputedStyle(document.querySelector('article.note')).display, sheets: document.styleSheets.length });
    };
    document.addEventListener('DOMContentLoaded', () => { snap('dcl'); requestAnimationFrame(() => snap('raf')); });
    window.addEventListener('load', () => snap('load'));
  });
  await page.goto(site.url('/' + at));
  await page.waitForLoadState('networkidle');
  await page.waitForTimeout(4000);
  console.log(JSON.stringify(await page.evaluate(() => window.__shifts), null, 1).slice(0, 3000));
  await ctx.close();
}
await browser.close(); process.exit(0);
