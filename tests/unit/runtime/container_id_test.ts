import assert from "node:assert/strict";
import { validateContainerId } from "../../../lib/runtime/container_id.ts";

const good = ["c1", "a", "abc-DEF_1.2+3", "x".repeat(255), "0123456789abcdef"];
const bad = ["", ".", "..", "a/b", "../x", "x".repeat(256), "a b", "a\nb", "ü", "a:b", "/abs"];

for (const id of good) {
  Deno.test(`container id ${JSON.stringify(id.slice(0, 20))} is accepted`, () => {
    assert.equal(validateContainerId(id), id);
  });
}
for (const id of bad) {
  Deno.test(`container id ${JSON.stringify(id.slice(0, 20))} is refused`, () => {
    assert.throws(() => validateContainerId(id), /invalid container id/);
  });
}
