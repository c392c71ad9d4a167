import assert from "node:assert/strict";
import { maskPrefix, networkRequest } from "../../../lib/plan/network.ts";
import { spec } from "./helpers.ts";

Deno.test("networkRequest: static only for the Knative user container", () => {
  const cases: [Record<string, string>, "static" | "dynamic"][] = [
    [{}, "dynamic"],
    [{ "io.kubernetes.cri.container-name": "user-container" }, "static"],
    [{ "io.kubernetes.cri.container-name": "queue-proxy" }, "dynamic"],
    [{ "io.kubernetes.cri.container-name": "User-Container" }, "dynamic"],
  ];
  for (const [annotations, mode] of cases) {
    assert.deepEqual(networkRequest(spec({ annotations })), { mode, tap: "tap0_urunc" });
  }
});

Deno.test("maskPrefix counts bits of a dotted mask and rejects anything else", () => {
  const ok: [string, number][] = [
    ["255.255.255.0", 24],
    ["255.255.0.0", 16],
    ["255.255.255.255", 32],
    ["0.0.0.0", 0],
    ["255.255.255.128", 25],
    ["128.0.0.0", 1],
  ];
  for (const [m, n] of ok) assert.equal(maskPrefix(m), n, m);
  for (
    const bad of [
      "",
      "255.255.255",
      "255.255.255.256",
      "a.b.c.d",
      "255.255.255.0.0",
      "-1.0.0.0",
      "1e2.0.0.0",
    ]
  ) {
    assert.throws(() => maskPrefix(bad), { name: "UruncError" }, bad);
  }
});
