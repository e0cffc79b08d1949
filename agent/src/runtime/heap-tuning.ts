import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * V8 settings for the agent process, applied when this module is loaded: the CLI imports it
 * before anything else, so the settings hold from the start (an agent embedded in another
 * program does not import it and leaves that program's heap alone). Each one is a flag V8 reads
 * while it runs, so it can be set here rather than on the node command line, and the agent
 * behaves the same however it is started (systemd unit, `npm start`, a shell).
 */
tuneHeapForPolling();

function tuneHeapForPolling(): void {
  /*
   * No allocation-site pretenuring. Every poll builds a few short-lived objects; V8 sees some of
   * them survive a scavenge (polls in flight) and from then on allocates every object of those
   * sites directly in the old generation, which then grows by ≈ 1.2 MB a second at 100k tags/s
   * until a full collection (seen with a sampling heap profile). Without it they die young, as
   * they should: old generation flat, RSS 100 × 1,000 simulator ≈ 174 → 154 MiB, CPU unchanged.
   */
  setFlagsFromString('--no-allocation-site-pretenuring');
  /*
   * A young generation that does not grow. V8 doubles the semi-spaces (up to 16 MB each, 32 MB
   * resident) whenever many objects survive a scavenge, which a poller's steady stream of
   * short-lived reads provokes although almost all of it dies young. The size it starts with
   * (8 MB here) is plenty for a process whose live data sits in the old generation: at
   * 100 × 1,000 Modbus tags a second, RSS 166 → 137 MiB with the CPU unchanged (20.1 → 20.4 %
   * of a core). `--max-semi-space-size` would say the same, but V8 reads it only when the
   * process starts; the growth factor is read at each growth, so setting it to 1 before the
   * first growth keeps the young generation at its initial size.
   */
  setFlagsFromString('--semi-space-growth-factor=1');
}

/**
 * V8's full collector, for the one agent this process runs to call after each config apply.
 * Applying a large config (100 devices × 1,000 tags: a 4 MB message, its parse, digest, zod
 * output and last-good copy) leaves ≈ 20 MB of garbage in the old generation, which V8 only
 * collects once that generation reaches its initial limit; until then it is resident. One full
 * collection per apply (tens of ms, only when the config changes) brings the 100 × 1,000
 * simulator agent from ≈ 174 to ≈ 154 MiB RSS (old generation 53 → 33 MB used).
 * `gc` is exposed in a throw-away context only, not on this program's global object.
 */
export function fullGarbageCollector(): (() => void) | undefined {
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    setFlagsFromString('--no-expose-gc');
    return typeof gc === 'function' ? () => (gc as () => void)() : undefined;
  } catch {
    return undefined;
  }
}
