// The credgraph investigator console. It talks only to the public GraphQL API at /graphql (and
// fetches the reports a file exports from /reports). Its documents are in documents.js.
import { $, el, gql, guarded, setStatus } from "./dom.js";
import { SCHEMES } from "./documents.js";
import { loadFile, renderFile } from "./file.js";
import { configureGraph, currentGraph, drawLinkage, expand, setSchemes, translateGraph } from "./graph.js";
import { configureInquiry, renderInquiry, resetInquiry, riskScan, ultimateOwners } from "./investigate.js";
import { language, setLanguage, translatePage } from "./messages.js";
import {
  configurePaths,
  findCommonLinks,
  findPaths,
  resetAnswer,
  setPathSchemes,
  translatePaths,
  wirePicker,
} from "./paths.js";
import { configureSearch, renderResults, runSearch } from "./search.js";
import { t } from "./messages.js";

const state = { current: null, notes: new Set(), filters: {} };

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
  if (changed) {
    state.filters = {};
    // Answers about the entity that was open no longer describe this one.
    resetAnswer();
    resetInquiry();
  }
  showFile();
  const url = `?entity=${encodeURIComponent(id)}`;
  if (push && location.search !== url) history.pushState({ entity: id }, "", url);
  await drawLinkage(id, true);
}

// ---------- Schemes: the legend's level scales and the base points a path's risk is told in ----------
async function loadSchemes() {
  const data = await gql(SCHEMES);
  setSchemes(data.schemes);
  setPathSchemes(data.schemes);
}

// ---------- Language ----------
function applyLanguage() {
  translatePage();
  $("lang").value = language();
  translateGraph();
  renderResults();
  showFile();
  translatePaths();
  renderInquiry();
}

// ---------- Wiring ----------
configureSearch({ open: (id) => guarded(() => openEntity(id)) });
configureGraph({ onOpen: (id) => openEntity(id), guarded });
configurePaths({ currentEntity: () => state.current });
configureInquiry({ currentEntity: () => state.current, openEntity: (id) => guarded(() => openEntity(id)) });
wirePicker(guarded);

$("search-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const text = $("search").value.trim();
  if (text) guarded(() => runSearch(text));
});
$("search-kind").addEventListener("change", () => {
  const text = $("search").value.trim();
  if (text) guarded(() => runSearch(text));
});
$("path-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  guarded(findPaths);
});
$("common-links").addEventListener("click", () => guarded(findCommonLinks));
$("owners").addEventListener("click", () => guarded(ultimateOwners));
$("risk-scan").addEventListener("click", () => guarded(riskScan));
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
guarded(loadSchemes);
const wanted = new URLSearchParams(location.search).get("entity");
if (wanted) guarded(() => openEntity(wanted, { push: false }));
// A handle for tests and for poking around in the browser's developer tools.
window.credgraph = { graph: currentGraph, openEntity, findPaths, expand };
document.body.dataset.ready = "true";
