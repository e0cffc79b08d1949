/** `npm run bench`: every benchmark, one after another (each writes bench/results/<name>.json). */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const benches = ['control-loop.js', 'southbound.js', 'northbound.js', 'enroll.js'];
let failed = 0;
for (const b of benches) {
  const r = spawnSync(process.execPath, [path.join(here, b)], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
