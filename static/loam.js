/*
 * What the other scripts of the site share, as window.loam (this file comes first in every page):
 *   base            the site's root path ("/" or "/garden/"), from <html data-base>, else from this script's address
 *   loadScript(url), loadStylesheet(url)   a promise that the file is in the page
 *   styleFor(root)  links callouts.css and highlight.css if root shows what they style and the page has not
 *   graphData()     a promise of graph.json, fetched once for the page (the graph view and the explorer read it)
 *   ready(start)    runs start once the page is parsed
 *   warn(name)      an error handler that logs under "loam name:"; the page goes on without that feature
 *   word(key, text) the interface's word for `key` in the garden's language (<html data-strings>), else `text`
 *   need(name)      a promise that static/NAME (math.js, graph.js, ...) is loaded, once for the page
 *   whenNear(element, then)   calls then once element comes near the screen
 *   whenAsked(area, holder, text, then)   a part under the page that waits for the reader (its button, a scroll)
 *   search          set by search.js (loaded when the box is first used): how the index cuts words, for tests
 */
(function () {
  "use strict";

  var script = document.currentScript;

  function basePath() {
    var base = document.documentElement.dataset.base;
    if (base) {
      return base.charAt(base.length - 1) === "/" ? base : base + "/";
    }
    if (script && script.src) {
      var path = new URL(script.src, location.href).pathname;
      var at = path.lastIndexOf("static/");
      if (at >= 0) {
        return path.slice(0, at);
      }
    }
    return "/";
  }

  function load(element, url) {
    return new Promise(function (resolve, reject) {
      element.onload = resolve;
      element.onerror = function () {
        reject(new Error("could not load " + url));
      };
      document.head.appendChild(element);
    });
  }

  var base = basePath();
  var graph = null;
  var words = {};
  try {
    words = JSON.parse(document.documentElement.dataset.strings || "{}");
  } catch (e) {
    /* a garden's own template without the words: English */
  }

  window.loam = {
    base: base,
    word: function (key, text) {
      return words[key] || text;
    },
    loadScript: function (url) {
      var element = document.createElement("script");
      element.src = url;
      element.async = true;
      return load(element, url);
    },
    loadStylesheet: function (url) {
      var element = document.createElement("link");
      element.rel = "stylesheet";
      element.href = url;
      return load(element, url);
    },
    /** An element `name` with attributes `attrs` (`text`: its text) and `children` (nodes or strings). */
    el: function (name, attrs, children) {
      var node = document.createElement(name);
      Object.keys(attrs || {}).forEach(function (key) {
        if (key === "text") node.textContent = attrs[key];
        else node.setAttribute(key, attrs[key]);
      });
      (children || []).forEach(function (child) {
        if (child != null) node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
      });
      return node;
    },
    /** Runs `start` once the page is parsed (at once if it is already). */
    ready: function (start) {
      if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", start);
      } else {
        start();
      }
    },
    /** A handler that writes an error to the console under `name`: the page goes on without that feature. */
    warn: function (name) {
      return function (error) {
        if (window.console) {
          console.error("loam " + name + ":", error);
        }
      };
    },
    /** Links Loam's stylesheets for what `root` shows (callouts, highlighted code) where the page has not: a link
     *  preview or a past version may show what the page itself has none of. */
    styleFor: function (root) {
      [["callouts.css", ".callout"], ["highlight.css", "[class^='hl-'], [class*=' hl-']"]].forEach(function (pair) {
        var href = base + "static/" + pair[0];
        if (root.querySelector(pair[1]) && !document.querySelector("link[href='" + href + "']")) {
          window.loam.loadStylesheet(href).catch(window.loam.warn(pair[0]));
        }
      });
    },
    graphData: function () {
      if (!graph) {
        graph = fetch(base + "graph.json", { credentials: "same-origin" }).then(function (response) {
          if (!response.ok) {
            throw new Error("graph.json: " + response.status);
          }
          return response.json();
        });
      }
      return graph;
    },
  };
})();

/*
 * Loam: optional theme toggle.
 *
 * Adds a button to the site header that cycles between the system theme ("auto") and a forced
 * light or dark theme. The choice is kept in localStorage and applied as
 * <html data-theme="light|dark">, which style.css understands. Without JavaScript the button never
 * appears and the page simply follows the system preference.
 */
(function () {
  "use strict";

  var KEY = "loam-theme";
  var root = document.documentElement;
  var systemDark = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;

  function load() {
    try {
      var value = window.localStorage.getItem(KEY);
      return value === "light" || value === "dark" ? value : "auto";
    } catch (e) {
      return "auto"; // storage disabled (private mode, file://, strict settings)
    }
  }

  function save(theme) {
    try {
      if (theme === "auto") {
        window.localStorage.removeItem(KEY);
      } else {
        window.localStorage.setItem(KEY, theme);
      }
    } catch (e) {
      /* The choice then lasts for this page only; nothing else to do. */
    }
  }

  function apply(theme) {
    if (theme === "auto") {
      delete root.dataset.theme;
    } else {
      root.dataset.theme = theme;
    }
  }

  // The first click should always change what the reader sees, so leave "auto" towards the
  // opposite of the system theme: auto -> dark -> light -> auto on a light system, and
  // auto -> light -> dark -> auto on a dark one.
  function next(theme) {
    var dark = systemDark !== null && systemDark.matches;
    var order = dark ? ["auto", "light", "dark"] : ["auto", "dark", "light"];
    return order[(order.indexOf(theme) + 1) % order.length];
  }

  var LABELS = { auto: window.loam.word("theme_auto", "Auto"), light: window.loam.word("theme_light", "Light"), dark: window.loam.word("theme_dark", "Dark") };
  var THEME = window.loam.word("theme", "Theme");
  var SWITCH = window.loam.word("switch_to", "Switch to");
  var current = load();
  apply(current);

  function render(button) {
    button.textContent = THEME + ": " + LABELS[current];
    button.setAttribute("aria-label", THEME + ": " + LABELS[current] + ". " + SWITCH + " " + LABELS[next(current)].toLowerCase());
  }

  function mount() {
    var header = document.querySelector(".site-header-inner") || document.querySelector("header");
    if (!header) {
      return;
    }
    // The page's own button (base.html has one, shown before the scripts run), else one made here (a garden's
    // own template without it).
    var button = header.querySelector(".theme-toggle");
    var made = !button;
    if (made) {
      button = document.createElement("button");
      button.type = "button";
      button.className = "theme-toggle";
    }
    button.hidden = false;
    render(button);
    button.addEventListener("click", function () {
      current = next(current);
      apply(current);
      save(current);
      render(button);
    });
    if (made) header.appendChild(button);

    // Keep other open tabs of the site in step.
    window.addEventListener("storage", function (event) {
      if (event.key === KEY || event.key === null) {
        current = load();
        apply(current);
        render(button);
      }
    });
    // The cycle order (and so the label) depends on the system theme.
    if (systemDark !== null && systemDark.addEventListener) {
      systemDark.addEventListener("change", function () {
        render(button);
      });
    }
  }

  window.loam.ready(mount);
})();

/*
 * Parts of a page that only make sense with JavaScript (the note's graph) are marked data-needs-js and hidden in
 * the HTML; with JavaScript on, they show.
 */
(function () {
  "use strict";
  document.querySelectorAll("[data-needs-js]").forEach(function (element) {
    element.hidden = false;
  });
})();

/*
 * Loam: the menu button of narrow screens. Below 1180 px the explorer sits under the page; the button in the
 * header opens it over the page, as a panel, and Escape, the button again or a tap outside closes it. Without
 * JavaScript the button stays hidden and the explorer is where it was.
 */
(function () {
  "use strict";

  var button = document.querySelector(".menu-button");
  var aside = document.getElementById("loam-aside");
  if (!button || !aside) return;
  button.hidden = false;

  function set(open) {
    document.body.classList.toggle("aside-open", open);
    button.setAttribute("aria-expanded", String(open));
  }

  button.addEventListener("click", function (event) {
    event.stopPropagation();
    set(!document.body.classList.contains("aside-open"));
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && document.body.classList.contains("aside-open")) {
      set(false);
      button.focus();
    }
  });
  document.addEventListener("click", function (event) {
    if (document.body.classList.contains("aside-open") && !aside.contains(event.target)) set(false);
  });
})();

/* A code block wider than its box scrolls; one that scrolls can be reached with the keyboard (Tab, then the arrow
 * keys), as WCAG asks: it is made focusable, and only it, so that short blocks add no stops to Tab. Again when
 * the window changes width. */
(function () {
  "use strict";

  function reachable() {
    document.querySelectorAll("pre").forEach(function (pre) {
      var scrolls = pre.scrollWidth > pre.clientWidth + 1;
      if (scrolls && !pre.hasAttribute("tabindex")) {
        pre.setAttribute("tabindex", "0");
        pre.dataset.scrolls = "";
      } else if (!scrolls && "scrolls" in pre.dataset) {
        pre.removeAttribute("tabindex");
        delete pre.dataset.scrolls;
      }
    });
  }

  var timer = 0;
  window.loam.ready(function () {
    reachable();
    window.addEventListener("resize", function () {
      clearTimeout(timer);
      timer = setTimeout(reachable, 150);
    });
  });
})();

/* Scripts a page needs only for some of its parts, loaded when those parts are there (math, diagrams), come near
 * the screen (a note's graph) or are used (search): a note read on a phone fetches none of them. The graph page
 * draws at once. */
(function () {
  "use strict";

  var base = window.loam.base;
  var loading = {};
  function need(name) {
    if (!loading[name]) {
      loading[name] = window.loam.loadScript(base + "static/" + name).catch(window.loam.warn(name));
    }
    return loading[name];
  }
  // For scripts that show what the page did not have when it loaded (a past version's math, in history.js).
  window.loam.need = need;
  window.loam.whenNear = whenNear;
  window.loam.whenAsked = whenAsked;

  /**
   * A part under the page on a narrow screen (the explorer, a note's graph) that waits for the reader: a button
   * `text` in `holder` and, once the reader scrolls, `area` coming near the screen call `then(byKeyboard)` once
   * (byKeyboard: the button had the focus). Returns that start, for other ways in (the menu).
   */
  function whenAsked(area, holder, text, then) {
    var button = window.loam.el("button", { type: "button", class: "show-part", text: text });
    holder.appendChild(button);
    var started = false;
    function start() {
      if (started) return;
      started = true;
      var byKeyboard = document.activeElement === button;
      button.remove();
      window.removeEventListener("scroll", scrolled);
      then(byKeyboard);
    }
    function scrolled() {
      window.removeEventListener("scroll", scrolled);
      whenNear(area, start);
    }
    button.addEventListener("click", start);
    window.addEventListener("scroll", scrolled, { passive: true });
    return start;
  }

  /** Calls `then` once `element` comes within 400 px of the screen (at once without IntersectionObserver). */
  function whenNear(element, then) {
    if (!element || !("IntersectionObserver" in window)) {
      then();
      return;
    }
    var observer = new IntersectionObserver(
      function (entries) {
        if (entries.some(function (entry) { return entry.isIntersecting; })) {
          observer.disconnect();
          then();
        }
      },
      { rootMargin: "400px 0px" }
    );
    observer.observe(element);
  }

  /* Search is a modal dialog: the header's button, "/" or Ctrl-K (Cmd-K) from anywhere but a field opens it with the
   * focus in its box; the rest of the page is inert while it is open, Tab and Shift-Tab go round inside it, and
   * Escape, its close button or a click outside closes it and gives the focus back to where it was. search.js,
   * loaded at the first touch of the button, answers the queries. */
  function searchDialog(box) {
    var button = box.querySelector(".search-button");
    var dialog = box.querySelector(".search-dialog");
    var input = box.querySelector(".search-input");
    if (!input) return;
    box.hidden = false;
    if (!button || !dialog) {
      // A garden's own base.html written before search was a dialog: a box in the header, as it was then.
      input.addEventListener("focus", function () { need("search.js"); }, { once: true });
      document.addEventListener("keydown", function (event) {
        if (shortcut(event)) {
          event.preventDefault();
          input.focus();
          input.select();
        }
      });
      return;
    }
    var opener = null;
    var search = function () { need("search.js"); };
    button.addEventListener("focus", search, { once: true });
    button.addEventListener("pointerenter", search, { once: true });

    function open() {
      search();
      if (!dialog.open) {
        opener = document.activeElement;
        dialog.returnValue = "";
        if (dialog.showModal) dialog.showModal();
        else dialog.setAttribute("open", "");
        document.documentElement.classList.add("search-open");
      }
      input.focus();
      input.select();
    }
    function close() {
      if (dialog.open) dialog.close();
    }
    dialog.addEventListener("close", function () {
      document.documentElement.classList.remove("search-open");
      var back = opener && opener !== document.body && document.contains(opener) ? opener : button;
      opener = null;
      // Closed by following a result (search.js): the focus goes where the page goes, not back.
      if (dialog.returnValue !== "result") back.focus({ preventScroll: true });
    });
    button.addEventListener("click", open);
    var closer = dialog.querySelector(".search-close");
    if (closer) closer.addEventListener("click", close);
    // A click on the backdrop lands on the dialog itself, outside its box.
    dialog.addEventListener("click", function (event) {
      if (event.target !== dialog) return;
      var r = dialog.getBoundingClientRect();
      var inside = event.clientX >= r.left && event.clientX <= r.right && event.clientY >= r.top && event.clientY <= r.bottom;
      if (!inside) close();
    });
    dialog.addEventListener("keydown", function (event) {
      if (event.key === "Escape") {
        // Not the search box's own Escape (which only empties it): one press closes the search.
        event.preventDefault();
        close();
      } else if (event.key === "Tab") {
        var stops = Array.prototype.filter.call(
          dialog.querySelectorAll("input, button, a[href], [tabindex]:not([tabindex='-1'])"),
          function (e) { return !e.disabled && e.getClientRects().length > 0 && e.tabIndex >= 0; }
        );
        if (!stops.length) return;
        var first = stops[0];
        var last = stops[stops.length - 1];
        if (event.shiftKey && document.activeElement === first) {
          event.preventDefault();
          last.focus();
        } else if (!event.shiftKey && document.activeElement === last) {
          event.preventDefault();
          first.focus();
        }
      }
    });
    document.addEventListener("keydown", function (event) {
      if (shortcut(event)) {
        event.preventDefault();
        open();
      }
    });
  }

  /** "/" from anywhere but a field, or Ctrl-K (Cmd-K): go to the search. */
  function shortcut(event) {
    var typing = /^(INPUT|TEXTAREA|SELECT)$/.test(event.target.tagName) || event.target.isContentEditable;
    return (event.key === "/" && !typing) || ((event.key === "k" || event.key === "K") && (event.ctrlKey || event.metaKey));
  }

  /* A note's own graph. Beside the note (the right column of a wide screen) it draws as it comes near the screen.
   * Under the note (a phone, a narrow window) it waits for the reader, so that reading a short note does not
   * fetch the graph's library (170 KB) and data: it draws when the reader scrolls it into view, or taps its
   * button (the way on a page too short to scroll). */
  function localGraph(graph) {
    var load = function () { need("graph.js"); };
    if (window.matchMedia && window.matchMedia("(min-width: 1280px)").matches) {
      whenNear(graph, load);
      return;
    }
    whenAsked(graph, graph, window.loam.word("show_graph", "Show the graph"), function (byKeyboard) {
      load();
      // The focus stays in the graph's section, on its link to the whole graph.
      var open = byKeyboard && graph.parentNode && graph.parentNode.querySelector("a.graph-open");
      if (open) open.focus();
    });
  }

  window.loam.ready(function () {
    var params = new URLSearchParams(location.search);
    if (document.documentElement.hasAttribute("data-history") && (params.has("history") || params.has("at"))) {
      need("history.js");
    }
    if (document.querySelector(".math.math-inline, .math.math-display")) need("math.js");
    if (document.querySelector("pre.mermaid")) need("mermaid.js");
    var graphs = Array.prototype.slice.call(document.querySelectorAll("[data-graph]"));
    if (graphs.some(function (g) { return g.dataset.graph !== "local"; })) {
      need("graph.js");
    } else {
      graphs.forEach(localGraph);
    }
    var box = document.querySelector("[data-search]");
    if (box) searchDialog(box);
  });
})();
