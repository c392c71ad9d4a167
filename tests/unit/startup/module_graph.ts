// The static import graph of a module: what loading it costs before any of its
// code runs. Dynamic `import()` and `import type` are not followed: they cost
// nothing until used.
import { fileURLToPath } from "node:url";

const STATIC_IMPORT = /^\s*(?:import|export)\s+(?!type\s)(?:[^"';]*?\s+from\s+)?["']([^"']+)["']/gm;

/** Every specifier reachable by static imports from `entry` (files as repo-relative paths). */
export function staticGraph(entry: URL): Set<string> {
  const repo = new URL("../../../", import.meta.url);
  const seen = new Set<string>();
  const visit = (url: URL) => {
    const rel = fileURLToPath(url).slice(fileURLToPath(repo).length);
    if (seen.has(rel)) return;
    seen.add(rel);
    const text = Deno.readTextFileSync(url);
    for (const m of text.matchAll(STATIC_IMPORT)) {
      const spec = m[1];
      if (spec.startsWith(".")) visit(new URL(spec, url));
      else seen.add(spec);
    }
  };
  visit(entry);
  return seen;
}
