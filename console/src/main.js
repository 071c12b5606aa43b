// The credgraph investigator console. It talks only to the public GraphQL API at /graphql (and
// fetches the reports a file exports from /reports).
import cytoscape from "cytoscape";
import { $, el, gql, guarded, levelBadge, setStatus, LEVEL_COLOURS, UNSCORED } from "./dom.js";
import { documentText, loadFile, renderFile } from "./file.js";
import { t, tOr, language, setLanguage, translatePage } from "./messages.js";

const state = {
  current: null,
  notes: new Set(),
  filters: {},
  cy: null,
  expanded: new Set(),
  results: null,
  graphExtra: null,
  paths: null,
};

// ---------- Search ----------
const SEARCH = `query($q: String!) {
  search(query: $q, first: 20) {
    totalCount
    edges { node { matchedOn via entity { __typename id name
      ... on Company { key status region }
      ... on Person { idNumber idType nationality profession } } } }
  }
}`;

function renderResults() {
  const list = $("results");
  list.replaceChildren();
  if (!state.results) return;
  const edges = state.results.search.edges;
  if (!edges.length) list.append(el("li", { class: "hint" }, t("results.none")));
  for (const { node } of edges) {
    const e = node.entity;
    const code = e.__typename === "Company" ? e.key : documentText(e);
    list.append(
      el(
        "li",
        {
          tabindex: "0",
          "data-testid": "result",
          "data-id": e.id,
          onclick: () => guarded(() => openEntity(e.id)),
          onkeydown: (ev) => {
            if (ev.key === "Enter") guarded(() => openEntity(e.id));
          },
        },
        el("div", {}, e.name),
        el(
          "div",
          { class: "meta" },
          `${t(`kind.${e.__typename}`)} · ${code} · ${t("results.matched", { what: tOr(`matched.${node.matchedOn}`, node.matchedOn.toLowerCase()) })}`,
        ),
      ),
    );
  }
}

async function search(text) {
  state.results = await gql(SEARCH, { q: text });
  renderResults();
  return state.results.search.edges;
}

// ---------- Credit file ----------
function showFile() {
  if (!state.current) return;
  renderFile(state.current, state.notes, {
    open: (id) => guarded(() => openEntity(id)),
    guarded,
    filters: state.filters,
  });
}

// push: the browser's history gets an entry for the file (Back returns to the one before).
async function openEntity(id, { push = true } = {}) {
  const notes = new Set();
  const entity = await loadFile(id, notes);
  const changed = !state.current || state.current.id !== entity.id;
  state.current = entity;
  state.notes = notes;
  if (changed) state.filters = {};
  showFile();
  const url = `?entity=${encodeURIComponent(id)}`;
  if (push && location.search !== url) history.pushState({ entity: id }, "", url);
  await drawLinkage(id, true);
}

// ---------- Linkage graph ----------
const LINKAGE = `query($id: ID!, $hops: Int!) { linkage(id: $id, hops: $hops, limit: 200) {
  truncated
  nodes { id hops entity { __typename name } standing { level value blacklisted } }
  edges { type startId endId stake role }
  hubs { id }
} }`;

function nodeData(n) {
  return {
    id: n.id,
    label: n.entity.name,
    kind: n.entity.__typename,
    level: n.standing ? n.standing.level : "",
    colour: n.standing ? LEVEL_COLOURS[n.standing.level] || UNSCORED : UNSCORED,
    blacklisted: n.standing && n.standing.blacklisted ? "yes" : "no",
  };
}

function ensureGraph() {
  if (state.cy) return state.cy;
  state.cy = cytoscape({
    container: $("graph"),
    wheelSensitivity: 0.3,
    style: [
      {
        selector: "node",
        style: {
          "background-color": "data(colour)",
          label: "data(label)",
          "font-size": 9,
          "text-wrap": "ellipsis",
          "text-max-width": 90,
          "text-valign": "bottom",
          "text-margin-y": 3,
          width: 18,
          height: 18,
          color: "#1d2430",
        },
      },
      { selector: "node[kind = 'Person']", style: { shape: "ellipse" } },
      { selector: "node[kind = 'Company']", style: { shape: "round-rectangle", width: 22, height: 16 } },
      { selector: "node[blacklisted = 'yes']", style: { "border-width": 3, "border-color": "#3b0a0a" } },
      {
        selector: "node.hub",
        style: { "border-width": 2, "border-style": "dashed", "border-color": "#555" },
      },
      { selector: "node.root", style: { width: 28, height: 28, "font-weight": "bold" } },
      {
        selector: "edge",
        style: {
          width: 1.5,
          "line-color": "#9aa6b8",
          "target-arrow-color": "#9aa6b8",
          "target-arrow-shape": "triangle",
          "curve-style": "bezier",
          label: "data(label)",
          "font-size": 7,
          color: "#5b6576",
          "text-rotation": "autorotate",
        },
      },
      {
        selector: ".on-path",
        style: { "line-color": "#b42318", "target-arrow-color": "#b42318", width: 3, "z-index": 10 },
      },
      { selector: "node.on-path", style: { "border-width": 3, "border-color": "#b42318" } },
    ],
  });
  state.cy.on("tap", "node", (ev) => guarded(() => expand(ev.target.id())));
  state.cy.on("dbltap", "node", (ev) => guarded(() => openEntity(ev.target.id())));
  return state.cy;
}

function edgeLabel(e) {
  let label = tOr(`rel.${e.type}`, e.type);
  if (e.stake) label += ` ${Math.round(e.stake * 1000) / 10}%`;
  if (e.role) label += ` (${e.role})`;
  return label;
}

function merge(linkage) {
  const cy = ensureGraph();
  const hubs = new Set(linkage.hubs.map((h) => h.id));
  cy.batch(() => {
    for (const n of linkage.nodes) {
      if (cy.getElementById(n.id).empty()) cy.add({ group: "nodes", data: nodeData(n) });
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
}

function layout() {
  const cy = ensureGraph();
  cy.layout({
    name: "cose",
    animate: false,
    nodeRepulsion: 9000,
    idealEdgeLength: 70,
    randomize: false,
    fit: true,
    padding: 20,
  }).run();
}

// extra: [message key, params] of what the last action did, kept to be shown in either language.
function describeGraph(extra) {
  const cy = ensureGraph();
  if (extra !== undefined) state.graphExtra = extra;
  const more = state.graphExtra ? ` · ${t(state.graphExtra[0], state.graphExtra[1])}` : "";
  $("graph-info").textContent =
    `${t("graph.info", { nodes: cy.nodes().length, links: cy.edges().length })}${more}`;
}

async function drawLinkage(id, fresh) {
  const hops = Number($("hops").value);
  const data = await gql(LINKAGE, { id, hops });
  const cy = ensureGraph();
  if (fresh) {
    cy.elements().remove();
    state.expanded = new Set();
  }
  merge(data.linkage);
  state.expanded.add(id);
  cy.nodes().removeClass("root");
  cy.getElementById(id).addClass("root");
  layout();
  describeGraph(data.linkage.truncated ? ["graph.truncated", {}] : null);
  $("graph").dataset.nodes = String(cy.nodes().length);
}

async function expand(id) {
  if (state.expanded.has(id)) return;
  const data = await gql(LINKAGE, { id, hops: 1 });
  merge(data.linkage);
  state.expanded.add(id);
  layout();
  describeGraph(["graph.expanded", { count: data.linkage.nodes.length - 1 }]);
  $("graph").dataset.nodes = String(ensureGraph().nodes().length);
}

function legend() {
  $("legend").replaceChildren(
    ...Object.entries(LEVEL_COLOURS).map(([level, colour]) =>
      el("span", { style: `background:${colour}` }, level),
    ),
    el("span", { style: `background:${UNSCORED}` }, t("graph.notScored")),
  );
}

// ---------- Path finder ----------
const PATHS = `query($from: ID!, $to: ID!, $hops: Int!) {
  riskPaths(from: $from, to: $to, maxHops: $hops, first: 5) {
    length risk
    nodes { id hops entity { __typename name } standing { level value blacklisted } }
    edges { type direction relationship { type startId endId stake role } }
  }
}`;

function renderPaths() {
  const list = $("paths");
  list.replaceChildren();
  if (!state.paths) return;
  const { target, hops, found } = state.paths;
  const cy = ensureGraph();
  if (!found.length) {
    list.append(
      el("li", { class: "hint", "data-testid": "no-path" }, t("paths.none", { name: target.name, hops })),
    );
    return;
  }
  const highlight = (path) => {
    cy.elements().removeClass("on-path");
    for (const n of path.nodes) cy.getElementById(n.id).addClass("on-path");
    for (const e of path.edges) {
      const r = e.relationship;
      cy.getElementById(`${r.startId}|${r.type}|${r.endId}`).addClass("on-path");
    }
  };
  found.forEach((path) => {
    const steps = [];
    path.nodes.forEach((n, i) => {
      steps.push(el("span", {}, levelBadge(n.standing && n.standing.level), " ", n.entity.name));
      if (i < path.edges.length) {
        const e = path.edges[i];
        const rel = tOr(`rel.${e.type}`, e.type);
        steps.push(el("span", { class: "meta" }, e.direction === "FORWARD" ? ` —${rel}→ ` : ` ←${rel}— `));
      }
    });
    list.append(
      el(
        "li",
        { "data-testid": "path", onclick: () => highlight(path) },
        el("div", {}, t("paths.item", { length: path.length, risk: path.risk.toFixed(2) })),
        el("div", { class: "path-steps" }, steps),
      ),
    );
  });
}

async function findPaths(targetText) {
  if (!state.current) throw new Error(t("paths.openFirst"));
  const found = await gql(SEARCH, { q: targetText });
  if (!found.search.edges.length) throw new Error(t("paths.noMatch", { text: targetText }));
  const target = found.search.edges[0].node.entity;
  const hops = $("path-hops").value;
  const data = await gql(PATHS, { from: state.current.id, to: target.id, hops: Number(hops) });
  const cy = ensureGraph();
  cy.elements().removeClass("on-path");
  state.paths = { target, hops, found: data.riskPaths };
  for (const path of data.riskPaths) {
    merge({ nodes: path.nodes, edges: path.edges.map((e) => e.relationship), hubs: [] });
  }
  if (data.riskPaths.length) layout();
  renderPaths();
  const first = $("paths").querySelector("[data-testid=path]");
  if (first) first.click();
  if (data.riskPaths.length)
    describeGraph(["paths.found", { count: data.riskPaths.length, name: target.name }]);
}

// ---------- Language ----------
function applyLanguage() {
  translatePage();
  $("lang").value = language();
  legend();
  renderResults();
  showFile();
  renderPaths();
  if (state.cy) {
    state.cy.edges().forEach((edge) => edge.data("label", edgeLabel(edge.data())));
    describeGraph();
  }
}

// ---------- Wiring ----------
$("search-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const text = $("search").value.trim();
  if (text) guarded(() => search(text));
});
$("path-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const text = $("path-target").value.trim();
  if (text) guarded(() => findPaths(text));
});
$("hops").addEventListener("change", () => {
  if (state.current) guarded(() => drawLinkage(state.current.id, true));
});
$("api-key").value = localStorage.getItem("credgraph.key") || "";
$("api-key").addEventListener("input", () => {
  const key = $("api-key").value.trim();
  if (key) localStorage.setItem("credgraph.key", key);
  else localStorage.removeItem("credgraph.key");
});
$("lang").addEventListener("change", () => {
  setLanguage($("lang").value);
  applyLanguage();
});
// Back and Forward move between the files opened here.
window.addEventListener("popstate", () => {
  const id = new URLSearchParams(location.search).get("entity");
  if (id) guarded(() => openEntity(id, { push: false }));
  else {
    state.current = null;
    $("file").replaceChildren(el("p", { class: "hint" }, t("file.hint")));
    setStatus("");
  }
});
applyLanguage();
const wanted = new URLSearchParams(location.search).get("entity");
if (wanted) guarded(() => openEntity(wanted, { push: false }));
// A handle for tests and for poking around in the browser's developer tools.
window.credgraph = { graph: () => state.cy, openEntity, findPaths };
document.body.dataset.ready = "true";
