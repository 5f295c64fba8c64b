/*
 * Loam: the table of contents follows the reader.
 *
 * Marks the entry of the section being read (the last heading above the top quarter of the window) with
 * aria-current="location", which style.css highlights. Without JavaScript the table of contents is a plain list
 * of links.
 */
(function () {
  "use strict";

  var toc = document.querySelector(".toc");
  if (!toc) return;
  var entries = [];
  toc.querySelectorAll("a[href^='#']").forEach(function (link) {
    var id;
    try {
      id = decodeURIComponent(link.hash.slice(1));
    } catch (e) {
      id = link.hash.slice(1);
    }
    var heading = document.getElementById(id);
    if (heading) entries.push({ link: link, heading: heading });
  });
  if (!entries.length) return;
  var marked = null;
  var queued = false;

  function update() {
    queued = false;
    var line = window.innerHeight / 4;
    var current = null;
    for (var n = 0; n < entries.length; n++) {
      if (entries[n].heading.getBoundingClientRect().top <= line) current = entries[n];
      else break;
    }
    // At the very end of the page the last sections may never reach the line: the last one is current.
    if (window.innerHeight + window.scrollY >= document.documentElement.scrollHeight - 2) {
      current = entries[entries.length - 1];
    }
    if (current === marked) return;
    if (marked) marked.link.removeAttribute("aria-current");
    if (current) current.link.setAttribute("aria-current", "location");
    marked = current;
  }

  function queue() {
    if (!queued) {
      queued = true;
      window.requestAnimationFrame(update);
    }
  }

  window.addEventListener("scroll", queue, { passive: true });
  window.addEventListener("resize", queue);
  update();
})();
