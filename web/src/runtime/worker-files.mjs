/* The site-packages files the snapshot needs beside it, and the WebAssembly modules the
 * Worker compiles for the page. (The build bundles it into snapshot-worker.mjs.) */

// Compile each extension library from the files bundle (off the page's main thread).
export async function compileLibs(paths, files) {
  const byPath = new Map(files.index.map(([path, offset, length]) => [path, [offset, length]]));
  return Promise.all(
    paths.map(async (path) => {
      const [offset, length] = byPath.get(path);
      return { path, module: await WebAssembly.compile(files.data.subarray(offset, offset + length)) };
    }),
  );
}

// The small modules the glue compiles itself (function-table wrappers per signature,
// Python's call trampoline: the glue's patch), compiled here from the bytes the fresh
// snapshot's boot recorded.
export async function compileGlueModules(bytesByKey) {
  const entries = Object.entries(bytesByKey);
  return Promise.all(entries.map(async ([key, bytes]) => [key, await WebAssembly.compile(new Uint8Array(bytes))]));
}

// Every file under `root` in Emscripten's FS, as one bundle: {index: [[path, offset,
// length], ...], data}.
export function collectFiles(FS, root) {
  const found = [];
  (function walk(dir, rel) {
    for (const name of FS.readdir(dir)) {
      if (name === "." || name === "..") continue;
      const path = `${dir}/${name}`;
      const relPath = rel ? `${rel}/${name}` : name;
      if (FS.isDir(FS.stat(path).mode)) walk(path, relPath);
      else found.push([relPath, FS.readFile(path)]);
    }
  })(root, "");
  const index = [];
  let total = 0;
  for (const [path, bytes] of found) {
    index.push([path, total, bytes.length]);
    total += bytes.length;
  }
  const data = new Uint8Array(total);
  found.forEach(([, bytes], i) => data.set(bytes, index[i][1]));
  return { index, data };
}
