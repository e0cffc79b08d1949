import type { LinkState } from '@edgefleet/protocol';
import type { Logger } from '../../log.js';
import { errorMessage } from '../../util/errors.js';

/**
 * What every transport keeps of its link: the state, why it is not up (or why the last send
 * failed), and who listens for changes. A listener that throws is logged and does not stop the
 * others (the pipeline's drain is one of them).
 */
export class LinkStatus {
  private current: LinkState = 'disconnected';
  /** Why the link is not up; null when all is well. Never holds a secret. */
  error: string | null = null;
  private readonly listeners: Array<(link: LinkState) => void> = [];

  constructor(private readonly log: Logger) {}

  get state(): LinkState {
    return this.current;
  }

  set(state: LinkState): void {
    if (state === this.current) return;
    this.current = state;
    for (const listener of this.listeners) {
      try {
        listener(state);
      } catch (err) {
        this.log.warn({ err: errorMessage(err) }, 'a link listener failed');
      }
    }
  }

  onChange(listener: (link: LinkState) => void): void {
    this.listeners.push(listener);
  }
}
