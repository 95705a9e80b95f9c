// Build step (run by build.py with Node): compile the pure-Python files of the given
// wheels to CPython 3.14 bytecode, inside Pyodide itself, so shoppers' browsers import
// .pyc files instead of compiling sources at every page load.
//
//   node web/tools/precompile.mjs <pyodide dir> <in.whl> <out.whl> [<in.whl> <out.whl> …]
import { readFileSync, writeFileSync } from "node:fs";
import { loadPyodide } from "../node_modules/pyodide/pyodide.mjs";

const [indexURL, ...pairs] = process.argv.slice(2);
const py = await loadPyodide({ indexURL, stdout: () => {}, stderr: (m) => console.error(m) });
py.runPython(`
import hashlib, base64, importlib.util, marshal, zipfile, sys

SITE = f"/lib/python{sys.version_info.major}.{sys.version_info.minor}/site-packages/"

def record_hash(data):
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()

def sourceless(source, name):
    code = compile(source, SITE + name, "exec", dont_inherit=True)
    return importlib.util.MAGIC_NUMBER + bytes(12) + marshal.dumps(code)

def precompile(src_path, dst_path):
    src = zipfile.ZipFile(src_path)
    files = {}
    for info in src.infolist():
        data = src.read(info)
        name = info.filename
        top = name.split("/", 1)[0]
        if name.endswith(".py") and not top.endswith((".data", ".dist-info")):
            files[name + "c"] = sourceless(data, name)
        else:
            files[name] = data
    record_name = next(n for n in files if n.endswith(".dist-info/RECORD"))
    lines = [f"{n},{record_hash(d)},{len(d)}" for n, d in files.items() if n != record_name]
    files[record_name] = ("\\n".join(lines + [f"{record_name},,"]) + "\\n").encode()
    with zipfile.ZipFile(dst_path, "w", zipfile.ZIP_DEFLATED) as out:
        for n, d in files.items():
            info = zipfile.ZipInfo(n, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            out.writestr(info, d)
`);
const precompile = py.globals.get("precompile");
for (let i = 0; i < pairs.length; i += 2) {
  py.FS.writeFile("/tmp/in.whl", readFileSync(pairs[i]));
  precompile("/tmp/in.whl", "/tmp/out.whl");
  writeFileSync(pairs[i + 1], py.FS.readFile("/tmp/out.whl"));
}
