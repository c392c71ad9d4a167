// Every CLI call is a fresh process: what a command loads statically is paid on
// every call. The init child (a process of its own per container, waiting in
// memory until start) must stay lean: FFI, netlink, jail and the fifo protocol.
import assert from "node:assert/strict";
import { staticGraph } from "./module_graph.ts";

const lib = (p: string) => new URL(`../../../${p}`, import.meta.url);

/** What a command loads: main.ts, then its lazily imported command modules. */
function commandGraph(...modules: string[]): string[] {
  const all = new Set<string>();
  for (const m of ["main.ts", ...modules]) for (const s of staticGraph(lib(m))) all.add(s);
  return [...all];
}

const HEAVY = (s: string) =>
  s.startsWith("npm:") || s.startsWith("node:") || s === "lib/oci/spec.ts" ||
  s === "lib/config/host_config.ts" || s === "lib/oci/hooks.ts" || s === "lib/host/probe.ts";

for (
  const [name, modules] of [
    ["the init child", ["lib/cli/init.ts", "lib/runtime/init.ts"]],
    ["state", ["lib/cli/state.ts"]],
    ["kill", ["lib/cli/kill.ts"]],
    ["start", ["lib/cli/start.ts"]],
  ] as const
) {
  Deno.test(`${name} loads no zod, TOML, node: module, spec parser, probe or hook runner`, () => {
    assert.deepEqual(commandGraph(...modules).filter(HEAVY), []);
  });
}
