// The module graph Deno loads before a module's first line runs: its static
// imports and, as Deno walks them too, its dynamic imports with a literal
// specifier. `import type`, `typeof import(...)` and computed specifiers
// (lib/lazy.ts) are not followed: they cost nothing until used.
import { fileURLToPath } from "node:url";

const STATIC_IMPORT = /^\s*(?:import|export)\s+(?!type\s)(?:[^"';]*?\s+from\s+)?["']([^"']+)["']/gm;

const LITERAL_DYNAMIC_IMPORT =
  /^(?!\s*(?:\/\/|\*)).*?(?<!typeof\s*)\bimport\(\s*["']([^"']+)["']\s*\)/gm;

/** Every specifier reachable by static imports from `entry` (files as repo-relative paths). */
export function staticGraph(entry: URL): Set<string> {
  const repo = new URL("../../../", import.meta.url);
  const seen = new Set<string>();
  const visit = (url: URL) => {
    const rel = fileURLToPath(url).slice(fileURLToPath(repo).length);
    if (seen.has(rel)) return;
    seen.add(rel);
    const text = Deno.readTextFileSync(url);
    for (const m of [...text.matchAll(STATIC_IMPORT), ...text.matchAll(LITERAL_DYNAMIC_IMPORT)]) {
      const spec = m[1];
      if (spec.startsWith(".")) visit(new URL(spec, url));
      else seen.add(spec);
    }
  };
  visit(entry);
  return seen;
}
