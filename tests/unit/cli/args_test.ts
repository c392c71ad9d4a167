import assert from "node:assert/strict";
import { parseFlags } from "../../../lib/cli/args.ts";

const FLAGS = {
  bundle: { type: "string", short: "b", default: "." },
  "pid-file": { type: "string" },
  force: { type: "boolean", short: "f" },
} as const;

const ok: [string[], Record<string, unknown>, string[]][] = [
  [[], { bundle: "." }, []],
  [["id"], { bundle: "." }, ["id"]],
  [["--bundle", "/b", "id"], { bundle: "/b" }, ["id"]],
  [["id", "--bundle=/b"], { bundle: "/b" }, ["id"]], // flags after positionals, as runc
  [["-b", "/b", "-f", "id"], { bundle: "/b", force: true }, ["id"]],
  [["-bundle", "/b", "-pid-file=/p", "id"], { bundle: "/b", "pid-file": "/p" }, ["id"]],
  [["--force=false", "id"], { bundle: ".", force: false }, ["id"]],
  [["--force=true", "id"], { bundle: ".", force: true }, ["id"]],
  [["--bundle", "--weird", "id"], { bundle: "--weird" }, ["id"]], // a value is taken as is
  [["--", "--force", "-"], { bundle: "." }, ["--force", "-"]],
  [["-", "id"], { bundle: "." }, ["-", "id"]],
];
for (const [args, values, positionals] of ok) {
  Deno.test(`flags ${JSON.stringify(args)}`, () => {
    const r = parseFlags(args, FLAGS);
    assert.deepEqual({ ...r.values }, values);
    assert.deepEqual(r.positionals, positionals);
  });
}

const bad: [string[], string][] = [
  [["--bogus", "x"], "Unknown option '--bogus'"],
  [["-z"], "Unknown option '-z'"],
  [["--bogus=1"], "Unknown option '--bogus'"],
  [["--bundle"], "Option '--bundle <value>' argument missing"],
  [["--force=yes"], `Option '--force' takes true or false, got "yes"`],
];
for (const [args, message] of bad) {
  Deno.test(`flags ${JSON.stringify(args)} are refused: ${message}`, () => {
    assert.throws(() => parseFlags(args, FLAGS), (e: Error) => e.message === message);
  });
}
