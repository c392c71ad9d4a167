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
    ["delete", ["lib/cli/delete.ts", "lib/runtime/destroy.ts"]],
  ] as const
) {
  Deno.test(`${name} loads no zod, TOML, node: module, spec parser, probe or hook runner`, () => {
    assert.deepEqual(commandGraph(...modules).filter(HEAVY), []);
  });
}

// Only what a container has pays: network cleanup (netlink), the cgroup manager and the
// block hand-over load for containers whose ledger names such resources.
for (
  const [name, modules] of [
    ["state", ["lib/cli/state.ts"]],
    ["kill", ["lib/cli/kill.ts"]],
    ["start", ["lib/cli/start.ts"]],
    ["delete", ["lib/cli/delete.ts", "lib/runtime/destroy.ts"]],
  ] as const
) {
  // The host bundle (lib/host/host.ts) loads its pty, netlink and tun parts on first use.
  Deno.test(`${name} loads no netlink, tun, pty, cgroup manager or jail`, () => {
    const unneeded = (s: string) =>
      s.startsWith("ffi/netlink/") || s === "ffi/tun.ts" || s === "ffi/console.ts" ||
      s === "lib/host/cgroups/manager.ts" || s === "lib/host/jail.ts";
    assert.deepEqual(commandGraph(...modules).filter(unneeded), []);
  });
}

Deno.test("create loads zod (it validates its input) but no node: module", () => {
  const graph = commandGraph("lib/cli/create.ts", "lib/runtime/create.ts");
  assert.ok(graph.includes("zod"));
  assert.deepEqual(graph.filter((s) => s.startsWith("node:")), []);
});
