import assert from "node:assert/strict";
import { ERRNO, errnoName } from "../../../ffi/errno.ts";

Deno.test("errno names come from the one table, both ways", () => {
  const codes = Object.values(ERRNO);
  assert.equal(new Set(codes).size, codes.length, "no errno number appears twice");
  for (const [name, code] of Object.entries(ERRNO)) assert.equal(errnoName(code), name);
  assert.equal(errnoName(4095), "errno 4095");
});

// Each libc symbol is bound on first use. The first call of a fresh process binds its
// symbol (dlopen may set errno on its own): the error must still carry the call's errno.
const FIRST_CALLS: [what: string, code: string, expected: RegExp][] = [
  [
    "open of a missing path",
    `sys.open("/nonexistent/urunc-libc-test", 0)`,
    /^open\(\/nonexistent\/urunc-libc-test\) failed: ENOENT /,
  ],
  ["close of a bad fd", `sys.close(987654)`, /^close.* failed: EBADF /],
  ["kill of no process", `sys.pidfdSignal(987654, 0)`, /^pidfd_send_signal.* failed: EBADF /],
];

for (const [what, code, expected] of FIRST_CALLS) {
  Deno.test(`the first libc call of a process reports its own errno: ${what}`, async () => {
    const program = `
      import { realSyscalls } from ${
      JSON.stringify(new URL("../../../ffi/syscalls.ts", import.meta.url).href)
    };
      const sys = realSyscalls();
      try { ${code}; console.log("no error"); } catch (e) { console.log(e.message); }`;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--quiet", program],
      stdout: "piped",
      stderr: "inherit",
    }).output();
    const line = new TextDecoder().decode(out.stdout).trim();
    assert.match(line, expected);
  });
}

Deno.test("bindLibc binds the named symbols at once; the others stay lazy", async () => {
  const libcUrl = JSON.stringify(new URL("../../../ffi/libc.ts", import.meta.url).href);
  const program = `
    import { bindLibc, libc } from ${libcUrl};
    const lazy = (n) => typeof Object.getOwnPropertyDescriptor(libc(), n).get === "function";
    const before = [lazy("mount"), lazy("execve"), lazy("kill")];
    bindLibc(["mount", "execve"]);
    console.log(JSON.stringify({ before, after: [lazy("mount"), lazy("execve"), lazy("kill")] }));`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--quiet", program],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  assert.deepEqual(JSON.parse(new TextDecoder().decode(out.stdout)), {
    before: [true, true, true],
    after: [false, false, true],
  });
});
