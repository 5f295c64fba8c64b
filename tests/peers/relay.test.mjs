// Two gardens that never connect to each other converge through a standard automerge-repo relay (relay.mjs):
// each runs `loam serve --peer ws://relay`. A save on one side reaches the other side's file, both ways, and a
// note made on one side appears on the other.
//
// Run from the repository root with `node --test tests/peers/` (scripts/test does this, after `npm ci` here).

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { copyLoamDocs, loam, serve, until } from './support.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** Starts relay.mjs; resolves to { url, stop() }. */
async function startRelay(dir) {
  const child = spawn(process.execPath, [path.join(HERE, 'relay.mjs'), dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = readline.createInterface({ input: child.stdout });
  const line = await new Promise((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`the relay exited (${code})`)));
  });
  const url = line.match(/ws:\/\/\S+/)[0];
  return {
    url,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', resolve);
        child.kill('SIGTERM');
      }),
  };
}

describe('two gardens converge through an automerge-repo relay', { timeout: 120_000 }, () => {
  let ada;
  let bo;
  let relay;
  let relayDir;
  let adaServer;
  let boServer;
  const log = () => `--- ada ---\n${adaServer?.log}\n--- bo ---\n${boServer?.log}`;

  before(async () => {
    ada = copyLoamDocs();
    loam('import', ada);
    bo = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'loam-peers-bo-')), 'garden');
    loam('clone', ada, bo);
    relayDir = fs.mkdtempSync(path.join(os.tmpdir(), 'loam-relay-'));
    relay = await startRelay(relayDir);
    adaServer = await serve(ada, ['--peer', `${relay.url}`]);
    boServer = await serve(bo, ['--peer', `${relay.url}`]);
  });

  after(async () => {
    await adaServer?.stop();
    await boServer?.stop();
    await relay?.stop();
    for (const dir of [ada, path.dirname(bo), relayDir]) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('saves travel both ways, and a new note arrives', async () => {
    const adaNote = path.join(ada, 'content', 'linking.md');
    const boNote = path.join(bo, 'content', 'linking.md');
    fs.appendFileSync(adaNote, '\nAda was here, through the relay.\n');
    await until(() => fs.readFileSync(boNote, 'utf8').includes('Ada was here'), log, 30_000);

    const boOther = path.join(bo, 'content', 'roadmap.md');
    const adaOther = path.join(ada, 'content', 'roadmap.md');
    fs.appendFileSync(boOther, '\nBo answers, through the relay.\n');
    await until(() => fs.readFileSync(adaOther, 'utf8').includes('Bo answers'), log, 30_000);

    fs.writeFileSync(path.join(ada, 'content', 'relayed.md'), '# Relayed\n\nMade by Ada.\n');
    const arrived = path.join(bo, 'content', 'relayed.md');
    await until(() => fs.existsSync(arrived) && fs.readFileSync(arrived, 'utf8').includes('Made by Ada.'), log, 30_000);
    assert.equal(fs.readFileSync(boNote, 'utf8'), fs.readFileSync(adaNote, 'utf8'));
  });
});
