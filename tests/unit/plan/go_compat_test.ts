import assert from "node:assert/strict";
import {
  compareGoVersions,
  goFields,
  goJsonStringify,
  goParseBool,
  goTrimSpace,
  parseGoVersion,
} from "../../../lib/plan/go_compat.ts";

Deno.test("goFields splits on Go whitespace runs only", () => {
  const cases: [string, string[]][] = [
    ["", []],
    ["   ", []],
    ["/bin/app --flag 'two words'", ["/bin/app", "--flag", "'two", "words'"]],
    [" a\tb\nc\vd\fe\rf ", ["a", "b", "c", "d", "e", "f"]],
    ["a\u0085b\u00a0c\u2003d\u3000e\u2028f", ["a", "b", "c", "d", "e", "f"]],
    // U+FEFF is whitespace for JS \s but not for Go; U+200B is neither.
    ["a\ufeffb c\u200bd", ["a\ufeffb", "c\u200bd"]],
    ["héllo wörld 日本", ["héllo", "wörld", "日本"]],
  ];
  for (const [input, want] of cases) assert.deepEqual(goFields(input), want, JSON.stringify(input));
});

Deno.test("goTrimSpace trims the Go whitespace set", () => {
  assert.equal(goTrimSpace("\u00a0 a b \t"), "a b");
  assert.equal(goTrimSpace("\ufeffa"), "\ufeffa");
  assert.equal(goTrimSpace(""), "");
});

Deno.test("goParseBool accepts exactly strconv.ParseBool's words", () => {
  for (const t of ["1", "t", "T", "TRUE", "true", "True"]) assert.equal(goParseBool(t), true, t);
  for (const f of ["0", "f", "F", "FALSE", "false", "False"]) {
    assert.equal(goParseBool(f), false, f);
  }
  for (const bad of ["", "yes", "tRUE", " true", "2", "on"]) {
    assert.equal(goParseBool(bad), null, bad);
  }
});

Deno.test("go-version parsing and ordering", () => {
  const v = (s: string) => {
    const p = parseGoVersion(s);
    assert.ok(p, `parses ${s}`);
    return p;
  };
  const cases: [string, string, number][] = [
    ["0.16.1", "0.16.1", 0],
    ["v0.16.1", "0.16.1", 0],
    ["0.16", "0.16.0", 0],
    ["0.15.0", "0.16.1", -1],
    ["0.16.0", "0.16.1", -1],
    ["0.17", "0.16.1", 1],
    ["1.0.0", "0.16.1", 1],
    ["0.16.1-rc1", "0.16.1", -1],
    ["0.16.1rc1", "0.16.1", -1],
    ["0.16.1+meta", "0.16.1", 0],
    ["0.16.1-alpha", "0.16.1-beta", -1],
    ["0.16.1-1", "0.16.1-alpha", -1],
    ["0.16.1-alpha.2", "0.16.1-alpha.10", -1],
    ["0.16.1.1", "0.16.1", 1],
    ["0.16.1-alpha", "0.16.1-alpha.1", -1],
    ["0.16.1-alpha", "0.16.1-alpha.beta", 1],
  ];
  for (const [a, b, want] of cases) {
    assert.equal(compareGoVersions(v(a), v(b)), want, `${a} vs ${b}`);
  }
  for (const bad of ["", "latest", "0..1", "x1.0", "1.0 ", "v"]) {
    assert.equal(parseGoVersion(bad), null, bad);
  }
});

Deno.test("goJsonStringify escapes like encoding/json", () => {
  const cases: [unknown, string][] = [
    [{ a: "<b>&" }, '{"a":"\\u003cb\\u003e\\u0026"}'],
    ["line\u2028sep\u2029", '"line\\u2028sep\\u2029"'],
    ['quote" back\\ nl\n tab\t', '"quote\\" back\\\\ nl\\n tab\\t"'],
    ["\u0001", '"\\u0001"'],
    ["héllo 日本 😀", '"héllo 日本 😀"'],
    ["lone \ud800 surrogate", '"lone \\ufffd surrogate"'],
    // literal backslash-u text must not be mistaken for a surrogate escape
    ["\\ud800", '"\\\\ud800"'],
    [{ k: [1, true, null] }, '{"k":[1,true,null]}'],
  ];
  for (const [input, want] of cases) {
    assert.equal(goJsonStringify(input), want, JSON.stringify(input));
  }
});
