/*
 * Loam: full-text search.
 *
 * Answers the queries typed in the search dialog (loam.js opens it; [data-search] in base.html) from the
 * index `loam build` writes to <base>static/search/ (src/search.rs): meta.json lists the chunks of the word index
 * by their first and last word; a query downloads only the chunks holding its words, then one bundle of note texts
 * for each result shown, to make its excerpt.
 *
 * Words are folded as the index folds them (lower case, Latin, Greek and Cyrillic accents removed). Each word of a
 * query must be found in a note (the last as a prefix too, as one types); a run of Chinese or Japanese characters
 * must stand side by side. Results are ranked by how rare the words are and where they are: the title first, then
 * aliases and tags, then the text. An excerpt shows the words marked; a match under a heading leads to that section.
 * Up and down arrows move through the results (the box keeps the focus: aria-activedescendant), Enter opens one.
 */
(function () {
  "use strict";

  var box = document.querySelector("[data-search]");
  if (!box) return;
  var input = box.querySelector(".search-input");
  var list = box.querySelector(".search-results");
  if (!input || !list) return;
  var ROOT = window.loam.base + "static/search/";
  var VERSION = 2;
  var MAX_RESULTS = 8;
  var EXCERPT_WORDS = 24;
  // `loam serve` makes the index again after saves: a page kept open checks meta.json this often.
  var RECHECK_MS = 2000;
  var NOT_READY = window.loam.word(
    "search_not_ready",
    "The search index is being made; the search runs again by itself in a moment."
  );
  var FAILED = window.loam.word("search_failed", "The search index could not be loaded.");
  // `loam serve` makes the index when a reader first searches, and answers 503 until it is ready: the search
  // asks again this often, by itself, while its query stands.
  var RETRY_MS = 1000;

  var index = null; // {meta, text, chunks: {}, bundles: {}} of the index loaded
  var loading = null;
  var checked = 0;
  var active = -1;
  var latest = 0;
  var timer = 0;

  // ---- The index's files ----

  // The error of a file that did not come: one being made (503) is asked for again; anything else is not.
  function unready(response) {
    var error = new Error(response.status === 503 ? NOT_READY : FAILED);
    error.retry = response.status === 503;
    return error;
  }

  function fetchMeta() {
    return fetch(ROOT + "meta.json", { cache: "no-cache" }).then(function (response) {
      if (!response.ok) throw unready(response);
      return response.text();
    });
  }

  function load() {
    if (!loading) {
      loading = fetchMeta().then(function (text) {
        var meta = JSON.parse(text);
        if (meta.version !== VERSION) throw new Error("The search index was made by another version of Loam.");
        index = { meta: meta, text: text, chunks: {}, bundles: {} };
        checked = Date.now();
        return index;
      });
      loading.catch(function () {
        // A search that waits for the index says so itself (`run`).
        loading = null;
      });
    }
    return loading;
  }

  // Drops the loaded index when the site has a newer one; this query loads it.
  function checkFresh() {
    if (!index || Date.now() - checked < RECHECK_MS) return Promise.resolve();
    checked = Date.now();
    return fetchMeta()
      .then(function (text) {
        if (text !== index.text) {
          index = null;
          loading = null;
        }
      })
      .catch(function () {
        /* keep the index there is */
      });
  }

  function file(cache, path) {
    if (!cache[path]) {
      cache[path] = fetch(ROOT + path + "?v=" + index.meta.stamp).then(function (response) {
        if (!response.ok) throw unready(response);
        return response.json();
      });
      cache[path].catch(function () {
        delete cache[path];
      });
    }
    return cache[path];
  }

  // The chunks whose words may start with `prefix` (or be `word`, when `prefix` is false), by their first and
  // last words (compared as the index sorts them, by UTF-16 code units, as JavaScript compares strings).
  function chunksFor(word, prefix) {
    var upper = prefix ? word + "\uffff" : word;
    var found = [];
    index.meta.chunks.forEach(function (range, n) {
      if (range[0] <= upper && range[1] >= word) found.push(n);
    });
    return found;
  }

  // The words of the index matching `word` exactly or, with `prefix`, starting with it: [[word, postings], ...].
  function lookup(word, prefix) {
    return Promise.all(
      chunksFor(word, prefix).map(function (n) {
        return file(index.chunks, "index/" + n + ".json");
      })
    ).then(function (chunks) {
      var found = [];
      chunks.forEach(function (entries) {
        entries.forEach(function (entry) {
          if (entry[0] === word || (prefix && entry[0].lastIndexOf(word, 0) === 0)) found.push(entry);
        });
      });
      return found;
    });
  }

  // A word's postings by page: {page: {count, title, meta, body: [positions], positions}}. Pages and the text's
  // positions are written as steps from the one before (see push_word in src/search.rs).
  function pages(flat) {
    var out = {};
    var page = 0;
    for (var i = 0; i < flat.length; ) {
      page += flat[i];
      var count = flat[i + 1];
      var n = flat[i + 2];
      var entry = { count: count, positions: [], title: 0, meta: 0, body: [] };
      var at = 0;
      flat.slice(i + 3, i + 3 + n).forEach(function (p) {
        if (p >= 0) {
          at += p;
          entry.body.push(at);
          entry.positions.push(at);
          return;
        }
        entry.positions.push(p);
        if (p > index.meta.meta) entry.title++;
        else entry.meta++;
      });
      entry.bodyCount = count - entry.title - entry.meta;
      entry.truncated = n < count;
      out[page] = entry;
      i += 3 + n;
    }
    return out;
  }

  // ---- Words, as src/search.rs cuts and folds them ----

  var WORD_CHAR = /[\p{Alphabetic}\p{N}\p{M}]/u;
  var WORD_START = /^[\p{Alphabetic}\p{N}\p{M}]+/u;

  function ideographic(c) {
    var n = c.codePointAt(0);
    return (
      (n >= 0x3040 && n <= 0x30ff) ||
      (n >= 0x31f0 && n <= 0x31ff) ||
      (n >= 0x3400 && n <= 0x4dbf) ||
      (n >= 0x4e00 && n <= 0x9fff) ||
      (n >= 0xf900 && n <= 0xfaff) ||
      (n >= 0xff66 && n <= 0xff9f) ||
      (n >= 0x20000 && n <= 0x3134f)
    );
  }

  function fold(word) {
    return word.toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "");
  }

  // In an English garden words are keyed without their plural ending, by Harman's "S" stemmer, as
  // src/search.rs does (`worms` finds worm, `berries` finds berry).
  function stripPlural(word) {
    if (!index || !index.meta.stem || Array.from(word).length < 4) return word;
    if (/ies$/.test(word) && !/[ea]ies$/.test(word)) return word.slice(0, -3) + "y";
    if (/es$/.test(word) && !/[aeo]es$/.test(word)) return word.slice(0, -1);
    if (/s$/.test(word) && !/[us]s$/.test(word)) return word.slice(0, -1);
    return word;
  }

  // A word as the index keys it.
  function key(word) {
    return stripPlural(fold(word));
  }

  // A query's terms: a word, or a run of Chinese or Japanese characters (a phrase of one-character words).
  function terms(query) {
    var chars = Array.from(query);
    var out = [];
    for (var i = 0; i < chars.length; ) {
      if (!WORD_CHAR.test(chars[i])) {
        i++;
      } else if (ideographic(chars[i])) {
        var run = [];
        for (; i < chars.length && ideographic(chars[i]); i++) run.push(fold(chars[i]));
        out.push({ words: run, phrase: true });
      } else {
        var word = "";
        for (; i < chars.length && WORD_CHAR.test(chars[i]) && !ideographic(chars[i]); i++) word += chars[i];
        out.push({ words: [key(word)], phrase: false });
      }
    }
    return out;
  }

  // A note's text in pieces, one per word: the word, then the spaces and punctuation after it (as src/search.rs
  // cuts it, so the n-th piece is the word at position n).
  function piecesOf(text) {
    var pieces = [];
    var inWord = false;
    Array.from(text).forEach(function (c) {
      var word = WORD_CHAR.test(c);
      if (word && (ideographic(c) || !inWord)) {
        pieces.push(c);
        inWord = !ideographic(c);
      } else {
        inWord = inWord && word;
        if (pieces.length) pieces[pieces.length - 1] += c;
      }
    });
    return pieces;
  }

  // The word a piece of text starts with.
  function pieceWord(piece) {
    var first = String.fromCodePoint(piece.codePointAt(0));
    if (ideographic(first)) return first;
    var match = WORD_START.exec(piece);
    return match ? match[0] : "";
  }

  // ---- Ranking ----

  // A word of the title counts for more than many in the text.
  var FIELD = { title: 10, meta: 5 };

  function fieldScore(entry) {
    return (
      (entry.title ? FIELD.title : 0) +
      (entry.meta ? FIELD.meta : 0) +
      (entry.bodyCount > 0 ? 1 + Math.log(entry.bodyCount) : 0)
    );
  }

  function idf(df) {
    return Math.log(1 + index.meta.pages / df);
  }

  // Scores of one word term by page: {page: {score, words: [matched word], body: [positions]}}.
  function scoreWord(term, prefix) {
    var word = term.words[0];
    // One letter or digit matches only itself: as a prefix it would match a good part of the index.
    return lookup(word, prefix && word.length > 1).then(function (matches) {
      var scores = {};
      matches.forEach(function (match) {
        var byPage = pages(match[1]);
        var pageNumbers = Object.keys(byPage);
        var weight = match[0] === word ? 1 : 0.4 + (0.4 * word.length) / match[0].length;
        var rarity = idf(pageNumbers.length);
        pageNumbers.forEach(function (page) {
          var entry = byPage[page];
          var score = weight * rarity * fieldScore(entry);
          var seen = scores[page];
          if (!seen) seen = scores[page] = { score: 0, words: [], body: [] };
          seen.score = Math.max(seen.score, score);
          seen.words.push(match[0]);
          seen.body = seen.body.concat(entry.body);
        });
      });
      return scores;
    });
  }

  // Whether the characters of a phrase stand side by side: in the text positions count up, in the title and
  // metadata they count down.
  function adjacent(entries) {
    return entries[0].positions.some(function (start) {
      var step = start >= 0 ? 1 : -1;
      return entries.every(function (entry, k) {
        return entry.positions.indexOf(start + step * k) !== -1;
      });
    });
  }

  // Scores of a run of Chinese or Japanese characters by page, where they stand side by side.
  function scorePhrase(term) {
    return Promise.all(
      term.words.map(function (word) {
        return lookup(word, false);
      })
    ).then(function (found) {
      var scores = {};
      if (
        found.some(function (matches) {
          return !matches.length;
        })
      ) {
        return scores;
      }
      var byChar = found.map(function (matches) {
        return pages(matches[0][1]);
      });
      var rarity = byChar.reduce(function (sum, byPage) {
        return sum + idf(Object.keys(byPage).length);
      }, 0);
      Object.keys(byChar[0]).forEach(function (page) {
        var entries = byChar.map(function (byPage) {
          return byPage[page];
        });
        if (
          entries.some(function (entry) {
            return !entry;
          })
        ) {
          return;
        }
        var together = adjacent(entries);
        // Only the first positions of a common character are kept: if they do not show the phrase, it may
        // still be further on, so the note stays, ranked low.
        var unsure =
          !together &&
          entries.some(function (entry) {
            return entry.truncated;
          });
        if (!together && !unsure) return;
        var starts = entries[0].body.filter(function (p) {
          return entries.every(function (entry, k) {
            return entry.body.indexOf(p + k) !== -1;
          });
        });
        scores[page] = {
          score: rarity * fieldScore(entries[0]) * (together ? 1 : 0.2),
          words: [],
          phrase: term.words,
          body: starts.length ? starts : entries[0].body,
        };
      });
      return scores;
    });
  }

  function search(query) {
    var parts = terms(query);
    if (!parts.length) return Promise.resolve([]);
    var typing = !/\s$/.test(query);
    return Promise.all(
      parts.map(function (term, n) {
        return term.phrase ? scorePhrase(term) : scoreWord(term, typing || n < parts.length - 1);
      })
    ).then(function (perTerm) {
      // Every term must be found in a note.
      var results = Object.keys(perTerm[0])
        .filter(function (page) {
          return perTerm.every(function (scores) {
            return scores[page];
          });
        })
        .map(function (page) {
          var hits = perTerm.map(function (scores) {
            return scores[page];
          });
          return {
            page: Number(page),
            hits: hits,
            score: hits.reduce(function (sum, hit) {
              return sum + hit.score;
            }, 0),
          };
        });
      results.sort(function (a, b) {
        return b.score - a.score || a.page - b.page;
      });
      return results.slice(0, MAX_RESULTS);
    });
  }

  // ---- Results ----

  function fragment(page) {
    var size = index.meta.bundle;
    return file(index.bundles, "text/" + Math.floor(page / size) + ".json").then(function (bundle) {
      return bundle[page % size];
    });
  }

  // Where the excerpt goes: the position in the text where most of the terms are found close together.
  function focus(result) {
    var best = null;
    var bestTerms = 0;
    result.hits.forEach(function (hit) {
      hit.body.forEach(function (p) {
        var near = result.hits.filter(function (other) {
          return other.body.some(function (q) {
            return q >= p && q < p + EXCERPT_WORDS - 6;
          });
        }).length;
        if (near > bestTerms || (near === bestTerms && p < best)) {
          best = p;
          bestTerms = near;
        }
      });
    });
    return best;
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  // The pieces around `at` (or the start), with the matched words marked.
  function excerpt(result, pieces, at) {
    var start = at === null ? 0 : Math.max(0, at - 6);
    var end = Math.min(pieces.length, start + EXCERPT_WORDS);
    // Without a prototype: a note's word may be "constructor".
    var words = Object.create(null);
    var phrases = [];
    result.hits.forEach(function (hit) {
      hit.words.forEach(function (word) {
        words[word] = true;
      });
      if (hit.phrase) phrases.push(hit.phrase);
    });
    var marked = [];
    for (var i = start; i < end; i++) {
      if (words[key(pieceWord(pieces[i]))]) marked[i] = true;
      phrases.forEach(function (phrase) {
        var whole = phrase.every(function (c, k) {
          return i + k < pieces.length && fold(pieceWord(pieces[i + k])) === c;
        });
        if (whole) {
          phrase.forEach(function (_, k) {
            marked[i + k] = true;
          });
        }
      });
    }
    var out = element("span", "search-excerpt");
    if (start > 0) out.appendChild(document.createTextNode("\u2026 "));
    var mark = null;
    for (var j = start; j < end; j++) {
      var piece = pieces[j];
      if (marked[j]) {
        var word = pieceWord(piece);
        if (!mark) mark = out.appendChild(element("mark"));
        mark.textContent += word;
        var rest = piece.slice(word.length);
        if (rest) {
          out.appendChild(document.createTextNode(rest));
          mark = null;
        }
      } else {
        mark = null;
        out.appendChild(document.createTextNode(piece));
      }
    }
    if (end < pieces.length) out.appendChild(document.createTextNode(" \u2026"));
    return out;
  }

  // The heading the excerpt's words stand under, if any: [position, id, title].
  function section(anchors, at) {
    var found = null;
    if (at === null) return null;
    anchors.forEach(function (anchor) {
      if (anchor[0] <= at) found = anchor;
    });
    return found;
  }

  function items() {
    return Array.prototype.slice.call(list.querySelectorAll("[role=option]"));
  }

  function select(n) {
    var options = items();
    if (!options.length) {
      active = -1;
      input.removeAttribute("aria-activedescendant");
      return;
    }
    active = (n + options.length) % options.length;
    options.forEach(function (option, k) {
      option.setAttribute("aria-selected", k === active ? "true" : "false");
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

  var status = box.querySelector(".search-status");

  function show(results, message) {
    // Said by screen readers: how many notes match, or why none are shown.
    if (status) {
      status.textContent = message || window.loam.word("search_results", "Search results") + ": " + results.length;
    }
    list.textContent = "";
    if (message) list.appendChild(element("p", "search-message", message));
    results.forEach(function (shown, n) {
      var result = shown.result;
      var note = shown.note;
      var pieces = piecesOf(note.text);
      var at = focus(result);
      // Only a huge note's first words are kept for excerpts: a match past them shows the note's start.
      if (at !== null && at >= pieces.length) at = null;
      var link = element("a", "search-result");
      link.href = window.loam.base + note.url;
      link.id = "loam-search-result-" + n;
      link.setAttribute("role", "option");
      link.setAttribute("aria-selected", "false");
      // Not a stop of its own for Tab: the arrows choose among the results, from the box.
      link.tabIndex = -1;
      link.appendChild(element("span", "search-title", note.title || note.url));
      var heading = section(note.anchors, at);
      if (heading) {
        link.href += "#" + encodeURIComponent(heading[1]);
        link.appendChild(element("span", "search-section", heading[2]));
      }
      link.appendChild(excerpt(result, pieces, at));
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
    var query = input.value;
    var ticket = ++latest;
    if (!query.trim()) {
      close();
      return;
    }
    checkFresh()
      .then(load)
      .then(function () {
        return search(query);
      })
      .then(function (results) {
        if (ticket !== latest) return null;
        return Promise.all(
          results.map(function (result) {
            return fragment(result.page).then(function (note) {
              return { result: result, note: note };
            });
          })
        );
      })
      .then(function (shown) {
        // null: a newer query replaced this one while it waited.
        if (!shown || ticket !== latest) return;
        show(shown, shown.length ? null : window.loam.word("no_matches", "No notes match") + " \u201c" + query.trim() + "\u201d.");
        list.dataset.query = query.trim();
        list.dataset.state = "done";
      })
      .catch(function (error) {
        if (ticket !== latest) return;
        // A chunk missing: `loam serve` is making a new index, or the site was published halfway.
        index = null;
        loading = null;
        var retry = Boolean(error && error.retry);
        show([], (error && error.message) || FAILED);
        list.dataset.state = retry ? "waiting" : "failed";
        if (retry) {
          clearTimeout(timer);
          timer = setTimeout(function () {
            if (ticket === latest && input.value === query) run();
          }, RETRY_MS);
        }
      });
  }

  // Typing fast asks for one search, when the typing pauses.
  function later() {
    clearTimeout(timer);
    timer = setTimeout(run, 60);
  }

  // How the index's words are cut and folded, for tests that check this file against src/search.rs.
  window.loam.search = { load: load, key: key, terms: terms, pieces: piecesOf };

  input.addEventListener("focus", load);
  input.addEventListener("input", later);
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
        leave();
        window.location.href = chosen.href;
      }
    }
  });
  // A result may be a section of the page being read: the dialog closes before the page moves to it.
  list.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("a")) leave();
  });

  function leave() {
    var dialog = box.querySelector(".search-dialog");
    if (dialog && dialog.open) dialog.close("result");
  }
  // Loaded when the reader first used the box (loam.js): what they have typed meanwhile is searched.
  if (document.activeElement === input) {
    load();
    if (input.value.trim()) later();
  }
})();
