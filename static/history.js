/*
 * Loam: a note's history in a built site (`[history] publish = true` in loam.toml).
 *
 * On a note's page whose address asks for a view of its history, shows that view in place of the note's text:
 *   ?history                   its edits, newest first by day, each opening to what it changed;
 *   ?history&from=X&to=Y       two versions compared: word by word in the text as read, line by line in Markdown;
 *   ?history&blame             who wrote each line;
 *   ?at=X                      the page as version X was (rendered here, links resolved by the build against the
 *                              garden as it is, a link to what is gone marked), under a banner naming it.
 * A version is named by its change (the first letters of its hash) or `@TIME`, the version current at that time
 * (seconds since 1970); `from` empty or before the first version compares with nothing.
 *
 * The versions come from the note's file in `_history/` (`_history/NOTE.json`), fetched only when a view
 * is asked for: the newest version whole and each older one as the line edit that makes it from the next
 * (`render/history.rs`). Every difference is made here, so the site holds each note's versions once rather than
 * every comparison of them. The markup is the preview's (`templates/history.html`), so one stylesheet serves both.
 * Without scripts, the note's page is the note's page.
 */
(function () {
  "use strict";

  var params = new URLSearchParams(location.search);
  var wanted = params.has("history") ? "history" : params.has("at") ? "at" : "";
  if (!wanted) return;

  /* How many unchanged words a difference shows on each side of a change (history.rs CONTEXT_WORDS). */
  var CONTEXT_WORDS = 12;
  /* How many unchanged lines the Markdown difference shows around a change. */
  var CONTEXT_LINES = 3;
  var EDITS_PER_PAGE = 50;

  /* The interface's words in the site's language (`_history/_strings.json`). */
  var words = {};
  function word(key, fallback) {
    return words[key] || fallback;
  }

  /* static/loam.js, loaded before. */
  var el = window.loam.el;

  /* ---- Differences ---- */

  /* The shortest edit between two arrays (Myers, O(ND)), after their common start and end: a list of
   * [kind, item] with kind "=" (in both), "-" (only in a), "+" (only in b). */
  function diff(a, b) {
    var start = 0;
    while (start < a.length && start < b.length && a[start] === b[start]) start++;
    var endA = a.length, endB = b.length;
    while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) { endA--; endB--; }
    var x0 = a.slice(start, endA), y0 = b.slice(start, endB);
    var middle = myers(x0, y0);
    var out = [];
    for (var i = 0; i < start; i++) out.push(["=", a[i]]);
    out = out.concat(middle);
    for (var j = endA; j < a.length; j++) out.push(["=", a[j]]);
    return out;
  }

  function myers(a, b) {
    var n = a.length, m = b.length, max = n + m;
    if (n === 0) return b.map(function (t) { return ["+", t]; });
    if (m === 0) return a.map(function (t) { return ["-", t]; });
    var v = new Int32Array(2 * max + 2), trace = [];
    var offset = max + 1;
    for (var d = 0; d <= max; d++) {
      trace.push(v.slice());
      for (var k = -d; k <= d; k += 2) {
        var x = (k === -d || (k !== d && v[offset + k - 1] < v[offset + k + 1])) ? v[offset + k + 1] : v[offset + k - 1] + 1;
        var y = x - k;
        while (x < n && y < m && a[x] === b[y]) { x++; y++; }
        v[offset + k] = x;
        if (x >= n && y >= m) return backtrack(trace, a, b, offset, d);
      }
    }
    return [];
  }

  function backtrack(trace, a, b, offset, d) {
    var out = [], x = a.length, y = b.length;
    for (; d > 0; d--) {
      var v = trace[d], k = x - y;
      var prevK = (k === -d || (k !== d && v[offset + k - 1] < v[offset + k + 1])) ? k + 1 : k - 1;
      var prevX = v[offset + prevK], prevY = prevX - prevK;
      while (x > prevX && y > prevY) { out.push(["=", a[x - 1]]); x--; y--; }
      if (x === prevX) { out.push(["+", b[y - 1]]); y--; } else { out.push(["-", a[x - 1]]); x--; }
    }
    while (x > 0 && y > 0) { out.push(["=", a[x - 1]]); x--; y--; }
    return out.reverse();
  }

  /* Words, runs of white space, and every other character alone (history.rs `tokens`). */
  function tokens(text) {
    return text.match(/[\p{L}\p{N}\p{M}]+|\s+|[^\p{L}\p{N}\p{M}\s]/gu) || [];
  }

  function lines(text) {
    return text.match(/[^\n]*\n|[^\n]+$/g) || [];
  }

  /* A version's text as read, roughly: its properties as written, then its Markdown without the marks that are
   * not read (headings' #, emphasis, links' targets, comments are gone already). */
  function readable(text) {
    var front = "", body = text;
    var m = /^---\n([\s\S]*?)\n---\n?/.exec(text);
    if (m) { front = m[1] + "\n\n"; body = text.slice(m[0].length); }
    body = body
      .replace(/^```[^\n]*\n|^~~~[^\n]*\n/gm, "")
      .replace(/^ {0,3}#{1,6} +/gm, "")
      .replace(/^ {0,3}> ?(\[![^\]]*\][+-]? ?)?/gm, "")
      .replace(/!?\[\[([^\]|#]*)(#[^\]|]*)?\|([^\]]*)\]\]/g, "$3")
      .replace(/!?\[\[([^\]|]*)\]\]/g, function (_, target) { return target.replace(/#\^?/, " › "); })
      .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
      .replace(/(\*\*|__|==|~~)(?=\S)([\s\S]*?\S)\1/g, "$2")
      .replace(/(^|[^\w*])[*_](?=\S)([^*_\n]*?\S)[*_](?=[^\w*]|$)/g, "$1$2")
      .replace(/`([^`\n]+)`/g, "$1");
    return front + body;
  }

  /* The difference word by word, as pieces ["=", text], ["-", text], ["+", text]: each changed stretch as what
   * it removed, then what it put in, white space alone between two changes counted in them ("females" to
   * "female bees" is one change, not two). */
  function wordDiff(old, now) {
    var steps = diff(tokens(old), tokens(now));
    steps.forEach(function (step, i) {
      var changed = function (s) { return s && s[0] !== "="; };
      if (step[0] === "=" && !/\S/.test(step[1]) && changed(steps[i - 1]) && changed(steps[i + 1])) step[0] = "~";
    });
    var pieces = [], removed = "", added = "";
    var same = function (text) {
      var last = pieces[pieces.length - 1];
      if (!text) return;
      if (last && last[0] === "=") last[1] += text;
      else pieces.push(["=", text]);
    };
    var flush = function () {
      // White space both sides of a change end with is unchanged.
      var tail = "";
      while (removed && added && /\s$/.test(removed) && removed.slice(-1) === added.slice(-1)) {
        tail = removed.slice(-1) + tail;
        removed = removed.slice(0, -1);
        added = added.slice(0, -1);
      }
      if (removed) pieces.push(["-", removed]);
      if (added) pieces.push(["+", added]);
      removed = added = "";
      same(tail);
    };
    steps.forEach(function (step) {
      if (step[0] === "-") removed += step[1];
      else if (step[0] === "+") added += step[1];
      else if (step[0] === "~") { removed += step[1]; added += step[1]; }
      else {
        flush();
        same(step[1]);
      }
    });
    flush();
    return pieces;
  }

  function wordsNode(pieces) {
    var box = el("div", { class: "diff diff-text" });
    pieces.forEach(function (piece, i) {
      var kind = piece[0], text = piece[1];
      if (kind === "+") return box.appendChild(el("ins", { text: text }));
      if (kind === "-") return box.appendChild(el("del", { text: text }));
      var starts = [], re = /\S+/g, m;
      while ((m = re.exec(text))) starts.push(m.index);
      var before = i === 0 ? 0 : CONTEXT_WORDS, after = i === pieces.length - 1 ? 0 : CONTEXT_WORDS;
      if (starts.length <= before + after + 4) return box.appendChild(document.createTextNode(text));
      var head = before ? starts[before] : 0, tail = after ? starts[starts.length - after] : text.length;
      if (head) box.appendChild(document.createTextNode(text.slice(0, head)));
      var middle = text.slice(head, tail);
      var words = (middle.match(/\S+/g) || []).length;
      box.appendChild(el("details", { class: "diff-fold" }, [
        el("summary", { text: "… " + words + " " + word("unchanged_words", "unchanged words") + " …" }),
        middle,
      ]));
      if (tail < text.length) box.appendChild(document.createTextNode(text.slice(tail)));
    });
    return box;
  }

  /* The Markdown line by line: tables of hunks with CONTEXT_LINES unchanged lines around the changes. */
  function linesNode(old, now) {
    var steps = diff(lines(old), lines(now)), numbered = [], o = 0, n = 0;
    steps.forEach(function (step) {
      if (step[0] === "=") { o++; n++; numbered.push([step[0], o, n, step[1]]); }
      else if (step[0] === "-") { o++; numbered.push([step[0], o, "", step[1]]); }
      else { n++; numbered.push([step[0], "", n, step[1]]); }
    });
    var keep = numbered.map(function () { return false; });
    numbered.forEach(function (line, i) {
      if (line[0] === "=") return;
      for (var j = Math.max(0, i - CONTEXT_LINES); j <= Math.min(numbered.length - 1, i + CONTEXT_LINES); j++) keep[j] = true;
    });
    var box = el("div", { class: "diff diff-source" }), table = null;
    numbered.forEach(function (line, i) {
      if (!keep[i]) { table = null; return; }
      if (!table) { table = el("table", { class: "diff-lines" }); box.appendChild(table); }
      var kind = { "=": ["same", " "], "-": ["removed", "−"], "+": ["added", "+"] }[line[0]];
      var code = el("code", { text: line[3].replace(/\n$/, "") });
      table.appendChild(el("tr", { class: kind[0] }, [
        el("td", { class: "n", text: String(line[1]) }),
        el("td", { class: "n", text: String(line[2]) }),
        el("td", { class: "sign", text: kind[1] }),
        el("td", {}, [code]),
      ]));
    });
    return box;
  }

  /* ---- Versions ---- */

  /* The versions (oldest first), each with its whole text, from the note's file. */
  function unpack(json) {
    var out = [], newer = null;
    json.versions.forEach(function (version) {
      var text;
      if (newer === null) text = version.text;
      else {
        var from = lines(newer), at = 0, parts = [];
        version.edit.forEach(function (op) {
          if (typeof op === "string") parts.push(op);
          else if (op > 0) { parts.push(from.slice(at, at + op).join("")); at += op; }
          else at -= op;
        });
        text = parts.join("");
      }
      version.whole = text;
      newer = text;
      out.push(version);
    });
    return out.reverse();
  }

  function find(versions, name) {
    if (!name) return null;
    if (name.charAt(0) === "@") {
      var time = Number(name.slice(1)), found = null;
      versions.forEach(function (v) { if (v.time <= time) found = v; });
      return found;
    }
    name = name.toLowerCase();
    for (var i = 0; i < versions.length; i++) if (versions[i].id.indexOf(name) === 0) return versions[i];
    return null;
  }

  /* The edits as the list shows them (history.rs `edits`: one author's saves close together are one), newest
   * first, each with its versions (oldest first) and the version before it. */
  function edits(versions, listed) {
    var at = versions.length;
    return listed.map(function (edit) {
      var steps = versions.slice(at - edit.saves, at);
      at -= edit.saves;
      return { steps: steps, last: steps[steps.length - 1], before: at > 0 ? versions[at - 1] : null, edit: edit };
    });
  }

  function iso(time) { return new Date(time * 1000).toISOString(); }
  function day(time) { return iso(time).slice(0, 10); }
  function clock(time) { return iso(time).slice(11, 16); }
  function author(name) { return name || "—"; }
  function versionName(v) { return v.short + " · " + day(v.time) + " " + clock(v.time) + " · " + author(v.author); }

  /* ---- Views ---- */

  function page(url) {
    var here = location.pathname;
    return here + (url ? "?" + url : "");
  }

  function header(title, current) {
    var noteTitle = document.querySelector("article .page-title");
    var box = el("header", { class: "page-header" }, [
      el("p", { class: "history-of" }, [el("a", { href: location.pathname, text: noteTitle ? noteTitle.textContent : "" })]),
      el("h1", { class: "page-title", text: title }),
    ]);
    var nav = el("nav", { class: "history-views", "aria-label": word("history", "History") });
    [["history", word("history", "History"), "history"], ["blame", word("who_wrote_what", "Who wrote what"), "history&blame"], ["current", word("current_version", "Current version"), ""]]
      .forEach(function (view) {
        var a = el("a", { href: page(view[2]), text: view[1] });
        if (view[0] === current) a.setAttribute("aria-current", "page");
        nav.appendChild(a);
      });
    box.appendChild(nav);
    return box;
  }

  function listView(versions, listed, article) {
    var all = edits(versions, listed);
    var pages = Math.max(1, Math.ceil(all.length / EDITS_PER_PAGE));
    var n = Math.min(pages, Math.max(1, Number(params.get("page")) || 1)) - 1;
    var form = el("form", { class: "history-list", method: "get", action: location.pathname });
    form.appendChild(el("input", { type: "hidden", name: "history", value: "" }));
    form.appendChild(el("p", {}, [el("button", { type: "submit", text: word("compare", "Compare") })]));
    var list = null, lastDay = "";
    all.slice(n * EDITS_PER_PAGE, (n + 1) * EDITS_PER_PAGE).forEach(function (edit, i) {
      var v = edit.last, date = day(v.time);
      if (date !== lastDay) {
        form.appendChild(el("h2", { class: "history-day" }, [el("time", { datetime: date, text: date })]));
        list = el("ol", { class: "history-edits" });
        form.appendChild(list);
        lastDay = date;
      }
      var before = edit.before ? edit.before.short : "";
      var first = i === 0 && n === 0;
      var from = el("input", { type: "radio", name: "from", value: before, "aria-label": word("from_version", "From") + " " + v.short });
      if (!before) from.disabled = true;
      var to = el("input", { type: "radio", name: "to", value: v.short, "aria-label": word("to_version", "To") + " " + v.short });
      if (first) { from.checked = !!before; to.checked = true; }
      var summary = el("summary", {}, [
        el("time", { datetime: iso(v.time), text: clock(v.time) }), " ",
        el("span", { class: "history-author", text: author(v.author) }), " ",
        el("span", { class: "history-summary", text: edit.edit.summary }), " ",
        el("span", { class: "history-size" }, [el("ins", { text: "+" + edit.edit.added }), " ", el("del", { text: "−" + edit.edit.removed })]),
      ]);
      if (edit.steps.length > 1) summary.appendChild(el("span", { class: "history-saves", text: " " + edit.steps.length + " " + word("saves", "saves") }));
      var details = el("details", {}, [summary,
        el("p", { class: "history-read" }, [el("a", { href: page("at=" + v.short), text: word("read_version", "Read this version") })])]);
      var shown = false;
      details.addEventListener("toggle", function () {
        if (!details.open || shown) return;
        shown = true;
        details.appendChild(wordsNode(wordDiff(readable(edit.before ? edit.before.whole : ""), readable(v.whole))));
        if (edit.steps.length > 1) {
          var steps = el("ol", { class: "history-steps" }), previous = before;
          edit.steps.forEach(function (step) {
            var link = page("history&from=" + previous + "&to=" + step.short);
            steps.insertBefore(el("li", {}, [el("a", { href: link }, [el("time", { datetime: iso(step.time), text: clock(step.time) })]), " " + step.summary + " ",
              el("ins", { text: "+" + step.added }), " ", el("del", { text: "−" + step.removed })]), steps.firstChild);
            previous = step.short;
          });
          details.appendChild(steps);
        }
      });
      list.appendChild(el("li", { class: "history-edit" }, [el("span", { class: "history-pick" }, [from, to]), details]));
    });
    article.appendChild(form);
    if (pages > 1) {
      var nav = el("nav", { class: "history-pages", "aria-label": word("history", "History") });
      if (n > 0) nav.appendChild(el("a", { href: page("history" + (n > 1 ? "&page=" + n : "")), rel: "prev", text: word("newer", "Newer") }));
      if (n + 1 < pages) nav.appendChild(el("a", { href: page("history&page=" + (n + 2)), rel: "next", text: word("older", "Older") }));
      article.appendChild(nav);
    }
  }

  function compareView(versions, article, from, to) {
    var old = from ? from.whole : "";
    var section = el("section", { class: "history-compare" });
    var fromPart = from ? el("a", { href: page("at=" + from.short) }, [el("strong", { text: versionName(from) })]) : el("strong", { text: "—" });
    section.appendChild(el("p", { class: "history-versions" }, [word("from_version", "From") + " ", fromPart, " · " + word("to_version", "To") + " ",
      el("a", { href: page("at=" + to.short) }, [el("strong", { text: versionName(to) })])]));
    section.appendChild(el("div", { class: "diff-tabs" }, [el("details", { class: "diff-source-toggle" }, [el("summary", { text: "Markdown" }), linesNode(old, to.whole)])]));
    var text = wordsNode(wordDiff(readable(old), readable(to.whole)));
    text.setAttribute("aria-label", word("text_as_read", "Text as read"));
    section.appendChild(text);
    article.appendChild(section);
  }

  /* Who wrote each line: each line of the newest version goes back through the versions to the one that put it
   * there, line by line (a line changed is the changer's). */
  function blameView(versions, article) {
    var owners = [], previous = [];
    versions.forEach(function (v) {
      var now = lines(v.whole), next = [], at = 0;
      diff(previous, now).forEach(function (step) {
        if (step[0] === "=") next.push(owners[at++]);
        else if (step[0] === "-") at++;
        else next.push(v.author);
      });
      owners = next;
      previous = now;
    });
    var table = el("table", { class: "blame" }), last = null;
    previous.forEach(function (line, i) {
      var text = line.replace(/\n$/, ""), shown = "";
      if (text.trim()) {
        if (owners[i] !== last) shown = author(owners[i]);
        last = owners[i];
      }
      table.appendChild(el("tr", {}, [el("td", { class: "blame-author", text: shown }), el("td", { class: "n", text: String(i + 1) }), el("td", {}, [el("code", { text: text })])]));
    });
    article.appendChild(el("section", { class: "history-blame" }, [table]));
  }

  function show(versions, listed, file) {
    var article = document.querySelector("main article") || document.querySelector("article");
    if (!article) return;
    var view = el("article", { class: "history-page" });
    var blame = params.has("blame"), to = params.get("to");
    if (wanted === "at") {
      var at = find(versions, params.get("at"));
      if (at) return pastVersion(article, versions, at, file);
    }
    if (blame) {
      view.appendChild(header(word("who_wrote_what", "Who wrote what"), "blame"));
      blameView(versions, view);
    } else if (to) {
      var newer = find(versions, to);
      var fromName = params.get("from") || "";
      var older = fromName ? find(versions, fromName) : null;
      view.appendChild(header(word("compare", "Compare"), ""));
      // A version not shown (never published, redacted, mistyped) leaves the list shown instead.
      if (!newer || (fromName && fromName.charAt(0) !== "@" && !older)) listView(versions, listed, view);
      else compareView(versions, view, older, newer);
    } else {
      view.appendChild(header(word("history", "History"), "history"));
      listView(versions, listed, view);
    }
    article.replaceWith(view);
    document.title = view.querySelector(".page-title").textContent + " · " + document.title;
  }

  /* The page as version `at` was: its text rendered (`renderVersion`) in place of the current one, under a banner
   * naming it, with links to the current page, to what changed since and to the history. Headings' outline and
   * the page's dates are today's: the outline goes, the banner gives the version's date. Without the renderer (it
   * failed to load), the text as read, in paragraphs. */
  function pastVersion(article, versions, at, file) {
    var latest = versions[versions.length - 1];
    var old = word("old_version", "Old version");
    var banner = el("aside", { class: "version-banner", role: "note", "aria-label": old }, [
      el("p", {}, [el("strong", { text: old }), ": ", el("time", { datetime: iso(at.time), text: day(at.time) + " " + clock(at.time) }),
        " · " + author(at.author) + " · ", el("code", { text: at.short })]),
      el("p", {}, [el("a", { href: location.pathname, text: word("current_version", "Current version") }), " · ",
        el("a", { href: page("history&from=" + at.short + "&to=" + latest.short), text: word("compare_with_current", "What changed since") }), " · ",
        el("a", { href: page("history"), text: word("history", "History") })]),
    ]);
    var content = article.querySelector(".content");
    if (!content) return;
    var text;
    if (window.markdownit) {
      text = renderVersion(at.whole, file);
      text.className = "content version-text";
      // The `# Title` the text begins with is the page's title, shown once (render/context.rs `note_parts`).
      var heading = text.firstElementChild, title = document.querySelector("h1.page-title");
      if (heading && heading.tagName === "H1" && title && heading.textContent.trim() === title.textContent.trim()) {
        heading.remove();
      }
    } else {
      text = el("div", { class: "content version-text" });
      readable(at.whole).split(/\n{2,}/).forEach(function (block) {
        if (block.trim()) text.appendChild(el("p", { text: block.trim() }));
      });
    }
    content.replaceWith(text);
    // At the start of the text, as the preview's (render/context.rs `note_parts`).
    text.insertBefore(banner, text.firstChild);
    document.querySelectorAll(".toc, nav.toc, aside.toc").forEach(function (toc) { toc.hidden = true; });
    pastMeta(versions, at);
    document.title = old + " · " + document.title;
  }

  /* ---- A past version as its page was ---- */

  /* The page's "last edited" date and contributors as they were at version `at`, as the preview shows them:
   * the date is the note's latest version's where the page shows that one; the contributors, those who had
   * written it so far. */
  function pastMeta(versions, at) {
    var latest = versions[versions.length - 1];
    document.querySelectorAll("main time[datetime]").forEach(function (time) {
      if (Math.floor(Date.parse(time.getAttribute("datetime")) / 1000) !== latest.time) return;
      time.setAttribute("datetime", iso(at.time));
      time.textContent = day(at.time);
    });
    var list = document.querySelector("main .contributors");
    if (!list) return;
    var names = [];
    for (var i = 0; i < versions.length && versions[i - 1] !== at; i++) {
      if (versions[i].author && names.indexOf(versions[i].author) < 0) names.push(versions[i].author);
    }
    var links = {};
    list.querySelectorAll("a").forEach(function (a) { links[a.textContent] = a; });
    var label = list.firstChild && list.firstChild.nodeType === 3 ? list.firstChild.textContent.split(":")[0] : "";
    list.textContent = label ? label + ": " : "";
    names.forEach(function (name, n) {
      if (n) list.appendChild(document.createTextNode(", "));
      list.appendChild(links[name] || document.createTextNode(name));
    });
  }

  /* The version's Markdown rendered as Loam renders a note (markdown-it, `static/vendor/markdown-it/`, with
   * raw HTML off): wikilinks and embeds, Markdown links into the garden, #tags, ==highlights==, callouts and
   * task lists, each link resolved by the build against the garden as it is (`links` in the note's file: a
   * URL, or null for a note that is gone, shown as missing). */
  function renderVersion(text, file) {
    var links = file.links || {}, tags = file.tags || {};
    var body = text.replace(/^---\n[\s\S]*?\n---(\n|$)/, "");
    // Block ids (`^id` at the end of a paragraph) are anchors, not text.
    body = body.replace(/[ \t]\^[A-Za-z0-9-]+[ \t]*$/gm, "");
    var md = window.markdownit({ html: false, linkify: false, breaks: !!file.breaks });
    var normalize = md.normalizeLink;
    md.normalizeLink = function (url) { return isLocal(url) ? url : normalize(url); };
    if (window.markdownitFootnote) md.use(window.markdownitFootnote);
    // Footnotes numbered as markdown.rs numbers them: 1, 2, … without brackets, and no rule above them.
    md.renderer.rules.footnote_caption = function (tokens, i) {
      var m = tokens[i].meta;
      return String(m.id + 1) + (m.subId > 0 ? ":" + m.subId : "");
    };
    md.renderer.rules.footnote_block_open = function () { return '<section class="footnotes">\n<ol>\n'; };
    md.inline.ruler.before("escape", "math", mathRule);
    md.renderer.rules.math = function (tokens, i) {
      var t = tokens[i], display = t.meta.display;
      return '<span class="math ' + (display ? "math-display" : "math-inline") + ' math-source">' +
        md.utils.escapeHtml(display ? "\\[" + t.content + "\\]" : "\\(" + t.content + "\\)") + "</span>";
    };
    md.inline.ruler.before("link", "wikilink", wikilinkRule);
    md.inline.ruler.before("emphasis", "highlight", highlightRule);
    md.inline.ruler.push("tag", tagRule);
    md.renderer.rules.wikilink = function (tokens, i) {
      var m = tokens[i].meta, url = links[m.target];
      var label = m.label != null ? m.label : wikilinkLabel(m.target);
      var esc = md.utils.escapeHtml;
      if (url === undefined || url === null) {
        return '<span class="link-missing" title="' + esc("no note called " + m.target) + '">' + esc(label) + "</span>";
      }
      if (m.embed && /\.(png|jpe?g|gif|webp|svg|avif|bmp)$/i.test(url.split("#")[0])) {
        return '<img class="embed" src="' + esc(url) + '" alt="' + esc(m.label || m.target) + '" loading="lazy">';
      }
      return '<a class="internal" href="' + esc(url) + '">' + esc(label) + "</a>";
    };
    md.renderer.rules.tag = function (tokens, i) {
      var name = tokens[i].content, url = tags[name.toLowerCase()];
      var esc = md.utils.escapeHtml;
      return url ? '<a class="tag" href="' + esc(url) + '">#' + esc(name) + "</a>" : '<span class="tag">#' + esc(name) + "</span>";
    };
    // A Markdown link or image into the garden: where the build says it goes, else shown as missing.
    var closes = [];
    var linkOpen = md.renderer.rules.link_open || function (t, i, o, e, self) { return self.renderToken(t, i, o); };
    md.renderer.rules.link_open = function (tokens, i, options, env, self) {
      var href = tokens[i].attrGet("href") || "";
      if (isLocal(href) && href.charAt(0) !== "#") {
        var url = links[href];
        if (url === undefined || url === null) {
          closes.push("</span>");
          return '<span class="link-missing" title="' + md.utils.escapeHtml("no note called " + href) + '">';
        }
        tokens[i].attrSet("href", url);
        tokens[i].attrJoin("class", "internal");
      }
      closes.push("</a>");
      return linkOpen(tokens, i, options, env, self);
    };
    md.renderer.rules.link_close = function () { return closes.pop() || "</a>"; };
    var image = md.renderer.rules.image;
    md.renderer.rules.image = function (tokens, i, options, env, self) {
      var src = tokens[i].attrGet("src") || "";
      if (isLocal(src)) {
        var url = links[src];
        if (url === undefined || url === null) {
          return '<span class="link-missing">' + md.utils.escapeHtml(tokens[i].content || src) + "</span>";
        }
        tokens[i].attrSet("src", url);
      }
      return image(tokens, i, options, env, self);
    };
    var holder = document.createElement("div");
    holder.innerHTML = md.render(body);
    callouts(holder);
    taskLists(holder);
    window.loam.styleFor(holder);
    // math.js comes where a page has math; this version may have some that today's page has not.
    if (holder.querySelector(".math")) {
      window.loam.need("math.js").then(function () {
        if (window.loam.typesetMath) window.loam.typesetMath(holder);
      });
    }
    return holder;
  }

  /* Whether a link's destination is in the garden (markdown.rs `is_local`): no scheme, not `//host`. */
  function isLocal(dest) {
    if (!dest || dest.indexOf("//") === 0) return false;
    var colon = dest.indexOf(":");
    return colon < 0 || !/^[A-Za-z][A-Za-z0-9+.-]*$/.test(dest.slice(0, colon));
  }

  /* `[[note#heading]]` reads "note > heading"; `[[#heading]]` reads "heading" (markdown.rs `wikilink_label`). */
  function wikilinkLabel(target) {
    if (target.indexOf("#") < 0) return target;
    return target.split("#").map(function (p) { return p.trim(); }).filter(Boolean).join(" > ") || target;
  }

  function wikilinkRule(state, silent) {
    var src = state.src, pos = state.pos, embed = false;
    if (src.charCodeAt(pos) === 0x21) { embed = true; pos++; }
    if (src.charCodeAt(pos) !== 0x5b || src.charCodeAt(pos + 1) !== 0x5b) return false;
    var end = src.indexOf("]]", pos + 2);
    if (end < 0 || end > state.posMax) return false;
    var inner = src.slice(pos + 2, end);
    if (/\n|\[\[/.test(inner)) return false;
    if (!silent) {
      var bar = inner.search(/\\?\|/);
      var token = state.push("wikilink", "", 0);
      token.meta = {
        embed: embed,
        target: (bar < 0 ? inner : inner.slice(0, bar)).trim(),
        label: bar < 0 ? null : inner.slice(bar + (inner.charAt(bar) === "\\" ? 2 : 1)).trim(),
      };
    }
    state.pos = end + 2;
    return true;
  }

  /* `$tex$` (no space inside either dollar) and `$$tex$$`, as markdown.rs reads them; typeset by math.js. */
  function mathRule(state, silent) {
    var src = state.src, start = state.pos;
    if (src.charCodeAt(start) !== 0x24) return false;
    var display = src.charCodeAt(start + 1) === 0x24;
    var open = display ? 2 : 1;
    var end = src.indexOf(display ? "$$" : "$", start + open);
    while (!display && end > 0 && src.charCodeAt(end - 1) === 0x5c) end = src.indexOf("$", end + 1);
    if (end < 0 || end > state.posMax || end === start + open) return false;
    var tex = src.slice(start + open, end);
    if (!display && (/^\s|\s$/.test(tex) || /\d/.test(src.charAt(end + 1)))) return false;
    if (!silent) {
      var token = state.push("math", "", 0);
      token.content = tex.trim();
      token.meta = { display: display };
    }
    state.pos = end + open;
    return true;
  }

  function highlightRule(state, silent) {
    var src = state.src, start = state.pos;
    if (src.charCodeAt(start) !== 0x3d || src.charCodeAt(start + 1) !== 0x3d) return false;
    var end = src.indexOf("==", start + 2);
    if (end < 0 || end > state.posMax || end === start + 2 || /^\s|\s$/.test(src.slice(start + 2, end))) return false;
    if (!silent) {
      var max = state.posMax;
      state.pos = start + 2;
      state.posMax = end;
      state.push("mark_open", "mark", 1);
      state.md.inline.tokenize(state);
      state.push("mark_close", "mark", -1);
      state.posMax = max;
    }
    state.pos = end + 2;
    return true;
  }

  /* `#tag` after white space or at the start, of letters, digits, `_`, `-`, `/`, not digits alone. */
  function tagRule(state, silent) {
    var src = state.src, pos = state.pos;
    if (src.charCodeAt(pos) !== 0x23) return false;
    if (pos > 0 && !/\s/.test(src.charAt(pos - 1))) return false;
    var m = /^[\p{L}\p{N}_\/-]+/u.exec(src.slice(pos + 1, state.posMax));
    if (!m || /^\d+$/.test(m[0])) return false;
    if (!silent) state.push("tag", "", 0).content = m[0];
    state.pos = pos + 1 + m[0].length;
    return true;
  }

  /* `> [!kind] Title` quotes as callouts, with the markup of markdown.rs (`div.callout[data-callout]`). */
  function callouts(root) {
    root.querySelectorAll("blockquote").forEach(function (quote) {
      var first = quote.firstElementChild;
      if (!first || first.tagName !== "P") return;
      var m = /^\[!([^\]]+)\]([+-]?)[ \t]*([^\n]*)\n?/.exec(first.textContent);
      if (!m) return;
      var kind = m[1].trim().toLowerCase();
      var title = m[3].trim() || kind.charAt(0).toUpperCase() + kind.slice(1);
      // The title line out of the first paragraph: the text node it starts with, to its line break.
      var node = first.firstChild;
      var rest = first.textContent.slice(m[0].length);
      if (node && node.nodeType === 3) {
        var nl = node.textContent.indexOf("\n");
        if (nl < 0) {
          first.removeChild(node);
          if (first.firstChild && first.firstChild.nodeName === "BR") first.removeChild(first.firstChild);
          node = first.firstChild;
          if (node && node.nodeType === 3) node.textContent = node.textContent.replace(/^\n/, "");
        } else node.textContent = node.textContent.slice(nl + 1);
      }
      var folds = m[2] !== "";
      var box = el(folds ? "details" : "div", { class: "callout", "data-callout": kind });
      if (folds && m[2] === "+") box.setAttribute("open", "");
      box.appendChild(el(folds ? "summary" : "div", { class: "callout-title" }, [el("span", { class: "callout-title-inner", text: title })]));
      var content = el("div", { class: "callout-content" });
      if (!rest.trim() && !first.querySelector("*")) first.remove();
      while (quote.firstChild) content.appendChild(quote.firstChild);
      box.appendChild(content);
      quote.replaceWith(box);
    });
  }

  /* `- [ ] thing` and `- [x] thing` as checkboxes, as markdown.rs writes them. */
  function taskLists(root) {
    root.querySelectorAll("li").forEach(function (item) {
      var node = item.firstChild;
      if (node && node.nodeName === "P") node = node.firstChild;
      if (!node || node.nodeType !== 3) return;
      var m = /^\[([ xX])\]\s/.exec(node.textContent);
      if (!m) return;
      node.textContent = node.textContent.slice(m[0].length);
      var done = m[1] !== " ";
      var box = el("input", { type: "checkbox", disabled: "", "aria-label": done ? word("task_done", "done") : word("task_todo", "to do") });
      if (m[1] !== " ") box.setAttribute("checked", "");
      node.parentNode.insertBefore(box, node);
      node.parentNode.insertBefore(document.createTextNode(" "), node);
    });
  }

  /* The site's base path (static/loam.js), every URL here starts with. */
  var base = window.loam.base;
  // The views' own stylesheet (the preview's history pages link it in their head).
  window.loam.loadStylesheet(base + "static/history.css").catch(window.loam.warn("history.css"));

  function versionsUrl() {
    var path = location.pathname;
    // render/history.rs `versions_file`: named after the page.
    var rel = (path.indexOf(base) === 0 ? path.slice(base.length) : path.replace(/^\//, "")).replace(/\/+$/, "");
    return base + "_history/" + (rel || "_index") + ".json";
  }

  var json = function (url) {
    return fetch(url).then(function (r) { if (!r.ok) throw new Error(url + ": " + r.status); return r.json(); });
  };
  /* markdown-it, for a past version's page only (`static/vendor/markdown-it/`); a failure leaves it undefined. */
  function renderer() {
    if (wanted !== "at" || window.markdownit) return Promise.resolve();
    var vendor = base + "static/vendor/";
    return window.loam.loadScript(vendor + "markdown-it/markdown-it.min.js")
      .then(function () { return window.loam.loadScript(vendor + "markdown-it-footnote/markdown-it-footnote.min.js"); })
      .catch(function () {});
  }

  Promise.all([json(versionsUrl()), json(base + "_history/_strings.json").catch(function () { return {}; }), renderer()])
    .then(function (got) {
      words = got[1];
      var run = function () { show(unpack(got[0]), got[0].edits, got[0]); };
      if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", run);
      else run();
    })
    .catch(function () {});
})();
