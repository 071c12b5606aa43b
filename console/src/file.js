// The credit file: identity, score with its bands, consequences, history and every contribution,
// the records tied to their points, a person's companies, and the report to export.
import {
  $,
  el,
  svg,
  gql,
  levelBadge,
  pointsCell,
  pointsText,
  authHeaders,
  setStatus,
  LEVEL_COLOURS,
  UNSCORED,
} from "./dom.js";
import { t, tOr, pick, language } from "./messages.js";
import { FILE } from "./documents.js";

// ---------- identity ----------
function documentText(person) {
  if (person.idType === "RESIDENT_ID") return person.idNumber;
  const country = person.nationality ? ` (${person.nationality})` : "";
  return `${t(`doc.${person.idType}`)}${country} ${person.idNumber}`;
}
export { documentText };

function identity(entity) {
  const code = entity.uscc
    ? [[t("id.uscc"), entity.uscc + (entity.usccValid ? "" : t("id.uscc.bad"))]]
    : [
        [t("id.jurisdiction"), entity.jurisdiction],
        [t("id.registry"), entity.registryNumber],
      ];
  const rows =
    entity.__typename === "Company"
      ? [
          ...code,
          [t("id.registration"), entity.registrationNumber],
          [t("id.status"), entity.status && tOr(`company.${entity.status}`, entity.status)],
          [t("id.founded"), entity.foundedOn],
          [t("id.type"), entity.organisationType],
          [t("id.region"), entity.region],
          [t("id.address"), entity.address],
          [t("id.phone"), entity.phone],
          [t("id.authority"), entity.registrationAuthority],
          [t("id.legalRep"), entity.legalRepresentativeName],
        ]
      : [
          [tOr(`doc.${entity.idType}`, t("id.document")), entity.idNumber],
          [t("id.nationality"), entity.nationality],
          [t("id.profession"), entity.profession],
        ];
  return el(
    "div",
    { class: "identity" },
    el(
      "dl",
      {},
      rows.filter(([, v]) => v).map(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]),
    ),
  );
}

// ---------- score ----------
function bandText(level) {
  if (level.min !== null && level.max !== null) return t("bands.range", level);
  if (level.min !== null) return t("bands.above", level);
  return t("bands.below", level);
}

function bands(score) {
  return el(
    "div",
    { "data-testid": "bands" },
    el("h3", {}, t("bands.title")),
    el(
      "table",
      { class: "bands" },
      el(
        "tbody",
        {},
        score.scheme.levels.map((level) =>
          el(
            "tr",
            {
              class: level.name === score.level ? "current" : "",
              "data-testid": "band",
              "aria-current": level.name === score.level ? "true" : null,
            },
            el("td", {}, levelBadge(level.name)),
            el("td", { class: "range" }, bandText(level)),
            el(
              "td",
              {},
              pick(level.meaning),
              level.name === score.level
                ? el("strong", { class: "current-mark" }, ` · ${t("bands.current")}`)
                : null,
            ),
          ),
        ),
      ),
    ),
  );
}

function consequences(score) {
  const inForce = score.consequences.filter((c) => c.inForce);
  return el(
    "div",
    { "data-testid": "consequences" },
    el("h3", {}, t("consequences.title")),
    inForce.length
      ? el(
          "ul",
          { class: "consequences" },
          inForce.map((c) =>
            el(
              "li",
              { class: c.kind.toLowerCase(), title: c.reasons.join("; ") },
              el("strong", {}, `${c.kind === "RESTRICTION" ? "✕" : "✓"} ${pick(c.titleText)}`),
              el("span", { class: "meta" }, ` ${t(`consequence.${c.kind}`)} · ${pick(c.descriptionText)}`),
            ),
          ),
        )
      : el("p", { class: "hint" }, t("score.none")),
  );
}

function ruleText(rule) {
  return rule ? [el("span", { class: "rule-id" }, rule.id), " ", pick(rule.titleText)] : "";
}

function contributionRow(c) {
  const from =
    c.kind === "PROPAGATED"
      ? ` ${t("contribution.from", { name: c.source ? c.source.name : t("contribution.someone") })}`
      : "";
  const status =
    c.status === "EXPIRED" && c.expiresOn
      ? t("status.expiredOn", { day: c.expiresOn })
      : tOr(`status.${c.status}`, c.status);
  return el(
    "tr",
    { "data-testid": "contribution" },
    el("td", {}, t(`contribution.${c.kind}`)),
    el(
      "td",
      { class: "wrap" },
      c.recordId || "",
      from,
      c.path.length
        ? el(
            "div",
            { class: "meta" },
            c.path
              .map(
                (s) =>
                  `${tOr(`rel.${s.rel}`, s.rel)} (${tOr(`dir.${s.direction}`, s.direction)}) → ${s.entity ? s.entity.name : "?"}`,
              )
              .join(" · "),
          )
        : null,
    ),
    el("td", { class: "wrap" }, ruleText(c.rule)),
    el("td", {}, status),
    pointsCell(c.points, { "data-testid": "contribution-points" }),
  );
}

// base + the contributions = the value, in whole cents (what is shown adds up).
function totalRow(score) {
  const edges = score.contributions.edges;
  const cents = edges.reduce((sum, { node: c }) => sum + Math.round(c.points * 100), 0);
  const label =
    edges.length === score.contributions.totalCount
      ? t("total.all", { base: score.base, sum: (cents / 100).toFixed(2), value: score.value.toFixed(2) })
      : t("total.some", {
          shown: edges.length,
          count: score.contributions.totalCount,
          value: score.value.toFixed(2),
        });
  return el(
    "tfoot",
    {},
    el("tr", { "data-testid": "score-total" }, el("td", { colspan: "4" }, label), pointsCell(cents / 100)),
  );
}

function scoreBlock(score) {
  return el(
    "div",
    { "data-testid": "score" },
    el("h3", {}, t("score.title")),
    el(
      "div",
      { class: "score-line" },
      levelBadge(score.level),
      el("strong", { "data-testid": "score-value" }, score.value.toFixed(2)),
      ` ${t("score.ofBase", { base: score.base })}`,
      el(
        "span",
        { class: "meta" },
        t("score.asOf", { scheme: score.scheme.id, version: score.scheme.version, day: score.asOf }),
      ),
      score.blacklisted
        ? el("span", { class: "blacklisted", "data-testid": "blacklisted" }, t("score.blacklisted"))
        : null,
    ),
    score.blacklistReasons.length
      ? el("p", { class: "meta" }, t("score.blacklistedFor", { reasons: score.blacklistReasons.join("; ") }))
      : null,
    consequences(score),
    el("h3", {}, t("contributions.title", { count: score.contributions.totalCount })),
    el(
      "div",
      { class: "table-wrap" },
      el(
        "table",
        { class: "contributions" },
        el(
          "thead",
          {},
          el(
            "tr",
            {},
            ["col.kind", "col.record", "col.rule", "col.status", "col.points"].map((h) => el("th", {}, t(h))),
          ),
        ),
        el(
          "tbody",
          {},
          score.contributions.edges.map(({ node }) => contributionRow(node)),
        ),
        totalRow(score),
      ),
    ),
    bands(score),
  );
}

// ---------- history ----------
function history(entity) {
  const points = entity.scoreHistory.edges.map((e) => e.node).reverse(); // oldest first
  const box = el("div", { "data-testid": "history" }, el("h3", {}, t("history.title")));
  if (!points.length) {
    box.append(el("p", { class: "hint" }, t("history.none")));
    return box;
  }
  if (points.length === 1) {
    const [p] = points;
    box.append(
      el(
        "p",
        { class: "meta" },
        t("history.one", { day: p.asOf, value: p.value.toFixed(2), level: p.level }),
      ),
    );
    return box;
  }
  const width = 560,
    height = 150,
    pad = { left: 46, right: 10, top: 10, bottom: 24 };
  const days = points.map((p) => Date.parse(p.asOf));
  const values = points.map((p) => p.value);
  const [dMin, dMax] = [Math.min(...days), Math.max(...days)];
  let [vMin, vMax] = [Math.min(...values), Math.max(...values)];
  if (vMin === vMax) {
    vMin -= 1;
    vMax += 1;
  }
  const x = (d) => pad.left + ((d - dMin) / Math.max(dMax - dMin, 1)) * (width - pad.left - pad.right);
  const y = (v) => pad.top + (1 - (v - vMin) / (vMax - vMin)) * (height - pad.top - pad.bottom);
  const line = points.map((p, i) => `${x(days[i]).toFixed(1)},${y(p.value).toFixed(1)}`).join(" ");
  box.append(
    svg(
      "svg",
      {
        viewBox: `0 0 ${width} ${height}`,
        class: "history-chart",
        role: "img",
        "data-testid": "history-chart",
        "aria-label": t("history.label", {
          count: points.length,
          from: points[0].asOf,
          to: points[points.length - 1].asOf,
        }),
      },
      svg("line", {
        x1: pad.left,
        y1: height - pad.bottom,
        x2: width - pad.right,
        y2: height - pad.bottom,
        class: "axis",
      }),
      svg("line", { x1: pad.left, y1: pad.top, x2: pad.left, y2: height - pad.bottom, class: "axis" }),
      svg("text", { x: pad.left - 4, y: y(vMax) + 4, "text-anchor": "end", class: "tick" }, vMax.toFixed(0)),
      svg("text", { x: pad.left - 4, y: y(vMin) + 4, "text-anchor": "end", class: "tick" }, vMin.toFixed(0)),
      svg("text", { x: pad.left, y: height - 6, class: "tick" }, points[0].asOf),
      svg(
        "text",
        { x: width - pad.right, y: height - 6, "text-anchor": "end", class: "tick" },
        points[points.length - 1].asOf,
      ),
      svg("polyline", { points: line, class: "trend" }),
      points.map((p, i) =>
        svg(
          "circle",
          {
            cx: x(days[i]).toFixed(1),
            cy: y(p.value).toFixed(1),
            r: 3.5,
            fill: LEVEL_COLOURS[p.level] || UNSCORED,
          },
          svg("title", {}, `${p.asOf}: ${p.value.toFixed(2)} (${p.level})`),
        ),
      ),
    ),
  );
  return box;
}

// ---------- records ----------
const FILTERS = {
  polarity: ["GOOD", "WARNING"],
  category: ["ADMINISTRATIVE", "COMMERCIAL", "SOCIAL", "JUDICIAL"],
  status: ["COUNTING", "EXPIRED", "DISPUTED", "REMOVED", "RESTORED", "UNSCORED"],
};
const PREFIX = { polarity: "polarity", category: "category", status: "status" };

function standingOf(r) {
  return r.standing ? r.standing.status : "UNSCORED";
}

function recordItem(r) {
  const s = r.standing;
  const status = standingOf(r);
  const when =
    s && s.countsUntil
      ? t(status === "EXPIRED" ? "status.expiredOn" : "status.countsUntil", { day: s.countsUntil })
      : "";
  return el(
    "li",
    {
      "data-testid": "record",
      "data-record-id": r.recordId,
      "data-status": status,
      class: `record ${r.polarity.toLowerCase()}`,
    },
    el(
      "div",
      { class: "record-head" },
      el("strong", { class: "record-id" }, r.recordId),
      " ",
      el("span", { class: "code-title", title: r.code }, pick(r.codeTitle)),
      el(
        "span",
        {
          class: `points ${s && s.points < 0 ? "neg" : s && s.points > 0 ? "pos" : ""}`,
          "data-testid": "record-points",
        },
        s ? pointsText(s.points) : "—",
      ),
    ),
    el(
      "div",
      { class: "meta" },
      [
        t(`polarity.${r.polarity}`),
        t(`category.${r.category}`),
        t(`severity.${r.severity}`),
        r.decidedOn,
        tOr(`record.${r.status}`, r.status),
      ].join(" · "),
    ),
    el(
      "div",
      { class: "meta" },
      [r.authority, r.caseNumber && t("record.case", { case: r.caseNumber })].filter(Boolean).join(" · "),
    ),
    r.description ? el("div", {}, r.description) : null,
    r.penalty ? el("div", { class: "meta" }, t("record.penalty", { penalty: r.penalty })) : null,
    el(
      "div",
      { class: `standing ${status.toLowerCase()}`, "data-testid": "record-standing" },
      t(`status.${status}`),
      when ? ` · ${when}` : "",
      s && s.rule ? [" · ", ruleText(s.rule)] : "",
    ),
  );
}

function records(entity, filters, rerender) {
  const all = entity.records.edges.map((e) => e.node);
  const shown = all.filter(
    (r) =>
      (!filters.polarity || r.polarity === filters.polarity) &&
      (!filters.category || r.category === filters.category) &&
      (!filters.status || standingOf(r) === filters.status),
  );
  const select = (name) =>
    el(
      "label",
      {},
      `${t(`filter.${name}`)} `,
      el(
        "select",
        {
          "data-testid": `filter-${name}`,
          onchange: (ev) => {
            filters[name] = ev.target.value || null;
            rerender();
          },
        },
        el("option", { value: "" }, t("filter.all")),
        FILTERS[name].map((v) =>
          el("option", { value: v, selected: filters[name] === v }, t(`${PREFIX[name]}.${v}`)),
        ),
      ),
    );
  return el(
    "div",
    { "data-testid": "records" },
    el("h3", {}, t("records.title", { shown: shown.length, count: entity.records.totalCount })),
    el("div", { class: "filters no-print" }, select("polarity"), select("category"), select("status")),
    shown.length
      ? el("ol", { class: "records" }, shown.map(recordItem))
      : el("p", { class: "hint" }, t("records.none")),
  );
}

// ---------- a person's companies ----------
function companies(person, open) {
  const rows = [
    ...person.representedCompanies.map((c) => ({
      company: c,
      role: t("role.LEGAL_REPRESENTATIVE_OF"),
      stake: null,
    })),
    ...person.holdings.map((h) => ({ company: h.company, role: t("role.SHAREHOLDER_OF"), stake: h.stake })),
    ...person.offices.map((o) => ({
      company: o.company,
      role: `${t("role.OFFICER_OF")} (${o.role})`,
      stake: null,
    })),
  ];
  const level = (c) => {
    const latest = c.latest && c.latest.edges[0];
    return latest ? latest.node.level : null;
  };
  return el(
    "div",
    { "data-testid": "companies" },
    el("h3", {}, t("companies.title", { count: rows.length })),
    rows.length
      ? el(
          "div",
          { class: "table-wrap" },
          el(
            "table",
            {},
            el(
              "thead",
              {},
              el(
                "tr",
                {},
                el("th", {}, t("kind.Company")),
                el("th", {}, t("companies.role")),
                el("th", { class: "points" }, t("companies.stake")),
                el("th", { class: "level-cell" }, t("companies.level")),
              ),
            ),
            el(
              "tbody",
              {},
              rows.map((r) =>
                el(
                  "tr",
                  { "data-testid": "company-row" },
                  el(
                    "td",
                    { class: "wrap" },
                    el(
                      "a",
                      {
                        href: `?entity=${encodeURIComponent(r.company.id)}`,
                        onclick: (ev) => {
                          ev.preventDefault();
                          open(r.company.id);
                        },
                      },
                      r.company.name,
                    ),
                    el("div", { class: "meta" }, r.company.key),
                  ),
                  el("td", {}, r.role),
                  el("td", { class: "points" }, r.stake === null ? "" : `${(r.stake * 100).toFixed(1)}%`),
                  el("td", { class: "level-cell" }, levelBadge(level(r.company))),
                ),
              ),
            ),
          ),
        )
      : el("p", { class: "hint" }, t("companies.none")),
  );
}

// ---------- export ----------
async function exportReport(entity, fmt) {
  const response = await fetch(`/reports/${encodeURIComponent(entity.id)}.${fmt}?lang=${language()}`, {
    headers: authHeaders(),
  });
  if (!response.ok) {
    let body = null;
    try {
      body = await response.json();
    } catch {
      body = null;
    }
    throw new Error((body && (body.reason || body.error)) || `the server answered ${response.status}`);
  }
  const blob = await response.blob();
  const disposition = response.headers.get("content-disposition") || "";
  const match = disposition.match(/filename="([^"]+)"/);
  const name = match ? match[1] : `credit-report.${fmt}`;
  const url = URL.createObjectURL(blob);
  const link = el("a", { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 5000);
  setStatus(t("export.done", { file: name }));
}

// ---------- the file ----------
export function renderFile(entity, notes, { open, guarded, filters }) {
  const rerender = () => renderFile(entity, notes, { open, guarded, filters });
  const exportButton = (fmt, key) =>
    el(
      "button",
      {
        type: "button",
        "data-testid": `export-${fmt}`,
        class: fmt === "pdf" ? "" : "secondary",
        onclick: () => guarded(() => exportReport(entity, fmt)),
      },
      t(key),
    );
  $("file").dataset.id = entity.id;
  $("file").replaceChildren(
    el(
      "div",
      { class: "file-head" },
      el(
        "div",
        {},
        el("h2", { "data-testid": "file-name" }, entity.name),
        el("div", { class: "meta" }, t(`kind.${entity.__typename}`)),
      ),
      el(
        "div",
        { class: "exports no-print", role: "group", "aria-label": t("export.label") },
        exportButton("pdf", "export.pdf"),
        exportButton("json", "export.json"),
        exportButton("csv", "export.csv"),
      ),
    ),
    ...[
      identity(entity),
      [...notes].map((key) => el("p", { class: "hint", "data-testid": "file-note" }, t(key))),
      entity.score ? scoreBlock(entity.score) : null,
      entity.scoreHistory ? history(entity) : null,
      entity.__typename === "Person" && entity.representedCompanies ? companies(entity, open) : null,
      records(entity, filters, rerender),
    ]
      .flat()
      .filter(Boolean),
  );
}

export async function loadFile(id, notes) {
  const data = await gql(FILE, { id }, { partial: true, notes });
  if (!data.node) throw new Error(t("file.gone"));
  return data.node;
}
