// The JavaScript automerge-repo client as a peer of `loam serve`: it finds the garden's index from its address,
// reads a note, edits it, and makes a new note; the files on disk follow. An edit saved on disk reaches the client.
// A client that says it runs in a page of another site (its `Origin`) is refused.
//
// Run from the repository root with `node --test tests/peers/` (scripts/test does this, after `npm ci` here).
// Needs the loam binary (env LOAM_BIN, default <repo>/target/debug/loam).
//
// The garden is a copy of Loam's own docs (content/ and loam.toml of this repository) in a temporary folder.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as A from '@automerge/automerge';
import { stringifyAutomergeUrl, documentIdToBinary } from '@automerge/automerge-repo';
import WebSocket from 'ws';
import { clientOf, copyLoamDocs, gardenIndex, serve, until } from './support.mjs';

describe('the JavaScript automerge-repo client syncs with loam serve', { timeout: 120_000 }, () => {
  let garden;
  let server;
  let repo;

  before(async () => {
    garden = copyLoamDocs();
    server = await serve(garden);
    repo = clientOf(server);
  });

  after(async () => {
    await repo?.shutdown();
    await server?.stop();
    fs.rmSync(garden, { recursive: true, force: true });
  });

  test('find the index, read and edit a note, make a note; then a save on disk reaches the client', async () => {
    const { about, index } = await gardenIndex(repo, server);
    assert.match(about.index, /^automerge:/, JSON.stringify(about));

    // The import runs beside the server: the index lists every note once it is done.
    const notes = fs
      .readdirSync(path.join(garden, 'content'), { recursive: true })
      .filter((name) => name.endsWith('.md'))
      .sort();
    await until(() => Object.keys(index.doc().docs ?? {}).length >= notes.length, () => server.log);
    const docs = index.doc().docs;
    const found = Object.entries(docs).find(([, e]) => String(e.path) === notes[0]);
    assert.ok(found, `${notes[0]} is not in the index: ${JSON.stringify(Object.values(docs).map((e) => e.path).sort())}`);
    const [hex, entry] = found;
    const noteUrl = stringifyAutomergeUrl(Buffer.from(hex, 'hex'));

    // Reading: the note's document holds the file's text.
    const note = await repo.find(noteUrl);
    const file = path.join(garden, 'content', String(entry.path));
    assert.equal(note.doc().text, fs.readFileSync(file, 'utf8').replace(/\r\n/g, '\n').replace(/^\uFEFF/, ''));

    // Editing: the file on disk changes.
    note.change((d) => {
      A.splice(d, ['text'], d.text.length, 0, '\nA line written in JavaScript.\n');
    });
    await until(() => fs.readFileSync(file, 'utf8').includes('A line written in JavaScript.'), () => server.log);

    // A new note: its document, then its place in the index.
    const made = repo.create({ text: '---\ntitle: Made in JavaScript\n---\nThis note was made by automerge-repo.\n' });
    const madeHex = Buffer.from(documentIdToBinary(made.documentId)).toString('hex');
    index.change((d) => {
      d.docs[madeHex] = { path: 'made in js.md' };
    });
    const madeFile = path.join(garden, 'content', 'made in js.md');
    await until(() => fs.existsSync(madeFile), () => server.log);
    await until(() => fs.readFileSync(madeFile, 'utf8').includes('made by automerge-repo'), () => server.log);
    assert.equal(fs.readFileSync(madeFile, 'utf8'), made.doc().text);
    // And the preview shows it.
    await until(async () => (await fetch(`http://127.0.0.1:${server.port}/made-in-js/`)).ok, () => server.log);

    // A save on disk reaches the client.
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8') + '\nSaved on disk by an editor.\n');
    await until(() => note.doc().text.includes('Saved on disk by an editor.'), () => server.log);
    assert.ok(note.doc().text.includes('A line written in JavaScript.'));
  });

  test('a client in a page of another site is refused at /sync; the preview\'s own pages and programs connect', async () => {
    // What the WebSocket handshake comes to, for a client sending `origin` (ws sends none unless told to).
    const attempt = (origin) =>
      new Promise((resolve) => {
        const socket = new WebSocket(`ws://127.0.0.1:${server.port}/sync`, origin ? { origin } : {});
        socket.on('open', () => {
          socket.close();
          resolve('open');
        });
        socket.on('unexpected-response', (request, response) => {
          request.destroy();
          resolve(response.statusCode);
        });
        socket.on('error', (error) => resolve(`error: ${error.message}`));
      });
    assert.equal(await attempt('http://evil.example'), 403, server.log);
    assert.equal(await attempt(`http://localhost:${server.port}`), 403, 'the origin must be the host the request names');
    assert.equal(await attempt(`http://127.0.0.1:${server.port}`), 'open', server.log);
    assert.equal(await attempt(undefined), 'open', server.log);
  });
});
