// Live reload for `loam serve` (never part of a built site). The server stamps this script's tag with the version
// of the site the page came from, then streams each new version; when one differs, the page reloads where it was.
(() => {
  const script = document.currentScript;
  const shown = script && script.dataset.loamVersion;
  const base = script ? script.src.replace(/_loam\/live\.js.*$/, "") : "/";
  const key = "loam-scroll:" + location.pathname;

  // Back where the reader was before the reload.
  const saved = sessionStorage.getItem(key);
  if (saved !== null) {
    sessionStorage.removeItem(key);
    const [x, y] = saved.split(",").map(Number);
    const restore = () => window.scrollTo(x, y);
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", restore, { once: true });
    } else {
      restore();
    }
    window.addEventListener("load", restore, { once: true });
  }

  let reloading = false;
  const connect = () => {
    const events = new EventSource(base + "_loam/events");
    // Marks the page as listening, for tests and the curious.
    events.onopen = () => {
      document.documentElement.dataset.loamLive = "connected";
    };
    events.addEventListener("version", (event) => {
      if (event.data !== shown && !reloading) {
        reloading = true;
        sessionStorage.setItem(key, window.scrollX + "," + window.scrollY);
        events.close();
        window.location.reload();
      }
    });
    // The server went away (restarted, or stopped): try again now and then; a restart brings a new version.
    events.onerror = () => {
      if (events.readyState === EventSource.CLOSED && !reloading) {
        setTimeout(connect, 1000);
      }
    };
  };
  connect();

  // On a page that shows a note, a link to its live editing view (`serve/http/edit.rs`): a plain-text editor that
  // people editing the note at once share as they type. A corner across from the sync badge.
  const edit = script && script.dataset.loamEdit;
  if (edit) {
    const link = document.createElement("a");
    link.id = "loam-edit-link";
    link.href = edit;
    link.textContent = "\u270e Edit live";
    link.title = "Edit this note in the browser, live with everyone else editing it";
    link.style.cssText =
      "position:fixed;right:12px;bottom:12px;z-index:2147483000;font:13px/1.4 system-ui,sans-serif;" +
      "padding:4px 12px;border-radius:999px;background:#1f2328;color:#fff;opacity:.92;text-decoration:none;" +
      "box-shadow:0 1px 4px rgba(0,0,0,.25)";
    const add = () => document.body && document.body.appendChild(link);
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", add, { once: true });
    } else {
      add();
    }
  }

  // Sync's state, for a garden kept in step with peers (`loam serve --peer`): a small badge in a corner, from the
  // board at /_loam/peers.json (at the server's root, beside /sync), every few seconds. No peers, no badge.
  const badge = document.createElement("div");
  badge.id = "loam-sync-badge";
  badge.setAttribute("role", "status");
  badge.style.cssText =
    "position:fixed;left:12px;bottom:12px;z-index:2147483000;font:13px/1.4 system-ui,sans-serif;" +
    "padding:4px 10px;border-radius:999px;background:#1f2328;color:#fff;opacity:.92;display:none;" +
    "max-width:calc(100vw - 24px);white-space:nowrap;overflow:hidden;text-overflow:ellipsis";
  const summary = (peers) => {
    const count = (state) => peers.filter((peer) => peer.state === state).length;
    const waiting = Math.max(0, ...peers.map((peer) => peer.waiting || 0));
    const waits = waiting ? ` \u00b7 ${waiting} note${waiting === 1 ? "" : "s"} waiting` : "";
    const some = (n, words) => `${n === peers.length ? "" : n + " of " + peers.length + " "}${words}`;
    if (count("refused")) return ["#b42318", "Sync refused" + (peers.length > 1 ? ` (${some(count("refused"), "peers")})` : "") + waits];
    if (count("unreachable")) return ["#b54708", "Sync: " + some(count("unreachable"), "unreachable") + waits];
    if (count("behind")) return ["#b54708", "Sync: behind" + waits];
    if (count("in-step") === peers.length) return ["#067647", "In step" + waits];
    return ["#175cd3", "Syncing\u2026" + waits];
  };
  const look = async () => {
    try {
      const answer = await fetch("/_loam/peers.json", { cache: "no-store" });
      const peers = answer.ok ? await answer.json() : [];
      if (!Array.isArray(peers) || peers.length === 0) {
        badge.style.display = "none";
      } else {
        const [colour, words] = summary(peers);
        badge.textContent = "\u25cf " + words;
        badge.style.background = colour;
        badge.title = peers
          .map((peer) => `${peer.url}: ${peer.state}${peer.reason ? " (" + peer.reason + ")" : ""}`)
          .join("\n");
        badge.dataset.state = peers.map((peer) => peer.state).join(" ");
        badge.style.display = "block";
        // Clear of the "Edit live" link in the other corner.
        if (edit) badge.style.maxWidth = "calc(100vw - 140px)";
        if (!badge.isConnected && document.body) document.body.appendChild(badge);
      }
    } catch (_) {
      // The server is restarting: the next look tells.
    }
    setTimeout(look, 3000);
  };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", look, { once: true });
  } else {
    look();
  }
})();
