// The host's cgroup hierarchies (pure): parsed from /proc/self/mountinfo and
// /proc/self/cgroup. v1 (possibly hybrid: v1 controllers plus a cgroup2 mount
// that holds none) or v2 (one unified hierarchy).

export interface Hierarchy {
  /** v1: the controllers it holds (and "name=X" for a named one); v2: []. */
  controllers: string[];
  version: 1 | 2;
  mount: string;
  /** urunc's own cgroup in this hierarchy (from /proc/self/cgroup), e.g. "/" . */
  own: string;
}

export interface CgroupLayout {
  version: 1 | 2;
  /** v1: every v1 hierarchy, then the unified one of a hybrid host; v2: the one hierarchy. */
  hierarchies: Hierarchy[];
}

const V1_CONTROLLERS = new Set([
  "blkio",
  "cpu",
  "cpuacct",
  "cpuset",
  "devices",
  "freezer",
  "hugetlb",
  "memory",
  "misc",
  "net_cls",
  "net_prio",
  "perf_event",
  "pids",
  "rdma",
]);

function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));
}

export function parseLayout(mountinfo: string, selfCgroup: string): CgroupLayout {
  const own = new Map<string, string>();
  for (const line of selfCgroup.split("\n")) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    if (m) own.set(m[1].split(",").sort().join(","), m[2]);
  }
  const v1: Hierarchy[] = [];
  const v2: Hierarchy[] = [];
  const seen = new Set<string>();
  for (const line of mountinfo.split("\n")) {
    const sep = line.indexOf(" - ");
    if (sep < 0) continue;
    const [fstype, , superOpts = ""] = line.slice(sep + 3).split(" ");
    const mount = unescapeMount(line.slice(0, sep).split(" ")[4] ?? "");
    if (fstype === "cgroup2") {
      if (!seen.has("")) v2.push({ controllers: [], version: 2, mount, own: own.get("") ?? "/" });
      seen.add("");
    } else if (fstype === "cgroup") {
      const controllers = superOpts.split(",")
        .filter((o) => V1_CONTROLLERS.has(o) || o.startsWith("name="))
        .sort();
      const key = controllers.join(",");
      if (controllers.length === 0 || seen.has(key)) continue;
      seen.add(key);
      v1.push({ controllers, version: 1, mount, own: own.get(key) ?? "/" });
    }
  }
  if (v1.length > 0) return { version: 1, hierarchies: [...v1, ...v2] };
  return { version: 2, hierarchies: v2 };
}

/** The container's directory in one hierarchy for a path from resolveCgroupPath. */
export function leafDir(h: Hierarchy, path: string): string {
  if (path.startsWith("/")) return join(h.mount, path);
  // v2: processes live only in leaves, so a relative path hangs beside urunc's
  // own cgroup (its parent), where controllers can be enabled; v1 has no such rule.
  const base = h.version === 2 ? parentOf(h.own) : h.own;
  return join(h.mount, base, path);
}

function parentOf(p: string): string {
  const i = p.lastIndexOf("/");
  return i <= 0 ? "/" : p.slice(0, i);
}

function join(...parts: string[]): string {
  return "/" + parts.flatMap((p) => p.split("/")).filter((p) => p !== "").join("/");
}

/** The hierarchy holding `controller` (v1), or the unified one (v2). */
export function hierarchyFor(layout: CgroupLayout, controller: string): Hierarchy | undefined {
  if (layout.version === 2) return layout.hierarchies[0];
  return layout.hierarchies.find((h) => h.version === 1 && h.controllers.includes(controller));
}
