import type { NodeId } from 'node-opcua-client';
import { ns0DataType, type BuiltinType } from './builtin-types.js';
import type { OpcUaConnection } from './connection.js';
import type { OpcUa } from './opcua-lib.js';
import { withTimeout } from './with-timeout.js';

export interface ResolvedDataType {
  name: string;
  /** The built-in type values of this DataType travel as; undefined for abstract types. */
  builtin: BuiltinType | undefined;
  /** The namespace-0 DataType this one derives from (itself for namespace 0), if found. */
  baseId: number | undefined;
}

/** How far up the type hierarchy a server-defined DataType is followed before giving up. */
const MAX_DEPTH = 16;

/**
 * Names DataTypes and finds the built-in type behind a server-defined one by following HasSubtype
 * up to a DataType of namespace 0 (OPC 10000-3 §5.8.2). Well-known types need no request at all;
 * the rest is asked once per session and cached.
 */
export class DataTypeResolver {
  private readonly cache = new WeakMap<OpcUaConnection, Map<string, Promise<ResolvedDataType>>>();

  constructor(
    private readonly ua: OpcUa,
    private readonly requestTimeoutMs: number,
  ) {}

  resolve(conn: OpcUaConnection, typeId: NodeId): Promise<ResolvedDataType> {
    if (typeId.namespace === 0 && typeof typeId.value === 'number') {
      const known = ns0DataType(typeId.value);
      if (known) return Promise.resolve({ ...known, baseId: typeId.value });
    }
    let perConn = this.cache.get(conn);
    if (!perConn) {
      perConn = new Map();
      this.cache.set(conn, perConn);
    }
    const key = typeId.toString();
    let pending = perConn.get(key);
    if (!pending) {
      pending = this.lookUp(conn, typeId);
      perConn.set(key, pending);
      pending.catch(() => perConn.delete(key));
    }
    return pending;
  }

  private async lookUp(conn: OpcUaConnection, typeId: NodeId): Promise<ResolvedDataType> {
    const { ua } = this;
    const nameValue = await withTimeout(conn.session.read({ nodeId: typeId, attributeId: ua.AttributeIds.BrowseName }), this.requestTimeoutMs, 'reading a DataType name');
    const qualified = nameValue.value?.value as { name?: string | null } | null | undefined;
    const name = qualified?.name ?? typeId.toString();
    let current: NodeId = typeId;
    for (let depth = 0; depth < MAX_DEPTH; depth++) {
      const result = await withTimeout(
        conn.session.browse({
          nodeId: current,
          browseDirection: ua.BrowseDirection.Inverse,
          referenceTypeId: ua.makeNodeId(ua.ReferenceTypeIds.HasSubtype, 0),
          includeSubtypes: false,
          nodeClassMask: 0,
          resultMask: 0,
        }),
        this.requestTimeoutMs,
        'browsing a DataType’s supertype',
      );
      const parent = result.references?.[0]?.nodeId;
      if (!parent) break;
      if (parent.namespace === 0 && typeof parent.value === 'number') {
        const known = ns0DataType(parent.value);
        if (known) return { name, builtin: known.builtin, baseId: parent.value };
      }
      current = ua.coerceNodeId(parent.toString());
    }
    return { name, builtin: undefined, baseId: undefined };
  }
}
