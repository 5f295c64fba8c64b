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

  var LABELS = { auto: "Auto", light: "Light", dark: "Dark" };
  var current = load();
  apply(current);

  function render(button) {
    button.textContent = "Theme: " + LABELS[current];
    button.setAttribute("aria-label", "Theme: " + LABELS[current] + ". Switch to " + LABELS[next(current)].toLowerCase());
  }

  function mount() {
    var header = document.querySelector(".site-header-inner") || document.querySelector("header");
    if (!header || header.querySelector(".theme-toggle")) {
      return;
    }
    var button = document.createElement("button");
    button.type = "button";
    button.className = "theme-toggle";
    render(button);
    button.addEventListener("click", function () {
      current = next(current);
      apply(current);
      save(current);
      render(button);
    });
    header.appendChild(button);

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

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", mount);
  } else {
    mount();
  }
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
