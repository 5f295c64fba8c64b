// What loam serve's live editing view (src/serve/http/edit.js) uses of automerge-repo, bundled by
// scripts/vendor with esbuild into one file that sets `window.LoamAutomerge`. The slim entry points with the
// WebAssembly inlined as base64: the bundle is one file, loads nothing else, and needs no bundler-specific wasm
// loading. `ready` resolves once the WebAssembly is compiled; nothing else may be used before it.
import { automergeWasmBase64 } from "@automerge/automerge/automerge.wasm.base64";
import {
  Repo,
  initializeBase64Wasm,
  isValidAutomergeUrl,
  getCursor,
  getCursorPosition,
  splice,
  updateText,
} from "@automerge/automerge-repo/slim";
import { WebSocketClientAdapter } from "@automerge/automerge-repo-network-websocket";

export const ready = initializeBase64Wasm(automergeWasmBase64);
export { Repo, WebSocketClientAdapter, isValidAutomergeUrl, getCursor, getCursorPosition, splice, updateText };
