// Build step (run by build.py with Node): compile the pure-Python files of the given
// wheels to CPython 3.14 bytecode, inside Pyodide itself, so shoppers' browsers import
// .pyc files instead of compiling sources at every page load. The Python that does it is
// precompile.py, beside this file (linted with the rest of the project).
//
//   node web/tools/precompile.mjs <pyodide dir> <in.whl> <out.whl> [<in.whl> <out.whl> …]
import { readFileSync, writeFileSync } from "node:fs";
import { loadPyodide } from "../node_modules/pyodide/pyodide.mjs";

const [indexURL, ...pairs] = process.argv.slice(2);
const py = await loadPyodide({ indexURL, stdout: () => {}, stderr: (m) => console.error(m) });
py.runPython(readFileSync(new URL("./precompile.py", import.meta.url), "utf8"));
const precompile = py.globals.get("precompile");
for (let i = 0; i < pairs.length; i += 2) {
  py.FS.writeFile("/tmp/in.whl", readFileSync(pairs[i]));
  precompile("/tmp/in.whl", "/tmp/out.whl");
  writeFileSync(pairs[i + 1], py.FS.readFile("/tmp/out.whl"));
}
