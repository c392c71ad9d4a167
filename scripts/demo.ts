// The end-to-end demo (run by scripts/demo.sh after setup): a private containerd, the test
// image imported, and one `ctr run --runc-binary .build/urunc` of a real Linux unikernel under
// qemu. Prints the guest's own lines; exits non-zero if the guest did not report booting.
// Usage: deno run -A scripts/demo.ts [guest init args...]   e.g. `echo hello`
import { Containerd } from "../tests/e2e/containerd.ts";
import { artifacts, guestLines, TEST_IMAGE_REF } from "../tests/e2e/helpers.ts";

const guestArgs = Deno.args.length > 0 ? ["/init", ...Deno.args] : [];
const cd = await Containerd.start();
let ok = false;
try {
  await cd.importImage(artifacts.testImageTar);
  console.log(
    `demo: ctr run --rm --runc-binary ${artifacts.urunc} ${TEST_IMAGE_REF} demo ${
      guestArgs.join(" ")
    }`,
  );
  const r = await cd.run({
    image: TEST_IMAGE_REF,
    id: "demo",
    runtime: artifacts.urunc,
    args: guestArgs,
  });
  const lines = guestLines(r.stdout);
  for (const line of lines) console.log(`  ${line}`);
  ok = r.code === 0 && lines.includes("URUNC-TEST-GUEST: booted");
  if (ok) {
    console.log(`demo: the unikernel container ran and exited in ${(r.ms / 1000).toFixed(1)} s`);
  } else {
    console.log(`demo: FAILED (ctr exit ${r.code})`);
    console.log(r.stdout.split("\n").slice(-30).join("\n"));
    console.log(r.stderr.trim());
    console.log(`--- containerd log (tail) ---\n${cd.logTail(20)}`);
  }
} finally {
  await cd.stop();
}
Deno.exit(ok ? 0 : 1);
