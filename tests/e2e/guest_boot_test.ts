// The test guest (Debian kernel + busybox initrd, scripts/build_test_image.ts) booted by qemu
// directly, with the argv shape urunc's plan produces for the `linux` type on qemu
// (fixtures/golden/linux-qemu-initrd-net.json) minus `-cpu host -enable-kvm`: qemu hangs under
// KVM on the CI machines, so TCG. If these fail, the end-to-end urunc tests cannot pass.
import assert from "node:assert/strict";
import { artifacts, e2eTest, guestLines, NetNs, QEMU, run, waitFor } from "./helpers.ts";

const SANDBOX = "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny";

/** The golden linux/qemu argv without KVM; `tap` replaces `-nic none` with the default netcli. */
function qemuArgv(cmdline: string, tap?: string): string[] {
  const net = tap
    ? ["-net", "nic,model=virtio", "-net", `tap,script=no,downscript=no,ifname=${tap}`]
    : ["-nic", "none"];
  return [
    "-m",
    "256M",
    "-L",
    "/usr/share/qemu",
    "-nographic",
    "-vga",
    "none",
    "--sandbox",
    SANDBOX,
    "-kernel",
    artifacts.vmlinux,
    ...net,
    "-initrd",
    artifacts.initrd,
    "-no-reboot",
    "-serial",
    "stdio",
    "-nodefaults",
    "-append",
    cmdline,
  ]; // deno-fmt-ignore
}

/** The linux type's cmdline (upstream-urunc §5.6): `-- ` is always present. */
function cmdline(opts: { ip?: string; env?: string[]; args?: string[] }): string {
  const parts = ["panic=-1 console=ttyS0 root=/dev/ram0 rw"];
  if (opts.ip) parts.push(`ip=${opts.ip}::10.4.0.1:255.255.255.0:urunc:eth0:off`);
  parts.push(...(opts.env ?? []), `rdinit=/init -- ${(opts.args ?? []).join(" ")}`);
  return parts.join(" ");
}

e2eTest("guest boot: default init prints the marker and cmdline, then powers off", [
  "vmlinux",
  "initrd",
], async () => {
  const line = cmdline({ env: ["PATH=/usr/bin:/bin"] });
  const r = await run(QEMU, qemuArgv(line), { timeoutMs: 120_000 });
  console.log(`boot to poweroff: ${(r.ms / 1000).toFixed(2)} s`);
  const lines = guestLines(r.stdout);
  assert.equal(r.code, 0, `qemu exited ${r.code}: ${r.stderr}\n${r.stdout.slice(-2000)}`);
  assert.deepEqual(lines, [
    "URUNC-TEST-GUEST: booted",
    `cmdline: ${line}`,
    "URUNC-TEST-GUEST: argv:",
    "URUNC-TEST-GUEST: bye",
  ]);
});

e2eTest("guest boot: quoted args are re-joined and KEY=VALUE words become env", [
  "vmlinux",
  "initrd",
], async () => {
  const line = cmdline({ env: ["FOO=bar", "URUNC=urunc"], args: ["env", "'two words'", "x"] });
  const r = await run(QEMU, qemuArgv(line), { timeoutMs: 120_000 });
  console.log(`boot to poweroff: ${(r.ms / 1000).toFixed(2)} s`);
  assert.equal(r.code, 0, `qemu exited ${r.code}: ${r.stderr}`);
  const lines = guestLines(r.stdout);
  assert.ok(lines.includes("URUNC-TEST-GUEST: argv: [env] [two words] [x]"), lines.join("\n"));
  assert.ok(lines.includes("URUNC-TEST-GUEST: env FOO=bar"), lines.join("\n"));
  assert.ok(lines.includes("URUNC-TEST-GUEST: env URUNC=urunc"), lines.join("\n"));
  assert.equal(lines.at(-1), "URUNC-TEST-GUEST: bye");
});

e2eTest("guest boot: ip= configures eth0 and `serve` answers HTTP through a tap", [
  "vmlinux",
  "initrd",
], async () => {
  const ns = await NetNs.create();
  let qemu: Deno.ChildProcess | undefined;
  try {
    await ns.addTap("tap0_urunc", "10.4.0.1/24");
    const line = cmdline({ ip: "10.4.0.2", args: ["serve"] });
    const started = performance.now();
    qemu = new Deno.Command("ip", {
      args: ["netns", "exec", ns.name, QEMU, ...qemuArgv(line, "tap0_urunc")],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const output = qemu.output();
    // TCP to a port only the guest serves: proves the guest, not the host, is answering.
    const body = await waitFor(
      "the guest's HTTP server",
      () => ns.httpGet("10.4.0.2", 8080),
      90_000,
      250,
    );
    console.log(
      `boot to first HTTP answer: ${((performance.now() - started) / 1000).toFixed(2)} s`,
    );
    assert.match(body, /URUNC-TEST-GUEST-HTTP/);
    const ping = await ns.exec(["busybox", "ping", "-c", "1", "-W", "5", "10.4.0.2"]);
    assert.match(ping.stdout, / 0% packet loss/);

    qemu.kill("SIGTERM");
    const out = await output;
    qemu = undefined;
    assert.equal(out.code, 0, "qemu exits 0 on SIGTERM");
    const lines = guestLines(new TextDecoder().decode(out.stdout));
    assert.ok(
      lines.includes("URUNC-TEST-GUEST: net eth0 10.4.0.2/24 gw 10.4.0.1"),
      lines.join("\n"),
    );
    assert.ok(lines.includes("URUNC-TEST-GUEST: serving http on :8080"), lines.join("\n"));
  } finally {
    if (qemu) {
      try {
        qemu.kill("SIGKILL");
      } catch { /* exited */ }
      await qemu.status;
    }
    await ns.destroy();
  }
});
