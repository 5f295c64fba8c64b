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
})();
