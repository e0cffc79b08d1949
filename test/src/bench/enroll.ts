/**
 * Enrollment benchmark → bench/results/enroll.json (`npm run bench:enroll`)
 *
 * How many boxes one control-plane instance enrolls per second: `POST /api/v1/enrollments` with
 * a token of the fleet (no approval, no use limit), each request a distinct hardware id and a CSR
 * of its own. The keys and CSRs are made before the clock starts (on a box that is the box's own
 * work, not the plane's).
 *
 *  1. Enrollments/s and latency (p50, p95, max) with C requests in flight, for each C of
 *     BENCH_ENROLL_CONCURRENCY (default 1, 8, 32), N enrollments each (BENCH_ENROLL_N, 1,000).
 *     The requests come from a child process, so their cost does not run on the plane's event
 *     loop; the plane's CPU per enrollment is its process's CPU time over the enrollments.
 *  2. What signing costs: the plane's own `signClientCsr` (parse, verify the CSR's signature,
 *     issue and sign the certificate) timed alone on a batch of the same CSRs, as a share of the
 *     plane's CPU per enrollment.
 *  3. Checked inside the bench: every answer 201 with a valid body, every agent id distinct,
 *     every certificate's CN its agent id, signed by the fleet CA for the CSR's key, and each
 *     agent in the database with its revision 1.
 *
 * Goal ≥ 50 enrollments/s (the best of the concurrency levels). Anchor: Azure IoT Hub DPS allows
 * 1,000 registrations a minute per service unit (≈ 17/s).
 *
 * The plane's enrollment rate limit (600 a minute per client address by default) is raised for
 * this run, since every request comes from 127.0.0.1; the results say so.
 */
import 'reflect-metadata'; // @peculiar/x509 (below) resolves its services through tsyringe, which needs it loaded first
import { execFileSync, fork } from 'node:child_process';
import { randomUUID, X509Certificate } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import * as x509 from '@peculiar/x509';
import pg from 'pg';
import { generateKeyAndCsr } from '@edgefleet/agent';
import type { CertificateAuthority } from '@edgefleet/control-plane';
import { EnrollmentResponseSchema, EnrollmentTokenCreatedSchema, type EnrollmentRequest, type EnrollmentResponse } from '@edgefleet/protocol';
import { FleetListSchema, simulatorConfig } from '../support/fixtures.js';
import { startStack, type Stack } from '../support/stack.js';
import { startBenchDatabase, type BenchDatabase } from './bench-database.js';
import { fmt, machine, runBenchmark, source } from './run-info.js';
import { percentile, round, writeResults } from './stats.js';
import { MachineCpu } from './southbound/proc-stats.js';
import { printTable, type Row } from './southbound/report.js';
import type { ClientJob, ClientReport } from './enroll/client.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const N = Number(process.env.BENCH_ENROLL_N ?? 1000);
const CONCURRENCY = (process.env.BENCH_ENROLL_CONCURRENCY ?? '1,8,32').split(',').map((s) => Number(s.trim())).filter((c) => c > 0);
const WARMUP = Number(process.env.BENCH_ENROLL_WARMUP ?? 50);
const SIGN_SAMPLES = Number(process.env.BENCH_ENROLL_SIGN_SAMPLES ?? 300);
/** Raised from the default 600 a minute per client address: every request here comes from 127.0.0.1. */
const ENROLLMENTS_PER_MINUTE = 1_000_000;
const GOAL_PER_SECOND = 50;
const CERT_VALIDITY_DAYS = 90;
/** A directory: a V8 CPU profile of the plane's process per concurrency level. */
const CPU_PROF = process.env.BENCH_CPU_PROF ? path.resolve(process.env.BENCH_CPU_PROF) : undefined;

function log(line: string): void {
  console.log(`[bench:enroll] ${line}`);
}

function runClient(job: ClientJob): Promise<ClientReport> {
  const child = fork(path.join(here, 'enroll', 'client.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    let report: ClientReport | undefined;
    child.once('message', (m) => {
      report = m as ClientReport;
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0 && report) resolve(report);
      else reject(new Error(`the enrollment client exited with ${code}`));
    });
    child.send(job);
  });
}

/** Uncommitted changes to what the plane runs (source() lists the agent's and the protocol's). */
function uncommittedPlaneFiles(): string[] {
  try {
    return execFileSync('git', ['status', '--porcelain', '--', 'control-plane/src', 'prisma'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\n')
      .filter(Boolean)
      .map((l) => l.slice(3));
  } catch {
    return [];
  }
}

/** Clock ticks per second of /proc times (100 on Linux). */
const CLK_TCK = 100;

/**
 * CPU seconds of the embedded PostgreSQL (a child of this process): the postmaster, its live
 * backends, and the backends it has reaped (its cutime/cstime). NaN on DATABASE_URL's server.
 */
async function postgresCpuSeconds(): Promise<number> {
  if (process.env.DATABASE_URL) return Number.NaN;
  const procs = new Map<number, { ppid: number; comm: string; self: number; children: number }>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // After the name: state, ppid (field 4) … utime 14, stime 15, cutime 16, cstime 17.
      procs.set(Number(entry), { ppid: Number(f[1]), comm, self: (Number(f[11]) + Number(f[12])) / CLK_TCK, children: (Number(f[13]) + Number(f[14])) / CLK_TCK });
    } catch {
      // gone meanwhile
    }
  }
  let total = 0;
  for (const [pid, p] of procs) {
    if (p.ppid !== process.pid || p.comm !== 'postgres') continue;
    total += p.self + p.children;
    for (const c of procs.values()) if (c.ppid === pid) total += c.self;
  }
  return total;
}

interface Level {
  concurrency: number;
  enrollments: number;
  seconds: number;
  enrollmentsPerSecond: number;
  latencyMs: { p50: number; p95: number; max: number };
  /** The plane's process (HTTP, Prisma, signing, publishing) over the level, in % of one core. */
  planeCpuPercent: number;
  planeCpuMsPerEnrollment: number;
  /** The embedded PostgreSQL, all its processes, in % of one core (null on DATABASE_URL's server). */
  postgresCpuPercent: number | null;
  postgresCpuMsPerEnrollment: number | null;
  /** The client process (fetch, JSON), in % of one core. */
  clientCpuPercent: number;
  /** The whole machine (plane, PostgreSQL, the client, anything else), in % of all cores. */
  machineCpuPercent: number;
}

interface Enrolled {
  request: EnrollmentRequest;
  response: EnrollmentResponse;
}

/** Sends the requests with `concurrency` in flight; every answer must be a 201 with a valid body. */
async function enrollBatch(url: string, requests: EnrollmentRequest[], concurrency: number, profile?: string): Promise<{ level: Level; enrolled: Enrolled[] }> {
  const machineCpu = new MachineCpu();
  await machineCpu.begin();
  const pg0 = await postgresCpuSeconds();
  const profiler = profile ? new Session() : undefined;
  if (profiler) {
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.start');
  }
  const cpu0 = process.cpuUsage();
  const report = await runClient({ url, concurrency, requests });
  const cpu = process.cpuUsage(cpu0);
  if (profiler && profile) {
    const { profile: taken } = await profiler.post('Profiler.stop');
    await mkdir(path.dirname(profile), { recursive: true });
    await writeFile(profile, JSON.stringify(taken));
    profiler.disconnect();
  }
  const pgMs = ((await postgresCpuSeconds()) - pg0) * 1000;
  const machinePercent = await machineCpu.end();
  const enrolled: Enrolled[] = [];
  const failures: string[] = [];
  report.answers.forEach((a, i) => {
    const parsed = EnrollmentResponseSchema.safeParse(a.body);
    if (a.status !== 201 || !parsed.success) failures.push(`#${i}: ${a.status} ${JSON.stringify(a.body).slice(0, 200)}`);
    else enrolled.push({ request: requests[i] as EnrollmentRequest, response: parsed.data });
  });
  if (failures.length > 0) throw new Error(`${failures.length} of ${requests.length} enrollments did not answer 201 (C = ${concurrency}); first: ${failures.slice(0, 3).join('; ')}`);
  const seconds = report.wallMs / 1000;
  const planeCpuMs = (cpu.user + cpu.system) / 1000;
  const latencies = report.answers.map((a) => a.ms);
  return {
    enrolled,
    level: {
      concurrency,
      enrollments: requests.length,
      seconds: round(seconds, 2),
      enrollmentsPerSecond: round(requests.length / seconds),
      latencyMs: { p50: round(percentile(latencies, 50)), p95: round(percentile(latencies, 95)), max: round(Math.max(...latencies)) },
      planeCpuPercent: round((planeCpuMs / report.wallMs) * 100),
      planeCpuMsPerEnrollment: round(planeCpuMs / requests.length, 2),
      postgresCpuPercent: Number.isNaN(pgMs) ? null : round((pgMs / report.wallMs) * 100),
      postgresCpuMsPerEnrollment: Number.isNaN(pgMs) ? null : round(pgMs / requests.length, 2),
      clientCpuPercent: round((report.cpuMs / report.wallMs) * 100),
      machineCpuPercent: round(machinePercent),
    },
  };
}

/** N requests with fresh keys; the keys are made here, before any clock runs. */
async function makeRequests(token: string, prefix: string, count: number): Promise<EnrollmentRequest[]> {
  const out: EnrollmentRequest[] = [];
  for (let i = 0; i < count; i++) {
    const hardwareId = `${prefix}-${String(i).padStart(5, '0')}`;
    const { csrPem } = await generateKeyAndCsr(hardwareId);
    out.push({
      token,
      hardwareId,
      name: hardwareId,
      facts: { hostname: hardwareId, os: `${os.platform()} ${os.release()}`, arch: os.arch(), agentVersion: '0.1.0', nodeVersion: process.version },
      csr: csrPem,
    });
  }
  return out;
}

/**
 * `signClientCsr` alone, one after another, on the plane's CA: wall and CPU µs per CSR (parse,
 * verify, issue). CPU counts every thread of this process (WebCrypto runs on libuv's pool), as
 * the plane's CPU per enrollment does.
 */
async function timeSigning(ca: CertificateAuthority, csrs: string[]) {
  for (const csr of csrs.slice(0, 20)) await ca.signClientCsr(csr, 'warm-up', CERT_VALIDITY_DAYS);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (const csr of csrs) await ca.signClientCsr(csr, randomUUID(), CERT_VALIDITY_DAYS);
  const signMs = performance.now() - t0;
  const signCpu = process.cpuUsage(cpu0);
  // The CSR's own part: parsing it and verifying its self-signature, which signClientCsr does first.
  const cpu1 = process.cpuUsage();
  for (const csr of csrs) {
    if (!(await new x509.Pkcs10CertificateRequest(csr).verify())) throw new Error('a CSR does not verify');
  }
  const verifyCpu = process.cpuUsage(cpu1);
  const perCsr = (micros: number) => round(micros / csrs.length);
  return {
    samples: csrs.length,
    wallMicrosPerCsr: perCsr(signMs * 1000),
    cpuMicrosPerCsr: perCsr(signCpu.user + signCpu.system),
    verifyCpuMicrosPerCsr: perCsr(verifyCpu.user + verifyCpu.system),
  };
}

/** Everything the answers claim, checked against the CA, the CSRs and the database. */
async function verify(db: BenchDatabase, ca: CertificateAuthority, fleetId: string, enrolled: Enrolled[]): Promise<Record<string, number | boolean>> {
  const caCert = new X509Certificate(ca.certPem);
  const ids = new Set(enrolled.map((e) => e.response.agentId));
  if (ids.size !== enrolled.length) throw new Error(`${enrolled.length - ids.size} agent ids were given twice`);
  for (const { request, response } of enrolled) {
    const cert = new X509Certificate(response.certificate);
    if (cert.subject !== `CN=${response.agentId}`) throw new Error(`agent ${response.agentId}: certificate subject ${cert.subject}`);
    if (!cert.verify(caCert.publicKey)) throw new Error(`agent ${response.agentId}: certificate not signed by the fleet CA`);
    const csrKey = Buffer.from(new x509.Pkcs10CertificateRequest(request.csr).publicKey.rawData);
    if (!csrKey.equals(cert.publicKey.export({ type: 'spki', format: 'der' }))) throw new Error(`agent ${response.agentId}: certificate is not for the CSR's key`);
    if (response.fleetId !== fleetId) throw new Error(`agent ${response.agentId}: fleet ${response.fleetId}`);
  }
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    const agents = await client.query<{ id: string; hardwareId: string; certSerial: string | null; revisions: number }>(
      `SELECT a.id, a."hardwareId", a."certSerial", (SELECT count(*)::int FROM "ConfigRevision" r WHERE r."agentId" = a.id AND r.revision = 1) AS revisions
         FROM "Agent" a WHERE a."fleetId" = $1::uuid`,
      [fleetId],
    );
    const byId = new Map(agents.rows.map((r) => [r.id, r]));
    for (const { request, response } of enrolled) {
      const row = byId.get(response.agentId);
      if (!row) throw new Error(`agent ${response.agentId} is not in the database`);
      if (row.hardwareId !== request.hardwareId) throw new Error(`agent ${response.agentId}: hardware id ${row.hardwareId} in the database, ${request.hardwareId} asked`);
      const serial = new X509Certificate(response.certificate).serialNumber.toLowerCase();
      if (row.certSerial?.toLowerCase().replace(/^0+/, '') !== serial.replace(/^0+/, '')) throw new Error(`agent ${response.agentId}: serial ${row.certSerial} in the database, ${serial} issued`);
      if (row.revisions !== 1) throw new Error(`agent ${response.agentId}: no revision 1`);
    }
    if (agents.rows.length !== enrolled.length) throw new Error(`${agents.rows.length} agents in the fleet, ${enrolled.length} enrolled`);
    return { answers201: enrolled.length, distinctAgentIds: ids.size, agentsInDatabase: agents.rows.length, certificatesCnIsAgentId: true, signedByFleetCaForCsrKey: true, revisionOneEach: true };
  } finally {
    await client.end();
  }
}

async function main(): Promise<void> {
  const started = new Date();
  const t0 = performance.now();
  const loadBefore = os.loadavg();
  const db = await startBenchDatabase();
  let plane: Stack | undefined;
  try {
    plane = await startStack({ databaseUrl: db.url, rateLimits: { enrollmentsPerMinute: ENROLLMENTS_PER_MINUTE } });
    const { controlPlane } = plane;
    const stack = plane;
    const fleets = await stack.api('GET', '/api/v1/fleets', undefined, FleetListSchema);
    const fleet = fleets.find((f) => f.name === 'default') ?? fleets[0];
    if (!fleet) throw new Error('no fleet');
    // A small real template, so every enrollment seals and stores a real revision 1 and publishes it.
    await stack.api('PUT', `/api/v1/fleets/${fleet.id}/config`, { document: simulatorConfig({ fastMs: 1000 }), comment: 'benchmark template' });
    const token = (await stack.api('POST', `/api/v1/fleets/${fleet.id}/enrollment-tokens`, { description: 'bench enroll' }, EnrollmentTokenCreatedSchema)).token;
    for (let i = 0; i < 100; i++) {
      const health = await stack.send('GET', '/api/v1/health');
      if ((health.body as { broker?: string } | undefined)?.broker === 'connected') break;
      if (i === 99) throw new Error('the plane did not connect to its broker');
      await sleep(100);
    }

    const kg0 = performance.now();
    const warmup = await makeRequests(token, 'bench-warmup', WARMUP);
    const levelsRequests = [];
    for (const c of CONCURRENCY) levelsRequests.push(await makeRequests(token, `bench-c${c}`, N));
    const keySeconds = (performance.now() - kg0) / 1000;
    const keys = warmup.length + levelsRequests.length * N;
    log(`${fmt(keys)} keys and CSRs made in ${round(keySeconds, 1)} s (not timed below)`);

    const enrolled: Enrolled[] = [];
    if (warmup.length > 0) {
      const w = await enrollBatch(controlPlane.url, warmup, Math.max(...CONCURRENCY));
      enrolled.push(...w.enrolled);
      log(`warm-up: ${w.level.enrollments} enrollments, ${w.level.enrollmentsPerSecond}/s`);
    }
    const levels: Level[] = [];
    for (const [i, c] of CONCURRENCY.entries()) {
      const r = await enrollBatch(controlPlane.url, levelsRequests[i] as EnrollmentRequest[], c, CPU_PROF ? path.join(CPU_PROF, `enroll-c${c}.cpuprofile`) : undefined);
      enrolled.push(...r.enrolled);
      levels.push(r.level);
      const l = r.level;
      log(`C = ${c}: ${l.enrollments} in ${l.seconds} s = ${l.enrollmentsPerSecond}/s; latency p50 ${l.latencyMs.p50} ms, p95 ${l.latencyMs.p95} ms; plane CPU ${l.planeCpuPercent} % (${l.planeCpuMsPerEnrollment} ms per enrollment), PostgreSQL ${l.postgresCpuPercent ?? '?'} % (${l.postgresCpuMsPerEnrollment ?? '?'} ms), client ${l.clientCpuPercent} %, machine ${l.machineCpuPercent} % of all cores`);
      await sleep(500);
    }

    const signing = await timeSigning(controlPlane.ca, (levelsRequests[0] ?? warmup).slice(0, SIGN_SAMPLES).map((r) => r.csr));
    const busiest = levels.reduce((a, b) => (b.enrollmentsPerSecond > a.enrollmentsPerSecond ? b : a));
    const signShare = signing.cpuMicrosPerCsr / 1000 / busiest.planeCpuMsPerEnrollment;
    log(`signClientCsr alone: ${signing.cpuMicrosPerCsr} µs CPU per CSR (${signing.wallMicrosPerCsr} µs wall; parsing and verifying the CSR ${signing.verifyCpuMicrosPerCsr} µs CPU) = ${round(signShare * 100)} % of the plane's CPU per enrollment at C = ${busiest.concurrency}`);

    const verified = await verify(db, controlPlane.ca, fleet.id, enrolled);
    log(`verified: ${enrolled.length} answers 201, distinct agent ids, CN = agent id, signed by the fleet CA for the CSR's key, in the database with revision 1`);

    const best = busiest.enrollmentsPerSecond;
    const results = {
      benchmark: 'enroll',
      at: started.toISOString(),
      durationSeconds: round((performance.now() - t0) / 1000, 1),
      source: { ...source(), uncommittedControlPlaneFiles: uncommittedPlaneFiles() },
      machine: machine(loadBefore),
      setup: {
        plane: 'one control plane in the bench process (createControlPlane, logger off); the requests come from a child process (fetch, keep-alive)',
        database: process.env.DATABASE_URL ? 'a fresh database on DATABASE_URL\'s server' : 'a fresh embedded PostgreSQL 18 (same machine)',
        broker: 'the embedded broker over TLS; every enrollment publishes the agent\'s revision 1 to it',
        token: 'one token of the default fleet: no approval, no use limit',
        template: 'the simulator template of the other benchmarks (one device, two groups, one MQTT sink)',
        rateLimit: { enrollmentsPerMinute: ENROLLMENTS_PER_MINUTE, default: 600, why: 'raised for this run: every request comes from 127.0.0.1, and the default allows 10 a second per address' },
        enrollmentsPerLevel: N,
        warmupEnrollments: warmup.length,
        keyGeneration: { excluded: true, keys, seconds: round(keySeconds, 1), how: 'the agent\'s generateKeyAndCsr (ECDSA P-256, PKCS#10), before any timing' },
      },
      goal: {
        goal: `≥ ${GOAL_PER_SECOND} enrollments/s on one control-plane instance (best concurrency level)`,
        anchor: 'Azure IoT Hub DPS: 1,000 registrations a minute per service unit',
        value: best,
        atConcurrency: busiest.concurrency,
        met: best >= GOAL_PER_SECOND,
      },
      levels,
      signing: {
        ...signing,
        shareOfPlaneCpuPerEnrollment: round(signShare, 2),
        what: 'CertificateAuthority.signClientCsr timed alone, one after another (parse the CSR, verify its signature, issue and sign the certificate); CPU of every thread of the process; verifyCpuMicrosPerCsr is the parse + verify part alone',
      },
      verified,
    };

    const rows: Row[] = levels.map((l) => [
      `C = ${l.concurrency}`,
      `${fmt(l.enrollments)} enrollments in ${l.seconds} s`,
      `${l.enrollmentsPerSecond}/s; p50 ${l.latencyMs.p50} ms, p95 ${l.latencyMs.p95} ms, max ${l.latencyMs.max} ms; plane ${l.planeCpuPercent} % of a core (${l.planeCpuMsPerEnrollment} ms CPU per enrollment); PostgreSQL ${l.postgresCpuPercent ?? '?'} % (${l.postgresCpuMsPerEnrollment ?? '?'} ms per enrollment); client ${l.clientCpuPercent} %; machine ${l.machineCpuPercent} % of all cores`,
      l === busiest ? `≥ ${GOAL_PER_SECOND}/s` : '',
      l === busiest ? (results.goal.met ? 'met' : 'not met') : '',
    ]);
    rows.push(['signing', `signClientCsr alone, ${signing.samples} CSRs`, `${signing.cpuMicrosPerCsr} µs CPU per CSR (${signing.wallMicrosPerCsr} µs wall; parse + verify ${signing.verifyCpuMicrosPerCsr} µs CPU) = ${round(signShare * 100)} % of the plane's CPU per enrollment at C = ${busiest.concurrency}`, '', '']);
    console.log('');
    printTable(['Concurrency', 'Figure', 'Value', 'Goal', 'Result'], rows);
    console.log(`\nRate limit raised to ${fmt(ENROLLMENTS_PER_MINUTE)} enrollments a minute per address for this run (default 600). Machine: ${results.machine.cpus} × ${results.machine.cpuModel}, Node ${results.machine.node}, load ${results.machine.loadAverageBefore.join('/')} before; ${results.durationSeconds} s in all.`);
    const file = await writeResults('enroll', results);
    console.log(`Results written to ${path.relative(process.cwd(), file)}`);
  } finally {
    await plane?.close();
    await db.close();
  }
}

runBenchmark('bench:enroll', main);
