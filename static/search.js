/*
 * Loam: full-text search.
 *
 * Shows the search box in the header ([data-search], hidden without JavaScript) and answers queries with
 * pagefind's search script, which `loam build` writes to <base>/pagefind/ with the index. The script and the
 * index load on first use, and only the chunks of the index a query needs are downloaded. Results show the
 * note's title and an excerpt with the matched words marked; up and down arrows move through them, Enter
 * opens one, Escape closes the list. "/" or Ctrl+K (Cmd+K) focuses the box from anywhere on the page.
 */
(function () {
  "use strict";

  var box = document.querySelector("[data-search]");
  if (!box) return;
  var input = box.querySelector(".search-input");
  var list = box.querySelector(".search-results");
  if (!input || !list) return;
  var base = window.loam.base;
  var pagefind = null;
  var loading = null;
  var active = -1;
  var latest = 0;
  var MAX_RESULTS = 8;

  box.hidden = false;

  var attempts = 0;
  // What pagefind-entry.json said when the index was loaded, and when that was last checked: `loam serve` makes
  // the index again after saves, and a page kept open should search the new one.
  var entry = null;
  var checked = 0;
  var RECHECK_MS = 2000;

  function entryText() {
    return fetch(base + "pagefind/pagefind-entry.json", { cache: "no-cache" }).then(function (response) {
      return response.ok ? response.text() : null;
    });
  }

  // Drops the loaded index when the site has a newer one; the next query loads it.
  function checkFresh() {
    if (!pagefind || !entry || Date.now() - checked < RECHECK_MS) return Promise.resolve();
    checked = Date.now();
    return entryText()
      .then(function (text) {
        if (text && text !== entry) {
          entry = null;
          loading = null;
          return pagefind.destroy();
        }
      })
      .catch(function () {
        /* keep the index there is */
      });
  }

  function load() {
    if (!loading) {
      // A dynamic import keeps this file a classic script; pagefind's module finds its index beside itself. A
      // failed import is remembered by the browser, so a retry asks for the script under another address.
      var retry = attempts++ ? "?attempt=" + attempts : "";
      loading = import(base + "pagefind/pagefind.js" + retry).then(function (module) {
        pagefind = module;
        checked = Date.now();
        return Promise.all([module.options({ excerptLength: 24 }), entryText()]).then(function (done) {
          entry = done[1];
          module.init();
          return module;
        });
      });
      loading.catch(function () {
        // `loam serve` makes its index when first asked; a static site without one answers the same way.
        loading = null;
        show([], "The search index is not ready yet. Try again in a moment.");
      });
    }
    return loading;
  }

  function items() {
    return Array.prototype.slice.call(list.querySelectorAll("[role=option]"));
  }

  function select(index) {
    var options = items();
    if (!options.length) {
      active = -1;
      input.removeAttribute("aria-activedescendant");
      return;
    }
    active = (index + options.length) % options.length;
    options.forEach(function (option, n) {
      option.setAttribute("aria-selected", n === active ? "true" : "false");
    });
    input.setAttribute("aria-activedescendant", options[active].id);
    options[active].scrollIntoView({ block: "nearest" });
  }

  function close() {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  // pagefind's excerpts are text escaped by pagefind with <mark> around matches; nothing else is kept.
  function excerpt(html) {
    var holder = document.createElement("template");
    holder.innerHTML = html;
    var out = element("span", "search-excerpt");
    holder.content.childNodes.forEach(function (node) {
      if (node.nodeType === 1 && node.tagName === "MARK") {
        out.appendChild(element("mark", null, node.textContent));
      } else {
        out.appendChild(document.createTextNode(node.textContent));
      }
    });
    return out;
  }

  function show(results, message) {
    list.textContent = "";
    if (message) {
      list.appendChild(element("p", "search-message", message));
    }
    results.forEach(function (result, n) {
      var link = element("a", "search-result");
      link.href = result.url;
      link.id = "loam-search-result-" + n;
      link.setAttribute("role", "option");
      link.setAttribute("aria-selected", "false");
      link.appendChild(element("span", "search-title", (result.meta && result.meta.title) || result.url));
      // A match under a heading links to that section, as pagefind's own results do.
      var section = (result.sub_results || []).filter(function (sub) {
        return sub.url !== result.url && sub.title && sub.title !== (result.meta && result.meta.title);
      })[0];
      if (section) {
        link.href = section.url;
        link.appendChild(element("span", "search-section", section.title));
        link.appendChild(excerpt(section.excerpt));
      } else {
        link.appendChild(excerpt(result.excerpt || ""));
      }
      link.addEventListener("mousemove", function () {
        if (active !== n) select(n);
      });
      list.appendChild(link);
    });
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
    active = -1;
    if (results.length) select(0);
  }

  function run() {
    var query = input.value.trim();
    var ticket = ++latest;
    if (!query) {
      close();
      return;
    }
    checkFresh()
      .then(load)
      .then(function (module) {
        return module.debouncedSearch(query, {}, 120);
      })
      .then(function (search) {
        // null: a newer query replaced this one while it waited.
        if (!search || ticket !== latest) return null;
        return Promise.all(
          search.results.slice(0, MAX_RESULTS).map(function (r) {
            return r.data();
          })
        ).then(function (results) {
          if (ticket !== latest) return;
          show(results, results.length ? null : "No notes match \u201c" + query + "\u201d.");
          list.dataset.query = query;
        });
      })
      .catch(function () {
        /* load() already said why */
      });
  }

  input.addEventListener("focus", load);
  input.addEventListener("input", run);
  input.addEventListener("keydown", function (event) {
    if (event.key === "ArrowDown") {
      event.preventDefault();
      if (list.hidden) run();
      else select(active + 1);
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      select(active - 1);
    } else if (event.key === "Enter") {
      var chosen = items()[active];
      if (chosen) {
        event.preventDefault();
        window.location.href = chosen.href;
      }
    } else if (event.key === "Escape") {
      if (!list.hidden) close();
      else input.blur();
    }
  });
  document.addEventListener("keydown", function (event) {
    var typing = /^(INPUT|TEXTAREA|SELECT)$/.test(event.target.tagName) || event.target.isContentEditable;
    if ((event.key === "/" && !typing) || (event.key === "k" && (event.ctrlKey || event.metaKey))) {
      event.preventDefault();
      input.focus();
      input.select();
    }
  });
  document.addEventListener("click", function (event) {
    if (!box.contains(event.target)) close();
  });
})();
