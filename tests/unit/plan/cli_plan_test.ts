// `urunc plan` as a user runs it: a real process through main.ts.

import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadHostConfig } from "../../../lib/config/host_config.ts";
import { probeHostFacts } from "../../../lib/host/probe.ts";
import { buildPlan } from "../../../lib/plan/build.ts";
import { toPlanSpec } from "../../../lib/plan/spec_input.ts";
import { resolveUnikernelConfig } from "../../../lib/config/unikernel_config.ts";
import { loadSpec } from "../../../lib/oci/spec.ts";
import { loadFixtures, writeBundle } from "../../golden/fixtures.ts";

const MAIN = fileURLToPath(new URL("../../../main.ts", import.meta.url));

async function urunc(args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

function tempDir(): string {
  return Deno.makeTempDirSync({ prefix: "urunc-cli-plan-" });
}

Deno.test("urunc plan --facts prints the fixture's argv and guest cmdline", async () => {
  const f = loadFixtures().find((x) => x.name === "linux-firecracker-block-net")!;
  const dir = tempDir();
  try {
    const { bundle, facts } = writeBundle(dir, f, "urunc.json");
    const cfg = join(dir, "host.toml");
    Deno.writeTextFileSync(cfg, "");
    const r = await urunc([
      "--config",
      cfg,
      "plan",
      "--bundle",
      bundle,
      "--facts",
      facts,
      "--format",
      "json",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const plan = JSON.parse(r.stdout);
    assert.deepEqual(plan.monitor.argv, f.expected.argv);
    assert.equal(plan.guest.cmdline, f.expected.kernelCmdline);
    assert.deepEqual(JSON.parse(plan.monitor.files[0].content), f.expected.firecrackerConfig);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("urunc plan without --facts uses the same host probe as the runtime", async () => {
  const f = loadFixtures().find((x) => x.name === "unikraft-qemu-initrd-net")!;
  const dir = tempDir();
  try {
    const { bundle } = writeBundle(dir, f, "annotations-base64");
    const cfg = join(dir, "host.toml");
    // A monitor path that exists everywhere, and TCG as on the CI machines.
    Deno.writeTextFileSync(cfg, `[monitors.qemu]\npath = "/bin/sh"\naccel = "tcg"\n`);
    const r = await urunc(["plan", "--bundle", bundle, "--format", "json"], { URUNC_CONFIG: cfg });
    assert.equal(r.code, 0, r.stderr);
    const printed = JSON.parse(r.stdout);

    const spec = loadSpec(bundle);
    const host = await loadHostConfig(cfg, true);
    const facts = probeHostFacts(host, { rootfs: join(bundle, "rootfs") });
    const config = resolveUnikernelConfig(spec, join(bundle, "rootfs"))!;
    const plan = buildPlan({ containerId: "x", spec: toPlanSpec(spec), config, host, facts });
    assert.deepEqual(printed.monitor.argv, plan.monitor.argv);
    assert.equal(printed.monitor.argv[0], "/bin/sh");
    assert.ok(!printed.monitor.argv.includes("-enable-kvm"));
    assert.ok(printed.monitor.argv.includes("-nic"), "no network known before start");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("urunc plan: a bundle without urunc metadata is handed to runc; errors are one line", async () => {
  const dir = tempDir();
  try {
    Deno.mkdirSync(join(dir, "rootfs"));
    Deno.writeTextFileSync(
      join(dir, "config.json"),
      JSON.stringify({
        ociVersion: "1.2.0",
        root: { path: "rootfs" },
        process: { user: { uid: 0, gid: 0 }, cwd: "/", args: ["/pause"] },
      }),
    );
    const ok = await urunc(["plan", "--bundle", dir]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /hands this container to runc/);

    const bad = await urunc(["plan", "--bundle", dir, "--format", "yaml"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /invalid --format \\"yaml\\": expected text or json/);

    const noCfg = await urunc([
      "--config",
      join(dir, "missing.toml"),
      "plan",
      "--bundle",
      dir,
      "--facts",
      join(dir, "f.json"),
    ]);
    assert.equal(noCfg.code, 0, "no metadata: host config is not needed");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
