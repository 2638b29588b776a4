/**
 * @module console/console-script
 * The whole console script, served as /console/app.js: the parts wrapped in one strict-mode
 * function so nothing leaks into the page's globals, started once the deferred script runs.
 * Plain browser JavaScript (ES2020), no framework, no build step: every runtime serves the same
 * string, Workers included.
 */
import { SCRIPT_CORE } from "./script-core.ts";
import { SCRIPT_NAMESPACES } from "./script-namespaces.ts";
import { SCRIPT_REPO } from "./script-repo.ts";
import { SCRIPT_ADMIN } from "./script-admin.ts";

/** The console's JavaScript. */
export const CONSOLE_SCRIPT = ["(function () {", '"use strict";', SCRIPT_CORE, SCRIPT_NAMESPACES, SCRIPT_REPO, SCRIPT_ADMIN, "start();", "})();", ""].join("\n");
