// The linkage graph: drawn by cytoscape, resizable and full-screen, with zoom and fit, labels
// that stay readable at any zoom, filters by relationship type, a legend built from the installed
// schemes, feedback on every expand, and PNG export.
import cytoscape from "cytoscape";
import { $, el, gql, setStatus, LEVEL_COLOURS, UNSCORED } from "./dom.js";
import { LINKAGE } from "./documents.js";
import { t, tOr } from "./messages.js";

export const REL_TYPES = ["LEGAL_REPRESENTATIVE_OF", "SHAREHOLDER_OF", "OFFICER_OF", "BRANCH_OF"];
const LABEL_PX = 12; // labels keep this size on screen whatever the zoom
const MAX_FIT_ZOOM = 1.6; // a lone node is not blown up to fill the pane
const PATH_RED = "#b42318";

const graph = {
  cy: null,
  expanded: new Set(),
  extra: null, // [message key, params] of what the last action did
  hiddenTypes: new Set(),
  schemes: [],
  onOpen: () => {},
  guarded: async (work) => work(),
};

export function configureGraph({ onOpen, guarded }) {
  graph.onOpen = onOpen;
  graph.guarded = guarded;
}

export function setSchemes(schemes) {
  graph.schemes = schemes;
  legend();
}

export function currentGraph() {
  return graph.cy;
}

function nodeData(n) {
  const level = n.standing ? n.standing.level : "";
  return {
    id: n.id,
    label: n.entity.name,
    kind: n.entity.__typename,
    level,
    colour: n.standing ? LEVEL_COLOURS[level] || UNSCORED : UNSCORED,
    blacklisted: n.standing && n.standing.blacklisted ? "yes" : "no",
  };
}

// The stylesheet at a zoom: labels keep their size on screen at every zoom, and below 1:1 the
// nodes do too (zoomed out, a node stays big enough to see and to click).
function styles(zoom) {
  const text = 1 / zoom;
  const k = Math.max(1, 1 / zoom);
  return [
    {
      selector: "node",
      style: {
        "background-color": "data(colour)",
        label: "data(label)",
        "text-wrap": "wrap",
        "text-valign": "bottom",
        color: "#1d2430",
        "text-background-color": "#fbfcfe",
        "text-background-opacity": 0.85,
        "text-background-padding": `${text}px`,
        "font-size": LABEL_PX * text,
        "text-max-width": `${150 * text}px`,
        "text-margin-y": 3 * text,
        width: 20 * k,
        height: 20 * k,
        "border-width": 1 * k,
        "border-color": "#fff",
      },
    },
    { selector: "node[kind = 'Person']", style: { shape: "ellipse" } },
    {
      selector: "node[kind = 'Company']",
      style: { shape: "round-rectangle", width: 24 * k, height: 18 * k },
    },
    { selector: "node[blacklisted = 'yes']", style: { "border-width": 4 * k, "border-color": "#3b0a0a" } },
    {
      selector: "node.hub",
      style: { "border-width": 2 * k, "border-style": "dashed", "border-color": "#555" },
    },
    { selector: "node.root", style: { width: 32 * k, height: 32 * k, "font-weight": "bold" } },
    { selector: "node.root[kind = 'Company']", style: { width: 36 * k, height: 26 * k } },
    {
      selector: "edge",
      style: {
        width: 1.5 * k,
        "line-color": "#9aa6b8",
        "target-arrow-color": "#9aa6b8",
        "target-arrow-shape": "triangle",
        "curve-style": "bezier",
        label: "data(label)",
        color: "#5b6576",
        "text-rotation": "autorotate",
        "font-size": 10 * text,
      },
    },
    // A path keeps its nodes' shapes and level colours: a red ring around them, red links.
    {
      selector: "node.on-path",
      style: { "outline-width": 3 * k, "outline-color": PATH_RED, "outline-offset": 2 * k, "z-index": 10 },
    },
    {
      selector: "edge.on-path",
      style: { "line-color": PATH_RED, "target-arrow-color": PATH_RED, width: 3.5 * k, "z-index": 10 },
    },
    { selector: ".faded", style: { opacity: 0.3 } },
    { selector: ".filtered", style: { display: "none" } },
  ];
}

export function ensureGraph() {
  if (graph.cy) return graph.cy;
  const cy = cytoscape({
    container: $("graph"),
    wheelSensitivity: 0.3,
    minZoom: 0.15,
    maxZoom: 4,
    style: styles(1),
  });
  cy.on("tap", "node", (ev) => graph.guarded(() => expand(ev.target.id())));
  cy.on("dbltap", "node", (ev) => graph.guarded(() => graph.onOpen(ev.target.id())));
  cy.on("zoom", () => keepLabelsReadable());
  // The pane is resizable (by its corner, and in full screen): cytoscape redraws to fit it.
  new ResizeObserver(() => cy.resize()).observe($("graph"));
  graph.cy = cy;
  return cy;
}

let restyling = false;
function keepLabelsReadable() {
  if (restyling) return;
  restyling = true; // once a frame, however many zoom events came
  requestAnimationFrame(() => {
    restyling = false;
    graph.cy.style(styles(graph.cy.zoom()));
  });
}

export function edgeLabel(e) {
  let label = tOr(`rel.${e.type}`, e.type);
  if (e.stake) label += ` ${Math.round(e.stake * 1000) / 10}%`;
  if (e.role) label += ` (${e.role})`;
  return label;
}

// Adds what is not drawn yet; returns how many entities were new.
export function merge(linkage) {
  const cy = ensureGraph();
  const hubs = new Set(linkage.hubs.map((h) => h.id));
  let added = 0;
  cy.batch(() => {
    for (const n of linkage.nodes) {
      if (cy.getElementById(n.id).empty()) {
        cy.add({ group: "nodes", data: nodeData(n) });
        added += 1;
      }
      if (hubs.has(n.id)) cy.getElementById(n.id).addClass("hub");
    }
    for (const e of linkage.edges) {
      const id = `${e.startId}|${e.type}|${e.endId}`;
      if (cy.getElementById(id).empty()) {
        cy.add({
          group: "edges",
          data: {
            id,
            source: e.startId,
            target: e.endId,
            label: edgeLabel(e),
            type: e.type,
            stake: e.stake,
            role: e.role,
          },
        });
      }
    }
  });
  applyFilter();
  return added;
}

// Rings around the open entity, one per link away from it: where a node sits says how far it is.
function depths(cy) {
  const depth = new Map();
  const root = cy.nodes(".root");
  if (root.nonempty()) {
    cy.elements().breadthFirstSearch({
      roots: root,
      directed: false,
      visit: (v, _e, _u, _i, d) => {
        depth.set(v.id(), d);
      },
    });
  }
  return depth;
}

export function layout() {
  const cy = ensureGraph();
  const depth = depths(cy);
  const far = Math.max(0, ...depth.values()) + 1;
  // Laid out at 1:1 sizes: the sizes of a zoomed-out view would push nodes further apart,
  // zoom out further, and so on down to the least zoom.
  cy.style(styles(1));
  cy.layout({
    name: "concentric",
    animate: false,
    concentric: (node) => far - (depth.has(node.id()) ? depth.get(node.id()) : far),
    levelWidth: () => 1,
    minNodeSpacing: 28,
    nodeDimensionsIncludeLabels: true, // labels take room: no name drawn over another
    avoidOverlap: true,
    fit: true,
    padding: 30,
  }).run();
  clampZoom();
}

function clampZoom() {
  const cy = graph.cy;
  if (cy.zoom() > MAX_FIT_ZOOM) {
    cy.zoom(MAX_FIT_ZOOM);
    cy.center();
  }
  keepLabelsReadable();
}

function nameOf(id) {
  const node = ensureGraph().getElementById(id);
  return node.empty() ? "" : node.data("label");
}

// extra: [message key, params] of what the last action did, kept to be shown in either language.
export function describeGraph(extra) {
  const cy = ensureGraph();
  if (extra !== undefined) graph.extra = extra;
  const nodes = cy.nodes().length;
  const links = cy.edges().length;
  const parts = [
    t("graph.info", {
      entities: t("graph.entities", { count: nodes }),
      links: t("graph.links", { count: links }),
    }),
  ];
  const hidden = cy.edges(".filtered").length;
  if (hidden) parts.push(t("graph.hiddenLinks", { count: hidden }));
  if (graph.extra) parts.push(t(graph.extra[0], graph.extra[1]));
  $("graph-info").textContent = parts.join(" · ");
  $("graph").dataset.nodes = String(nodes);
}

export async function drawLinkage(id, fresh) {
  const hops = Number($("hops").value);
  const data = await gql(LINKAGE, { id, hops });
  const cy = ensureGraph();
  if (fresh) {
    cy.elements().remove();
    graph.expanded = new Set();
  }
  merge(data.linkage);
  graph.expanded.add(id);
  cy.nodes().removeClass("root");
  cy.getElementById(id).addClass("root");
  layout();
  describeGraph(data.linkage.truncated ? ["graph.truncated", {}] : null);
}

export async function expand(id) {
  const name = nameOf(id);
  if (graph.expanded.has(id)) {
    describeGraph(["graph.alreadyExpanded", { name }]);
    flash(id);
    return;
  }
  const data = await gql(LINKAGE, { id, hops: 1 });
  const added = merge(data.linkage);
  graph.expanded.add(id);
  if (added) layout();
  describeGraph(added ? ["graph.expanded", { count: added, name }] : ["graph.nothingNew", { name }]);
  flash(id);
}

// The node just acted on blinks once: the eye finds where something happened (or did not).
function flash(id) {
  const node = ensureGraph().getElementById(id);
  if (node.empty()) return;
  node.animate({ style: { "outline-width": 6, "outline-color": "#f5b400" } }, { duration: 200 }).animate(
    { style: { "outline-width": 0 } },
    {
      duration: 400,
      complete: () => node.removeStyle("outline-width outline-color"),
    },
  );
}

export function highlight(nodeIds, edgeIds) {
  const cy = ensureGraph();
  cy.elements().removeClass("on-path faded");
  if (!nodeIds.length) return;
  const on = cy.collection();
  for (const id of nodeIds) on.merge(cy.getElementById(id));
  for (const id of edgeIds) on.merge(cy.getElementById(id));
  on.addClass("on-path");
  cy.elements().not(on).addClass("faded");
}

export function clearHighlight() {
  if (graph.cy) graph.cy.elements().removeClass("on-path faded");
}

// ---------- filters ----------
function applyFilter() {
  const cy = graph.cy;
  if (!cy) return;
  cy.batch(() => {
    cy.elements().removeClass("filtered");
    cy.edges().forEach((edge) => {
      if (graph.hiddenTypes.has(edge.data("type"))) edge.addClass("filtered");
    });
    // An entity left with no link shown (other than the open one) goes too.
    cy.nodes().forEach((node) => {
      if (node.hasClass("root")) return;
      const shown = node.connectedEdges().filter((edge) => !edge.hasClass("filtered"));
      if (node.connectedEdges().length && !shown.length) node.addClass("filtered");
    });
  });
}

function renderFilters() {
  $("rel-filters").replaceChildren(
    el("legend", {}, t("graph.relTypes")),
    ...REL_TYPES.map((type) =>
      el(
        "label",
        {},
        el("input", {
          type: "checkbox",
          "data-testid": `rel-${type}`,
          checked: !graph.hiddenTypes.has(type),
          onchange: (ev) => {
            if (ev.target.checked) graph.hiddenTypes.delete(type);
            else graph.hiddenTypes.add(type);
            applyFilter();
            if (graph.cy) describeGraph();
          },
        }),
        " ",
        tOr(`rel.${type}`, type),
      ),
    ),
  );
}

// ---------- zoom, fit, full screen, PNG ----------
function zoomBy(factor) {
  const cy = ensureGraph();
  const box = $("graph").getBoundingClientRect();
  cy.zoom({ level: cy.zoom() * factor, renderedPosition: { x: box.width / 2, y: box.height / 2 } });
}

function fit() {
  const cy = ensureGraph();
  cy.fit(cy.elements(":visible"), 30);
  clampZoom();
}

function toggleFullscreen() {
  const box = $("graph-box");
  if (document.fullscreenElement) document.exitFullscreen();
  else box.requestFullscreen().catch((error) => setStatus(error.message));
}

function exportPng() {
  const cy = ensureGraph();
  const blob = cy.png({ output: "blob", full: true, scale: 2, bg: "#ffffff" });
  const root = cy.nodes(".root");
  const file = `credgraph-linkage-${root.empty() ? "graph" : root.data("label")}.png`;
  const link = el("a", { href: URL.createObjectURL(blob), download: file, "data-testid": "png-link" });
  document.body.append(link);
  link.click();
  setTimeout(() => {
    URL.revokeObjectURL(link.href);
    link.remove();
  }, 1000);
  describeGraph(["graph.pngDone", { file }]);
}

function renderTools() {
  const fullscreen = document.fullscreenElement === $("graph-box");
  const button = (id, key, onclick, text) =>
    el(
      "button",
      {
        type: "button",
        class: "secondary",
        id,
        "data-testid": id,
        "aria-label": t(key),
        title: t(key),
        onclick,
      },
      text ?? t(key),
    );
  $("graph-buttons").replaceChildren(
    button("zoom-in", "graph.zoomIn", () => zoomBy(1.25), "+"),
    button("zoom-out", "graph.zoomOut", () => zoomBy(0.8), "−"),
    button("fit", "graph.fit", fit),
    button("fullscreen", fullscreen ? "graph.exitFullscreen" : "graph.fullscreen", toggleFullscreen),
    button("export-png", "graph.png", exportPng),
  );
}

// ---------- legend ----------
function swatch(colour, text, extra = "") {
  return el("span", { class: `swatch ${extra}`, style: `background:${colour}` }, text);
}

export function legend() {
  const shapes = el(
    "ul",
    { class: "legend-marks" },
    el("li", {}, el("span", { class: "mark company" }), t("legend.company")),
    el("li", {}, el("span", { class: "mark person" }), t("legend.person")),
    el("li", {}, el("span", { class: "mark root" }), t("legend.open")),
    el("li", {}, el("span", { class: "mark blacklisted" }), t("legend.blacklisted")),
    el("li", {}, el("span", { class: "mark hub" }), t("legend.hub")),
    el("li", {}, el("span", { class: "mark on-path" }), t("legend.path")),
  );
  const scales = graph.schemes.map((scheme) =>
    el(
      "div",
      { class: "legend-scale", "data-testid": "legend-scale" },
      el(
        "span",
        { class: "scale-name" },
        t("legend.scale", {
          kind: scheme.subjects.map((s) => tOr(`legend.subject.${s}`, s)).join("/"),
          scheme: scheme.id,
        }),
      ),
      scheme.levels.map((level) => swatch(LEVEL_COLOURS[level.name] || UNSCORED, level.name)),
    ),
  );
  $("legend").replaceChildren(
    el("h3", {}, t("legend.title")),
    shapes,
    ...scales,
    el("div", { class: "legend-scale" }, swatch(UNSCORED, t("graph.notScored"))),
  );
}

export function translateGraph() {
  renderTools();
  renderFilters();
  legend();
  if (graph.cy) {
    graph.cy.edges().forEach((edge) => edge.data("label", edgeLabel(edge.data())));
    describeGraph();
  }
}

document.addEventListener("fullscreenchange", () => {
  renderTools();
  if (!graph.cy) return;
  // Laid out again for the room it has now, once the browser has given it that room.
  requestAnimationFrame(() =>
    requestAnimationFrame(() => {
      graph.cy.resize();
      layout();
    }),
  );
});
