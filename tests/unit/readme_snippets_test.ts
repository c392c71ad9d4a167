// The README's Docker, CRI and Kubernetes snippets are the ones the e2e tests run: each must
// appear in README.md exactly as tests/e2e/orchestrator_config.ts renders it for the documented
// install path.
import assert from "node:assert/strict";
import {
  criRuntimeToml,
  dockerDaemonJson,
  DOCUMENTED_BINARY,
  HANDLER,
  runtimeClassYaml,
} from "../e2e/orchestrator_config.ts";

const readme = Deno.readTextFileSync(new URL("../../README.md", import.meta.url));

const cases: [string, string, string][] = [
  ["Docker daemon.json", "json", dockerDaemonJson({ [HANDLER]: DOCUMENTED_BINARY })],
  ["containerd CRI runtime", "toml", criRuntimeToml(DOCUMENTED_BINARY)],
  ["Kubernetes RuntimeClass", "yaml", runtimeClassYaml()],
];

for (const [name, lang, snippet] of cases) {
  Deno.test(`README shows the ${name} snippet the e2e tests use`, () => {
    assert.ok(
      readme.includes("```" + lang + "\n" + snippet + "```\n"),
      `README.md lacks this ${lang} block:\n${snippet}`,
    );
  });
}

Deno.test("README names the nerdctl runtime path and says it is untested", () => {
  assert.ok(readme.includes(`nerdctl run --runtime ${DOCUMENTED_BINARY}`));
  assert.match(readme, /nerdctl[^\n]*\n?[^\n]*Not tested here/);
});
