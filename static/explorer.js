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

    // A folder is a row of two controls side by side, never one inside the other: a button that shows or hides
    // its contents (`aria-expanded`, the disclosure pattern) and the link to its page. Its notes are put in the
    // page when it is first opened.
    var count = 0;
    function folderItem(folder) {
      var li = document.createElement("li");
      li.className = "explorer-folder";
      var row = document.createElement("div");
      row.className = "explorer-row";
      var toggle = document.createElement("button");
      toggle.type = "button";
      toggle.className = "explorer-toggle";
      var list = document.createElement("ul");
      list.id = "loam-explorer-" + count++;
      toggle.setAttribute("aria-controls", list.id);
      toggle.setAttribute("aria-label", folder.title);
      var label = link(folder);
      row.appendChild(toggle);
      row.appendChild(label);
      li.appendChild(row);
      li.appendChild(list);
      var filled = false;
      function set(open) {
        toggle.setAttribute("aria-expanded", String(open));
        list.hidden = !open;
        if (open && !filled) {
          filled = true;
          fill(list, folder);
        }
      }
      toggle.addEventListener("click", function () {
        set(toggle.getAttribute("aria-expanded") !== "true");
      });
      set(open.has(folder.index));
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

  // Where the explorer is beside the page it is filled at once. Under the page (a phone, a narrow window) it waits
  // for the reader, so that reading a note does not fetch every note's title (graph.json): it is filled when the
  // reader scrolls near it, opens it with the menu button, or taps its own button (the way on a page too short
  // to scroll).
  function fillIn(focus) {
    window.loam.graphData().then(function (data) {
      build(data);
      // Asked for with the keyboard: the focus goes on to the explorer's first entry.
      var first = focus === true && nav.querySelector(".explorer-tree a, .explorer-tree button");
      if (first) first.focus();
    }).catch(function () {
      /* no graph.json (a garden built without it): the explorer stays hidden */
    });
  }
  var aside = nav.closest("aside") || nav.parentNode;
  if (!window.matchMedia || window.matchMedia("(min-width: 1180px)").matches) {
    window.loam.whenNear(aside, function () {
      fillIn(false);
    });
    return;
  }
  nav.hidden = false;
  var start = window.loam.whenAsked(aside, nav, window.loam.word("show_explorer", "Show the folders and notes"), fillIn);
  var menu = document.querySelector(".menu-button");
  if (menu) menu.addEventListener("click", start);
})();
