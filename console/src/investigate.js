// The other investigation queries about the open entity: its ultimate owners by equity
// penetration (companies), and a scan of its surroundings for risky parties.
import { $, el, gql, levelBadge } from "./dom.js";
import { OWNERS, RISK_SCAN } from "./documents.js";
import { highlight } from "./graph.js";
import { t, tOr, pick } from "./messages.js";

let inquiry = null; // { kind: "owners" | "scan", entity, found, min?, hops? }
let current = () => null;
let open = () => {};

export function configureInquiry({ currentEntity, openEntity }) {
  current = currentEntity;
  open = openEntity;
}

export function resetInquiry() {
  inquiry = null;
  renderInquiry();
}

function pct(share) {
  return (Math.round(share * 1000) / 10).toString();
}

function entityLink(entity) {
  return el(
    "a",
    {
      href: `?entity=${encodeURIComponent(entity.id)}`,
      onclick: (ev) => {
        ev.preventDefault();
        open(entity.id);
      },
    },
    entity.name,
  );
}

function ownerItem(owner, company) {
  const chains = owner.chains.map((chain) => {
    // links run from the company's direct shareholder up to the owner: drawn owner first.
    const steps = [];
    [...chain.links].reverse().forEach((link) => {
      steps.push(link.holder.name, ` —${pct(link.stake)}%→ `);
    });
    steps.push(company.name);
    return el("li", { class: "meta" }, t("owners.chain", { stake: pct(chain.stake) }), " ", steps.join(""));
  });
  return el(
    "li",
    { "data-testid": "owner" },
    el(
      "div",
      {},
      entityLink(owner.owner),
      " · ",
      el(
        "strong",
        { "data-testid": "owner-stake" },
        t("owners.effective", { stake: pct(owner.effectiveStake) }),
      ),
      owner.truncated ? el("span", { class: "meta" }, ` · ${t("owners.truncated")}`) : null,
    ),
    el("ul", { class: "chains" }, chains),
  );
}

function scanItem(hit) {
  const n = hit.node;
  const s = n.standing;
  const records = hit.records.map((r) =>
    el(
      "li",
      { class: "meta" },
      `${pick(r.codeTitle) || r.code} · ${tOr(`severity.${r.severity}`, r.severity)} · ${r.decidedOn} · ${r.recordId}`,
    ),
  );
  const facts = [t("scan.away", { count: n.hops })];
  if (hit.warnings) facts.push(t("scan.warnings", { count: hit.warnings }));
  if (hit.worstSeverity)
    facts.push(t("scan.worst", { severity: tOr(`severity.${hit.worstSeverity}`, hit.worstSeverity) }));
  if (!hit.warnings && s && s.blacklisted) facts.push(t("scan.blacklistedOnly"));
  return el(
    "li",
    {
      "data-testid": "scan-hit",
      tabindex: "0",
      onfocus: () => highlight([n.id], []),
      onmouseenter: () => highlight([n.id], []),
    },
    el(
      "div",
      {},
      levelBadge(s && s.level),
      " ",
      entityLink({ id: n.id, name: n.entity.name }),
      s && s.blacklisted ? el("span", { class: "blacklisted" }, ` ${t("results.blacklisted")}`) : null,
    ),
    el("div", { class: "meta" }, facts.join(" · ")),
    el("ul", { class: "chains" }, records),
  );
}

export function renderInquiry() {
  const head = $("inquiry-head");
  const list = $("inquiry");
  list.replaceChildren();
  head.textContent = "";
  head.hidden = !inquiry;
  if (!inquiry) return;
  const { kind, entity, found } = inquiry;
  if (kind === "owners") {
    const min = pct(inquiry.min);
    head.textContent = found.length
      ? t("owners.head", { count: found.length, name: entity.name, min })
      : t("owners.none", { name: entity.name, min });
    for (const owner of found) list.append(ownerItem(owner, entity));
  } else {
    head.textContent = found.length
      ? t("scan.head", { count: found.length, name: entity.name, hops: inquiry.hops })
      : t("scan.none", { name: entity.name, hops: inquiry.hops });
    for (const hit of found) list.append(scanItem(hit));
  }
  head.dataset.testid = `${kind}-head`;
}

export async function ultimateOwners() {
  const entity = current();
  if (!entity) throw new Error(t("paths.openFirst"));
  if (entity.__typename !== "Company") throw new Error(t("owners.companyOnly"));
  const min = Number($("owners-min").value);
  const data = await gql(OWNERS, { key: entity.key, minStake: min });
  inquiry = { kind: "owners", entity, found: data.ultimateOwners, min };
  renderInquiry();
}

export async function riskScan() {
  const entity = current();
  if (!entity) throw new Error(t("paths.openFirst"));
  const hops = Number($("scan-hops").value);
  const data = await gql(RISK_SCAN, { id: entity.id, hops });
  inquiry = { kind: "scan", entity, found: data.riskScan, hops };
  renderInquiry();
}
