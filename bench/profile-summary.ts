/**
 * Prints where a `node --cpu-prof` profile spent its time (e.g. the server's, from
 * `bench/server-load.ts --profile DIR`).
 *
 *   node --import tsx bench/profile-summary.ts DIR/CPU.*.cpuprofile [top=30]
 */
import { readFileSync } from 'node:fs';
import { summarizeProfile, type CpuProfile } from './lib/profile.js';

const [file, top = '30'] = process.argv.slice(2);
if (!file) throw new Error('usage: profile-summary.ts FILE.cpuprofile [top]');
console.log(summarizeProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, Number(top)).join('\n'));
