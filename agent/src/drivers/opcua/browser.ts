import { ErrorCode } from '@edgefleet/protocol';
import type { BrowseDescriptionOptions, BrowseResult, NodeId, ReferenceDescription } from 'node-opcua-client';
import { AgentError } from '../../util/errors.js';
import type { BrowsedNode } from '../driver.js';
import { tagTypeForAbstractNs0, tagTypeForBuiltin } from './builtin-types.js';
import type { OpcUaConnection } from './connection.js';
import type { DataTypeResolver } from './data-type-resolver.js';
import type { OpcUa } from './opcua-lib.js';
import { describeStatus, Status, statusCodeOf } from './status-codes.js';
import { withTimeout } from './with-timeout.js';

/** AccessLevel bits (OPC 10000-3 §8.57). */
const CURRENT_READ = 0x01;
const CURRENT_WRITE = 0x02;
/** Attributes read per variable child: DataType, ValueRank, AccessLevel, UserAccessLevel. */
const ATTRIBUTES_PER_VARIABLE = 4;

type NodeClassName = BrowsedNode['nodeClass'];
const NODE_CLASSES: Record<number, NodeClassName> = {
  1: 'Object',
  2: 'Variable',
  4: 'Method',
  8: 'ObjectType',
  16: 'VariableType',
  32: 'ReferenceType',
  64: 'DataType',
  128: 'View',
};

function chunks<T>(items: T[], size: number): T[][] {
  const per = size > 0 ? size : Math.max(1, items.length);
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += per) out.push(items.slice(i, i + per));
  return out;
}

/**
 * Lists the children of a node (forward hierarchical references, OPC 10000-4 §5.8.2) as an
 * operator picks tags: variables with their DataType's name, the tag type it maps to and whether
 * the session's user may read and write them; every child with whether it has children itself.
 * All of it in a handful of batched requests, whatever the number of children.
 */
export class NodeBrowser {
  constructor(
    private readonly ua: OpcUa,
    private readonly dataTypes: DataTypeResolver,
    private readonly requestTimeoutMs: number,
  ) {}

  private description(nodeId: NodeId, resultMask: number): BrowseDescriptionOptions {
    const { ua } = this;
    return {
      nodeId,
      browseDirection: ua.BrowseDirection.Forward,
      referenceTypeId: ua.makeNodeId(ua.ReferenceTypeIds.HierarchicalReferences, 0),
      includeSubtypes: true,
      nodeClassMask: 0,
      resultMask,
    };
  }

  private timed<T>(p: Promise<T>, what: string): Promise<T> {
    return withTimeout(p, this.requestTimeoutMs, what);
  }

  async browse(conn: OpcUaConnection, text: string): Promise<BrowsedNode[]> {
    const resolved = conn.resolve(text);
    if (!resolved.ok) throw new AgentError(ErrorCode.VALIDATION_FAILED, resolved.message);
    const start = conn.nodeId(resolved.text);
    const references = await this.allReferences(conn, start, text);

    // One entry per child node, even when several references lead to it.
    const seen = new Set<string>();
    const children: { ref: ReferenceDescription; id: string; nodeId: NodeId }[] = [];
    for (const ref of references) {
      if (ref.nodeId.serverIndex) continue;
      const id = ref.nodeId.toString();
      if (seen.has(id)) continue;
      seen.add(id);
      children.push({ ref, id, nodeId: this.ua.coerceNodeId(id) });
    }
    const variables = children.filter((c) => c.ref.nodeClass === this.ua.NodeClass.Variable);
    const [attributes, hasChildren] = await Promise.all([this.variableAttributes(conn, variables.map((v) => v.nodeId)), this.hasChildren(conn, children.map((c) => c.nodeId))]);

    const out: BrowsedNode[] = [];
    let v = 0;
    for (let i = 0; i < children.length; i++) {
      const { ref, nodeId } = children[i]!;
      const node: BrowsedNode = {
        nodeId: nodeId.toString(),
        browseName: ref.browseName.toString(),
        displayName: ref.displayName?.text ?? ref.browseName.name ?? '',
        nodeClass: NODE_CLASSES[ref.nodeClass] ?? 'Unspecified',
        hasChildren: hasChildren[i] ?? false,
      };
      if (ref.nodeClass === this.ua.NodeClass.Variable) Object.assign(node, attributes[v++]);
      out.push(node);
    }
    return out;
  }

  /** The references of one node, following continuation points to the end. */
  private async allReferences(conn: OpcUaConnection, nodeId: NodeId, text: string): Promise<ReferenceDescription[]> {
    const session = conn.session;
    let result: BrowseResult = await this.timed(session.browse(this.description(nodeId, 0x3f)), `browsing ${text}`);
    const status = result.statusCode.value;
    if (statusCodeOf(status) === Status.BadNodeIdUnknown) throw new AgentError(ErrorCode.NOT_FOUND, `the server has no node ${text}`);
    if (!result.statusCode.isGood()) throw new AgentError(ErrorCode.DEVICE_ERROR, `browsing ${text} failed: ${describeStatus(status, result.statusCode.name)}`);
    const refs = [...(result.references ?? [])];
    while (result.continuationPoint && result.continuationPoint.length > 0) {
      result = await this.timed(session.browseNext(result.continuationPoint, false), `browsing ${text} further`);
      if (!result.statusCode.isGood()) break;
      refs.push(...(result.references ?? []));
    }
    return refs;
  }

  private async variableAttributes(conn: OpcUaConnection, nodeIds: NodeId[]): Promise<Partial<BrowsedNode>[]> {
    if (nodeIds.length === 0) return [];
    const { AttributeIds } = this.ua;
    const reads = nodeIds.flatMap((nodeId) => [
      { nodeId, attributeId: AttributeIds.DataType },
      { nodeId, attributeId: AttributeIds.ValueRank },
      { nodeId, attributeId: AttributeIds.AccessLevel },
      { nodeId, attributeId: AttributeIds.UserAccessLevel },
    ]);
    const per = conn.limits.maxNodesPerRead > 0 ? conn.limits.maxNodesPerRead - (conn.limits.maxNodesPerRead % ATTRIBUTES_PER_VARIABLE) || ATTRIBUTES_PER_VARIABLE : reads.length;
    const parts = await this.timed(Promise.all(chunks(reads, per).map((c) => conn.session.read(c))), 'reading the attributes of the variables');
    const values = parts.flat();
    const out: Partial<BrowsedNode>[] = [];
    for (let i = 0; i < nodeIds.length; i++) {
      const [dataType, valueRank, access, userAccess] = values.slice(i * ATTRIBUTES_PER_VARIABLE, (i + 1) * ATTRIBUTES_PER_VARIABLE);
      const node: Partial<BrowsedNode> = {};
      const rank = valueRank?.statusCode.isGood() && typeof valueRank.value.value === 'number' ? valueRank.value.value : -1;
      if (dataType?.statusCode.isGood() && dataType.value.value) {
        const typeId = dataType.value.value as NodeId;
        const resolved = await this.dataTypes.resolve(conn, typeId).catch(() => undefined);
        if (resolved) {
          node.dataType = rank >= 0 ? `${resolved.name}[]` : resolved.name;
          const tagType = tagTypeForBuiltin(resolved.builtin, rank) ?? (rank < 0 && resolved.baseId !== undefined ? tagTypeForAbstractNs0(resolved.baseId) : undefined);
          if (tagType) node.tagType = tagType;
        }
      }
      const level = userAccess?.statusCode.isGood() ? Number(userAccess.value.value) : access?.statusCode.isGood() ? Number(access.value.value) : undefined;
      if (level !== undefined && Number.isFinite(level)) {
        node.readable = (level & CURRENT_READ) !== 0;
        node.writable = (level & CURRENT_WRITE) !== 0;
      }
      out.push(node);
    }
    return out;
  }

  /**
   * Whether each node has a forward hierarchical reference of its own: asks for at most one
   * reference per node, and releases the continuation points of nodes that have more.
   */
  private async hasChildren(conn: OpcUaConnection, nodeIds: NodeId[]): Promise<boolean[]> {
    if (nodeIds.length === 0) return [];
    const session = conn.session;
    const out: boolean[] = [];
    for (const part of chunks(nodeIds, conn.limits.maxNodesPerBrowse)) {
      const previous = session.requestedMaxReferencesPerNode;
      // browse() builds its request synchronously from this property: set it for this call only.
      session.requestedMaxReferencesPerNode = 1;
      let pending: Promise<BrowseResult[]>;
      try {
        pending = session.browse(part.map((n) => this.description(n, 0)));
      } finally {
        session.requestedMaxReferencesPerNode = previous;
      }
      const results = await this.timed(pending, 'looking for grandchildren');
      const continuation = results.map((r) => r.continuationPoint).filter((c): c is Buffer => !!c && c.length > 0);
      if (continuation.length > 0) await this.timed(session.browseNext(continuation, true), 'releasing continuation points').catch(() => undefined);
      for (const r of results) out.push(r.statusCode.isGood() && (r.references?.length ?? 0) > 0);
    }
    return out;
  }
}
