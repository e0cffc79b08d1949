import { ErrorCode, TagErrorNumber, type Group, type TagValue } from '@edgefleet/protocol';
import type { DataValue, ReadValueIdOptions } from 'node-opcua-client';
import { AgentError } from '../../util/errors.js';
import type { GroupRead } from '../driver.js';
import type { OpcUaConnection } from './connection.js';
import type { OpcUa } from './opcua-lib.js';
import { tagErrorForStatus } from './status-codes.js';
import { decodeValue } from './value-codec.js';
import { TimeoutError, withTimeout } from './with-timeout.js';

/** The Read request of a group for one session: built once, reused every cycle. */
interface ReadPlan {
  generation: number;
  nodes: ReadValueIdOptions[];
  /** Index of the tag each node reads. */
  tagIndexes: number[];
  /** Positions of the tags whose address cannot be read on this server (bad NodeId, unknown namespace). */
  unreadable: number[];
}

/**
 * Poll mode: one batched Read per group per cycle (split only where the server's
 * MaxNodesPerRead demands it, the parts sent together), each result turned into a value of its
 * tag's type or a per-tag error number.
 */
export class GroupReader {
  reads = 0;
  readErrors = 0;
  private readonly plans = new WeakMap<Group, ReadPlan>();

  constructor(
    private readonly ua: OpcUa,
    private readonly requestTimeoutMs: number,
  ) {}

  private plan(conn: OpcUaConnection, group: Group): ReadPlan {
    const cached = this.plans.get(group);
    if (cached && cached.generation === conn.generation) return cached;
    const plan: ReadPlan = { generation: conn.generation, nodes: [], tagIndexes: [], unreadable: [] };
    group.tags.forEach((tag, index) => {
      const resolved = conn.resolve(tag.address);
      if (!resolved.ok) {
        plan.unreadable.push(index);
        return;
      }
      plan.nodes.push({ nodeId: conn.nodeId(resolved.text), attributeId: this.ua.AttributeIds.Value });
      plan.tagIndexes.push(index);
    });
    this.plans.set(group, plan);
    return plan;
  }

  async read(conn: OpcUaConnection, group: Group): Promise<GroupRead> {
    const plan = this.plan(conn, group);
    const values = new Array<TagValue | undefined>(group.tags.length);
    const errors = new Map<number, number>();
    for (const position of plan.unreadable) errors.set(position, TagErrorNumber.READ_FAILURE);
    if (plan.nodes.length === 0) return { values, errors };
    const per = conn.limits.maxNodesPerRead > 0 ? conn.limits.maxNodesPerRead : plan.nodes.length;
    const parts: Promise<DataValue[]>[] = [];
    for (let start = 0; start < plan.nodes.length; start += per) {
      // maxAge 0: the value now, not one the server cached (OPC 10000-4 §5.10.2).
      parts.push(conn.session.read(plan.nodes.slice(start, start + per), 0));
    }
    let results: DataValue[][];
    this.reads++;
    try {
      results = await withTimeout(Promise.all(parts), this.requestTimeoutMs, `reading group '${group.name}'`);
    } catch (err) {
      this.readErrors++;
      // No answer may mean a dead server the socket has not noticed yet: check now.
      if (err instanceof TimeoutError) void conn.probe();
      throw new AgentError(ErrorCode.DEVICE_ERROR, `reading group '${group.name}' failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    let k = 0;
    for (const part of results) {
      for (const dv of part) {
        const position = plan.tagIndexes[k++]!;
        const tag = group.tags[position]!;
        const err = tagErrorForStatus(dv.statusCode.value);
        if (err !== undefined) {
          errors.set(position, err);
          continue;
        }
        const v = dv.value;
        const value = decodeValue(tag.type, v.dataType, v.arrayType, v.value);
        if (value === undefined) errors.set(position, TagErrorNumber.READ_FAILURE);
        else values[position] = value;
      }
    }
    return { values, errors };
  }
}
