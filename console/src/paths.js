// The path finder and common links: the other entity is chosen from suggestions (or named by its
// code), never guessed; the heading always says what the answer below it is; every hop shows
// its relationship, stake and role; a path's risk is explained party by party.
import { $, el, gql, levelBadge } from "./dom.js";
import { COMMON_LINKS, PATHS, SUGGEST } from "./documents.js";
import { documentText } from "./file.js";
import { edgeLabel, ensureGraph, merge, layout, describeGraph, highlight, clearHighlight } from "./graph.js";
import { t } from "./messages.js";

const EXACT = new Set(["CODE", "REGISTRATION_NUMBER", "ID_NUMBER"]);
const picker = { target: null, options: [], active: -1, timer: null, asked: "", schemes: {} };
let answer = null; // { kind: "paths" | "common", from, to, hops, found }
let current = () => null;

export function configurePaths({ currentEntity }) {
  current = currentEntity;
}

export function setPathSchemes(schemes) {
  picker.schemes = Object.fromEntries(schemes.map((s) => [s.id, s]));
}

// ---------- choosing the other entity ----------
function optionText(node) {
  const e = node.entity;
  const code = e.__typename === "Company" ? e.key : documentText(e);
  const via = node.via ? ` · ${t("results.via", { name: node.via })}` : "";
  return [e.name, `${t(`kind.${e.__typename}`)} · ${code}${via}`];
}

function renderOptions(message) {
  const list = $("target-options");
  const input = $("path-target");
  list.replaceChildren();
  if (message) {
    list.append(el("li", { class: "hint", role: "presentation", "data-testid": "no-target" }, message));
  }
  picker.options.forEach((node, i) => {
    const [name, meta] = optionText(node);
    list.append(
      el(
        "li",
        {
          id: `target-option-${i}`,
          role: "option",
          "aria-selected": i === picker.active ? "true" : "false",
          class: i === picker.active ? "active" : "",
          "data-testid": "target-option",
          onmousedown: (ev) => ev.preventDefault(), // keep the focus in the input
          onclick: () => choose(node.entity),
        },
        el("div", {}, name),
        el("div", { class: "meta" }, meta),
      ),
    );
  });
  const open = picker.options.length > 0 || Boolean(message);
  list.hidden = !open;
  input.setAttribute("aria-expanded", open ? "true" : "false");
  if (picker.active >= 0) input.setAttribute("aria-activedescendant", `target-option-${picker.active}`);
  else input.removeAttribute("aria-activedescendant");
}

function closeOptions() {
  picker.options = [];
  picker.active = -1;
  renderOptions(null);
}

async function suggest(text) {
  picker.asked = text;
  const data = await gql(SUGGEST, { q: text });
  if (picker.asked !== text) return; // a later keystroke asked again
  picker.options = data.search.edges.map((e) => e.node);
  picker.active = -1;
  renderOptions(picker.options.length ? null : t("paths.noMatch", { text }));
}

function choose(entity) {
  picker.target = { id: entity.id, name: entity.name };
  $("path-target").value = entity.name;
  closeOptions();
  renderChosen();
}

function renderChosen() {
  const box = $("target-chosen");
  const ready = Boolean(picker.target);
  $("find-paths").disabled = !ready;
  $("common-links").disabled = !ready;
  box.replaceChildren();
  if (!ready) {
    box.append(el("span", { class: "hint" }, t("paths.choose")));
    return;
  }
  box.append(
    el("span", { "data-testid": "target-chosen" }, t("paths.chosen", { name: picker.target.name })),
    " ",
    el(
      "button",
      {
        type: "button",
        class: "secondary small",
        onclick: () => {
          picker.target = null;
          $("path-target").value = "";
          renderChosen();
          $("path-target").focus();
        },
      },
      t("paths.clear"),
    ),
  );
}

// A code (USCC, registration or identity number, a party key) names one entity: taken only when
// the registry matches it exactly.
async function byCode(text) {
  if (!/[0-9]{6}|:/.test(text)) return null;
  const data = await gql(SUGGEST, { q: text });
  const exact = data.search.edges.filter((e) => EXACT.has(e.node.matchedOn));
  return exact.length === 1 ? exact[0].node.entity : null;
}

export function wirePicker(guarded) {
  const input = $("path-target");
  input.addEventListener("input", () => {
    picker.target = null;
    renderChosen();
    clearTimeout(picker.timer);
    const text = input.value.trim();
    if (!text) {
      closeOptions();
      return;
    }
    picker.timer = setTimeout(() => guarded(() => suggest(text)), 250);
  });
  input.addEventListener("keydown", (ev) => {
    const count = picker.options.length;
    if (ev.key === "ArrowDown" && count) {
      ev.preventDefault();
      picker.active = (picker.active + 1) % count;
      renderOptions(null);
    } else if (ev.key === "ArrowUp" && count) {
      ev.preventDefault();
      picker.active = (picker.active - 1 + count) % count;
      renderOptions(null);
    } else if (ev.key === "Enter" && picker.active >= 0) {
      ev.preventDefault();
      choose(picker.options[picker.active].entity);
    } else if (ev.key === "Enter") {
      // The buttons wait for a chosen entity; Enter still takes a code, or says what is missing.
      ev.preventDefault();
      closeOptions();
      guarded(findPaths);
    } else if (ev.key === "Escape") {
      closeOptions();
    }
  });
  input.addEventListener("blur", () => setTimeout(closeOptions, 150));
  renderChosen();
}

async function target() {
  if (picker.target) return picker.target;
  const text = $("path-target").value.trim();
  const found = text ? await byCode(text) : null;
  if (found) {
    choose(found);
    return picker.target;
  }
  if (text && !picker.options.length) await suggest(text);
  throw new Error(text && !picker.options.length ? t("paths.noMatch", { text }) : t("paths.choose"));
}

// ---------- answers ----------
export function resetAnswer() {
  answer = null;
  renderAnswer();
}

function risky(path) {
  const parts = [];
  for (const n of path.nodes) {
    const s = n.standing;
    if (!s) continue;
    const scheme = picker.schemes[s.scheme];
    const base = scheme ? scheme.base : 0;
    const lost = base ? Math.max(0, (base - s.value) / base) : 0;
    if (lost > 0.00005) {
      parts.push(
        t("paths.risk.lost", {
          name: n.entity.name,
          share: (lost * 100).toFixed(1),
          points: lost.toFixed(3),
        }),
      );
    }
    if (s.blacklisted) parts.push(t("paths.risk.blacklisted", { name: n.entity.name }));
  }
  return parts;
}

function hopText(edge) {
  const label = edgeLabel(edge.relationship);
  return edge.direction === "FORWARD" ? ` —${label}→ ` : ` ←${label}— `;
}

function pathItem(path, index) {
  const steps = [];
  path.nodes.forEach((n, i) => {
    steps.push(el("span", { class: "step" }, levelBadge(n.standing && n.standing.level), " ", n.entity.name));
    if (i < path.edges.length) {
      steps.push(el("span", { class: "hop", "data-testid": "hop" }, hopText(path.edges[i])));
    }
  });
  const parts = risky(path);
  const explained = el(
    "div",
    { class: "risk-words", "data-testid": "risk-words" },
    parts.length
      ? [t("paths.risk.sum", { risk: path.risk.toFixed(2) }), parts.join(" + ")]
      : t("paths.risk.none"),
  );
  const show = () => {
    for (const item of $("paths").querySelectorAll("[data-testid=path]")) item.classList.remove("selected");
    item.classList.add("selected");
    highlight(
      path.nodes.map((n) => n.id),
      path.edges.map((e) => `${e.relationship.startId}|${e.relationship.type}|${e.relationship.endId}`),
    );
  };
  const item = el(
    "li",
    {
      "data-testid": "path",
      tabindex: "0",
      "aria-label": `${index + 1}`,
      onclick: show,
      onkeydown: (ev) => {
        if (ev.key === "Enter" || ev.key === " ") {
          ev.preventDefault();
          show();
        }
      },
    },
    el("div", { class: "path-title" }, t("paths.item", { count: path.length, risk: path.risk.toFixed(2) })),
    el("div", { class: "path-steps" }, steps),
    explained,
  );
  return item;
}

function names() {
  const known = { [answer.from.id]: answer.from.name, [answer.to.id]: answer.to.name };
  const cy = ensureGraph();
  cy.nodes().forEach((n) => {
    known[n.id()] = n.data("label");
  });
  for (const link of answer.found) if (link.entity) known[link.entity.id] = link.entity.name;
  return known;
}

function linkSteps(edges, known) {
  return edges.map((e) => {
    const r = e.relationship;
    const label = edgeLabel(r);
    return el("div", { class: "meta" }, `${known[r.startId] || "?"} —${label}→ ${known[r.endId] || "?"}`);
  });
}

function commonItem(link, known) {
  const name = link.entity ? link.entity.name : "";
  return el(
    "li",
    { "data-testid": "common-link" },
    el("div", {}, t(`common.kind.${link.kind}`, { name, value: link.value || "" })),
    link.pathFromA.length ? linkSteps(link.pathFromA, known) : null,
    // A direct link is one relationship, seen from both ends: shown once.
    link.pathFromB.length && link.kind !== "DIRECT" ? linkSteps(link.pathFromB, known) : null,
  );
}

export function renderAnswer() {
  const head = $("paths-head");
  const list = $("paths");
  list.replaceChildren();
  head.textContent = "";
  head.hidden = !answer;
  if (!answer) return;
  const { kind, from, to, hops, found } = answer;
  if (kind === "paths") {
    head.textContent = found.length
      ? t("paths.head", { count: found.length, from: from.name, to: to.name, hops })
      : t("paths.none", { from: from.name, to: to.name, hops });
    head.dataset.testid = found.length ? "paths-head" : "no-path";
    found.forEach((path, i) => list.append(pathItem(path, i)));
    if (found.length) list.append(el("li", { class: "hint rule" }, t("paths.risk.rule")));
  } else {
    head.textContent = found.length
      ? t("common.head", { count: found.length, a: from.name, b: to.name })
      : t("common.none", { a: from.name, b: to.name });
    head.dataset.testid = found.length ? "common-head" : "no-common";
    const known = names();
    for (const link of found) list.append(commonItem(link, known));
  }
}

export async function findPaths() {
  const from = current();
  if (!from) throw new Error(t("paths.openFirst"));
  const to = await target();
  const hops = Number($("path-hops").value);
  const data = await gql(PATHS, { from: from.id, to: to.id, hops });
  answer = { kind: "paths", from: { id: from.id, name: from.name }, to, hops, found: data.riskPaths };
  clearHighlight();
  let added = 0;
  for (const path of data.riskPaths) {
    added += merge({ nodes: path.nodes, edges: path.edges.map((e) => e.relationship), hubs: [] });
  }
  if (added) layout();
  renderAnswer();
  const first = $("paths").querySelector("[data-testid=path]");
  if (first) first.click();
  if (data.riskPaths.length) describeGraph(["paths.found", { count: data.riskPaths.length, name: to.name }]);
}

export async function findCommonLinks() {
  const from = current();
  if (!from) throw new Error(t("paths.openFirst"));
  const to = await target();
  const data = await gql(COMMON_LINKS, { a: from.id, b: to.id });
  answer = { kind: "common", from: { id: from.id, name: from.name }, to, hops: 0, found: data.commonLinks };
  clearHighlight();
  renderAnswer();
}

export function translatePaths() {
  renderChosen();
  renderAnswer();
  $("target-options").setAttribute("aria-label", t("paths.suggestions"));
}
