/*
 * Loam: diagrams drawn with Mermaid (static/vendor/mermaid/).
 *
 * The build writes a ```mermaid block as <pre class="mermaid">source</pre>, which reads as text with
 * JavaScript off. This script draws each one as an SVG in the site's theme, and draws them again when
 * the theme changes (the toggle in loam.js sets <html data-theme>, or the system preference changes),
 * from the source it kept. A diagram Mermaid cannot parse stays as its source text, marked
 * .mermaid-error.
 *
 * Nothing loads unless the page has a pre.mermaid; Mermaid then comes from the site itself
 * (window.loam.base, from static/loam.js). securityLevel "strict" keeps
 * diagrams from running script or carrying HTML.
 */
(function () {
  "use strict";

  var root = document.documentElement;
  var media = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;

  function dark() {
    var theme = root.dataset.theme;
    if (theme) {
      return theme === "dark";
    }
    return media !== null && media.matches;
  }

  function start() {
    var blocks = Array.prototype.slice.call(document.querySelectorAll("pre.mermaid"));
    if (!blocks.length) {
      return;
    }
    var sources = blocks.map(function (block) {
      return block.textContent;
    });
    var drawnTheme = null;
    var queue = Promise.resolve();

    // Draws every diagram in the current theme, one after another; resolves when all are drawn.
    function render() {
      var theme = dark() ? "dark" : "default";
      if (theme === drawnTheme) {
        return Promise.resolve();
      }
      drawnTheme = theme;
      window.mermaid.initialize({ startOnLoad: false, securityLevel: "strict", theme: theme });
      return blocks.reduce(function (done, block, i) {
        return done.then(function () {
          block.removeAttribute("data-processed");
          block.classList.remove("mermaid-error");
          block.textContent = sources[i];
          return window.mermaid.run({ nodes: [block] }).catch(function (error) {
            block.textContent = sources[i];
            block.classList.add("mermaid-error");
            block.title = "This diagram could not be drawn: " + ((error && error.message) || error);
          });
        });
      }, Promise.resolve());
    }

    // A theme change while diagrams are being drawn waits its turn.
    function schedule() {
      queue = queue.then(render).catch(window.loam.warn("mermaid"));
    }

    window.loam.loadScript(window.loam.base + "static/vendor/mermaid/mermaid.min.js").then(
      function () {
        schedule();
        new MutationObserver(schedule).observe(root, { attributes: true, attributeFilter: ["data-theme"] });
        if (media && media.addEventListener) {
          media.addEventListener("change", schedule);
        }
      },
      window.loam.warn("mermaid")
    );
  }

  window.loam.ready(start);
})();
