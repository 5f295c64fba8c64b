// A hand-made malicious peer: the JavaScript automerge-repo client, connected to `loam serve`, puts notes into the
// garden's index at paths meant to make Loam write outside the notes folder, into its own or git's folders,
// through a symbolic link, or at names some system reads as devices. Every one is refused and logged; nothing
// appears outside the notes folder; the one harmless note in the same change arrives; the server goes on.
//
// Run from the repository root with `node --test tests/peers/` (scripts/test does this, after `npm ci` here).

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { documentIdToBinary } from '@automerge/automerge-repo';
import { clientOf, copyLoamDocs, gardenIndex, serve, until } from './support.mjs';

const ATTACKS = [
  '../escaped.md',
  'guides/../../escaped-too.md',
  '/tmp/loam-absolute-attack.md',
  'C:/drive.md',
  'C:\\windows.md',
  '.loam/docs/planted.md',
  '.git/hooks/pre-commit',
  '.obsidian/plugins.md',
  'nul.md',
  'COM1.txt',
  'bad\u0000name.md',
  'trailing dot.',
  `${'x'.repeat(300)}.md`,
  'outside-link/through-the-link.md',
];

describe('a malicious peer cannot make loam write outside the garden', { timeout: 120_000 }, () => {
  let garden;
  let outside;
  let server;
  let repo;

  before(async () => {
    garden = copyLoamDocs();
    outside = fs.mkdtempSync(path.join(os.tmpdir(), 'loam-outside-'));
    // A symbolic link inside the notes folder that leads out of it.
    fs.symlinkSync(outside, path.join(garden, 'content', 'outside-link'));
    fs.mkdirSync(path.join(garden, '.git', 'hooks'), { recursive: true });
    server = await serve(garden);
    repo = clientOf(server);
  });

  after(async () => {
    await repo?.shutdown();
    await server?.stop();
    fs.rmSync(garden, { recursive: true, force: true });
    fs.rmSync(outside, { recursive: true, force: true });
  });

  test('every attack is refused and logged, and the rest of the sync goes on', async () => {
    const { index } = await gardenIndex(repo, server);
    const hexOf = (handle) => Buffer.from(documentIdToBinary(handle.documentId)).toString('hex');
    const attacks = ATTACKS.map((attack) => [attack, repo.create({ text: `# Planted\n\nWritten at ${attack}\n` })]);
    const fine = repo.create({ text: '# Fine\n\nA harmless note sent beside the attacks.\n' });
    index.change((d) => {
      for (const [attack, handle] of attacks) d.docs[hexOf(handle)] = { path: attack };
      d.docs[hexOf(fine)] = { path: 'harmless.md' };
      // Not a document id at all.
      d.docs['../../not-a-document'] = { path: 'not-a-document.md' };
    });

    const harmless = path.join(garden, 'content', 'harmless.md');
    await until(() => fs.existsSync(harmless), () => server.log, 30_000);
    assert.equal(fs.readFileSync(harmless, 'utf8'), fine.doc().text);
    await until(() => (server.log.match(/not written/g) ?? []).length >= ATTACKS.length, () => server.log, 30_000);

    // Nothing planted anywhere: outside the notes folder, in tool folders, or through the link.
    assert.deepEqual(fs.readdirSync(outside), []);
    for (const place of [
      path.join(garden, 'escaped.md'),
      path.join(path.dirname(garden), 'escaped.md'),
      path.join(path.dirname(garden), 'escaped-too.md'),
      '/tmp/loam-absolute-attack.md',
      path.join(garden, '.loam', 'docs', 'planted.md'),
      path.join(garden, 'content', '.loam'),
      path.join(garden, 'content', '.git'),
      path.join(garden, 'content', '.obsidian'),
      path.join(garden, 'content', 'not-a-document.md'),
    ]) {
      assert.ok(!fs.existsSync(place), `${place} was written`);
    }
    assert.deepEqual(fs.readdirSync(path.join(garden, '.git', 'hooks')), []);
    const planted = fs
      .readdirSync(path.join(garden, 'content'), { recursive: true })
      .filter((name) => !name.startsWith('outside-link') && fs.statSync(path.join(garden, 'content', name)).isFile())
      .filter((name) => fs.readFileSync(path.join(garden, 'content', name), 'utf8').includes('# Planted'));
    assert.deepEqual(planted, [], `planted notes: ${planted}`);
    // Each refusal names its path and why.
    assert.match(server.log, /escaped\.md.*not written|not written.*escaped\.md/);
    assert.match(server.log, /device name/);
    assert.match(server.log, /symbolic link/);
    // The server still serves.
    await until(async () => (await fetch(`http://127.0.0.1:${server.port}/harmless/`)).ok, () => server.log);
  });
});
