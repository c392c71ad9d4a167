// Every golden case: guest command line byte for byte, argv, firecracker config
// as JSON — through buildPlan for each config form, and through `urunc plan --facts`.

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { defaultHostConfig } from "../../lib/config/host_config.ts";
import { resolveUnikernelConfig } from "../../lib/config/unikernel_config.ts";
import { parseSpec } from "../../lib/oci/spec.ts";
import { buildPlan } from "../../lib/plan/build.ts";
import { toPlanSpec } from "../../lib/plan/spec_input.ts";
import { renderPlan } from "../../lib/cli/plan.ts";
import type { CommandContext } from "../../lib/cli/context.ts";
import { silentLogger } from "../../lib/log.ts";
import { realHost } from "../../lib/host/host.ts";
import { type Fixture, fixtureFacts, FORMS, loadFixtures, writeBundle } from "./fixtures.ts";

const fixtures = loadFixtures();
const HOST_DEFAULTS = fileURLToPath(
  new URL("../fixtures/plan/host-defaults.toml", import.meta.url),
);

function ctx(): CommandContext {
  return {
    host: realHost(),
    root: "/run/urunc-test",
    log: silentLogger,
    logOptions: { path: null, format: "text", debug: false },
    debug: false,
    configPath: HOST_DEFAULTS,
    runcArgv: [],
  };
}

function checkPlan(
  f: Fixture,
  plan: {
    monitor: { path: string; argv: string[]; files: { path: string; content: string }[] };
    guest: { cmdline: string };
  },
) {
  assert.equal(plan.guest.cmdline, f.expected.kernelCmdline);
  assert.equal(plan.monitor.path, f.expected.monitorPath);
  assert.deepEqual(plan.monitor.argv, f.expected.argv);
  const fc = plan.monitor.files.find((x) => x.path === "/tmp/fc.json");
  if (f.expected.firecrackerConfig !== undefined) {
    assert.ok(fc, "firecracker config file planned");
    assert.deepEqual(JSON.parse(fc.content), f.expected.firecrackerConfig);
  } else {
    assert.equal(fc, undefined);
  }
}

Deno.test("golden fixtures are present", () => {
  assert.ok(fixtures.length >= 16, `found ${fixtures.length} fixtures`);
});

for (const f of fixtures) {
  for (const form of FORMS) {
    Deno.test(`golden ${f.name}: buildPlan from ${form}`, () => {
      const dir = Deno.makeTempDirSync({ prefix: "urunc-golden-" });
      try {
        const { bundle } = writeBundle(dir, f, form);
        const spec = parseSpec(
          JSON.parse(Deno.readTextFileSync(`${bundle}/config.json`)),
          "config.json",
        );
        const config = resolveUnikernelConfig(spec, `${bundle}/rootfs`, {});
        assert.ok(config);
        assert.equal(config.source, form === "urunc.json" ? "urunc.json" : "annotations");
        const plan = buildPlan({
          containerId: "c1",
          spec: toPlanSpec(spec),
          config,
          host: defaultHostConfig(),
          facts: fixtureFacts(f),
        });
        checkPlan(f, plan);
      } finally {
        Deno.removeSync(dir, { recursive: true });
      }
    });
  }
  for (const form of ["annotations-base64", "urunc.json"] as const) {
    Deno.test(`golden ${f.name}: urunc plan --facts --format json from ${form}`, async () => {
      const dir = Deno.makeTempDirSync({ prefix: "urunc-golden-" });
      try {
        const { bundle, facts } = writeBundle(dir, f, form);
        const out = await renderPlan(ctx(), [
          "--bundle",
          bundle,
          "--facts",
          facts,
          "--format",
          "json",
        ]);
        checkPlan(f, JSON.parse(out));
        const text = await renderPlan(ctx(), ["--bundle", bundle, "--facts", facts]);
        assert.ok(
          text.includes(JSON.stringify(f.expected.kernelCmdline)),
          "text form shows the guest cmdline",
        );
      } finally {
        Deno.removeSync(dir, { recursive: true });
      }
    });
  }
}
