//! Where the whole garden's graph puts each note, worked out once at build time for a large garden, so that a
//! reader's browser draws the graph page at once instead of settling thousands of notes frame by frame (on a
//! phone, seconds of a blocked page). Pure.
//!
//! It is the layout `static/graph.js` makes for a large graph, the same forces with the same settings, as d3-force
//! computes them: notes start on a golden-angle spiral in breadth-first order from the best-linked note; links
//! pull their two notes towards a set length (each link's strength one over the smaller degree of its ends, d3's
//! default); every note pushes the others away (many-body, by the Barnes-Hut approximation, up to a distance);
//! the whole is kept centred; velocities decay by half each tick, and the layout cools from 1 to 0.002 in about
//! 80 ticks. Reading the graph page, the browser starts from here, so it looks as it would have settled.

/// Below this many notes graph.js lays the graph out itself: cheap, and gentler to watch (its `SMALL`).
pub const MIN_NOTES: usize = 300;

// graph.js `layoutFor` for a large graph, and the many-body settings of its `draw`.
const DISTANCE: f64 = 21.0;
const CHARGE: f64 = -25.0;
const SPACING: f64 = 14.0;
const ALPHA_DECAY: f64 = 0.075;
const ALPHA_MIN: f64 = 0.002;
const VELOCITY_KEPT: f64 = 0.5;
const THETA2: f64 = 1.5 * 1.5;
const DISTANCE_MAX2: f64 = 400.0 * 400.0;
const DISTANCE_MIN2: f64 = 1.0;
/// A quadrant this small holds its points together instead of dividing again (points at one place).
const MIN_CELL: f64 = 1e-3;

/// Each of `count` nodes' position, linked by `links` (indexes into the nodes; a link of a node to itself is
/// none), as `[x, y]` around the origin.
pub fn positions(count: usize, links: &[[u32; 2]]) -> Vec<[f64; 2]> {
    let links: Vec<(usize, usize)> = links
        .iter()
        .map(|&[a, b]| (a as usize, b as usize))
        .filter(|&(a, b)| a != b && a < count && b < count)
        .collect();
    let mut neighbours = vec![Vec::new(); count];
    let mut degree = vec![0usize; count];
    for &(a, b) in &links {
        neighbours[a].push(b);
        neighbours[b].push(a);
        degree[a] += 1;
        degree[b] += 1;
    }
    let mut nodes = vec![Body::default(); count];
    for (i, &n) in breadth_first(&degree, &neighbours).iter().enumerate() {
        let r = SPACING * (i as f64 + 0.5).sqrt();
        let angle = i as f64 * std::f64::consts::PI * (3.0 - 5f64.sqrt());
        nodes[n].x = r * angle.cos();
        nodes[n].y = r * angle.sin();
    }
    let springs: Vec<Spring> = links
        .iter()
        .map(|&(a, b)| Spring {
            source: a,
            target: b,
            strength: 1.0 / degree[a].min(degree[b]) as f64,
            bias: degree[a] as f64 / (degree[a] + degree[b]) as f64,
        })
        .collect();
    let mut alpha = 1.0;
    while alpha >= ALPHA_MIN {
        alpha += -alpha * ALPHA_DECAY;
        pull(&mut nodes, &springs, alpha);
        push(&mut nodes, alpha);
        centre(&mut nodes);
        for node in &mut nodes {
            node.vx *= VELOCITY_KEPT;
            node.vy *= VELOCITY_KEPT;
            node.x += node.vx;
            node.y += node.vy;
        }
    }
    nodes.iter().map(|n| [n.x, n.y]).collect()
}

#[derive(Clone, Copy, Default)]
struct Body {
    x: f64,
    y: f64,
    vx: f64,
    vy: f64,
}

struct Spring {
    source: usize,
    target: usize,
    strength: f64,
    /// How much of the pull moves the target rather than the source: the better linked end moves less.
    bias: f64,
}

/// All nodes in breadth-first order, each component started from its best-linked node (graph.js `breadthFirst`).
fn breadth_first(degree: &[usize], neighbours: &[Vec<usize>]) -> Vec<usize> {
    let mut starts: Vec<usize> = (0..degree.len()).collect();
    starts.sort_by(|&a, &b| degree[b].cmp(&degree[a]).then(a.cmp(&b)));
    let mut seen = vec![false; degree.len()];
    let mut order = Vec::with_capacity(degree.len());
    for start in starts {
        if seen[start] {
            continue;
        }
        seen[start] = true;
        order.push(start);
        let mut head = order.len() - 1;
        while head < order.len() {
            for &next in &neighbours[order[head]] {
                if !seen[next] {
                    seen[next] = true;
                    order.push(next);
                }
            }
            head += 1;
        }
    }
    order
}

/// The links' pull (d3's forceLink, one iteration).
fn pull(nodes: &mut [Body], springs: &[Spring], alpha: f64) {
    for spring in springs {
        let (s, t) = (nodes[spring.source], nodes[spring.target]);
        let mut x = t.x + t.vx - s.x - s.vx;
        let mut y = t.y + t.vy - s.y - s.vy;
        if x == 0.0 {
            x = nudge(spring.source, spring.target);
        }
        if y == 0.0 {
            y = nudge(spring.target, spring.source);
        }
        let length = (x * x + y * y).sqrt();
        let k = (length - DISTANCE) / length * alpha * spring.strength;
        let (x, y) = (x * k, y * k);
        let target = &mut nodes[spring.target];
        target.vx -= x * spring.bias;
        target.vy -= y * spring.bias;
        let source = &mut nodes[spring.source];
        source.vx += x * (1.0 - spring.bias);
        source.vy += y * (1.0 - spring.bias);
    }
}

/// A square of the quadtree: its points' count and centre, its four quarters (indexes into the tree, 0 for none)
/// and, for a leaf, where its points are in the tree's list of them.
#[derive(Default, Clone, Copy)]
struct Cell {
    count: f64,
    cx: f64,
    cy: f64,
    children: [u32; 4],
    points: (u32, u32),
}

/// A tiny distance, different for each pair, that parts two nodes at the same place (d3 draws it at random).
fn nudge(i: usize, j: usize) -> f64 {
    let h = (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ (j as u64).wrapping_mul(0xc2b2_ae3d_27d4_eb4f);
    ((h >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 1e-6
}

/// Every node's push on the others (d3's forceManyBody with Barnes-Hut): a far square of nodes pushes as one. The
/// quadtree is made once a tick; each node's push is summed on its own, in parallel.
fn push(nodes: &mut [Body], alpha: f64) {
    use rayon::prelude::*;
    if nodes.is_empty() {
        return;
    }
    let (mut x0, mut y0, mut x1, mut y1) = (f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY);
    for n in nodes.iter() {
        x0 = x0.min(n.x);
        y0 = y0.min(n.y);
        x1 = x1.max(n.x);
        y1 = y1.max(n.y);
    }
    let size = (x1 - x0).max(y1 - y0).max(MIN_CELL);
    let mut tree = Vec::with_capacity(2 * nodes.len());
    tree.push(Cell::default());
    let mut order: Vec<u32> = (0..nodes.len() as u32).collect();
    build(&mut tree, 0, nodes, &mut order, 0, x0, y0, size);
    let kicks: Vec<(f64, f64)> = (0..nodes.len())
        .into_par_iter()
        .map(|i| {
            let (px, py) = (nodes[i].x, nodes[i].y);
            let (mut vx, mut vy) = (0.0, 0.0);
            let mut force = |mut x: f64, mut y: f64, weight: f64, other: usize| {
                let mut l = x * x + y * y;
                if l >= DISTANCE_MAX2 {
                    return;
                }
                if x == 0.0 {
                    x = nudge(i, other);
                    l += x * x;
                }
                if y == 0.0 {
                    y = nudge(other, i);
                    l += y * y;
                }
                if l < DISTANCE_MIN2 {
                    l = (DISTANCE_MIN2 * l).sqrt();
                }
                let w = CHARGE * weight * alpha / l;
                vx += x * w;
                vy += y * w;
            };
            // Each square with its corner and side; one wholly beyond the reach of the push is not opened.
            let mut stack = vec![(0u32, x0, y0, size)];
            while let Some((at, cx0, cy0, width)) = stack.pop() {
                let (dx, dy) = ((cx0 - px).max(px - cx0 - width).max(0.0), (cy0 - py).max(py - cy0 - width).max(0.0));
                if dx * dx + dy * dy >= DISTANCE_MAX2 {
                    continue;
                }
                let cell = &tree[at as usize];
                let (x, y) = (cell.cx - px, cell.cy - py);
                if width * width / THETA2 < x * x + y * y {
                    // Far enough: the square pushes as one body.
                    force(x, y, cell.count, at as usize);
                } else if cell.children != [0; 4] {
                    let half = width / 2.0;
                    for (q, &child) in cell.children.iter().enumerate() {
                        if child != 0 {
                            stack.push((child, cx0 + half * (q % 2) as f64, cy0 + half * (q / 2) as f64, half));
                        }
                    }
                } else {
                    for &other in &order[cell.points.0 as usize..cell.points.1 as usize] {
                        let other = other as usize;
                        if other != i {
                            force(nodes[other].x - px, nodes[other].y - py, 1.0, other);
                        }
                    }
                }
            }
            (vx, vy)
        })
        .collect();
    for (node, (vx, vy)) in nodes.iter_mut().zip(kicks) {
        node.vx += vx;
        node.vy += vy;
    }
}

/// Fills cell `at`, the square of side `size` at (`x0`, `y0`), with the points `order[start..]` of `points`,
/// dividing it while it holds more than one (and is not too small to divide); the points are sorted in place so
/// that each cell's are side by side.
#[allow(clippy::too_many_arguments)]
fn build(
    tree: &mut Vec<Cell>,
    at: usize,
    nodes: &[Body],
    points: &mut [u32],
    start: usize,
    x0: f64,
    y0: f64,
    size: f64,
) {
    let count = points.len() as f64;
    let (sx, sy) = points.iter().fold((0.0, 0.0), |(sx, sy), &p| (sx + nodes[p as usize].x, sy + nodes[p as usize].y));
    tree[at].count = count;
    tree[at].cx = sx / count;
    tree[at].cy = sy / count;
    if points.len() <= 1 || size < MIN_CELL {
        tree[at].points = (start as u32, (start + points.len()) as u32);
        return;
    }
    let half = size / 2.0;
    let (midx, midy) = (x0 + half, y0 + half);
    // Top half then bottom half, each left then right: quarters 0, 1, 2, 3.
    let top = partition(points, |p| nodes[p as usize].y < midy);
    let (upper, lower) = points.split_at_mut(top);
    let left_up = partition(upper, |p| nodes[p as usize].x < midx);
    let left_down = partition(lower, |p| nodes[p as usize].x < midx);
    let bounds = [(0, left_up), (left_up, top), (top, top + left_down), (top + left_down, points.len())];
    for (q, (from, to)) in bounds.into_iter().enumerate() {
        if from == to {
            continue;
        }
        let child = tree.len();
        tree.push(Cell::default());
        tree[at].children[q] = child as u32;
        let (qx, qy) = (x0 + half * (q % 2) as f64, y0 + half * (q / 2) as f64);
        build(tree, child, nodes, &mut points[from..to], start + from, qx, qy, half);
    }
}

/// Moves the items for which `first` holds to the front; returns how many there are.
fn partition(items: &mut [u32], first: impl Fn(u32) -> bool) -> usize {
    let mut kept = 0;
    for i in 0..items.len() {
        if first(items[i]) {
            items.swap(i, kept);
            kept += 1;
        }
    }
    kept
}

/// Moves every node so that their mean is the origin (d3's forceCenter).
fn centre(nodes: &mut [Body]) {
    let n = nodes.len() as f64;
    let (sx, sy) = nodes.iter().fold((0.0, 0.0), |(sx, sy), b| (sx + b.x, sy + b.y));
    let (dx, dy) = (sx / n, sy / n);
    for node in nodes {
        node.x -= dx;
        node.y -= dy;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn distance(p: &[[f64; 2]], a: usize, b: usize) -> f64 {
        ((p[a][0] - p[b][0]).powi(2) + (p[a][1] - p[b][1]).powi(2)).sqrt()
    }

    /// Two clusters, each a ring of notes linked to a hub, joined by one link: linked notes end up near each
    /// other, the clusters apart, nobody on top of anybody, and the same every time.
    #[test]
    fn linked_notes_come_together_and_clusters_stay_apart() {
        let mut links = Vec::new();
        for c in 0..2u32 {
            let hub = c * 200;
            for k in 1..200 {
                links.push([hub, hub + k]);
                if k > 1 {
                    links.push([hub + k - 1, hub + k]);
                }
            }
        }
        links.push([0, 200]);
        let p = positions(400, &links);
        assert_eq!(p, positions(400, &links), "the same garden is laid out the same way");
        assert!(p.iter().all(|q| q[0].is_finite() && q[1].is_finite()));
        let mean = |r: std::ops::Range<usize>| {
            let n = r.len() as f64;
            let (x, y) = r.fold((0.0, 0.0), |(x, y), i| (x + p[i][0], y + p[i][1]));
            [x / n, y / n]
        };
        let (a, b) = (mean(0..200), mean(200..400));
        let apart = ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt();
        let linked = links.iter().map(|&[x, y]| distance(&p, x as usize, y as usize)).sum::<f64>() / links.len() as f64;
        let pairs: Vec<(usize, usize)> = (0..400).flat_map(|i| (i + 1..400).map(move |j| (i, j))).collect();
        let any = pairs.iter().map(|&(i, j)| distance(&p, i, j)).sum::<f64>() / pairs.len() as f64;
        assert!(linked < 0.5 * any, "linked notes are nearer than most: {linked} against {any}");
        let spread = (0..200).map(|i| distance(&p, i, 0)).sum::<f64>() / 200.0;
        assert!(apart > spread, "the clusters are apart: {apart} against a cluster's spread {spread}");
        let closest = (0..400).flat_map(|i| (i + 1..400).map(move |j| (i, j))).map(|(i, j)| distance(&p, i, j));
        assert!(closest.fold(f64::INFINITY, f64::min) > 0.5, "no note sits on another");
        // Centred on the origin.
        let all = mean(0..400);
        assert!(all[0].abs() < 1.0 && all[1].abs() < 1.0, "{all:?}");
    }

    #[test]
    fn a_garden_without_links_is_a_disc_and_an_empty_one_is_nothing() {
        assert!(positions(0, &[]).is_empty());
        let p = positions(500, &[[3, 3], [1, 9999]]);
        assert_eq!(p.len(), 500);
        let far = p.iter().map(|q| (q[0] * q[0] + q[1] * q[1]).sqrt()).fold(0.0, f64::max);
        assert!(far > 50.0 && far < 2000.0, "{far}");
    }
}
