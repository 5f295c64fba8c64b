// A standard automerge-repo sync server (relay), built the way automerge-repo's own sync server is: a Repo with
// the WebSocket server adapter and file storage, that does not announce documents to peers (sharePolicy false)
// but keeps and forwards whatever they sync. Loam gardens that never meet converge through it.
//
//   node tests/peers/relay.mjs STORAGE_DIR
//
// Listens on a free loopback port and prints `relay at ws://127.0.0.1:PORT` once listening; stops on SIGTERM.

import { WebSocketServer } from 'ws';
import { Repo } from '@automerge/automerge-repo';
import { WebSocketServerAdapter } from '@automerge/automerge-repo-network-websocket';
import { NodeFSStorageAdapter } from '@automerge/automerge-repo-storage-nodefs';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node relay.mjs STORAGE_DIR');
  process.exit(2);
}
const socket = new WebSocketServer({ host: '127.0.0.1', port: 0 });
const repo = new Repo({
  network: [new WebSocketServerAdapter(socket)],
  storage: new NodeFSStorageAdapter(dir),
  peerId: `relay-${process.pid}`,
  sharePolicy: async () => false,
});
socket.on('listening', () => console.log(`relay at ws://127.0.0.1:${socket.address().port}`));
process.on('SIGTERM', async () => {
  await repo.shutdown();
  socket.close();
  process.exit(0);
});
