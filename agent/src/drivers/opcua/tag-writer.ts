import { ErrorCode, type Tag, type TagValue } from '@edgefleet/protocol';
import type { NodeId } from 'node-opcua-client';
import { AgentError } from '../../util/errors.js';
import { BuiltinType, builtinTypeName, isBuiltinType } from './builtin-types.js';
import type { DataTypeResolver } from './data-type-resolver.js';
import type { OpcUaConnection } from './connection.js';
import type { OpcUa } from './opcua-lib.js';
import { describeStatus, Status, statusCodeOf } from './status-codes.js';
import { encodeValue, WriteValueError } from './value-codec.js';
import { withTimeout } from './with-timeout.js';

/** What a Write needs to know of a variable: the built-in type of its DataType and its ValueRank. */
interface VariableType {
  /** undefined for an abstract DataType (BaseDataType, Number…): the current value's type decides. */
  builtin: number | undefined;
  dataTypeName: string;
  valueRank: number;
}

const NOT_WRITABLE = new Set<number>([Status.BadNotWritable, Status.BadUserAccessDenied, Status.BadWriteNotSupported]);

/**
 * Writes a tag value typed by the variable's DataType: read once per session and cached, values
 * converted and range-checked before anything is sent (64-bit integers as numbers or decimal
 * strings), the server's StatusCode turned into an error that names it.
 */
export class TagWriter {
  writes = 0;
  writeErrors = 0;
  private readonly types = new WeakMap<OpcUaConnection, Map<string, Promise<VariableType>>>();

  constructor(
    private readonly ua: OpcUa,
    private readonly dataTypes: DataTypeResolver,
    private readonly requestTimeoutMs: number,
  ) {}

  private variableType(conn: OpcUaConnection, nodeId: NodeId, key: string): Promise<VariableType> {
    let perConn = this.types.get(conn);
    if (!perConn) {
      perConn = new Map();
      this.types.set(conn, perConn);
    }
    let pending = perConn.get(key);
    if (!pending) {
      pending = this.readVariableType(conn, nodeId);
      perConn.set(key, pending);
      pending.catch(() => perConn.delete(key));
    }
    return pending;
  }

  private async readVariableType(conn: OpcUaConnection, nodeId: NodeId): Promise<VariableType> {
    const { AttributeIds } = this.ua;
    const [dataType, valueRank] = await withTimeout(
      conn.session.read([
        { nodeId, attributeId: AttributeIds.DataType },
        { nodeId, attributeId: AttributeIds.ValueRank },
      ]),
      this.requestTimeoutMs,
      'reading the variable’s DataType',
    );
    if (!dataType || !dataType.statusCode.isGood()) {
      throw new AgentError(ErrorCode.DEVICE_ERROR, `${nodeId.toString()} is not a variable that can be written: ${describeStatus(dataType?.statusCode.value ?? 0, dataType?.statusCode.name)}`);
    }
    const typeId = dataType.value.value as NodeId;
    const resolved = await this.dataTypes.resolve(conn, typeId);
    const rank = valueRank?.statusCode.isGood() && typeof valueRank.value.value === 'number' ? valueRank.value.value : -1;
    return { builtin: resolved.builtin, dataTypeName: resolved.name, valueRank: rank };
  }

  async write(conn: OpcUaConnection, tag: Tag, raw: TagValue): Promise<void> {
    const resolved = conn.resolve(tag.address);
    if (!resolved.ok) throw new AgentError(ErrorCode.DEVICE_ERROR, `tag '${tag.name}': ${resolved.message}`);
    const nodeId = conn.nodeId(resolved.text);
    const type = await this.variableType(conn, nodeId, resolved.text);
    let builtin = type.builtin;
    if (builtin === undefined) {
      // Abstract DataType: write the type the variable holds now.
      const current = await withTimeout(conn.session.read({ nodeId, attributeId: this.ua.AttributeIds.Value }), this.requestTimeoutMs, 'reading the current value');
      builtin = current.value.dataType;
      if (!isBuiltinType(builtin) || builtin === BuiltinType.Null) {
        throw new AgentError(ErrorCode.OPERATION_UNSUPPORTED, `tag '${tag.name}' (${tag.address}) has the abstract DataType ${type.dataTypeName} and no value yet to tell which type to write`);
      }
    }
    let encoded;
    try {
      encoded = encodeValue(builtin, type.valueRank, raw);
    } catch (err) {
      if (!(err instanceof WriteValueError)) throw err;
      throw new AgentError(err.unsupported ? ErrorCode.OPERATION_UNSUPPORTED : ErrorCode.VALIDATION_FAILED, `tag '${tag.name}' (${tag.address}, ${type.dataTypeName}): ${err.message}`);
    }
    const variant = new this.ua.Variant({ dataType: encoded.builtin, arrayType: encoded.arrayKind, value: encoded.value });
    this.writes++;
    let status;
    try {
      status = await withTimeout(conn.session.write({ nodeId, attributeId: this.ua.AttributeIds.Value, value: { value: variant } }), this.requestTimeoutMs, `writing tag '${tag.name}'`);
    } catch (err) {
      this.writeErrors++;
      throw new AgentError(ErrorCode.DEVICE_ERROR, `writing tag '${tag.name}' (${tag.address}) failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (status.isGood()) return;
    this.writeErrors++;
    const code = statusCodeOf(status.value);
    // The type may have changed (a server restarted with another model): read it again next time.
    if (code === Status.BadTypeMismatch) this.types.get(conn)?.delete(resolved.text);
    throw new AgentError(
      NOT_WRITABLE.has(code) ? ErrorCode.TAG_NOT_WRITABLE : ErrorCode.DEVICE_ERROR,
      `the server refused writing ${JSON.stringify(raw)} to tag '${tag.name}' (${tag.address}, ${builtinTypeName(builtin)}): ${describeStatus(status.value, status.name)}`,
    );
  }
}
