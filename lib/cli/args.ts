import { parseArgs, type ParseArgsConfig } from "node:util";
import { UsageError } from "../errors.ts";

type Options = NonNullable<ParseArgsConfig["options"]>;

/**
 * Parse one command's flags; flags may come before or after positionals, as
 * with runc (urfave/cli). `positionals` is [min, max] (max -1 = unbounded).
 */
export function parseCommandArgs<O extends Options>(
  command: string,
  args: string[],
  options: O,
  positionals: [number, number],
  usage: string,
) {
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(`${command}: ${(err as Error).message.split("\n")[0]}; usage: ${usage}`);
  }
  const [min, max] = positionals;
  const n = parsed.positionals.length;
  if (n < min || (max >= 0 && n > max)) {
    const want = min === max ? `exactly ${min}` : max < 0 ? `at least ${min}` : `${min} to ${max}`;
    throw new UsageError(`${command}: expected ${want} argument(s), got ${n}; usage: ${usage}`);
  }
  return parsed;
}
