// The live editing view of `loam serve` (src/serve/http/edit.rs): a textarea bound to a note's Automerge document
// through automerge-repo in the page (window.LoamAutomerge, the bundle at _loam/automerge.js). Each edit is one
// splice of the document's `text`; a change from anyone else is applied to the textarea as the same splices, so
// the caret and selection stay where they were relative to the text around them.
//
// The page holds no token and no document id. It asks /_loam/note.json for the note's `automerge:` URL (with the
// token the user gave, if the garden takes one; kept in sessionStorage, for this tab only) and syncs that
// document over /sync, the preview's own sync endpoint.
(() => {
  const root = document.getElementById("loam-editor");
  const text = document.getElementById("loam-edit-text");
  const state = document.getElementById("loam-edit-state");
  const form = document.getElementById("loam-edit-token");
  const input = document.getElementById("loam-edit-token-input");
  const problem = document.getElementById("loam-edit-token-problem");
  const name = document.getElementById("loam-edit-name");
  const note = root.dataset.note;
  const TOKEN = "loam-sync-token";
  const AUTHOR = "loam-author";

  // Who is typing, for the note's history (`loam log`, the page's contributors): kept in this browser.
  try {
    name.value = localStorage.getItem(AUTHOR) || "";
  } catch (_) {
    // Storage is off: asked for each time.
  }
  name.addEventListener("change", () => {
    try {
      localStorage.setItem(AUTHOR, name.value.trim());
    } catch (_) {
      // Kept for this page only.
    }
  });

  // The reader's theme, as the site's toggle keeps it (static/loam.js).
  try {
    const theme = localStorage.getItem("loam-theme");
    if (theme === "light" || theme === "dark") document.documentElement.dataset.theme = theme;
  } catch (_) {
    // Storage is off: the system's theme.
  }

  const words = {
    connecting: "Connecting\u2026",
    connected: "Connected",
    reconnecting: "Reconnecting\u2026",
    refused: "Needs a token",
    unavailable: "Not available",
  };
  const show = (now, detail) => {
    state.dataset.state = now;
    state.textContent = words[now] + (detail ? " \u00b7 " + detail : "");
    root.dataset.state = now;
  };

  const token = () => {
    try {
      return sessionStorage.getItem(TOKEN) || "";
    } catch (_) {
      return "";
    }
  };

  // Asks for a token; resolves once the user gave one.
  const askForToken = (why) =>
    new Promise((resolve) => {
      show("refused");
      problem.textContent = why || "";
      form.hidden = false;
      input.focus();
      form.onsubmit = (event) => {
        event.preventDefault();
        try {
          sessionStorage.setItem(TOKEN, input.value.trim());
        } catch (_) {
          // Kept for this attempt only.
        }
        form.hidden = true;
        resolve(input.value.trim());
      };
    });

  const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  // The note's automerge URL and the access the token gives, asking for a token while one is needed.
  const lookUp = async () => {
    let given = token();
    for (;;) {
      let answer;
      try {
        answer = await fetch("/_loam/note.json?path=" + encodeURIComponent(note), {
          cache: "no-store",
          headers: given ? { Authorization: "Bearer " + given } : {},
        });
      } catch (_) {
        show("reconnecting");
        await pause(1000);
        continue;
      }
      if (answer.status === 401) {
        given = await askForToken(given ? "That token was not accepted." : "");
        continue;
      }
      if (answer.ok) return { ...(await answer.json()), token: given };
      // The history is still being opened, or the note has none yet: look again soon.
      show("unavailable", answer.status === 404 ? "this note has no history yet" : "the history is not ready");
      await pause(1000);
    }
  };

  // The edit that turns `before` into `after`, as one splice: what is the same at both ends is kept. `caret` is
  // where the selection ends after the edit, so that typing a letter next to the same letter splices it where
  // it was typed. Never splits a UTF-16 surrogate pair.
  const spliceOf = (before, after, caret) => {
    const grown = Math.max(0, after.length - before.length);
    let start = 0;
    const most = Math.min(before.length, after.length, Math.max(0, caret - grown));
    while (start < most && before.charCodeAt(start) === after.charCodeAt(start)) start++;
    let endBefore = before.length;
    let endAfter = after.length;
    while (endBefore > start && endAfter > start && before.charCodeAt(endBefore - 1) === after.charCodeAt(endAfter - 1)) {
      endBefore--;
      endAfter--;
    }
    const high = (code) => code >= 0xd800 && code <= 0xdbff;
    const low = (code) => code >= 0xdc00 && code <= 0xdfff;
    if (start > 0 && high(before.charCodeAt(start - 1))) start--;
    if (endBefore < before.length && low(before.charCodeAt(endBefore))) {
      endBefore++;
      endAfter++;
    }
    return { index: start, remove: endBefore - start, insert: after.slice(start, endAfter) };
  };

  const start = async () => {
    const A = window.LoamAutomerge;
    await A.ready;
    const found = await lookUp();
    const readOnly = found.access !== "read-write";
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const query = found.token ? "?token=" + encodeURIComponent(found.token) : "";
    const adapter = new A.WebSocketClientAdapter(scheme + "//" + location.host + "/sync" + query, 1000);
    adapter.on("peer-candidate", () => show("connected", readOnly ? "read-only" : ""));
    adapter.on("peer-disconnected", () => show("reconnecting"));
    show("connecting");
    const repo = new A.Repo({ network: [adapter] });

    let handle;
    for (;;) {
      try {
        handle = await repo.find(found.url);
        break;
      } catch (_) {
        // Not reached yet (the connection is being made): ask again.
        await pause(1000);
      }
    }
    const doc = handle.doc();
    if (typeof doc.text !== "string") {
      show("unavailable", "this note is not text");
      return;
    }

    // What the textarea showed after the last edit or change taken in: the document's text then.
    let shown = doc.text;
    text.value = shown;
    text.readOnly = readOnly;
    text.disabled = false;
    if (adapter.remotePeerId) show("connected", readOnly ? "read-only" : "");

    // Every input is sent as it comes, an input method's composition too: a remote change applied meanwhile
    // then finds the textarea holding exactly the document's text.
    text.addEventListener("input", () => {
      const now = text.value;
      if (now === shown) return;
      const { index, remove, insert } = spliceOf(shown, now, text.selectionEnd);
      shown = now;
      // The message says who and what, as Loam's own changes do (`store::About`); `loam log` shows a run of
      // these as one line.
      const message = JSON.stringify({ author: name.value.trim(), kind: "live edit" });
      handle.change((d) => A.splice(d, ["text"], index, remove, insert), { message });
    });

    handle.on("change", ({ doc, patches }) => {
      const after = typeof doc.text === "string" ? doc.text : "";
      if (after === text.value) {
        shown = after;
        return;
      }
      // Someone else's change, made to the text the textarea shows (every input is sent at once).
      const top = text.scrollTop;
      // Applied as the splices they are, so that the selection moves with the text around it.
      for (const patch of patches) {
        if (patch.path.length !== 2 || patch.path[0] !== "text") continue;
        const at = patch.path[1];
        if (patch.action === "splice") text.setRangeText(patch.value, at, at, "preserve");
        else if (patch.action === "del") text.setRangeText("", at, at + (patch.length || 1), "preserve");
      }
      if (text.value !== after) {
        // A change the splices did not describe (the whole text replaced): take it whole, keeping the caret.
        const [from, to] = [text.selectionStart, text.selectionEnd];
        text.value = after;
        text.setSelectionRange(Math.min(from, after.length), Math.min(to, after.length));
      }
      text.scrollTop = top;
      shown = after;
      root.dataset.changes = String(Number(root.dataset.changes || 0) + 1);
    });
    root.dataset.ready = "true";
  };

  start().catch((error) => {
    show("unavailable", String((error && error.message) || error));
  });
})();
