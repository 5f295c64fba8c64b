/*
 * Loam: the graph view, drawn on a canvas with force-graph (static/vendor/force-graph/).
 *
 * What the page provides:
 * - <html data-base="/garden/">: the site's base path (window.loam.base, from static/loam.js);
 * - the data at ${base}graph.json: {"nodes":[{"title","url","tags":[tag index...]}...],
 *   "links":[[from node index, to node index]...], "tags":["name"...]}, and optionally "tag_urls"
 *   (each tag's page, parallel to "tags"); node urls already include the base path;
 * - <div class="graph graph-global" data-graph="global"></div> on the graph page: every note, pan and
 *   zoom, hover to see a note's title and neighbours, click to open it, and a "Show tags" switch;
 * - <div class="graph graph-local" data-graph="local"></div> on a note page: the note (found by
 *   location.pathname) and its neighbours one link away in either direction (two when that is at most
 *   LOCAL_TWO_STEPS notes), kept framed while it settles, each label shown only where it overlaps none. An ancestor marked [data-needs-js] is shown once there is something
 *   to draw. An a.graph-open near it (or anywhere on the page) leads to the whole graph; one is added
 *   after the container when there is none.
 *
 * Nothing loads unless the page has a [data-graph] element; force-graph and graph.json are then fetched
 * once, from the site itself (graph.json through window.loam.graphData(), a promise of the parsed file
 * that explorer.js shares; the data in it is never changed). Colours come from the --loam-graph-* custom properties of style.css, so
 * both themes look right, and are read again when the theme changes.
 *
 * For tests and the benchmark (bench/graph-first-draw.mjs), the first graph drawn sets
 * window.loamGraph = {kind, nodes, links, firstDraw, settled, screenCoords(url)} and, on its container,
 * data-nodes="<count>" and data-ready="1" (data-settled="1" once the layout has stopped moving);
 * performance marks loam-graph:loaded, :prepared and :first-draw time the steps.
 *
 * Why it is built the way it is: the global graph must stay smooth at 10,000 notes and 50,000 links.
 * force-graph runs the layout (d3-force), pan, zoom, drag and hit-testing; this script draws the
 * picture itself, links in one stroke and nodes in one path per colour (force-graph would fill each
 * node and group every link by colour on every frame), with labels only when few nodes are in view.
 * The links go to the layout straight, not through force-graph's data, which would give each of them a
 * hit-testing colour and scan them all on every frame. The layout starts from a deterministic spiral in
 * breadth-first order, so the first frame is already a picture and needs no layout tick, and it cools
 * in a few seconds; hit-testing starts after the first frame.
 */
(function () {
  "use strict";

  var root = document.documentElement;
  var TAU = 2 * Math.PI;
  var GOLDEN_ANGLE = Math.PI * (3 - Math.sqrt(5));
  // Up to this many nodes a graph is small: longer links and stronger repulsion spread it out, so
  // that its labels can be read. Larger graphs are packed tighter, for a picture of the whole.
  var SMALL = 300;
  // The local graph shows the note's neighbours, and theirs too when that is at most this many notes: a
  // sidebar's box holds about that many readable labels.
  var LOCAL_TWO_STEPS = 24;
  // Labels are drawn for every node in view only when at most this many are in view.
  var LABEL_LIMIT = 150;
  // Neighbours of the hovered node get labels only when there are at most this many.
  var NEIGHBOUR_LABEL_LIMIT = 40;
  // The most a graph is zoomed in to fit it in its box: a few notes stay small dots, not discs.
  var MAX_FIT_ZOOM = 2;

  var SETTINGS = {
    global: { nodeSize: 2.5, linkWidth: 0.5 },
    local: { nodeSize: 3, linkWidth: 1 },
  };

  var loaded = null;
  function loadLibraryAndData(base) {
    if (!loaded) {
      var library = window.ForceGraph
        ? Promise.resolve()
        : window.loam.loadScript(base + "static/vendor/force-graph/force-graph.min.js");
      // One download for the page: the explorer (explorer.js) reads graph.json too, through the same
      // promise. Neither script may change what it resolves to.
      var data = window.loam.graphData();
      loaded = Promise.all([library, data]).then(function (both) {
        return both[1];
      });
    }
    return loaded;
  }

  /** A performance mark (loam-graph:NAME) for the benchmark's breakdown of the first draw. */
  function mark(name) {
    if (window.performance && performance.mark) {
      performance.mark("loam-graph:" + name);
    }
  }

  // ------------------------------------------------------------------ data

  /** A page's path as the graph compares it: decoded, NFC, without a trailing index.html. */
  function pathKey(url) {
    var path = new URL(url, location.href).pathname;
    try {
      path = decodeURIComponent(path);
    } catch (e) {
      /* Malformed percent-encoding: compare it as it is. */
    }
    if (path.normalize) {
      path = path.normalize("NFC");
    }
    return path.replace(/index\.html$/, "");
  }

  /**
   * The notes as node objects (id = position in graph.json) with their degree, the links that point
   * at two different real nodes, and each node's neighbours (indexes) in either direction.
   */
  function prepare(data) {
    var raw = Array.isArray(data.nodes) ? data.nodes : [];
    var count = raw.length;
    var nodes = new Array(count);
    var neighbours = new Array(count);
    var placed = 0;
    for (var i = 0; i < count; i++) {
      var n = raw[i] || {};
      nodes[i] = {
        id: i,
        title: String(n.title || n.url || ""),
        url: typeof n.url === "string" ? n.url : null,
        tags: Array.isArray(n.tags) ? n.tags : [],
        degree: 0,
      };
      // Where the build placed it (a large garden: src/render/layout.rs).
      if (Number.isFinite(n.x) && Number.isFinite(n.y)) {
        nodes[i].x = n.x;
        nodes[i].y = n.y;
        placed++;
      }
      neighbours[i] = [];
    }
    var pairs = [];
    var links = Array.isArray(data.links) ? data.links : [];
    for (i = 0; i < links.length; i++) {
      var from = links[i] && links[i][0];
      var to = links[i] && links[i][1];
      if (from === to || !(from >= 0 && from < count && to >= 0 && to < count && from % 1 === 0 && to % 1 === 0)) {
        continue;
      }
      pairs.push(links[i]);
      neighbours[from].push(to);
      neighbours[to].push(from);
      nodes[from].degree++;
      nodes[to].degree++;
    }
    var tags = Array.isArray(data.tags) ? data.tags.map(String) : [];
    var tagUrls = Array.isArray(data.tag_urls) ? data.tag_urls : [];
    return {
      nodes: nodes,
      pairs: pairs,
      neighbours: neighbours,
      tags: tags,
      tagUrls: tagUrls,
      placed: count > 0 && placed === count,
    };
  }

  /**
   * All node indexes in breadth-first order, each component started from its best-linked note, so
   * that hubs sit in the middle of the spiral and linked notes near each other.
   */
  function breadthFirst(nodes, neighbours) {
    var count = nodes.length;
    var seen = new Uint8Array(count);
    var starts = nodes.map(function (node) {
      return node.id;
    });
    starts.sort(function (a, b) {
      return nodes[b].degree - nodes[a].degree || a - b;
    });
    var order = new Array(count);
    var length = 0;
    for (var s = 0; s < count; s++) {
      if (seen[starts[s]]) {
        continue;
      }
      seen[starts[s]] = 1;
      order[length++] = starts[s];
      for (var head = length - 1; head < length; head++) {
        var next = neighbours[order[head]];
        for (var k = 0; k < next.length; k++) {
          if (!seen[next[k]]) {
            seen[next[k]] = 1;
            order[length++] = next[k];
          }
        }
      }
    }
    return order;
  }

  /** The note's index and those up to `depth` links away in either direction, in breadth-first order. */
  function around(start, neighbours, depth) {
    var seen = new Set([start]);
    var frontier = [start];
    for (var d = 1; d <= depth; d++) {
      var next = [];
      frontier.forEach(function (index) {
        neighbours[index].forEach(function (other) {
          if (!seen.has(other)) {
            seen.add(other);
            next.push(other);
          }
        });
      });
      frontier = next;
    }
    return seen;
  }

  /**
   * How the layout of `count` nodes is tuned: link length, node charge, spiral spacing, and how fast
   * it cools. A large layout starts from a spiral that is already a picture and cools in about 80
   * ticks (alpha 1 to 0.002), a few seconds even when a tick takes tens of milliseconds; a small one
   * is cheap, and cools more slowly for a gentler settling.
   */
  function layoutFor(count) {
    var small = count <= SMALL;
    return {
      distance: small ? 45 : 21,
      charge: small ? -150 : -25,
      spacing: small ? 30 : 14,
      alphaDecay: small ? 0.04 : 0.075,
      velocityDecay: small ? 0.4 : 0.5,
    };
  }

  /** Places nodes on a golden-angle spiral in the given order; returns the spiral's radius. */
  function seed(ordered) {
    var spacing = layoutFor(ordered.length).spacing;
    for (var i = 0; i < ordered.length; i++) {
      var r = spacing * Math.sqrt(i + 0.5);
      ordered[i].x = r * Math.cos(i * GOLDEN_ANGLE);
      ordered[i].y = r * Math.sin(i * GOLDEN_ANGLE);
    }
    return spacing * Math.sqrt(ordered.length + 0.5);
  }

  // ------------------------------------------------------------------ colours

  var probe = document.createElement("canvas").getContext("2d");

  /** `color` (any CSS colour) with its alpha multiplied by `alpha`, as an rgba() string. */
  function withAlpha(color, alpha) {
    probe.fillStyle = "#000";
    probe.fillStyle = color;
    var value = String(probe.fillStyle);
    if (value.charAt(0) === "#") {
      var r = parseInt(value.slice(1, 3), 16);
      var g = parseInt(value.slice(3, 5), 16);
      var b = parseInt(value.slice(5, 7), 16);
      return "rgba(" + r + "," + g + "," + b + "," + alpha + ")";
    }
    var parts = value.match(/[\d.]+/g) || [0, 0, 0, 1];
    var a = parts.length > 3 ? parseFloat(parts[3]) : 1;
    return "rgba(" + parts[0] + "," + parts[1] + "," + parts[2] + "," + a * alpha + ")";
  }

  function readColours() {
    var style = getComputedStyle(root);
    function read(name, fallback) {
      return style.getPropertyValue(name).trim() || fallback;
    }
    var colours = {
      node: read("--loam-graph-node", "#7a8088"),
      link: read("--loam-graph-link", "rgba(88, 94, 102, 0.28)"),
      current: read("--loam-graph-current", "#256245"),
      tag: read("--loam-graph-tag", "#a05a00"),
      label: read("--loam-graph-label", "#1e2023"),
      bg: read("--loam-graph-bg", read("--bg-raised", "#ffffff")),
    };
    colours.linkDim = withAlpha(colours.link, 0.3);
    colours.linkHot = withAlpha(colours.current, 0.8);
    return colours;
  }

  var themeListeners = [];
  function onThemeChange(listener) {
    if (!themeListeners.length) {
      var notify = function () {
        themeListeners.forEach(function (fn) {
          fn();
        });
      };
      new MutationObserver(notify).observe(root, { attributes: true, attributeFilter: ["data-theme"] });
      var media = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;
      if (media && media.addEventListener) {
        media.addEventListener("change", notify);
      }
    }
    themeListeners.push(listener);
  }

  // ------------------------------------------------------------------ drawing

  var firstGraph = null;

  /**
   * d3's link force (force-graph's own instance) fed with link objects whose ends are already node
   * objects, so that force-graph never sees the links. The links are taken in when the layout is
   * given its nodes, so that new links never meet the previous nodes.
   */
  function linkForce(inner) {
    var links = [];
    function force(alpha) {
      inner(alpha);
    }
    force.initialize = function (nodes, random) {
      inner.links([]);
      inner.initialize(nodes, random);
      inner.links(links);
    };
    force.setLinks = function (list) {
      links = list;
    };
    return force;
  }

  /**
   * Draws `view` ({nodes, links, current, radius}: node objects placed by `seed`, link objects
   * {source, target} between them, the current note's node or null, the spiral's radius) in
   * `container`, with the settings of its kind (global or local). Returns {setData(nodes, links)},
   * which shows other nodes and links in the same place.
   */
  function draw(container, kind, view) {
    var settings = SETTINGS[kind];
    var colours = readColours();
    var host = document.createElement("div");
    host.className = "graph-canvas";
    // The drawing is an image to a screen reader, named by what it shows: a note's graph lists the notes it
    // links with (the text alternative; the links themselves are in the page), the whole garden's how many notes
    // it holds (each is in the explorer and on its folder's page). The controls beside it stay controls.
    if (container.dataset.label) {
      var shown = view.nodes.filter(function (node) {
        return node !== view.current && node.title;
      });
      var label = kind === "local"
        ? container.dataset.label + ": " + shown.slice(0, 40).map(function (node) { return node.title; }).join(", ")
        : container.dataset.label + " (" + view.nodes.length + ")";
      host.setAttribute("role", "img");
      host.setAttribute("aria-label", label);
    }
    container.appendChild(host);

    var state = {
      nodes: view.nodes,
      links: view.links,
      hovered: null,
      lit: null, // the hovered node and its neighbours
      touched: false, // the reader panned or zoomed: leave the view alone
      drawn: false,
      moving: false, // the layout was started (after the first frame)
      settled: false,
      labels: [], // the boxes of the labels drawn in the last frame
    };

    function radius(node) {
      // Better linked notes are bigger, up to a point: a hub of a thousand links is not a planet.
      return settings.nodeSize * (node.tag !== undefined ? 1.6 : 1 + Math.min(Math.sqrt(node.degree || 0), 8) * 0.3);
    }

    // Only asked on hover, so a scan of the links costs less than keeping lists.
    function neighboursOf(node) {
      var near = [];
      state.links.forEach(function (link) {
        if (link.source === node) {
          near.push(link.target);
        } else if (link.target === node) {
          near.push(link.source);
        }
      });
      return near;
    }

    var graph = new window.ForceGraph(host);
    var springs = graph.d3Force("link");
    var links = linkForce(springs);
    links.setLinks(state.links);
    var layout = layoutFor(state.nodes.length);
    springs.distance(layout.distance);
    graph.d3Force("link", null).d3Force("notes", links);
    // Far nodes need not push each other, which keeps a large layout compact; and a coarser
    // Barnes-Hut approximation (theta) halves the cost of a tick, the most of a frame at 10,000 nodes.
    graph.d3Force("charge").strength(layout.charge).distanceMax(400).theta(1.5);

    // force-graph paints the next frame when a drawing setting is set, even to the value it has.
    function redraw() {
      graph.nodeRelSize(settings.nodeSize);
    }

    function viewport(scale) {
      var topLeft = graph.screen2GraphCoords(0, 0);
      var margin = 20 / scale;
      return {
        x0: topLeft.x - margin,
        y0: topLeft.y - margin,
        x1: topLeft.x + graph.width() / scale + margin,
        y1: topLeft.y + graph.height() / scale + margin,
      };
    }

    /** Every link in one stroke (the hovered node's in a second one), leaving out those wholly out of view. */
    function strokeLinks(ctx, scale, box) {
      var hovered = state.hovered;
      var hot = [];
      ctx.beginPath();
      for (var i = 0; i < state.links.length; i++) {
        var a = state.links[i].source;
        var b = state.links[i].target;
        if (hovered && (a === hovered || b === hovered)) {
          hot.push(a, b);
          continue;
        }
        if (
          (a.x < box.x0 && b.x < box.x0) ||
          (a.x > box.x1 && b.x > box.x1) ||
          (a.y < box.y0 && b.y < box.y0) ||
          (a.y > box.y1 && b.y > box.y1)
        ) {
          continue;
        }
        ctx.moveTo(a.x, a.y);
        ctx.lineTo(b.x, b.y);
      }
      ctx.lineWidth = settings.linkWidth / scale;
      ctx.strokeStyle = hovered ? colours.linkDim : colours.link;
      ctx.stroke();
      if (hot.length) {
        ctx.beginPath();
        for (i = 0; i < hot.length; i += 2) {
          ctx.moveTo(hot[i].x, hot[i].y);
          ctx.lineTo(hot[i + 1].x, hot[i + 1].y);
        }
        ctx.lineWidth = (2 * settings.linkWidth) / scale;
        ctx.strokeStyle = colours.linkHot;
        ctx.stroke();
      }
    }

    /** The nodes of `list` as one path, filled once; never smaller than about a pixel. */
    function fill(ctx, list, colour, scale) {
      if (!list.length) {
        return;
      }
      var minimum = 1.2 / scale;
      ctx.beginPath();
      for (var i = 0; i < list.length; i++) {
        var node = list[i];
        var r = Math.max(radius(node), minimum);
        ctx.moveTo(node.x + r, node.y);
        ctx.arc(node.x, node.y, r, 0, TAU);
      }
      ctx.fillStyle = colour;
      ctx.fill();
    }

    /**
     * The labels of `list` (most wanted first: {node, bold, always}), each under its node and kept inside the
     * frame, leaving out any that would overlap one already drawn, so that every label shown can be read.
     */
    function labels(ctx, list, scale) {
      var topLeft = graph.screen2GraphCoords(0, 0);
      var left = topLeft.x;
      var right = topLeft.x + graph.width() / scale;
      var gap = 3 / scale;
      var height = 15 / scale;
      var placed = [];
      ctx.lineWidth = 3 / scale;
      list.forEach(function (item) {
        var node = item.node;
        var text = node.title.length > 48 ? node.title.slice(0, 47) + "…" : node.title;
        ctx.font = (item.bold ? "600 " : "") + 12 / scale + "px system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
        var room = right - left - 4 * gap;
        var width = ctx.measureText(text).width;
        // A title wider than the frame is shortened to fit it.
        for (var cut = text.length - 1; width > room && cut > 1; cut--) {
          text = node.title.slice(0, cut) + "…";
          width = ctx.measureText(text).width;
        }
        var half = width / 2;
        var x = Math.min(Math.max(node.x, left + half + gap), right - half - gap);
        var y = node.y + Math.max(radius(node), 1.2 / scale) + gap;
        var box = { x0: x - half - gap, x1: x + half + gap, y0: y - gap, y1: y + height };
        var overlaps = placed.some(function (other) {
          return box.x0 < other.x1 && other.x0 < box.x1 && box.y0 < other.y1 && other.y0 < box.y1;
        });
        if (overlaps && !item.always) {
          return;
        }
        box.text = text;
        placed.push(box);
        ctx.strokeText(text, x, y);
        ctx.fillText(text, x, y);
      });
      state.labels = placed;
    }

    /** One frame, after force-graph's layout tick: links, nodes by colour, then labels. */
    function paint(ctx, scale) {
      var box = viewport(scale);
      var lit = state.lit;
      var plain = [];
      var tags = [];
      var hotNotes = [];
      var hotTags = [];
      var inView = [];
      for (var i = 0; i < state.nodes.length; i++) {
        var node = state.nodes[i];
        if (node.x < box.x0 || node.x > box.x1 || node.y < box.y0 || node.y > box.y1) {
          continue;
        }
        inView.push(node);
        if (node === view.current || node === state.hovered) {
          continue;
        }
        var isTag = node.tag !== undefined;
        if (lit && lit.has(node)) {
          (isTag ? hotTags : hotNotes).push(node);
        } else {
          (isTag ? tags : plain).push(node);
        }
      }
      ctx.save();
      strokeLinks(ctx, scale, box);
      if (lit) {
        ctx.globalAlpha = 0.3;
      }
      fill(ctx, plain, colours.node, scale);
      fill(ctx, tags, colours.tag, scale);
      ctx.globalAlpha = 1;
      fill(ctx, hotNotes, colours.node, scale);
      fill(ctx, hotTags, colours.tag, scale);
      fill(ctx, [view.current, state.hovered].filter(Boolean), colours.current, scale);

      ctx.textAlign = "center";
      ctx.textBaseline = "top";
      ctx.fillStyle = colours.label;
      ctx.strokeStyle = colours.bg;
      ctx.lineJoin = "round";
      // The hovered note and the current one first, then the hovered one's neighbours, then the best linked.
      var wanted = [];
      [state.hovered, view.current].forEach(function (node) {
        var listed = wanted.some(function (item) {
          return item.node === node;
        });
        if (node && !listed && inView.indexOf(node) >= 0) {
          wanted.push({ node: node, bold: true, always: true });
        }
      });
      var rest = [];
      if (state.hovered) {
        var near = neighboursOf(state.hovered);
        if (near.length <= NEIGHBOUR_LABEL_LIMIT) {
          rest = near;
        }
      }
      if (inView.length <= LABEL_LIMIT) {
        rest = rest.concat(
          inView.slice().sort(function (a, b) {
            return (b.degree || 0) - (a.degree || 0);
          })
        );
      }
      rest.forEach(function (node) {
        if (node !== state.hovered && node !== view.current) {
          wanted.push({ node: node, bold: false, always: false });
        }
      });
      labels(ctx, wanted, scale);
      ctx.restore();

      if (!state.drawn && inView.length) {
        state.drawn = true;
        firstDrawn(performance.now());
      }
    }

    function firstDrawn(time) {
      mark("first-draw");
      container.dataset.nodes = String(state.nodes.length);
      container.dataset.ready = "1";
      if (!firstGraph) {
        firstGraph = {
          kind: kind,
          nodes: state.nodes.length,
          links: state.links.length,
          firstDraw: time,
          settled: false,
          screenCoords: screenCoords,
          labelBoxes: labelBoxes,
          nodeCoords: function () {
            return state.nodes.map(function (node) {
              return screenCoords(node.url);
            });
          },
        };
        window.loamGraph = firstGraph;
      }
      // The seeded spiral was drawn as it is; the layout moves from the next frame on. Hit-testing,
      // which paints every node again on a hidden canvas, starts only now too.
      setTimeout(function () {
        // A reader who asked for less motion (prefers-reduced-motion) keeps the spiral as it is drawn: the
        // layout does not move, and it can still be dragged, zoomed and clicked. A layout made by the build
        // is drawn as it is too; the "Show tags" switch lays it out again, with the tags.
        var still = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
        if (still || view.placed) {
          graph.enablePointerInteraction(true);
          // Framed as a settled layout is (see onEngineStop). It stays as it is: a dragged note moves alone.
          if (!still) fit(0);
          state.settled = true;
          container.dataset.settled = "1";
          if (firstGraph && firstGraph.screenCoords === screenCoords) {
            firstGraph.settled = true;
          }
          return;
        }
        state.moving = true;
        graph.enablePointerInteraction(true).cooldownTicks(Infinity).d3ReheatSimulation();
      }, 0);
    }

    /** Frames the whole layout, without zooming a small one in so far that its nodes grow huge. */
    function fit(duration) {
      var box = graph.getGraphBbox();
      if (!box) {
        return;
      }
      var pad = 24;
      var k = Math.min(
        (host.clientWidth - 2 * pad) / Math.max(box.x[1] - box.x[0], 1),
        (host.clientHeight - 2 * pad) / Math.max(box.y[1] - box.y[0], 1),
        MAX_FIT_ZOOM
      );
      graph.centerAt((box.x[0] + box.x[1]) / 2, (box.y[0] + box.y[1]) / 2, duration);
      graph.zoom(Math.max(k, 1e-3), duration);
    }

    /** Where the note with `url` is on the screen (viewport coordinates), or null. */
    function screenCoords(url) {
      var key = pathKey(url);
      var node = state.nodes.find(function (n) {
        return n.url && pathKey(n.url) === key;
      });
      if (!node || node.x === undefined) {
        return null;
      }
      var at = graph.graph2ScreenCoords(node.x, node.y);
      var rect = host.getBoundingClientRect();
      return { x: rect.left + at.x, y: rect.top + at.y };
    }

    /** The boxes of the labels of the last frame, in viewport coordinates (for tests: none may overlap). */
    function labelBoxes() {
      var rect = host.getBoundingClientRect();
      return state.labels.map(function (box) {
        var a = graph.graph2ScreenCoords(box.x0, box.y0);
        var b = graph.graph2ScreenCoords(box.x1, box.y1);
        return { text: box.text, x0: rect.left + a.x, y0: rect.top + a.y, x1: rect.left + b.x, y1: rect.top + b.y };
      });
    }

    graph
      .width(host.clientWidth)
      .height(host.clientHeight)
      .backgroundColor("rgba(0,0,0,0)")
      .enablePointerInteraction(false)
      .nodeId("id")
      .nodeLabel(function () {
        // Titles are drawn on the canvas: force-graph's tooltip would read them as HTML.
        return "";
      })
      .nodeRelSize(settings.nodeSize)
      .nodeCanvasObjectMode(function () {
        return "replace";
      })
      .nodeCanvasObject(function () {
        /* Nodes are drawn all at once by paint. */
      })
      .nodePointerAreaPaint(function (node, colour, ctx, scale) {
        ctx.fillStyle = colour;
        ctx.beginPath();
        ctx.arc(node.x, node.y, Math.max(radius(node), 4 / scale), 0, TAU);
        ctx.fill();
      })
      // No layout tick before the first frame (see firstDrawn).
      .warmupTicks(0)
      .cooldownTicks(0)
      .d3AlphaDecay(layout.alphaDecay)
      // force-graph ticks until cooldownTime unless told when the layout counts as still.
      .d3AlphaMin(0.002)
      .d3VelocityDecay(layout.velocityDecay)
      .cooldownTime(5000)
      .onRenderFramePost(paint)
      .onNodeHover(function (node) {
        state.hovered = node || null;
        if (node) {
          state.lit = new Set(neighboursOf(node));
          state.lit.add(node);
        } else {
          state.lit = null;
        }
        host.title = node ? node.title : "";
        redraw();
      })
      .onNodeClick(function (node, event) {
        if (!node.url) {
          return;
        }
        if (event && (event.ctrlKey || event.metaKey || event.shiftKey)) {
          window.open(node.url, "_blank", "noopener");
        } else {
          location.assign(node.url);
        }
      })
      .showPointerCursor(function (node) {
        return !!(node && node.url);
      })
      .onEngineTick(function () {
        // A local graph is small and sits in a small box: it is kept framed while it settles, so that no note
        // drifts out of sight, until the reader moves it.
        if (kind === "local" && state.moving && !state.touched) {
          fit(0);
        }
      })
      .onEngineStop(function () {
        if (!state.moving || state.settled) {
          return; // the stop before the first frame (cooldownTicks 0), or one already reported
        }
        state.settled = true;
        container.dataset.settled = "1";
        if (firstGraph && firstGraph.screenCoords === screenCoords) {
          firstGraph.settled = true;
        }
        if (!state.touched) {
          fit(400);
        }
      });

    graph.graphData({ nodes: state.nodes, links: [] });
    // Frame the seeded spiral before the first frame, so that it is drawn where it will stay.
    var spread = view.radius + settings.nodeSize * 4;
    graph.zoom(Math.min(Math.min(host.clientWidth, host.clientHeight) / (2 * spread), MAX_FIT_ZOOM));
    graph.centerAt(0, 0);

    ["wheel", "pointerdown", "touchstart"].forEach(function (type) {
      host.addEventListener(
        type,
        function () {
          state.touched = true;
        },
        { passive: true }
      );
    });

    if (window.ResizeObserver) {
      new ResizeObserver(function () {
        if (host.clientWidth && host.clientHeight) {
          graph.width(host.clientWidth).height(host.clientHeight);
        }
      }).observe(host);
    }

    onThemeChange(function () {
      colours = readColours();
      redraw();
    });

    return {
      setData: function (nodes, list) {
        if (view.placed && !state.moving) {
          // The build's layout, with the tags placed among their notes: laid out from here, here.
          state.moving = true;
          graph.cooldownTicks(Infinity);
        }
        state.nodes = nodes;
        state.links = list;
        state.hovered = null;
        state.lit = null;
        state.settled = false;
        delete container.dataset.settled;
        links.setLinks(list);
        graph.graphData({ nodes: nodes, links: [] });
      },
    };
  }

  // ------------------------------------------------------------------ the two views

  function linkObjects(pairs, nodeOf) {
    return pairs.map(function (pair) {
      return { source: nodeOf(pair[0]), target: nodeOf(pair[1]) };
    });
  }

  function globalView(container, data) {
    var nodes = data.nodes;
    // A large garden comes laid out by the build: drawn as it is, at once, with nothing to settle.
    var radius = data.placed
      ? nodes.reduce(function (far, node) {
          return Math.max(far, Math.sqrt(node.x * node.x + node.y * node.y));
        }, 0)
      : seed(
          breadthFirst(nodes, data.neighbours).map(function (i) {
            return nodes[i];
          })
        );
    var links = linkObjects(data.pairs, function (i) {
      return nodes[i];
    });
    var graph = draw(container, "global", { nodes: nodes, links: links, current: null, radius: radius, placed: data.placed });

    var controls = document.createElement("div");
    controls.className = "graph-controls";
    if (data.tags.length) {
      controls.appendChild(tagSwitch(graph, data, links));
    }
    var open = container.querySelector("a.graph-open");
    if (open) {
      controls.appendChild(open);
    }
    if (controls.childNodes.length) {
      container.appendChild(controls);
    }
  }

  /** The "Show tags" switch: one node per tag, linked to its notes, placed among them. */
  function tagSwitch(graph, data, links) {
    var nodes = data.nodes;
    var tagNodes = null;
    var tagLinks = null;
    var label = document.createElement("label");
    var box = document.createElement("input");
    box.type = "checkbox";
    label.appendChild(box);
    label.appendChild(document.createTextNode(" " + window.loam.word("show_tags", "Show tags")));
    box.addEventListener("change", function () {
      if (!box.checked) {
        graph.setData(nodes, links);
        return;
      }
      if (!tagNodes) {
        var all = data.tags.map(function (name, i) {
          var url = typeof data.tagUrls[i] === "string" ? data.tagUrls[i] : null;
          return { id: "tag:" + i, tag: i, title: "#" + name, url: url, degree: 0 };
        });
        tagLinks = [];
        nodes.forEach(function (note) {
          note.tags.forEach(function (t) {
            if (all[t]) {
              tagLinks.push({ source: all[t], target: note });
              all[t].degree++;
            }
          });
        });
        tagNodes = all.filter(function (tag) {
          return tag.degree > 0;
        });
      }
      // Each tag starts at the middle of its notes as they are now.
      tagNodes.forEach(function (tag) {
        tag.x = tag.y = 0;
        tag.vx = tag.vy = 0;
      });
      tagLinks.forEach(function (link) {
        link.source.x += link.target.x / link.source.degree;
        link.source.y += link.target.y / link.source.degree;
      });
      graph.setData(nodes.concat(tagNodes), links.concat(tagLinks));
    });
    return label;
  }

  function localView(container, data, base) {
    var here = pathKey(location.href);
    var start = data.nodes.findIndex(function (node) {
      return node.url && pathKey(node.url) === here;
    });
    if (start < 0) {
      container.dataset.nodes = "0";
      return;
    }
    var near = around(start, data.neighbours, 2);
    if (near.size > LOCAL_TWO_STEPS) {
      near = around(start, data.neighbours, 1);
    }
    // Copies: the layout writes positions into its nodes.
    var copies = new Map();
    near.forEach(function (index) {
      var note = data.nodes[index];
      copies.set(index, { id: index, title: note.title, url: note.url, tags: note.tags, degree: 0 });
    });
    var pairs = data.pairs.filter(function (pair) {
      return copies.has(pair[0]) && copies.has(pair[1]);
    });
    pairs.forEach(function (pair) {
      copies.get(pair[0]).degree++;
      copies.get(pair[1]).degree++;
    });
    // Breadth-first from the note: it in the middle, its neighbours around it, theirs further out.
    var nodes = Array.from(copies.values());
    var radius = seed(nodes);

    var section = container.closest("[data-needs-js]");
    if (section) {
      section.hidden = false;
    }
    container.hidden = false;
    var links = linkObjects(pairs, function (i) {
      return copies.get(i);
    });
    draw(container, "local", { nodes: nodes, links: links, current: copies.get(start), radius: radius });

    var scope = container.closest("section, aside, article") || document;
    if (!scope.querySelector("a.graph-open") && !document.querySelector("a.graph-open")) {
      var paragraph = document.createElement("p");
      var open = document.createElement("a");
      open.className = "graph-open";
      open.href = base + "graph/";
      open.textContent = window.loam.word("open_graph", "Open the full graph");
      paragraph.appendChild(open);
      container.insertAdjacentElement("afterend", paragraph);
    }
  }

  function fail(container, error) {
    container.dataset.ready = "0";
    if (container.dataset.graph === "global") {
      var message = document.createElement("p");
      message.className = "graph-error";
      message.textContent = window.loam.word("graph_failed", "The graph could not be drawn") + " (" + error.message + ").";
      container.appendChild(message);
    }
    window.loam.warn("graph")(error);
  }

  /** Draws the graphs of `containers` once the library and graph.json are there. */
  function drawAll(containers, base) {
    loadLibraryAndData(base).then(
      function (json) {
        mark("loaded");
        var data = prepare(json);
        mark("prepared");
        // The global graph first: it is the one window.loamGraph describes when a page has both.
        containers.sort(function (a, b) {
          return (b.dataset.graph === "global") - (a.dataset.graph === "global");
        });
        containers.forEach(function (container) {
          try {
            if (container.dataset.graph === "global") {
              // What the page held for readers without JavaScript gives way to the graph, except a
              // link to elsewhere, which moves into the controls.
              Array.prototype.slice.call(container.childNodes).forEach(function (child) {
                if (!(child.matches && child.matches("a.graph-open"))) {
                  container.removeChild(child);
                }
              });
              globalView(container, data);
            } else if (container.dataset.graph === "local") {
              localView(container, data, base);
            }
          } catch (error) {
            fail(container, error);
          }
        });
      },
      function (error) {
        containers.forEach(function (container) {
          fail(container, error);
        });
      }
    );
  }

  // loam.js loads this file for the graph page at once and for a note's graph when the reader comes near it.
  function start() {
    var containers = Array.prototype.slice.call(document.querySelectorAll("[data-graph]"));
    if (containers.length) {
      drawAll(containers, window.loam.base);
    }
  }

  window.loam.ready(start);
})();
