// Progressive enhancement only: every page works without this file.
import { initAll } from "./govuk-frontend.min.js";
import { startAutosave } from "./autosave.mjs";

initAll();
document.querySelectorAll("form[data-autosave]").forEach(startAutosave);
