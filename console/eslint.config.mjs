// The console's lint rules: eslint's recommended set for browser modules (run by `make lint`).
import js from "@eslint/js";
import globals from "globals";

export default [
  { ignores: ["dist/", "node_modules/"] },
  js.configs.recommended,
  {
    files: ["**/*.js", "**/*.mjs"],
    languageOptions: { ecmaVersion: 2022, sourceType: "module", globals: { ...globals.browser } },
    rules: { "no-unused-vars": ["error", { argsIgnorePattern: "^_" }], eqeqeq: "error" },
  },
  { files: ["vendor.mjs", "eslint.config.mjs"], languageOptions: { globals: { ...globals.node } } },
];
