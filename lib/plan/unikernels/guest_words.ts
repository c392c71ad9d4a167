// How argument lists survive a trip through a space-separated guest command
// line. Guests split on ASCII whitespace; several also interpret quotes and
// backslashes, so those characters are reported as not reaching the guest intact.

const ASCII_SPACE = /[ \t\n\v\f\r]+/;
const QUOTING = /['"\\]/;

/** The words a guest that splits on ASCII whitespace sees. */
export function splitWords(s: string): string[] {
  return s.split(ASCII_SPACE).filter((w) => w !== "");
}

export function hasQuoting(values: readonly string[]): boolean {
  return values.some((v) => QUOTING.test(v));
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * One warning line when the guest's view of the arguments differs from the
 * intended list (or may differ because of quoting), else null.
 */
export function argsWarning(
  type: string,
  rule: string,
  intended: readonly string[],
  seen: readonly string[],
): string | null {
  const quoting = hasQuoting(intended);
  if (sameList(intended, seen) && !quoting) return null;
  const quoteNote = quoting ? "; it may also interpret quote characters and backslashes" : "";
  return `${type} ${rule}${quoteNote}: process.args ${
    JSON.stringify(intended)
  } reach the guest as ${JSON.stringify(seen)}`;
}

/** One warning line for env entries a guest cannot carry intact, else null. */
export function envWarning(
  type: string,
  rule: string,
  bad: readonly string[],
  seen: readonly string[],
): string | null {
  if (bad.length === 0) return null;
  return `${type} ${rule}: env ${JSON.stringify(bad)} reach the guest as ${JSON.stringify(seen)}`;
}
