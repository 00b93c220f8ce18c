// Third-party code of the tests only, at an exact version (the service's own is in ../../deps.ts;
// this stays out of main.ts's graph and so out of the binary). playwright-core drives the Debian
// `chromium` package; it downloads no browser and has no install script.
export { chromium } from "npm:playwright-core@1.65.1";
export type { BrowserContext, Page } from "npm:playwright-core@1.65.1";
// compose.yaml's checks.
export { parse as parseYaml } from "npm:yaml@2.9.1";
