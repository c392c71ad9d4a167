// /proc/self/mountinfo, parsed: one place for its format and its octal escapes.

/** Undo mountinfo's octal escapes (\040 space, \011 tab, \012 newline, \134 backslash). */
export function unescapeMountinfo(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export interface MountEntry {
  mountpoint: string;
  /** major:minor */
  devno: string;
  fstype: string;
  source: string;
  mountOptions: string[];
  superOptions: string[];
}

/** Every well-formed line, in order (a later mount covers an earlier one at the same point). */
export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split("\n")) {
    const sep = line.indexOf(" - ");
    if (sep < 0) continue;
    const pre = line.slice(0, sep).split(" ");
    const post = line.slice(sep + 3).split(" ");
    if (pre.length < 6 || post.length < 2) continue;
    out.push({
      mountpoint: unescapeMountinfo(pre[4]),
      devno: pre[2],
      mountOptions: pre[5].split(","),
      fstype: unescapeMountinfo(post[0]),
      source: unescapeMountinfo(post[1]),
      superOptions: (post[2] ?? "").split(",").filter(Boolean),
    });
  }
  return out;
}
