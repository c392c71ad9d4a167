// cgroup files -> the stats document `runc events --stats` prints (pure; the
// caller reads the files). Field names and omissions follow runc's types/events.go
// (Go omitempty: zero numbers and empty lists left out). Counters stay bigint:
// v1 reports "no limit" as 2^63 rounded to a page, past a double's precision.

/** Reads a file of the container's cgroup by name (prefix = v1 controller); null if absent. */
export type ReadCgroupFile = (file: string) => string | null;

const NS_PER_TICK = 10_000_000n; // USER_HZ is 100 on every Linux ABI urunc runs on
const MAX_U64 = (1n << 64n) - 1n;

function num(s: string | null): bigint {
  if (s === null) return 0n;
  const t = s.trim();
  if (t === "max") return MAX_U64;
  return /^-?\d+$/.test(t) ? BigInt(t) : 0n;
}

/** "key value" lines (memory.stat, cpu.stat, memory.events) -> map. */
export function keyedFile(s: string | null): Map<string, bigint> {
  const m = new Map<string, bigint>();
  for (const line of (s ?? "").split("\n")) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^\d+$/.test(v)) m.set(k, BigInt(v));
  }
  return m;
}

type Obj = Record<string, unknown>;

/** Go's omitempty for the listed keys: drop zero numbers, empty lists and undefined. */
function omit(o: Obj, keys: string[]): Obj {
  for (const k of keys) {
    const v = o[k];
    if (v === undefined || v === 0n || (Array.isArray(v) && v.length === 0)) delete o[k];
  }
  return o;
}

function entry(usage: bigint, max: bigint, failcnt: bigint, limit: bigint): Obj {
  return omit({ limit, usage, max, failcnt }, ["usage", "max"]);
}

function list(s: string | null): bigint[] {
  return (s ?? "").trim().split(/\s+/).filter((x) => /^\d+$/.test(x)).map(BigInt);
}

export function cgroupStats(version: 1 | 2, read: ReadCgroupFile): Obj {
  return version === 1 ? statsV1(read) : statsV2(read);
}

function common(cpu: Obj, memory: Obj, pids: Obj): Obj {
  return {
    cpu,
    cpuset: {
      cpu_exclusive: 0n,
      mem_hardwall: 0n,
      mem_exclusive: 0n,
      memory_migrate: 0n,
      memory_spread_page: 0n,
      memory_spread_slab: 0n,
      memory_pressure: 0n,
      sched_load_balance: 0n,
      sched_relax_domain_level: 0n,
    },
    memory,
    pids,
    blkio: {},
    hugetlb: {},
    intel_rdt: {},
    network_interfaces: null,
  };
}

function statsV1(read: ReadCgroupFile): Obj {
  const acct = keyedFile(read("cpuacct.stat"));
  const thr = keyedFile(read("cpu.stat"));
  const cpu = {
    usage: omit({
      total: num(read("cpuacct.usage")),
      percpu: list(read("cpuacct.usage_percpu")),
      kernel: (acct.get("system") ?? 0n) * NS_PER_TICK,
      user: (acct.get("user") ?? 0n) * NS_PER_TICK,
    }, ["total", "percpu"]),
    throttling: omit({
      periods: thr.get("nr_periods") ?? 0n,
      throttledPeriods: thr.get("nr_throttled") ?? 0n,
      throttledTime: thr.get("throttled_time") ?? 0n,
    }, ["periods", "throttledPeriods", "throttledTime"]),
  };
  const raw = keyedFile(read("memory.stat"));
  const m = (p: string) =>
    entry(
      num(read(`${p}.usage_in_bytes`)),
      num(read(`${p}.max_usage_in_bytes`)),
      num(read(`${p}.failcnt`)),
      num(read(`${p}.limit_in_bytes`)),
    );
  const memory = omit({
    cache: raw.get("cache") ?? 0n,
    usage: m("memory"),
    swap: m("memory.memsw"),
    kernel: m("memory.kmem"),
    kernelTCP: m("memory.kmem.tcp"),
    raw: raw.size > 0 ? Object.fromEntries(raw) : undefined,
    event_count: {},
  }, ["cache", "raw"]);
  return common(cpu, memory, pidStats(read));
}

function statsV2(read: ReadCgroupFile): Obj {
  const st = keyedFile(read("cpu.stat"));
  const us = (k: string) => (st.get(k) ?? 0n) * 1000n;
  const cpu = {
    usage: omit({ total: us("usage_usec"), kernel: us("system_usec"), user: us("user_usec") }, [
      "total",
    ]),
    throttling: omit({
      periods: st.get("nr_periods") ?? 0n,
      throttledPeriods: st.get("nr_throttled") ?? 0n,
      throttledTime: us("throttled_usec"),
    }, ["periods", "throttledPeriods", "throttledTime"]),
  };
  const raw = keyedFile(read("memory.stat"));
  const events = keyedFile(read("memory.events"));
  const memory = omit({
    cache: raw.get("file") ?? 0n,
    usage: entry(
      num(read("memory.current")),
      num(read("memory.peak")),
      events.get("max") ?? 0n,
      num(read("memory.max") ?? "max"),
    ),
    swap: entry(
      num(read("memory.swap.current")),
      num(read("memory.swap.peak")),
      events.get("max") ?? 0n,
      num(read("memory.swap.max") ?? "max"),
    ),
    kernel: entry(0n, 0n, 0n, 0n),
    kernelTCP: entry(0n, 0n, 0n, 0n),
    raw: raw.size > 0 ? Object.fromEntries(raw) : undefined,
    event_count: omit({
      low: events.get("low") ?? 0n,
      high: events.get("high") ?? 0n,
      max: events.get("max") ?? 0n,
      oom: events.get("oom") ?? 0n,
      oom_kill: events.get("oom_kill") ?? 0n,
    }, ["low", "high", "max", "oom", "oom_kill"]),
  }, ["cache", "raw"]);
  return common(cpu, memory, pidStats(read));
}

function pidStats(read: ReadCgroupFile): Obj {
  const max = read("pids.max");
  return omit({
    current: num(read("pids.current")),
    limit: max?.trim() === "max" ? 0n : num(max),
  }, ["current", "limit"]);
}

/** How many times the OOM killer killed a process of this cgroup; null when unknowable. */
export function oomKills(version: 1 | 2, read: ReadCgroupFile): bigint | null {
  const f = read(version === 1 ? "memory.oom_control" : "memory.events");
  if (f === null) return null;
  return keyedFile(f).get("oom_kill") ?? null;
}

/** JSON with bigints as exact numbers. */
export function statsJson(doc: unknown): string {
  const raw = (JSON as unknown as { rawJSON(s: string): unknown }).rawJSON;
  return JSON.stringify(doc, (_k, v) => typeof v === "bigint" ? raw(v.toString()) : v);
}
