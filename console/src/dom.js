// What every part of the console shares: the GraphQL call, the status line and DOM helpers.
import { t, tOr } from "./messages.js";

export const $ = (id) => document.getElementById(id);
export const LEVEL_COLOURS = {
  AAA: "#0b6e4f",
  AA: "#178a5c",
  A: "#3aa76d",
  B: "#d4a017",
  C: "#e07b24",
  D: "#b42318",
};
export const UNSCORED = "#8a94a6";

export function authHeaders() {
  const headers = {};
  const key = localStorage.getItem("credgraph.key");
  if (key) headers.Authorization = `Bearer ${key}`;
  return headers;
}

// partial: keep the data when some fields were refused to the caller's role (a person named in a
// company's score, for the public); `notes` then says so, instead of failing.
export async function gql(query, variables = {}, { partial = false, notes = null } = {}) {
  const response = await fetch("/graphql", {
    method: "POST",
    headers: { "Content-Type": "application/json", ...authHeaders() },
    body: JSON.stringify({ query, variables }),
  });
  let body;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (!response.ok) {
    const reason = (body && (body.reason || body.error)) || `the server answered ${response.status}`;
    throw new Error(explained(body && body.code, reason));
  }
  if (body.errors && body.errors.length) {
    // By the errors' codes (api/codes.py), never their wording.
    const refusedOnly = body.errors.every((e) => e.extensions && e.extensions.code === "FORBIDDEN");
    if (!(partial && body.data && refusedOnly)) {
      throw new Error(
        body.errors.map((e) => explained(e.extensions && e.extensions.code, e.message)).join("; "),
      );
    }
    if (notes) notes.add("file.note.hidden");
  }
  return body.data;
}

// An error in the reader's language by its code, with the server's own words after it.
function explained(code, message) {
  return code ? `${tOr(`error.${code}`, code)}: ${message}` : message;
}

export function setStatus(message) {
  $("status").textContent = message || "";
}

export async function guarded(work) {
  setStatus("");
  try {
    await work();
  } catch (error) {
    setStatus(error.message);
  }
}

// Text only: nothing from the API is parsed as HTML.
export function el(tag, attrs = {}, ...children) {
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

const SVG = "http://www.w3.org/2000/svg";
export function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function levelBadge(level) {
  return el(
    "span",
    {
      class: "level",
      style: `background:${LEVEL_COLOURS[level] || UNSCORED}`,
      title: level ? t("level.name", { level }) : t("graph.notScored"),
    },
    level || "—",
  );
}

// Points and values in cents: the API's contributions add up to its value exactly.
export function pointsText(value) {
  return value > 0 ? `+${value.toFixed(2)}` : value.toFixed(2);
}

export function pointsCell(value, attrs = {}) {
  return el(
    "td",
    { class: `points ${value < 0 ? "neg" : value > 0 ? "pos" : ""}`, ...attrs },
    pointsText(value),
  );
}
