// Build step (run by buildtools/pyodide_patch.py with Node): where each top-level
// statement of Emscripten's module factory ends, in Pyodide's glue (pyodide.asm.mjs).
// The build puts pauses at some of those boundaries, and only there: between two
// statements of the factory's own body an `await` is always valid (the factory is an
// async function) and runs the same statements in the same order.
//
//   node web/tools/glue_statements.mjs <pyodide.asm.mjs> <factory name>
// prints {"body": [start, end], "ends": [offset, …]} as JSON (UTF-16 offsets, which are
// Python's str offsets for this ASCII file).
//
// TypeScript's parser (already a devDependency, for dist/tracker.d.ts) reads the 1.25 MB
// of minified JS: a hand-written scanner would have to get strings, template literals
// and regular expression literals right.
import { readFileSync } from "node:fs";
import ts from "typescript";

const [file, name] = process.argv.slice(2);
const text = readFileSync(file, "utf8");
const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.JS);
const factory = source.statements.find((s) => ts.isFunctionDeclaration(s) && s.name?.text === name);
if (!factory || !factory.body) throw new Error(`${file}: no top-level function ${name}`);
if (!factory.modifiers?.some((m) => m.kind === ts.SyntaxKind.AsyncKeyword)) {
  throw new Error(`${file}: ${name} is not async, so it cannot pause`);
}
const body = factory.body;
process.stdout.write(
  JSON.stringify({ body: [body.getStart(source), body.end], ends: body.statements.map((s) => s.end) }) + "\n",
);
