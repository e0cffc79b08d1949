// `prisma generate` for the control plane's client (run by the build).
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { prismaEnv } from './prisma-env.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const cli = createRequire(import.meta.url).resolve('prisma/build/index.js');
execFileSync(process.execPath, [cli, 'generate', '--config', path.join(here, '..', 'prisma.config.ts')], {
  env: prismaEnv(),
  stdio: ['ignore', 'ignore', 'inherit'],
  cwd: path.join(here, '..'),
});
