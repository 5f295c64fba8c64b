/*
 * Loam: math typeset with KaTeX (static/vendor/katex/).
 *
 * The build writes $..$ as <span class="math math-inline"> and $$..$$ as <span class="math
 * math-display">, holding MathML with the TeX in <annotation encoding="application/x-tex">: readable
 * with JavaScript off. TeX the build could not turn into MathML is left as text, \(..\) or \[..\], in
 * <span class="math math-inline math-source"> (or math-display). This script typesets both with KaTeX,
 * which draws what MathML in some browsers does not (and the same way in every browser).
 *
 * Nothing loads unless the page has such a span; KaTeX's script and stylesheet then come from the
 * site itself (window.loam.base, from static/loam.js).
 */
(function () {
  "use strict";

  var SELECTOR = ".math.math-inline, .math.math-display";

  /** The TeX of a span: its MathML annotation, or its source text without \( \) or \[ \]. */
  function texOf(span) {
    var annotation = span.querySelector('annotation[encoding="application/x-tex"]');
    if (annotation) {
      return annotation.textContent;
    }
    if (!span.classList.contains("math-source")) {
      return null;
    }
    var text = span.textContent.trim();
    var delimited = /^\\\(([\s\S]*)\\\)$/.exec(text) || /^\\\[([\s\S]*)\\\]$/.exec(text);
    if (delimited) {
      return delimited[1];
    }
    var dollars = /^\$\$([\s\S]*)\$\$$/.exec(text) || /^\$([\s\S]*)\$$/.exec(text);
    return dollars ? dollars[1] : text;
  }

  function typeset(spans) {
    spans.forEach(function (span) {
      var tex = texOf(span);
      if (tex === null) {
        return;
      }
      try {
        window.katex.render(tex, span, {
          displayMode: span.classList.contains("math-display"),
          throwOnError: false,
          output: "htmlAndMathml",
        });
        span.classList.add("math-typeset");
      } catch (error) {
        // KaTeX reports bad TeX in place (throwOnError: false); anything else leaves the span as the
        // build wrote it, which still reads.
        window.loam.warn("math")(error);
      }
    });
  }

  /** Typesets the formulas under `root` (the page; or what a script put in it, history.js's past version). */
  function start(root) {
    var spans = Array.prototype.slice.call((root && root.querySelectorAll ? root : document).querySelectorAll(SELECTOR));
    if (!spans.length) {
      return;
    }
    var base = window.loam.base + "static/vendor/katex/";
    // Typeset once both are in: KaTeX's HTML without its stylesheet shows every formula twice.
    Promise.all([
      window.katex ? Promise.resolve() : window.loam.loadScript(base + "katex.min.js"),
      window.loam.loadStylesheet(base + "katex.min.css"),
    ]).then(function () {
      typeset(spans);
    }, window.loam.warn("math"));
  }

  window.loam.typesetMath = start;
  window.loam.ready(start);
})();
