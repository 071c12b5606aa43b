// Search: ranked results with what each matched on (the representative's name included), its
// level and status, the total and further pages, a kind filter, and a word when the caller's
// role leaves people out.
import { $, el, gql, levelBadge } from "./dom.js";
import { SEARCH } from "./documents.js";
import { documentText } from "./file.js";
import { t, tOr } from "./messages.js";

const PAGE = 20;
const search = { text: "", kind: "ANY", answer: null, edges: [], open: () => {} };

export function configureSearch({ open }) {
  search.open = open;
}

function latest(entity) {
  const edge = entity.latest && entity.latest.edges[0];
  return edge ? edge.node : null;
}

function resultItem(node) {
  const e = node.entity;
  const code = e.__typename === "Company" ? e.key : documentText(e);
  const standing = latest(e);
  const matched = tOr(`matched.${node.matchedOn}`, node.matchedOn.toLowerCase());
  const meta = [t(`kind.${e.__typename}`), code];
  if (e.__typename === "Company" && e.status) meta.push(tOr(`company.${e.status}`, e.status));
  const why =
    node.via !== null && node.via !== undefined
      ? t("results.via", { name: node.via })
      : t("results.matched", { what: matched });
  const open = () => search.open(e.id);
  return el(
    "li",
    {
      tabindex: "0",
      role: "button",
      "data-testid": "result",
      "data-id": e.id,
      onclick: open,
      onkeydown: (ev) => {
        if (ev.key === "Enter" || ev.key === " ") {
          ev.preventDefault();
          open();
        }
      },
    },
    el(
      "div",
      { class: "result-head" },
      levelBadge(standing && standing.level),
      el("span", { class: "result-name" }, e.name),
      standing && standing.blacklisted
        ? el("span", { class: "blacklisted" }, t("results.blacklisted"))
        : null,
    ),
    el("div", { class: "meta" }, meta.join(" · ")),
    el("div", { class: "meta why", "data-testid": "result-why" }, why),
  );
}

export function renderResults() {
  const list = $("results");
  const head = $("results-head");
  list.replaceChildren();
  head.replaceChildren();
  if (!search.answer) return;
  const { totalCount, excludedKinds, pageInfo } = search.answer;
  for (const kind of excludedKinds) {
    head.append(
      el("p", { class: "notice", "data-testid": "excluded", role: "note" }, t(`results.excluded.${kind}`)),
    );
  }
  head.append(
    el(
      "p",
      { class: "meta", "data-testid": "results-count" },
      t("results.count", { count: totalCount }),
      totalCount >= 200 ? ` ${t("results.capped")}` : "",
    ),
  );
  if (!search.edges.length) list.append(el("li", { class: "hint" }, t("results.none")));
  for (const { node } of search.edges) list.append(resultItem(node));
  if (pageInfo.hasNextPage) {
    list.append(
      el(
        "li",
        { class: "more" },
        el(
          "button",
          { type: "button", class: "secondary", "data-testid": "more-results", onclick: () => more() },
          t("results.more"),
        ),
      ),
    );
  }
}

export async function runSearch(text, kind = $("search-kind").value) {
  search.text = text;
  search.kind = kind;
  const data = await gql(SEARCH, { q: text, kind, first: PAGE });
  search.answer = data.search;
  search.edges = data.search.edges;
  renderResults();
  return search.edges;
}

async function more() {
  const data = await gql(SEARCH, {
    q: search.text,
    kind: search.kind,
    first: PAGE,
    after: search.answer.pageInfo.endCursor,
  });
  const before = search.edges.length;
  search.answer = data.search;
  search.edges = [...search.edges, ...data.search.edges];
  renderResults();
  // Keyboard users land on the first new result.
  const items = $("results").querySelectorAll("[data-testid=result]");
  if (items[before]) items[before].focus();
}
