// Shape checks for JSON urunc reads back from its own files (state.json, the ledger):
// hand-written, as zod would cost every short CLI call its load.

export type Obj = Record<string, unknown>;

export const isObj = (v: unknown): v is Obj =>
  typeof v === "object" && v !== null && !Array.isArray(v);
export const isStr = (v: unknown): v is string => typeof v === "string";
export const isInt = (v: unknown, min: number, max: number) =>
  typeof v === "number" && Number.isInteger(v) && v >= min && v <= max;
export const DIGITS = /^\d{1,20}$/;
/** pid_max can be at most 2^22. */
export const MAX_PID = 4194304;

/** The first field of `o` that fails its check, as a sentence; null when all pass. */
export function fields(o: Obj, checks: Record<string, (v: unknown) => boolean>): string | null {
  for (const [k, ok] of Object.entries(checks)) {
    if (!ok(o[k])) return `field "${k}" is missing or invalid`;
  }
  return null;
}
