// "Did you mean": the closest known name by edit distance, where a swap of two neighbours counts as one edit
// (JT808_PROT → JT808_PORT), or a known name the typo is the start of (HEARTBEAT → HEARTBEAT_S).

function distance(a: string, b: string): number {
  // Optimal string alignment distance, three rolling rows.
  let prev2: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2] + 1);
      row.push(d);
    }
    prev2 = prev;
    prev = row;
  }
  return prev[b.length];
}

/** `normalize` maps both the typo and the candidates to a comparable form (case, separators, prefix). */
export function suggest(typo: string, candidates: readonly string[], normalize: (s: string) => string): string | undefined {
  const t = normalize(typo);
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const n = normalize(c);
    const d = n.startsWith(t) && t.length >= 4 ? 1 : distance(t, n);
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  // A third of the name may be wrong: `port` is not a typo of `host`, `jt808-prot` is one of `jt808-port`.
  return bestD <= Math.max(1, Math.floor(t.length / 3)) ? best : undefined;
}
