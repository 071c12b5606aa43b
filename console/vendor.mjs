// Copies the files GraphiQL (served at /graphql) loads into dist/vendor/, from the npm packages
// pinned in package.json, so the page works on a machine without internet. The API's page points
// Strawberry's GraphiQL template at these copies (api/graphiql.py); the template's integrity
// hashes still hold, since npm and the CDN serve the same bytes.
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";

export const FILES = [
  "react/umd/react.production.min.js",
  "react-dom/umd/react-dom.production.min.js",
  "js-cookie/dist/js.cookie.min.js",
  "graphiql/graphiql.min.css",
  "graphiql/graphiql.min.js",
  "@graphiql/plugin-explorer/dist/style.css",
  "@graphiql/plugin-explorer/dist/index.umd.js",
];

for (const file of FILES) {
  const target = join("dist", "vendor", file);
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(join("node_modules", file), target);
}
