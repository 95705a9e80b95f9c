// Build step (run by build.py with Node): which files of the standard library and of the
// wheels the tracker imports at its start and on its event paths. Starts Pyodide, unpacks
// the dist's wheels, runs trace_imports.py (beside this file, linted with the rest of the
// project) and prints what it imported, as JSON (see buildtools/trim.py).
//
//   node web/tools/trace_imports.mjs <pyodide dir> <fakes.py> <vtex order message.json> <wheel>…
import { readFileSync } from "node:fs";
import { loadPyodide } from "../node_modules/pyodide/pyodide.mjs";

const [indexURL, fakes, order, ...wheels] = process.argv.slice(2);
const py = await loadPyodide({ indexURL, stdout: () => {}, stderr: (m) => console.error(m) });
const site = py.runPython("import site; site.getsitepackages()[0]");
for (const wheel of wheels) {
  py.unpackArchive(new Uint8Array(readFileSync(wheel)), "wheel", { extractDir: site });
}
py.runPython(readFileSync(new URL("./trace_imports.py", import.meta.url), "utf8"));
const trace = py.globals.get("trace");
process.stdout.write(trace(readFileSync(fakes, "utf8"), readFileSync(order, "utf8")) + "\n");
