// The credgraph investigator console. It talks only to the public GraphQL API at /graphql.
import cytoscape from "cytoscape";

const LEVEL_COLOURS = {
  AAA: "#0b6e4f", AA: "#178a5c", A: "#3aa76d", B: "#d4a017", C: "#e07b24", D: "#b42318",
};
const UNSCORED = "#8a94a6";
const $ = (id) => document.getElementById(id);
const state = { current: null, cy: null, expanded: new Set(), note: "" };

// ---------- GraphQL ----------
// partial: keep the data when some fields were refused to the caller's role (a person named in a
// company's score, for the public); the refusals are shown as a note instead of failing.
async function gql(query, variables = {}, { partial = false } = {}) {
  const headers = { "Content-Type": "application/json" };
  const key = localStorage.getItem("credgraph.key");
  if (key) headers.Authorization = `Bearer ${key}`;
  const response = await fetch("/graphql", {
    method: "POST", headers, body: JSON.stringify({ query, variables }),
  });
  let body;
  try { body = await response.json(); } catch { body = null; }
  if (!response.ok) {
    throw new Error((body && (body.reason || body.error)) || `the server answered ${response.status}`);
  }
  if (body.errors && body.errors.length) {
    const refusedOnly = body.errors.every((e) => e.message.includes("needs the role"));
    if (!(partial && body.data && refusedOnly)) throw new Error(body.errors.map((e) => e.message).join("; "));
    state.note = "Some linked people are not shown to your role.";
  }
  return body.data;
}

function setStatus(message) { $("status").textContent = message || ""; }

async function guarded(work) {
  setStatus("");
  try { await work(); } catch (error) { setStatus(error.message); }
}

// ---------- DOM helpers (text only: nothing from the API is parsed as HTML) ----------
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "style") node.setAttribute("style", value);
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function levelBadge(level) {
  return el("span", { class: "level", style: `background:${LEVEL_COLOURS[level] || UNSCORED}` }, level || "—");
}

// Points and values in cents: the API's contributions add up to its value exactly.
function points(value) {
  const text = value > 0 ? `+${value.toFixed(2)}` : value.toFixed(2);
  return el("td", { class: `points ${value < 0 ? "neg" : value > 0 ? "pos" : ""}` }, text);
}

// ---------- Search ----------
const SEARCH = `query($q: String!) {
  search(query: $q, first: 20) {
    totalCount
    edges { node { matchedOn via entity { __typename id name
      ... on Company { key status region }
      ... on Person { idNumber idType nationality profession } } } }
  }
}`;

async function search(text) {
  const data = await gql(SEARCH, { q: text });
  const list = $("results");
  list.replaceChildren();
  const edges = data.search.edges;
  if (!edges.length) list.append(el("li", { class: "hint" }, "Nothing found."));
  for (const { node } of edges) {
    const e = node.entity;
    const code = e.__typename === "Company" ? e.key : documentText(e);
    list.append(el("li", {
      tabindex: "0", "data-testid": "result", "data-id": e.id,
      onclick: () => guarded(() => openEntity(e.id)),
      onkeydown: (ev) => { if (ev.key === "Enter") guarded(() => openEntity(e.id)); },
    }, el("div", {}, e.name), el("div", { class: "meta" },
      `${e.__typename === "Company" ? "Company" : "Person"} · ${code} · matched on ${node.matchedOn.toLowerCase()}`)));
  }
  return edges;
}

// ---------- Credit file ----------
const RECORD_FIELDS = `totalCount edges { node { recordId code category severity decidedOn status
  authority caseNumber description penalty expiresOn } }`;
const FILE = `query($id: ID!) { node(id: $id) { __typename id
  ... on Company { name key uscc usccValid jurisdiction registryNumber registrationNumber address phone
                   status foundedOn registrationAuthority organisationType region legalRepresentativeName }
  ... on Person { name idNumber idType nationality profession }
  ... on Entity {
    good: records(polarity: GOOD, first: 50) { ${RECORD_FIELDS} }
    warnings: records(polarity: WARNING, first: 50) { ${RECORD_FIELDS} }
    score {
      value base level blacklisted blacklistReasons asOf scheme { id version }
      consequences { name kind inForce reasons description }
      contributions(first: 100) { totalCount edges { node {
        kind points status recordId weight rule { id }
        source { name } path { rel direction entity { name } } } } }
    }
  }
} }`;

// The documents a person may be identified by (IdType), as the file names them.
const DOCUMENTS = {
  RESIDENT_ID: "Identity number", HK_MACAO_PERMIT: "HK/Macao residence permit",
  TAIWAN_PERMIT: "Taiwan residence permit", MAINLAND_TRAVEL_PERMIT: "Mainland travel permit",
  PASSPORT: "Passport", FOREIGN_PERMANENT_RESIDENT: "Permanent residence card",
};

function documentText(person) {
  if (person.idType === "RESIDENT_ID") return person.idNumber;
  const country = person.nationality ? ` (${person.nationality})` : "";
  return `${DOCUMENTS[person.idType] || person.idType}${country} ${person.idNumber}`;
}

function companyCode(entity) {
  if (entity.uscc) return [["USCC", entity.uscc + (entity.usccValid ? "" : " (check character wrong)")]];
  return [["Jurisdiction", entity.jurisdiction], ["Registry no.", entity.registryNumber]];
}

function identity(entity) {
  const rows = entity.__typename === "Company"
    ? [...companyCode(entity),
       ["Registration no.", entity.registrationNumber], ["Status", entity.status],
       ["Founded", entity.foundedOn], ["Type", entity.organisationType], ["Region", entity.region],
       ["Address", entity.address], ["Phone", entity.phone], ["Registered by", entity.registrationAuthority],
       ["Legal representative", entity.legalRepresentativeName]]
    : [[DOCUMENTS[entity.idType] || "Document", entity.idNumber],
       ["Nationality", entity.nationality], ["Profession", entity.profession]];
  return el("div", { class: "identity" }, el("dl", {},
    rows.filter(([, v]) => v).map(([k, v]) => [el("dt", {}, k), el("dd", {}, v)])));
}

function recordList(title, connection, testid) {
  const items = connection.edges.map(({ node: r }) => el("li", { "data-testid": "record" },
    el("strong", {}, r.code), ` · ${r.severity.toLowerCase()} · ${r.decidedOn} · ${r.status.toLowerCase()}`,
    el("div", { class: "meta" }, [r.authority, r.caseNumber].filter(Boolean).join(" · ")),
    r.description ? el("div", {}, r.description) : null,
    el("div", { class: "meta" }, [r.penalty && `penalty: ${r.penalty}`,
      r.expiresOn && `counts until ${r.expiresOn}`].filter(Boolean).join(" · "))));
  return el("div", { "data-testid": testid },
    el("h3", {}, `${title} (${connection.totalCount})`),
    items.length ? el("ol", { class: "records" }, items) : el("p", { class: "hint" }, "None."));
}

function scoreBlock(score) {
  const rows = score.contributions.edges.map(({ node: c }) => el("tr", { "data-testid": "contribution" },
    el("td", {}, c.kind.toLowerCase()),
    el("td", {}, c.recordId || "", c.kind === "PROPAGATED" ? ` from ${c.source ? c.source.name : "a linked person"}` : "",
      c.path.length ? el("div", { class: "meta" },
        c.path.map((s) => `${s.rel} (${s.direction}) → ${s.entity ? s.entity.name : "?"}`).join(" · ")) : null),
    el("td", {}, c.rule ? c.rule.id : ""), el("td", {}, c.status), points(c.points)));
  const inForce = score.consequences.filter((c) => c.inForce);
  return el("div", { "data-testid": "score" },
    el("h3", {}, "Score"),
    el("div", { class: "score-line" }, levelBadge(score.level),
      el("strong", { "data-testid": "score-value" }, score.value.toFixed(2)), ` of base ${score.base}`,
      el("span", { class: "meta" }, `${score.scheme.id} ${score.scheme.version} · as of ${score.asOf}`),
      score.blacklisted ? el("span", { class: "blacklisted", "data-testid": "blacklisted" }, "on the blacklist") : null),
    score.blacklistReasons.length ? el("p", { class: "meta" }, `Blacklisted for: ${score.blacklistReasons.join("; ")}`) : null,
    el("h3", {}, "Consequences in force"),
    inForce.length
      ? el("ul", { class: "consequences" }, inForce.map((c) => el("li", { class: c.kind, title: c.reasons.join("; ") },
        `${c.kind === "restriction" ? "✕" : "✓"} ${c.name.replaceAll("_", " ")}`)))
      : el("p", { class: "hint" }, "None."),
    el("h3", {}, `Contributions (${score.contributions.totalCount})`),
    el("table", {}, el("thead", {}, el("tr", {}, ["kind", "record", "rule", "status", "points"].map((h) => el("th", {}, h)))),
      el("tbody", {}, rows), totalRow(score)));
}

// base + the contributions = the value, in whole cents (what is shown adds up).
function totalRow(score) {
  const edges = score.contributions.edges;
  const cents = edges.reduce((sum, { node: c }) => sum + Math.round(c.points * 100), 0);
  const shownAll = edges.length === score.contributions.totalCount;
  const label = shownAll
    ? `base ${score.base} + contributions ${(cents / 100).toFixed(2)} = ${score.value.toFixed(2)}`
    : `the first ${edges.length} of ${score.contributions.totalCount} contributions; value ${score.value.toFixed(2)}`;
  return el("tfoot", {}, el("tr", { "data-testid": "score-total" },
    el("td", { colspan: "4" }, label), points(cents / 100)));
}

async function openEntity(id) {
  state.note = "";
  const data = await gql(FILE, { id }, { partial: true });
  const entity = data.node;
  if (!entity) throw new Error("This entity is no longer in the registry.");
  state.current = entity;
  $("file").replaceChildren(
    el("h2", { "data-testid": "file-name" }, entity.name),
    el("div", { class: "meta" }, entity.__typename === "Company" ? "Company" : "Person"),
    ...[identity(entity),
      state.note && el("p", { class: "hint", "data-testid": "file-note" }, state.note),
      scoreBlock(entity.score),
      recordList("Warning records", entity.warnings, "warning-records"),
      recordList("Good records", entity.good, "good-records")].filter(Boolean));
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
    id: n.id, label: n.entity.name, kind: n.entity.__typename,
    level: n.standing ? n.standing.level : "", colour: n.standing ? (LEVEL_COLOURS[n.standing.level] || UNSCORED) : UNSCORED,
    blacklisted: n.standing && n.standing.blacklisted ? "yes" : "no",
  };
}

function ensureGraph() {
  if (state.cy) return state.cy;
  state.cy = cytoscape({
    container: $("graph"),
    wheelSensitivity: 0.3,
    style: [
      { selector: "node", style: {
        "background-color": "data(colour)", label: "data(label)", "font-size": 9, "text-wrap": "ellipsis",
        "text-max-width": 90, "text-valign": "bottom", "text-margin-y": 3, width: 18, height: 18, color: "#1d2430" } },
      { selector: "node[kind = 'Person']", style: { shape: "ellipse" } },
      { selector: "node[kind = 'Company']", style: { shape: "round-rectangle", width: 22, height: 16 } },
      { selector: "node[blacklisted = 'yes']", style: { "border-width": 3, "border-color": "#3b0a0a" } },
      { selector: "node.hub", style: { "border-width": 2, "border-style": "dashed", "border-color": "#555" } },
      { selector: "node.root", style: { width: 28, height: 28, "font-weight": "bold" } },
      { selector: "edge", style: {
        width: 1.5, "line-color": "#9aa6b8", "target-arrow-color": "#9aa6b8", "target-arrow-shape": "triangle",
        "curve-style": "bezier", label: "data(label)", "font-size": 7, color: "#5b6576", "text-rotation": "autorotate" } },
      { selector: ".on-path", style: { "line-color": "#b42318", "target-arrow-color": "#b42318", width: 3, "z-index": 10 } },
      { selector: "node.on-path", style: { "border-width": 3, "border-color": "#b42318" } },
    ],
  });
  state.cy.on("tap", "node", (ev) => guarded(() => expand(ev.target.id())));
  state.cy.on("dbltap", "node", (ev) => guarded(() => openEntity(ev.target.id())));
  return state.cy;
}

function edgeLabel(e) {
  const short = { LEGAL_REPRESENTATIVE_OF: "legal rep", SHAREHOLDER_OF: "shareholder", OFFICER_OF: "officer", BRANCH_OF: "branch" };
  let label = short[e.type] || e.type;
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
        cy.add({ group: "edges", data: { id, source: e.startId, target: e.endId, label: edgeLabel(e), type: e.type } });
      }
    }
  });
}

function layout() {
  const cy = ensureGraph();
  cy.layout({ name: "cose", animate: false, nodeRepulsion: 9000, idealEdgeLength: 70, randomize: false, fit: true, padding: 20 }).run();
}

function describeGraph(extra) {
  const cy = ensureGraph();
  $("graph-info").textContent = `${cy.nodes().length} entities, ${cy.edges().length} links${extra ? ` · ${extra}` : ""}`;
}

async function drawLinkage(id, fresh) {
  const hops = Number($("hops").value);
  const data = await gql(LINKAGE, { id, hops });
  const cy = ensureGraph();
  if (fresh) { cy.elements().remove(); state.expanded = new Set(); }
  merge(data.linkage);
  state.expanded.add(id);
  cy.nodes().removeClass("root");
  cy.getElementById(id).addClass("root");
  layout();
  describeGraph(data.linkage.truncated ? "truncated at 200" : "");
  $("graph").dataset.nodes = String(cy.nodes().length);
}

async function expand(id) {
  if (state.expanded.has(id)) return;
  const data = await gql(LINKAGE, { id, hops: 1 });
  merge(data.linkage);
  state.expanded.add(id);
  layout();
  describeGraph(`expanded ${data.linkage.nodes.length - 1} around a node`);
  $("graph").dataset.nodes = String(ensureGraph().nodes().length);
}

function legend() {
  $("legend").replaceChildren(...Object.entries(LEVEL_COLOURS).map(([level, colour]) =>
    el("span", { style: `background:${colour}` }, level)), el("span", { style: `background:${UNSCORED}` }, "not scored"));
}

// ---------- Path finder ----------
const PATHS = `query($from: ID!, $to: ID!, $hops: Int!) {
  riskPaths(from: $from, to: $to, maxHops: $hops, first: 5) {
    length risk
    nodes { id hops entity { __typename name } standing { level value blacklisted } }
    edges { type direction relationship { type startId endId stake role } }
  }
}`;

async function findPaths(targetText) {
  if (!state.current) throw new Error("Open an entity first: paths start from the open entity.");
  const found = await gql(SEARCH, { q: targetText });
  if (!found.search.edges.length) throw new Error(`No entity matches “${targetText}”.`);
  const target = found.search.edges[0].node.entity;
  const data = await gql(PATHS, { from: state.current.id, to: target.id, hops: Number($("path-hops").value) });
  const list = $("paths");
  list.replaceChildren();
  const cy = ensureGraph();
  cy.elements().removeClass("on-path");
  if (!data.riskPaths.length) {
    list.append(el("li", { class: "hint", "data-testid": "no-path" }, `No path to ${target.name} within ${$("path-hops").value} links.`));
    return;
  }
  for (const path of data.riskPaths) {
    merge({ nodes: path.nodes, edges: path.edges.map((e) => e.relationship), hubs: [] });
  }
  layout();
  const highlight = (path) => {
    cy.elements().removeClass("on-path");
    for (const n of path.nodes) cy.getElementById(n.id).addClass("on-path");
    for (const e of path.edges) {
      const r = e.relationship;
      cy.getElementById(`${r.startId}|${r.type}|${r.endId}`).addClass("on-path");
    }
  };
  data.riskPaths.forEach((path, index) => {
    const steps = [];
    path.nodes.forEach((n, i) => {
      steps.push(el("span", {}, levelBadge(n.standing && n.standing.level), " ", n.entity.name));
      if (i < path.edges.length) {
        const e = path.edges[i];
        steps.push(el("span", { class: "meta" }, e.direction === "FORWARD" ? ` —${e.type}→ ` : ` ←${e.type}— `));
      }
    });
    list.append(el("li", { "data-testid": "path", onclick: () => highlight(path) },
      el("div", {}, `${path.length} links · risk ${path.risk.toFixed(2)}`), el("div", { class: "path-steps" }, steps)));
    if (index === 0) highlight(path);
  });
  describeGraph(`${data.riskPaths.length} paths to ${target.name}`);
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
$("hops").addEventListener("change", () => { if (state.current) guarded(() => drawLinkage(state.current.id, true)); });
$("api-key").value = localStorage.getItem("credgraph.key") || "";
$("api-key").addEventListener("input", () => {
  const key = $("api-key").value.trim();
  if (key) localStorage.setItem("credgraph.key", key); else localStorage.removeItem("credgraph.key");
});
legend();
const wanted = new URLSearchParams(location.search).get("entity");
if (wanted) guarded(() => openEntity(wanted));
// A handle for tests and for poking around in the browser's developer tools.
window.credgraph = { graph: () => state.cy, openEntity, findPaths };
document.body.dataset.ready = "true";
