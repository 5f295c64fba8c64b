// What the peer tests share: copying a garden to a temporary folder, running `loam` on it, and waiting.

import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Repo } from '@automerge/automerge-repo';
import { WebSocketClientAdapter } from '@automerge/automerge-repo-network-websocket';

export const REPO_ROOT = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const LOAM_BIN = path.resolve(REPO_ROOT, process.env.LOAM_BIN || 'target/debug/loam');

/** A new garden in a temporary folder: a copy of the notes folder `content`, and of `toml` as its loam.toml. */
export function copyGarden(content, toml) {
  const garden = fs.mkdtempSync(path.join(os.tmpdir(), 'loam-peers-'));
  fs.cpSync(content, path.join(garden, 'content'), { recursive: true });
  if (toml) fs.copyFileSync(toml, path.join(garden, 'loam.toml'));
  return garden;
}

/** A copy of Loam's own docs garden (this repository's content/ and loam.toml) in a temporary folder. */
export function copyLoamDocs() {
  return copyGarden(path.join(REPO_ROOT, 'content'), path.join(REPO_ROOT, 'loam.toml'));
}

/** A JavaScript automerge-repo client connected to the `/sync` of `server` (from `serve`). */
export function clientOf(server) {
  return new Repo({ network: [new WebSocketClientAdapter(`ws://127.0.0.1:${server.port}/sync`)] });
}

/** What `server` says of its garden (`/_loam/garden.json`), and the index document `repo` finds at that address. */
export async function gardenIndex(repo, server) {
  const about = await (await fetch(`http://127.0.0.1:${server.port}/_loam/garden.json`)).json();
  return { about, index: await repo.find(about.index) };
}

/** Runs `loam ARGS…` to its end; returns what it printed (stdout and stderr). */
export function loam(...args) {
  return execFileSync(LOAM_BIN, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * `loam serve GARDEN --port 0 EXTRA…` after `loam import GARDEN` (so that the history exists before any peer asks
 * for it). Resolves once it listens: { port, log (everything it printed so far), stop() }.
 */
export async function serve(garden, extra = [], env = {}) {
  loam('import', garden);
  const portFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'loam-port-')), 'port');
  const child = spawn(LOAM_BIN, ['serve', garden, '--port', '0', '--port-file', portFile, ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  const server = { log: '', port: 0, child };
  child.stderr.on('data', (chunk) => {
    server.log += chunk;
  });
  const lines = readline.createInterface({ input: child.stdout });
  lines.on('line', (line) => {
    server.log += `${line}\n`;
  });
  // The port from the file loam writes once it listens, not from the words it prints.
  let exited = null;
  child.once('exit', (code) => {
    exited = code;
  });
  const port = () => (fs.existsSync(portFile) ? Number(fs.readFileSync(portFile, 'utf8')) : 0);
  await until(() => exited !== null || port() > 0, () => server.log);
  if (exited !== null) throw new Error(`loam serve exited (${exited}):\n${server.log}`);
  server.port = port();
  server.stop = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', resolve);
      child.kill('SIGTERM');
    });
  return server;
}

/** Waits until `condition()` (which may be async) is true, polling; fails after `timeout` ms with `log()`. */
export async function until(condition, log = () => '', timeout = 20_000) {
  const start = Date.now();
  for (;;) {
    try {
      if (await condition()) return;
    } catch {
      // Not yet (a file not there, a request refused).
    }
    if (Date.now() - start > timeout) throw new Error(`timed out waiting for ${condition}\n--- log ---\n${log()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
