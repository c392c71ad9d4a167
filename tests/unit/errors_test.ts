import assert from "node:assert/strict";
import {
  clip,
  ContainerExistsError,
  ContainerNotFoundError,
  ContainerNotRunningError,
  ContainerRunningError,
  oneLine,
  quote,
} from "../../lib/errors.ts";
import { formatLine, MAX_LOG_MESSAGE } from "../../lib/log.ts";

Deno.test("echoed input is cut and says how long it was", () => {
  assert.equal(quote("short"), '"short"');
  assert.equal(quote("x".repeat(200), 3), '"xxx"... (200 characters)');
  assert.equal(clip("[1,2,3,4]", 4), "[1,2... (9 characters)");
});

Deno.test("a message is one line: control characters become escapes", () => {
  assert.equal(oneLine("path /a\nb\tc\u0007"), "path /a\\nb\\tc\\u0007");
  assert.equal(oneLine("plain ☃"), "plain ☃");
});

Deno.test("every log line carries one line and a bounded message", () => {
  const now = new Date(0);
  const line = formatLine("error", "bad\npath " + "y".repeat(20_000), "json", now);
  assert.equal(line.split("\n").length, 2, "one line plus its newline");
  const msg = JSON.parse(line).msg as string;
  assert.ok(msg.startsWith("bad\\npath yyy"));
  assert.ok(msg.length < MAX_LOG_MESSAGE + 40);
  assert.match(msg, /\.\.\. \(20010 characters\)$/);
});

// containerd's shim matches these texts (runc's words): changing one breaks it.
for (
  const [err, text] of [
    [new ContainerNotFoundError("c1"), "container c1 does not exist"],
    [
      new ContainerNotFoundError("c1", "its state is damaged"),
      "container c1 does not exist: its state is damaged",
    ],
    [new ContainerExistsError("c1"), "container c1 already exists"],
    [new ContainerNotRunningError(), "container not running"],
    [new ContainerRunningError("c1"), "container c1 is already running"],
  ] as const
) {
  Deno.test(`shim-visible error ${err.name}: ${JSON.stringify(text)}`, () => {
    assert.equal(err.message, text);
    assert.equal(err.exitCode, 1);
  });
}
