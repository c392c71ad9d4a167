// One command's flags, parsed the way runc's CLI (urfave/cli) takes them: flags
// before or after positionals, `--name value`, `--name=value`, `-n value`, a
// single dash for long names too, `--flag=true|false`, `--` ends the flags.
// Not node:util's parseArgs: loading node compat costs every CLI call ~8 ms.

import { UsageError } from "../errors.ts";

export interface FlagSpec {
  type: "string" | "boolean";
  short?: string;
  default?: string | boolean;
}
export type FlagSpecs = Record<string, FlagSpec>;

type ValueOf<F extends FlagSpec> = F["type"] extends "boolean" ? boolean : string;
export type FlagValues<O extends FlagSpecs> = {
  -readonly [K in keyof O]: O[K] extends { default: string | boolean } ? ValueOf<O[K]>
    : ValueOf<O[K]> | undefined;
};

/** Flags and positionals, or a message saying what is wrong (no usage text). */
export function parseFlags<O extends FlagSpecs>(
  args: readonly string[],
  options: O,
): { values: FlagValues<O>; positionals: string[] } {
  const values: Record<string, string | boolean> = {};
  for (const [name, o] of Object.entries(options)) {
    if (o.default !== undefined) values[name] = o.default;
  }
  const byShort = new Map(
    Object.entries(options).filter(([, o]) => o.short).map(([n, o]) => [o.short!, n]),
  );
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const tok = args[i];
    if (tok === "--") {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (!tok.startsWith("-") || tok === "-") {
      positionals.push(tok);
      continue;
    }
    const body = tok.replace(/^--?/, "");
    const eq = body.indexOf("=");
    const key = eq < 0 ? body : body.slice(0, eq);
    const name = Object.hasOwn(options, key) && key.length > 1 ? key : byShort.get(key);
    if (name === undefined) throw new UsageError(`Unknown option '${tok.split("=")[0]}'`);
    const inline = eq < 0 ? null : body.slice(eq + 1);
    if (options[name].type === "boolean") {
      if (inline !== null && inline !== "true" && inline !== "false") {
        throw new UsageError(
          `Option '--${name}' takes true or false, got ${JSON.stringify(inline)}`,
        );
      }
      values[name] = inline !== "false";
      continue;
    }
    if (inline !== null) values[name] = inline;
    else if (i + 1 < args.length) values[name] = args[++i];
    else throw new UsageError(`Option '--${name} <value>' argument missing`);
  }
  return { values: values as FlagValues<O>, positionals };
}

/**
 * Parse one command's flags; flags may come before or after positionals, as
 * with runc (urfave/cli). `positionals` is [min, max] (max -1 = unbounded).
 */
export function parseCommandArgs<O extends FlagSpecs>(
  command: string,
  args: string[],
  options: O,
  positionals: [number, number],
  usage: string,
): { values: FlagValues<O>; positionals: string[] } {
  let parsed;
  try {
    parsed = parseFlags(args, options);
  } catch (err) {
    throw new UsageError(`${command}: ${(err as Error).message}; usage: ${usage}`);
  }
  const [min, max] = positionals;
  const n = parsed.positionals.length;
  if (n < min || (max >= 0 && n > max)) {
    const want = min === max ? `exactly ${min}` : max < 0 ? `at least ${min}` : `${min} to ${max}`;
    throw new UsageError(`${command}: expected ${want} argument(s), got ${n}; usage: ${usage}`);
  }
  return parsed;
}
