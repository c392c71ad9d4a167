// Golden cases of the Linux guest contract of upstream urunc >= 0.7 (urunit's config file,
// tests/fixtures/urunit/): command line, monitor argv and the exact config bytes, whether
// the config rides in the initrd (cpio-appended /urunit.conf) or is the initrd itself.
import assert from "node:assert/strict";
import { buildPlan } from "../../../lib/plan/build.ts";
import type { LaunchPlan } from "../../../lib/plan/types.ts";
import { input } from "./helpers.ts";

const DIR = new URL("../../fixtures/urunit/", import.meta.url);

/** The urunit config a plan ships: the file itself, or the /urunit.conf member of the cpio. */
export function urunitConfigOf(plan: LaunchPlan): string | null {
  for (const f of plan.monitor.files) {
    if (f.path === "/tmp/urunc/urunit.conf") return f.content;
    if (f.path === "/tmp/urunc/initrd") {
      const c = f.content;
      assert.equal(c.slice(0, 6), "070701");
      const size = parseInt(c.slice(6 + 6 * 8, 6 + 7 * 8), 16);
      const nameSize = parseInt(c.slice(6 + 11 * 8, 6 + 12 * 8), 16);
      const name = c.slice(110, 110 + nameSize - 1);
      assert.equal(name, "urunit.conf");
      const dataAt = Math.ceil((110 + nameSize) / 4) * 4;
      return c.slice(dataAt, dataAt + size);
    }
  }
  return null;
}

for (const entry of [...Deno.readDirSync(DIR)].filter((e) => e.name.endsWith(".json"))) {
  const fx = JSON.parse(Deno.readTextFileSync(new URL(entry.name, DIR)));
  Deno.test(`urunit contract: ${fx.name}`, () => {
    const plan = buildPlan(
      input({ spec: fx.inputs.spec, config: fx.inputs.config, facts: fx.inputs.facts }),
    );
    assert.equal(plan.guest.cmdline, fx.expected.cmdline);
    assert.deepEqual(plan.monitor.argv, fx.expected.argv);
    assert.equal(urunitConfigOf(plan), fx.expected.urunitConfig);
    if (fx.expected.firecrackerConfig) {
      assert.deepEqual(
        JSON.parse(plan.monitor.files.at(-1)!.content),
        fx.expected.firecrackerConfig,
      );
    }
    assert.deepEqual(plan.warnings, fx.expected.warnings);
  });
}
