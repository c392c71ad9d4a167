import assert from "node:assert/strict";
import { cgroupStats, oomKills, statsJson } from "../../../lib/plan/cgroups/stats.ts";

const V1: Record<string, string> = {
  "cpuacct.usage": "123456789\n",
  "cpuacct.usage_percpu": "100000000 23456789 \n",
  "cpuacct.stat": "user 7\nsystem 3\n",
  "cpu.stat": "nr_periods 10\nnr_throttled 2\nthrottled_time 5000\n",
  "memory.usage_in_bytes": "1048576\n",
  "memory.max_usage_in_bytes": "2097152\n",
  "memory.failcnt": "0\n",
  "memory.limit_in_bytes": "9223372036854771712\n",
  "memory.stat": "cache 4096\nrss 8192\n",
  "memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n",
  "pids.current": "1\n",
  "pids.max": "max\n",
};

Deno.test("v1 stats in runc's shape, exact past 2^53, zero fields left out as Go does", () => {
  const doc = cgroupStats(1, (f) => V1[f] ?? null);
  const json = JSON.parse(statsJson(doc).replace("9223372036854771712", '"BIG"'));
  assert.deepEqual(json.cpu, {
    usage: { total: 123456789, percpu: [100000000, 23456789], kernel: 30000000, user: 70000000 },
    throttling: { periods: 10, throttledPeriods: 2, throttledTime: 5000 },
  });
  assert.deepEqual(json.memory.usage, { limit: "BIG", usage: 1048576, max: 2097152, failcnt: 0 });
  assert.equal(json.memory.cache, 4096);
  assert.deepEqual(json.memory.raw, { cache: 4096, rss: 8192 });
  assert.deepEqual(json.memory.swap, { limit: 0, failcnt: 0 });
  assert.deepEqual(json.pids, { current: 1 });
  assert.equal(json.network_interfaces, null);
  assert.match(statsJson(doc), /"limit":9223372036854771712/);
  assert.equal(oomKills(1, (f) => V1[f] ?? null), 1n);
});

Deno.test("v2 stats: usec become ns, memory.events feeds failcnt and event_count", () => {
  const V2: Record<string, string> = {
    "cpu.stat": "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 4\n",
    "memory.current": "4096\n",
    "memory.peak": "8192\n",
    "memory.max": "max\n",
    "memory.events": "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n",
    "pids.current": "2\n",
    "pids.max": "20\n",
  };
  const json = JSON.parse(statsJson(cgroupStats(2, (f) => V2[f] ?? null)));
  assert.deepEqual(json.cpu, {
    usage: { total: 1500000, kernel: 500000, user: 1000000 },
    throttling: { periods: 4 },
  });
  assert.deepEqual(json.memory.usage, {
    limit: 18446744073709551615,
    usage: 4096,
    max: 8192,
    failcnt: 3,
  });
  assert.deepEqual(json.memory.event_count, { max: 3, oom: 1, oom_kill: 1 });
  assert.deepEqual(json.pids, { current: 2, limit: 20 });
  assert.equal(oomKills(2, (f) => V2[f] ?? null), 1n);
  assert.equal(oomKills(2, () => null), null, "no memory controller: unknowable");
});
