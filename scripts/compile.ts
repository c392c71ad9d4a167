// `deno task compile`: builds the single-file urunc binary at .build/urunc-bin.
// deno compile embeds the program into `denort`, which it downloads from dl.deno.land on first
// use (then caches in DENO_DIR). Where that download is blocked, point DENO at a local denort
// with DENORT_BIN (read by deno itself; we only check it and pass it through).
const repo = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const output = `${repo}/.build/urunc-bin`;

function fail(message: string): never {
  console.error(`compile: ${message}`);
  Deno.exit(1);
}

const denortBin = Deno.env.get("DENORT_BIN");
if (denortBin !== undefined) {
  try {
    if (!Deno.statSync(denortBin).isFile) fail(`DENORT_BIN="${denortBin}" is not a file`);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) fail(`DENORT_BIN="${denortBin}" does not exist`);
    throw err;
  }
}

/** Every module under `dir`: lib/lazy.ts imports by computed specifiers that compile cannot follow. */
function modulesUnder(dir: string): string[] {
  const found: string[] = [];
  for (const e of Deno.readDirSync(`${repo}/${dir}`)) {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory) found.push(...modulesUnder(rel));
    else if (e.isFile && e.name.endsWith(".ts")) found.push(rel);
  }
  return found.sort();
}
const includes = ["lib", "ffi"].flatMap(modulesUnder).flatMap((m) => ["--include", m]);

Deno.mkdirSync(`${repo}/.build`, { recursive: true });
const out = await new Deno.Command(Deno.execPath(), {
  args: ["compile", "-A", ...includes, "--output", output, `${repo}/main.ts`],
  cwd: repo,
  stdin: "null",
  stdout: "inherit",
  stderr: "piped",
}).output();
const stderr = new TextDecoder().decode(out.stderr);
if (!out.success) {
  console.error(stderr.trimEnd());
  if (denortBin === undefined && /dl\.deno\.land|denort/.test(stderr)) {
    fail(
      `deno compile could not download its runtime (denort ${Deno.version.deno}) from ` +
        `dl.deno.land. Set DENORT_BIN to a local denort of the same version ` +
        `(unzipped denort-x86_64-unknown-linux-gnu.zip) and rerun; from source, use the ` +
        `.build/urunc wrapper that scripts/setup.sh generates instead.`,
    );
  }
  fail(`deno compile failed (exit ${out.code})`);
}
// Progress lines ("Compile ...") go to stderr even on success: keep them visible.
if (stderr) console.error(stderr.trimEnd());
console.log(`compile: wrote ${output}`);
