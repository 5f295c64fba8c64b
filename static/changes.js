/*
 * Loam: the recent changes of a built site (`[history] publish = true`), filtered by author, folder and tag.
 *
 * The page lists the newest changes, 100 a page. Its filter form asks for `?author=`, `?folder=` and `?tag=`, as
 * the preview's does; a static site cannot answer that, so this script does: it fetches the newest changes with
 * what each note is filed under (`_changes/recent.json`, the changes these pages list, written by
 * render/history.rs `changes_pages`) and shows those that match in place of the page's list, by day, with the
 * page's markup (templates/changes.html). Without scripts, the form's answer is the unfiltered first page.
 */
(function () {
  "use strict";

  var params = new URLSearchParams(location.search);
  var filter = {
    author: params.get("author") || "",
    folder: (params.get("folder") || "").replace(/^\/+|\/+$/g, ""),
    tag: (params.get("tag") || "").replace(/^#/, "").toLowerCase(),
  };
  if (!filter.author && !filter.folder && !filter.tag) return;

  /* static/loam.js, loaded before. */
  var el = window.loam.el;

  /* As the preview filters (serve/http/changes.rs): the author by name, the folder and what is below it, the tag
   * and the tags below it, among the tags a note has today (a deleted note has none). */
  function matches(entry) {
    if (filter.author && entry.author !== filter.author) return false;
    if (filter.folder) {
      var inside = function (path) { return !!path && path.indexOf(filter.folder + "/") === 0; };
      if (!inside(entry.path) && !inside(entry.from)) return false;
    }
    if (filter.tag) {
      var tagged = (entry.tags || []).some(function (tag) {
        return tag === filter.tag || tag.indexOf(filter.tag + "/") === 0;
      });
      if (!tagged) return false;
    }
    return true;
  }

  function link(url, cls, text) {
    return url ? el("a", { class: cls, href: url, text: text }) : el("span", { class: cls, text: text });
  }

  /* One entry, as templates/changes.html writes it. */
  function entryNode(entry, words) {
    var item = el("li", { class: "changes-entry changes-" + entry.kind }, [
      el("time", { datetime: entry.time, text: entry.clock }),
      " ", link(entry.url, "changes-note", entry.title),
      " ", link(entry.author_url, "history-author", entry.author),
      " ", link(entry.compare_url, "history-summary", entry.summary),
    ]);
    if (entry.kind === "edit") {
      item.appendChild(document.createTextNode(" "));
      item.appendChild(el("span", { class: "history-size" }, [
        el("ins", { text: "+" + entry.added }), " ", el("del", { text: "\u2212" + entry.removed })]));
      if (entry.saves > 1) {
        item.appendChild(document.createTextNode(" "));
        item.appendChild(el("span", { class: "history-saves", text: entry.saves + " " + words.saves }));
      }
    }
    if (entry.history_url) {
      item.appendChild(document.createTextNode(" "));
      item.appendChild(el("a", { class: "changes-history", href: entry.history_url, text: words.history }));
    }
    return item;
  }

  function show(recent) {
    var page = document.querySelector("article.changes-page");
    var form = page && page.querySelector(".changes-filter");
    if (!form) return;
    ["author", "folder", "tag"].forEach(function (name) {
      var field = form.elements[name];
      if (field) field.value = params.get(name) || "";
    });
    var words = { saves: form.dataset.saves || "saves", history: form.dataset.history || "History",
                  none: form.dataset.none || "No changes." };
    page.querySelectorAll(".history-day, .changes-list, .history-pages, .changes-none").forEach(function (node) {
      node.remove();
    });
    var at = form.nextSibling, days = {}, shown = 0;
    var put = function (node) { page.insertBefore(node, at); };
    recent.entries.filter(matches).forEach(function (entry) {
      var list = days[entry.date];
      if (!list) {
        put(el("h2", { class: "history-day" }, [el("time", { datetime: entry.date, text: entry.date })]));
        list = days[entry.date] = el("ol", { class: "changes-list" });
        put(list);
      }
      list.appendChild(entryNode(entry, words));
      shown++;
    });
    if (!shown) put(el("p", { class: "changes-none", text: words.none }));
  }

  fetch(window.loam.base + "_changes/recent.json")
    .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
    .then(function (recent) {
      if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { show(recent); });
      else show(recent);
    })
    .catch(function () {});
})();
