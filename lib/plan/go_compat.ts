// Go library semantics that leak into contracts with guests and images: upstream
// urunc is written in Go, so its whitespace splitting, boolean parsing, version
// ordering and JSON escaping are what existing images and unikernels expect.

/** Go unicode.IsSpace: Latin-1 spaces plus the Unicode White_Space property (not U+FEFF). */
const GO_SPACE = "\t\n\v\f\r \u0085\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005" +
  "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000";
const GO_SPACE_SET = new Set(GO_SPACE);

export function isGoSpace(ch: string): boolean {
  return GO_SPACE_SET.has(ch);
}

/** strings.Fields: split around runs of Go whitespace; never yields empty strings. */
export function goFields(s: string): string[] {
  const out: string[] = [];
  let cur = "";
  for (const ch of s) {
    if (GO_SPACE_SET.has(ch)) {
      if (cur !== "") out.push(cur);
      cur = "";
    } else {
      cur += ch;
    }
  }
  if (cur !== "") out.push(cur);
  return out;
}

/** strings.TrimSpace with the same whitespace set. */
export function goTrimSpace(s: string): string {
  const chars = [...s];
  let a = 0;
  let b = chars.length;
  while (a < b && GO_SPACE_SET.has(chars[a])) a++;
  while (b > a && GO_SPACE_SET.has(chars[b - 1])) b--;
  return chars.slice(a, b).join("");
}

const TRUE_WORDS = new Set(["1", "t", "T", "TRUE", "true", "True"]);
const FALSE_WORDS = new Set(["0", "f", "F", "FALSE", "false", "False"]);
export const GO_BOOL_WORDS = [...TRUE_WORDS, ...FALSE_WORDS];

/** strconv.ParseBool; null for anything it would reject. */
export function goParseBool(s: string): boolean | null {
  if (TRUE_WORDS.has(s)) return true;
  if (FALSE_WORDS.has(s)) return false;
  return null;
}

// hashicorp/go-version's accepted syntax: optional "v", dotted numbers, an
// optional pre-release (with or without "-") and optional "+metadata".
const VERSION_RE = new RegExp(
  "^v?([0-9]+(?:\\.[0-9]+)*?)" +
    "(?:-([0-9]+[0-9A-Za-z\\-~]*(?:\\.[0-9A-Za-z\\-~]+)*)|(?:-?([A-Za-z\\-~]+[0-9A-Za-z\\-~]*(?:\\.[0-9A-Za-z\\-~]+)*)))?" +
    "(?:\\+([0-9A-Za-z\\-~]+(?:\\.[0-9A-Za-z\\-~]+)*))?$",
);

export interface GoVersion {
  segments: number[];
  pre: string;
}

/** Parse like version.NewVersion; null when it would return an error. */
export function parseGoVersion(s: string): GoVersion | null {
  const m = VERSION_RE.exec(s);
  if (m === null) return null;
  const segments = m[1].split(".").map(Number);
  if (segments.some((n) => !Number.isSafeInteger(n))) return null;
  while (segments.length < 3) segments.push(0);
  return { segments, pre: m[2] ?? m[3] ?? "" };
}

// go-version's comparePart: a missing part sorts before a number and after a word.
function comparePreParts(a: string, b: string): number {
  if (a === b) return 0;
  const an = /^[0-9]+$/.test(a);
  const bn = /^[0-9]+$/.test(b);
  if (a === "") return bn ? -1 : 1;
  if (b === "") return an ? 1 : -1;
  if (an && bn) return Math.sign(Number(a) - Number(b));
  if (an !== bn) return an ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** -1, 0 or 1; metadata is ignored and a pre-release sorts before its release. */
export function compareGoVersions(a: GoVersion, b: GoVersion): number {
  const n = Math.max(a.segments.length, b.segments.length);
  for (let i = 0; i < n; i++) {
    const d = (a.segments[i] ?? 0) - (b.segments[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  if (a.pre === b.pre) return 0;
  if (a.pre === "") return 1;
  if (b.pre === "") return -1;
  const ap = a.pre.split(".");
  const bp = b.pre.split(".");
  for (let i = 0; i < Math.max(ap.length, bp.length); i++) {
    const c = comparePreParts(ap[i] ?? "", bp[i] ?? "");
    if (c !== 0) return c;
  }
  return 0;
}

// encoding/json escapes < > & and U+2028/U+2029 where JSON.stringify does not;
// JSON.stringify's only \udXXX escapes are lone surrogates, which Go writes as
// U+FFFD. Escaped backslashes are matched as whole tokens so "\\ud800" text stays.
const GO_JSON_FIXUPS = /\\\\|\\ud[89a-f][0-9a-f]{2}|[<>&\u2028\u2029]/g;

/** json.Marshal's compact output for plain data (key order = insertion order). */
export function goJsonStringify(value: unknown): string {
  return JSON.stringify(value).replace(GO_JSON_FIXUPS, (m) => {
    if (m === "\\\\") return m;
    if (m.startsWith("\\")) return "\\ufffd";
    return "\\u" + m.charCodeAt(0).toString(16).padStart(4, "0");
  });
}
