/**
 * The enrollment benchmark's load: a child process (forked with IPC) so the requests' own cost
 * (fetch, JSON) does not run on the control plane's event loop. It receives one `ClientJob`, sends
 * every request with `concurrency` in flight, answers one `ClientReport` and exits.
 */
import type { EnrollmentRequest } from '@edgefleet/protocol';
import { mapLimit } from '../stats.js';

export interface ClientJob {
  url: string;
  concurrency: number;
  requests: EnrollmentRequest[];
}

export interface ClientAnswer {
  status: number;
  /** From sending the request to having the whole answer. */
  ms: number;
  body: unknown;
}

export interface ClientReport {
  /** From the first request sent to the last answer received. */
  wallMs: number;
  /** This process's CPU time (user + system) over the requests. */
  cpuMs: number;
  answers: ClientAnswer[];
}

async function run(job: ClientJob): Promise<ClientReport> {
  const endpoint = new URL('/api/v1/enrollments', job.url);
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const answers = await mapLimit(job.requests, job.concurrency, async (req): Promise<ClientAnswer> => {
    const started = performance.now();
    const res = await fetch(endpoint, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify(req) });
    const text = await res.text();
    const ms = performance.now() - started;
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // Kept as text: the parent reports what came back.
    }
    return { status: res.status, ms, body };
  });
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000, answers };
}

// Nothing to do once the bench is gone.
process.once('disconnect', () => process.exit(0));
process.once('message', (job: ClientJob) => {
  run(job).then(
    (report) => process.send?.(report, () => process.exit(0)),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
});
