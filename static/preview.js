/*
 * Loam: link previews.
 *
 * Hovering (or focusing) a link to another page of the garden shows a popover with that page's text, loaded
 * from the built site itself; a link to a heading (`#section`) or a block (`#^id`) shows that section or block.
 * Pages are fetched once and kept for the visit. Links to attachments (images, PDFs) and to other sites get no
 * popover. Without JavaScript, links are plain links.
 */
(function () {
  "use strict";

  var SHOW_DELAY = 300;
  var HIDE_DELAY = 200;
  var pages = new Map();
  var popover = null;
  var current = null;
  var showTimer = 0;
  var hideTimer = 0;
  var parser = new DOMParser();
  var canHover = !window.matchMedia || window.matchMedia("(hover: hover)").matches;

  function isPage(link) {
    if (link.origin !== window.location.origin) return false;
    if (link.closest(".popover, .site-header, .breadcrumbs, .search, .explorer, .toc")) return false;
    // A page's address ends with `/`; anything with an extension is an attachment or a data file.
    return /\/$/.test(link.pathname);
  }

  function fetchPage(pathname) {
    if (!pages.has(pathname)) {
      pages.set(
        pathname,
        fetch(pathname, { credentials: "same-origin" }).then(function (response) {
          if (!response.ok) throw new Error(response.status);
          return response.text().then(function (text) {
            return parser.parseFromString(text, "text/html");
          });
        })
      );
    }
    return pages.get(pathname);
  }

  // The part of the page to show: the section under a heading, a block by its id, or the whole text.
  function excerpt(doc, hash) {
    var content = doc.querySelector("article .content") || doc.querySelector("article");
    if (!content) return null;
    var id = hash ? decodeURIComponent(hash.slice(1)) : "";
    var target = id ? doc.getElementById(id) : null;
    if (!target || !content.contains(target)) return content.cloneNode(true);
    var holder = document.createElement("div");
    var level = /^H([1-6])$/.exec(target.tagName);
    if (!level) {
      holder.appendChild(target.cloneNode(true));
      return holder;
    }
    holder.appendChild(target.cloneNode(true));
    for (var node = target.nextElementSibling; node; node = node.nextElementSibling) {
      var next = /^H([1-6])$/.exec(node.tagName);
      if (next && Number(next[1]) <= Number(level[1])) break;
      holder.appendChild(node.cloneNode(true));
    }
    return holder;
  }

  function title(doc) {
    var heading = doc.querySelector(".page-title");
    return heading ? heading.textContent : doc.title;
  }

  function place(link) {
    var rect = link.getBoundingClientRect();
    var width = Math.min(420, window.innerWidth - 16);
    var left = Math.min(Math.max(8, rect.left), window.innerWidth - width - 8);
    popover.style.width = width + "px";
    popover.style.left = left + window.scrollX + "px";
    var below = rect.bottom + 8;
    var height = popover.offsetHeight;
    var top = below + height > window.innerHeight && rect.top - height - 8 > 0 ? rect.top - height - 8 : below;
    popover.style.top = top + window.scrollY + "px";
  }

  function hide() {
    window.clearTimeout(showTimer);
    if (popover) {
      popover.remove();
      popover = null;
    }
    current = null;
  }

  function show(link) {
    current = link;
    fetchPage(link.pathname)
      .then(function (doc) {
        if (current !== link) return;
        var part = excerpt(doc, link.hash);
        if (!part) return;
        if (popover) popover.remove();
        popover = document.createElement("div");
        popover.className = "popover";
        popover.setAttribute("role", "tooltip");
        var heading = document.createElement("div");
        heading.className = "popover-title";
        heading.textContent = title(doc);
        var body = document.createElement("div");
        body.className = "popover-body content";
        // Ids in the copy would clash with the page's own; the copy is for reading, not for linking into.
        part.querySelectorAll("[id]").forEach(function (el) {
          el.removeAttribute("id");
        });
        while (part.firstChild) body.appendChild(part.firstChild);
        popover.appendChild(heading);
        popover.appendChild(body);
        popover.addEventListener("mouseenter", function () {
          window.clearTimeout(hideTimer);
        });
        popover.addEventListener("mouseleave", later);
        // A section's copy has not the stylesheet links its note has before its first callout or code block.
        window.loam.styleFor(body);
        document.body.appendChild(popover);
        place(link);
        // Math and diagrams in the copy are drawn like the page's own.
        document.dispatchEvent(new CustomEvent("loam:content", { detail: popover }));
      })
      .catch(function () {
        /* a page that cannot be loaded simply gets no preview */
      });
  }

  function later() {
    window.clearTimeout(hideTimer);
    hideTimer = window.setTimeout(hide, HIDE_DELAY);
  }

  function start(event) {
    var link = event.target.closest && event.target.closest("a[href]");
    if (!link || !isPage(link)) return;
    // No preview of the page the reader is on, unless it points at another section of it.
    if (link.pathname === window.location.pathname && !link.hash) return;
    window.clearTimeout(hideTimer);
    if (current === link) return;
    window.clearTimeout(showTimer);
    showTimer = window.setTimeout(function () {
      show(link);
    }, SHOW_DELAY);
  }

  function stop(event) {
    var link = event.target.closest && event.target.closest("a[href]");
    if (!link) return;
    window.clearTimeout(showTimer);
    if (current === link) later();
  }

  if (canHover) {
    document.addEventListener("mouseover", start);
    document.addEventListener("mouseout", stop);
  }
  document.addEventListener("focusin", start);
  document.addEventListener("focusout", stop);
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") hide();
  });
  window.addEventListener("scroll", function () {
    if (popover && current) place(current);
  }, { passive: true });
})();
