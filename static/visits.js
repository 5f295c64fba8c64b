/*
 * Loam: "this page changed since you last read it".
 *
 * On a note's page that has a history (its `.history-link` carries `data-edited`, when the note last changed, in
 * seconds since 1970), remembers in this browser's localStorage when the version read was made, under the page's
 * path. When the page has changed since, it says so above the text, with a link to what changed: the history's
 * comparison from the version read then (`?from=@TIME`, the version current at that time) to this one. Nothing
 * leaves the browser; a past version's page (with a `.version-banner`) is not remembered as read.
 */
(function () {
  "use strict";

  loam.ready(function () {
    var item = document.querySelector(".history-link[data-edited]");
    var edited = item ? Number(item.dataset.edited) : 0;
    if (!edited || document.querySelector(".version-banner")) return;
    var link = item.querySelector("a");
    var key = "loam:read:" + location.pathname;
    var seen = 0;
    try {
      seen = Number(localStorage.getItem(key)) || 0;
      localStorage.setItem(key, String(edited));
    } catch (e) {
      return; // Storage refused (a private window, a full disk): nothing to remember.
    }
    if (!seen || edited <= seen) return;
    var notice = document.createElement("aside");
    notice.className = "since-visit";
    notice.setAttribute("role", "note");
    var text = document.createElement("p");
    text.textContent = loam.word("changed_since_visit", "This page changed since you last read it") + " · ";
    var changes = document.createElement("a");
    // The preview's history page (`/_history/NOTE/`), or a built site's note page asking for it (`?history`).
    var href = link.getAttribute("href");
    changes.href = href + (href.indexOf("?") < 0 ? "?" : "&") + "from=@" + seen + "&to=@" + edited;
    changes.textContent = loam.word("see_changes", "See what changed");
    text.appendChild(changes);
    notice.appendChild(text);
    var content = document.querySelector("article .content");
    if (content) content.insertBefore(notice, content.firstChild);
  });
})();
