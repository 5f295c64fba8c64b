/*
 * Loam: the explorer, a tree of the garden's folders and notes beside every page.
 *
 * Built from graph.json (which the graph view reads too: both share one download through
 * window.loam.graphData(), in loam.js). Folders open and close; a folder's notes are only put in the page when it is first
 * opened, so a garden of ten thousand notes costs nothing until someone browses it. The folders down to the page
 * being read start open, and the page is marked. Without JavaScript the explorer stays hidden: breadcrumbs and
 * folder pages lead to the same places.
 */
(function () {
  "use strict";

  var nav = document.querySelector("[data-explorer]");
  if (!nav) return;
  // More notes than this in one folder are left to the folder's page.
  var MAX_NOTES = 200;

  function here(url) {
    try {
      return decodeURI(url) === decodeURI(window.location.pathname);
    } catch (e) {
      return url === window.location.pathname;
    }
  }

  // What `navigation` in loam.toml names comes first, in its order; the rest in natural order ("2" before "10").
  function byTitle(a, b) {
    var x = a.order, y = b.order;
    if (x != null || y != null) {
      if (x == null) return 1;
      if (y == null) return -1;
      return x - y;
    }
    return a.title.localeCompare(b.title, undefined, { numeric: true, sensitivity: "base" });
  }

  function link(item, className) {
    var a = document.createElement("a");
    a.href = item.url;
    a.textContent = item.title;
    if (className) a.className = className;
    if (here(item.url)) a.setAttribute("aria-current", "page");
    return a;
  }

  function build(data) {
    var folders = (data.folders || []).map(function (folder, index) {
      return {
        index: index,
        title: folder.title,
        url: folder.url,
        parent: folder.parent,
        order: folder.order,
        folders: [],
        notes: [],
      };
    });
    if (!folders.length) return;
    folders.forEach(function (folder) {
      if (folder.parent !== null && folders[folder.parent]) folders[folder.parent].folders.push(folder);
    });
    (data.nodes || []).forEach(function (node) {
      var folder = folders[node.folder] || folders[0];
      // A folder's own note is the folder's link; it is not listed again inside.
      if (node.url !== folder.url) folder.notes.push(node);
    });
    // The folders down to the page being read start open.
    var open = new Set();
    var path = decodeURI(window.location.pathname);
    folders.forEach(function (folder) {
      var url = decodeURI(folder.url);
      if (path.indexOf(url) === 0) {
        for (var f = folder; f; f = f.parent === null ? null : folders[f.parent]) open.add(f.index);
      }
    });
    (data.nodes || []).forEach(function (node) {
      if (here(node.url)) {
        for (var f = folders[node.folder]; f; f = f.parent === null ? null : folders[f.parent]) open.add(f.index);
      }
    });

    function fill(list, folder) {
      folder.folders.sort(byTitle).forEach(function (child) {
        list.appendChild(folderItem(child));
      });
      folder.notes.sort(byTitle);
      folder.notes.slice(0, MAX_NOTES).forEach(function (note) {
        var li = document.createElement("li");
        li.className = "explorer-note";
        li.appendChild(link(note));
        list.appendChild(li);
      });
      if (folder.notes.length > MAX_NOTES) {
        var more = document.createElement("li");
        more.className = "explorer-more";
        var a = document.createElement("a");
        a.href = folder.url;
        a.textContent = folder.notes.length - MAX_NOTES + " more\u2026";
        more.appendChild(a);
        list.appendChild(more);
      }
    }

    function folderItem(folder) {
      var li = document.createElement("li");
      li.className = "explorer-folder";
      var details = document.createElement("details");
      var summary = document.createElement("summary");
      summary.appendChild(link(folder));
      details.appendChild(summary);
      var list = document.createElement("ul");
      details.appendChild(list);
      var filled = false;
      function ensure() {
        if (!filled && details.open) {
          filled = true;
          fill(list, folder);
        }
      }
      details.addEventListener("toggle", ensure);
      if (open.has(folder.index)) {
        details.open = true;
        ensure();
      }
      li.appendChild(details);
      return li;
    }

    var root = document.createElement("ul");
    root.className = "explorer-tree";
    fill(root, folders[0]);
    nav.appendChild(root);
    nav.hidden = false;
    var currentLink = root.querySelector("[aria-current=page]");
    if (currentLink && currentLink.scrollIntoView && nav.scrollHeight > nav.clientHeight) {
      currentLink.scrollIntoView({ block: "nearest" });
    }
  }

  window.loam.graphData().then(build).catch(function () {
    /* no graph.json (a garden built without it): the explorer stays hidden */
  });
})();
