// Builds epanel/static/ from the council's Sass and GOV.UK Frontend.
// Run by `make assets`; the output is never committed.
import { compile } from "sass";
import { cpSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "epanel", "static");
const govuk = join(root, "node_modules", "govuk-frontend", "dist", "govuk");

mkdirSync(join(out, "css"), { recursive: true });
mkdirSync(join(out, "js"), { recursive: true });

const css = compile(join(root, "assets", "scss", "epanel.scss"), {
  loadPaths: [join(root, "node_modules")],
  style: "compressed",
  quietDeps: true,
});
writeFileSync(join(out, "css", "epanel.css"), css.css);

cpSync(join(govuk, "govuk-frontend.min.js"), join(out, "js", "govuk-frontend.min.js"));
cpSync(join(root, "assets", "js"), join(out, "js"), { recursive: true });
cpSync(join(root, "assets", "images"), join(out, "images"), { recursive: true });
console.log(`assets built in ${out}`);
