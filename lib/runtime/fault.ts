// Crash points for tests: URUNC_FAULT=<name> makes urunc exit on the spot at that
// point (no finally blocks, no cleanup), as an OOM kill or a node crash would,
// so tests can prove that `delete --force` undoes whatever any step created.
// Not SIGKILL to ourselves: the init child is PID 1 of its namespace, which
// the kernel shields from its own signals. Costs one env lookup.

const target = Deno.env.get("URUNC_FAULT");

export function faultPoint(name: string): void {
  if (target === name) Deno.exit(137);
}
