import assert from "node:assert/strict";
import { parseBytes } from "../../../lib/cli/update.ts";

Deno.test("update's byte flags: plain bytes, k/m/g/t suffixes, -1 for no limit", () => {
  const cases: [string, number][] = [
    ["1048576", 1048576],
    ["512m", 512 * 1024 * 1024],
    ["1G", 1024 ** 3],
    ["64kb", 64 * 1024],
    ["2t", 2 * 1024 ** 4],
    ["-1", -1],
  ];
  for (const [v, want] of cases) assert.equal(parseBytes("memory", v), want, v);
  for (const bad of ["", "lots", "1.5g", "-2", "10x"]) {
    assert.throws(() => parseBytes("memory", bad), /invalid --memory/, bad);
  }
});
