/** Self time per function of a V8 CPU profile (CDP Profiler or `node --cpu-prof`). */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }[];
  startTime: number;
  endTime: number;
  samples: number[];
}

/** Lines "<ms> <percent> <function> <file:line>", most self time first. */
export function summarizeProfile(profile: CpuProfile, top = 30): string[] {
  const totalHits = profile.samples.length;
  const ms = (profile.endTime - profile.startTime) / 1000;
  const self = new Map<string, number>();
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url ? `${url.split('/').slice(-2).join('/')}:${lineNumber + 1}` : '';
    const key = `${functionName || '(anonymous)'} ${where}`.trim();
    self.set(key, (self.get(key) ?? 0) + (node.hitCount ?? 0));
  }
  const lines = [`profile: ${ms.toFixed(0)} ms, ${totalHits} samples; self time by function:`];
  for (const [key, hits] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    lines.push(`${((hits / totalHits) * ms).toFixed(0).padStart(7)} ms  ${((100 * hits) / totalHits).toFixed(1).padStart(5)}%  ${key}`);
  }
  return lines;
}
