// lib/path.ts against node:path, which it replaces on the runtime's hot paths.
import assert from "node:assert/strict";
import * as node from "node:path";
import { dirname, isAbsolute, join, normalize, resolve } from "../../lib/path.ts";

const paths = [
  "/",
  "//",
  "/a/b",
  "/a/b/",
  "/a//b/./c/..",
  "/../a",
  "a/b",
  "a/../..",
  "./a",
  "..",
  ".",
  "",
  "a",
  "/a/b/c/../../..",
  "/run/containerd/runc/default/c1/state.json",
];

for (const p of paths) {
  Deno.test(`path ${JSON.stringify(p)}: normalize, dirname, isAbsolute, resolve as node:path`, () => {
    if (p !== "") {
      assert.equal(normalize(p).replace(/(.)\/$/, "$1"), node.normalize(p).replace(/(.)\/$/, "$1"));
    }
    assert.equal(dirname(p), node.dirname(p));
    assert.equal(isAbsolute(p), node.isAbsolute(p));
    assert.equal(resolve(p), node.resolve(p));
    assert.equal(resolve("/base", p), node.resolve("/base", p));
  });
}

for (
  const parts of [["/a", "b"], ["/a/", "/b"], ["a", "", "b"], ["", ""], ["/a", ".."], [
    "/r",
    "../x",
  ]]
) {
  Deno.test(`join ${JSON.stringify(parts)} and resolve as node:path`, () => {
    assert.equal(join(...parts), node.join(...parts));
    assert.equal(resolve(...parts), node.resolve(...parts));
  });
}
