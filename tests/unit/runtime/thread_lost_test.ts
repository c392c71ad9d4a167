import assert from "node:assert/strict";

// A failed namespace restore must end the process on the spot: no handler may
// run on a thread that can sit in the container's namespaces.
Deno.test("a failed namespace restore ends the process at once, with one clear line", async () => {
  const root = new URL("../../../", import.meta.url).href;
  const script = `
    import { spawnInNamespaces } from "${root}lib/runtime/namespaces.ts";
    import { RecordingSyscalls } from "${root}tests/fakes/recording_syscalls.ts";
    import { SyscallError } from "${root}ffi/libc.ts";
    const sys = new RecordingSyscalls({
      failOn: (call, args) =>
        call === "setns" && String(args[2]).startsWith("own") ? new SyscallError("setns", 22) : null,
    });
    try {
      spawnInNamespaces(sys, [{ type: "network", path: "/proc/self/ns/net" }], () => 1);
    } catch (err) {
      console.log("a handler ran: " + err);
    }
    console.log("continued");
  `;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--no-check", script],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 1);
  assert.equal(stdout, "", "nothing after the failed restore ran");
  assert.match(
    stderr,
    /^urunc: cannot return to urunc's own namespaces: setns failed: EINVAL .*urunc stops here, its thread may still be in the container.s namespaces\n$/,
  );
});
