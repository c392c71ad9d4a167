// Deno loads a program's literal dynamic imports (`import("./x.ts")`) with its static
// graph, before the first line runs: a literal import is not lazy, and create's graph (zod
// included) cost every CLI call ~10 ms. A computed specifier is resolved only when the
// import runs. `deno compile` cannot see these modules either: scripts/compile.ts includes
// lib/ and ffi/ whole.

/** import(`specifier`) relative to `base` (the caller's import.meta.url), on first use only. */
export function lazyImport<T>(base: string, specifier: string): Promise<T> {
  return import(new URL(specifier, base).href);
}
