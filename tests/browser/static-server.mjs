// A tiny static file server for the browser tests: serves a built Loam site under a URL prefix
// (such as `/garden/`) the way a plain static host would.
//
// - binds 127.0.0.1 on a port the OS picks (port 0), so tests never collide or reach outside;
// - a folder is served through its index.html (and `/dir` redirects to `/dir/`, as real hosts do);
// - a missing file gets the site's 404.html with status 404;
// - content types are set from the file extension, with `nosniff`, so a wrongly typed stylesheet
//   or script fails in the browser as it would on a real host.

import { createServer } from 'node:http';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';

const CONTENT_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.xml': 'application/xml; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.pdf': 'application/pdf',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.mp3': 'audio/mpeg',
  '.mp4': 'video/mp4',
  '.webm': 'video/webm',
};

export function contentTypeFor(file) {
  return CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

async function statOrNull(file) {
  try {
    return await stat(file);
  } catch {
    return null;
  }
}

/**
 * Serves `root` under `prefix` (which starts and ends with `/`). Resolves to
 * `{ origin, url(pathname), requests, close() }` once listening. `requests` records every request
 * as `{ method, url, status }`.
 */
export async function serveStatic(root, { prefix = '/' } = {}) {
  if (!prefix.startsWith('/') || !prefix.endsWith('/')) {
    throw new Error(`prefix must start and end with "/", got ${JSON.stringify(prefix)}`);
  }
  const absRoot = path.resolve(root);
  const requests = [];

  async function send(req, res, status, file, extraHeaders = {}) {
    const info = await statOrNull(file);
    if (!info || !info.isFile()) {
      res.writeHead(status === 404 ? 404 : 500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(status === 404 ? 'Not found (and the site has no 404.html)\n' : 'Server error\n');
      return;
    }
    res.writeHead(status, {
      'content-type': contentTypeFor(file),
      'content-length': info.size,
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-store',
      ...extraHeaders,
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const stream = createReadStream(file);
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  }

  const notFound = (req, res) => send(req, res, 404, path.join(absRoot, '404.html'));

  async function handle(req, res) {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
      res.end('Method not allowed\n');
      return;
    }
    const { pathname, search } = new URL(req.url, 'http://127.0.0.1');
    if (pathname === prefix.slice(0, -1) && prefix !== '/') {
      res.writeHead(301, { location: prefix + search });
      res.end();
      return;
    }
    if (!pathname.startsWith(prefix)) {
      await notFound(req, res);
      return;
    }
    let rel;
    try {
      rel = decodeURIComponent(pathname.slice(prefix.length));
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('Bad request: malformed percent-encoding\n');
      return;
    }
    const file = path.join(absRoot, rel);
    const inside = path.relative(absRoot, file);
    if (rel.includes('\0') || inside.startsWith('..') || path.isAbsolute(inside)) {
      await notFound(req, res);
      return;
    }
    const info = await statOrNull(file);
    if (info?.isDirectory()) {
      if (!pathname.endsWith('/')) {
        res.writeHead(301, { location: pathname + '/' + search });
        res.end();
        return;
      }
      const index = path.join(file, 'index.html');
      if (await statOrNull(index)) {
        await send(req, res, 200, index);
      } else {
        await notFound(req, res);
      }
      return;
    }
    if (info?.isFile()) {
      await send(req, res, 200, file);
      return;
    }
    await notFound(req, res);
  }

  const server = createServer((req, res) => {
    res.on('finish', () => requests.push({ method: req.method, url: req.url, status: res.statusCode }));
    handle(req, res).catch((err) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      }
      res.end(`Server error: ${err.message}\n`);
    });
  });

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address();
  const origin = `http://127.0.0.1:${port}`;

  return {
    server,
    origin,
    prefix,
    requests,
    /** Absolute URL for a path that already includes the prefix (e.g. `/garden/syntax/`). */
    url: (p) => new URL(p, origin).href,
    close: () =>
      new Promise((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // Keep-alive sockets from fetch() or the browser would otherwise hold close() open.
        server.closeAllConnections();
      }),
  };
}
