import assert from "node:assert/strict";
import { type LinkReader, secureJoin } from "../../../lib/host/secure_join.ts";

function links(map: Record<string, string>): LinkReader {
  return { readLink: (p) => map[p] ?? null };
}

const ROOT = "/r";
const cases: { name: string; path: string; links?: Record<string, string>; want: string }[] = [
  { name: "plain path", path: "/usr/bin/qemu", want: "/r/usr/bin/qemu" },
  { name: "relative path", path: "dev/kvm", want: "/r/dev/kvm" },
  { name: "dot components", path: "/./usr/./lib", want: "/r/usr/lib" },
  { name: "dot-dot cannot climb above root", path: "/../../etc/passwd", want: "/r/etc/passwd" },
  { name: "dot-dot inside", path: "/usr/lib/../bin", want: "/r/usr/bin" },
  { name: "root itself", path: "/", want: "/r" },
  { name: "empty", path: "", want: "/r" },
  {
    name: "absolute symlink stays inside",
    path: "/lib/x",
    links: { "/r/lib": "/usr/lib" },
    want: "/r/usr/lib/x",
  },
  {
    name: "relative symlink",
    path: "/lib/x",
    links: { "/r/lib": "usr/lib" },
    want: "/r/usr/lib/x",
  },
  {
    name: "symlink escaping with dot-dot is clamped",
    path: "/a/b",
    links: { "/r/a": "../../../etc" },
    want: "/r/etc/b",
  },
  { name: "symlink to root", path: "/a/etc/shadow", links: { "/r/a": "/" }, want: "/r/etc/shadow" },
  {
    name: "chained symlinks",
    path: "/x/f",
    links: { "/r/x": "/y", "/r/y": "z/w", "/r/z/w": "/final" },
    want: "/r/final/f",
  },
  { name: "trailing slash on root", path: "/a", want: "/r/a" },
];

for (const c of cases) {
  Deno.test(`secureJoin: ${c.name}`, () => {
    assert.equal(secureJoin(ROOT, c.path, links(c.links ?? {})), c.want);
    assert.equal(secureJoin(ROOT + "/", c.path, links(c.links ?? {})), c.want);
  });
}

Deno.test("secureJoin: a symlink loop is an error, not a hang", () => {
  assert.throws(
    () => secureJoin(ROOT, "/a/b", links({ "/r/a": "/a" })),
    /too many levels of symbolic links/,
  );
});

Deno.test("secureJoin: real filesystem symlink escape is contained", () => {
  const root = Deno.makeTempDirSync();
  try {
    Deno.symlinkSync("/etc", `${root}/evil`);
    assert.equal(secureJoin(root, "/evil/passwd"), `${root}/etc/passwd`);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});
