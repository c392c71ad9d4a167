import assert from "node:assert/strict";
import { join } from "node:path";
import { checkGuestFiles, mayRead } from "../../../lib/config/guest_files.ts";
import type { UnikernelConfig } from "../../../lib/plan/types.ts";

const user = { uid: 1000, gid: 100, additionalGids: [27] };
for (
  const [mode, uid, gid, want] of [
    [0o400, 1000, 0, true], // owner may read
    [0o044, 1000, 100, false], // owner bits rule for the owner, even if group/other may
    [0o040, 5, 100, true], // primary group
    [0o040, 5, 27, true], // supplementary group
    [0o004, 5, 27, false], // group bits rule for a member
    [0o004, 5, 6, true], // other
    [0o000, 5, 6, false],
  ] as const
) {
  Deno.test(`uid 1000 (groups 100, 27) ${want ? "may" : "may not"} read mode ${mode.toString(8)} of ${uid}:${gid}`, () => {
    assert.equal(mayRead({ mode, uid, gid }, user), want);
    assert.equal(mayRead({ mode, uid, gid }, { uid: 0, gid: 0 }), true, "root reads anything");
  });
}

Deno.test("a guest file the monitor's user cannot read is refused with its mode and owner", () => {
  const rootfs = Deno.makeTempDirSync({ prefix: "urunc-guestfiles-" });
  try {
    Deno.writeTextFileSync(join(rootfs, "kernel"), "k", { mode: 0o600 });
    Deno.chmodSync(join(rootfs, "kernel"), 0o600);
    const owner = Deno.statSync(join(rootfs, "kernel"));
    const config = { binary: "/kernel", initrd: "", block: "" } as UnikernelConfig;
    const ann = { "com.urunc.unikernel.binary": "/kernel" };
    checkGuestFiles(config, rootfs, ann, { uid: owner.uid!, gid: 12345 });
    assert.throws(
      () => checkGuestFiles(config, rootfs, ann, { uid: 4242, gid: 4242 }),
      (e: Error) =>
        e.message ===
          `invalid annotation "com.urunc.unikernel.binary": /kernel is not readable by uid 4242 (mode 0600, owner ${owner.uid}:${owner.gid}) in the rootfs ${rootfs}`,
    );
  } finally {
    Deno.removeSync(rootfs, { recursive: true });
  }
});
