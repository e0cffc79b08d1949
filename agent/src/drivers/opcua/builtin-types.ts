import type { TagType } from '@edgefleet/protocol';

/**
 * OPC UA built-in types by their numeric id (OPC 10000-6 §5.1.2, Table 1). The DataType nodes
 * i=1 … i=25 in namespace 0 carry the same numbers, and node-opcua's `DataType` enum uses them too,
 * so this module needs no OPC UA library at all.
 */
export const BuiltinType = {
  Null: 0,
  Boolean: 1,
  SByte: 2,
  Byte: 3,
  Int16: 4,
  UInt16: 5,
  Int32: 6,
  UInt32: 7,
  Int64: 8,
  UInt64: 9,
  Float: 10,
  Double: 11,
  String: 12,
  DateTime: 13,
  Guid: 14,
  ByteString: 15,
  XmlElement: 16,
  NodeId: 17,
  ExpandedNodeId: 18,
  StatusCode: 19,
  QualifiedName: 20,
  LocalizedText: 21,
  ExtensionObject: 22,
  DataValue: 23,
  Variant: 24,
  DiagnosticInfo: 25,
} as const;
export type BuiltinType = (typeof BuiltinType)[keyof typeof BuiltinType];

const BUILTIN_NAMES: readonly string[] = Object.keys(BuiltinType);

export function builtinTypeName(type: number): string {
  return BUILTIN_NAMES[type] ?? `BuiltinType(${type})`;
}

export function isBuiltinType(n: number): n is BuiltinType {
  return Number.isInteger(n) && n >= 0 && n <= 25;
}

/**
 * Well-known DataTypes of namespace 0 beyond the built-in ones: their name and the built-in type
 * their values travel as (OPC 10000-5 §12, OPC 10000-3 §8). Abstract types (Number, Integer,
 * UInteger, BaseDataType) have no single built-in type: a variable of such a type may hold any
 * of its subtypes, so the value's own Variant type decides at run time.
 */
const NS0_DATA_TYPES: ReadonlyMap<number, { name: string; builtin: BuiltinType | undefined }> = new Map([
  [26, { name: 'Number', builtin: undefined }],
  [27, { name: 'Integer', builtin: undefined }],
  [28, { name: 'UInteger', builtin: undefined }],
  [29, { name: 'Enumeration', builtin: BuiltinType.Int32 }],
  [30, { name: 'Image', builtin: BuiltinType.ByteString }],
  [121, { name: 'Decimal', builtin: undefined }],
  [256, { name: 'IdType', builtin: BuiltinType.Int32 }],
  [257, { name: 'NodeClass', builtin: BuiltinType.Int32 }],
  [288, { name: 'IntegerId', builtin: BuiltinType.UInt32 }],
  [289, { name: 'Counter', builtin: BuiltinType.UInt32 }],
  [290, { name: 'Duration', builtin: BuiltinType.Double }],
  [291, { name: 'NumericRange', builtin: BuiltinType.String }],
  [292, { name: 'Time', builtin: BuiltinType.String }],
  [293, { name: 'Date', builtin: BuiltinType.DateTime }],
  [294, { name: 'UtcTime', builtin: BuiltinType.DateTime }],
  [295, { name: 'LocaleId', builtin: BuiltinType.String }],
  [311, { name: 'ApplicationInstanceCertificate', builtin: BuiltinType.ByteString }],
  [347, { name: 'ContinuationPoint', builtin: BuiltinType.ByteString }],
  [852, { name: 'ServerState', builtin: BuiltinType.Int32 }],
  [2000, { name: 'ImageBMP', builtin: BuiltinType.ByteString }],
  [2001, { name: 'ImageGIF', builtin: BuiltinType.ByteString }],
  [2002, { name: 'ImageJPG', builtin: BuiltinType.ByteString }],
  [2003, { name: 'ImagePNG', builtin: BuiltinType.ByteString }],
  [11737, { name: 'BitFieldMaskDataType', builtin: BuiltinType.UInt64 }],
  [12877, { name: 'NormalizedString', builtin: BuiltinType.String }],
  [12878, { name: 'DecimalString', builtin: BuiltinType.String }],
  [12879, { name: 'DurationString', builtin: BuiltinType.String }],
  [12880, { name: 'TimeString', builtin: BuiltinType.String }],
  [12881, { name: 'DateString', builtin: BuiltinType.String }],
  [16307, { name: 'AudioDataType', builtin: BuiltinType.ByteString }],
]);

/**
 * What is known offline about a DataType of namespace 0 (`i=<id>`): its name and the built-in type
 * its values use. `undefined` for types this table does not know (they are asked of the server).
 */
export function ns0DataType(id: number): { name: string; builtin: BuiltinType | undefined } | undefined {
  // The DataType nodes i=22 and i=24 are named Structure and BaseDataType in the address space.
  if (id === BuiltinType.ExtensionObject) return { name: 'Structure', builtin: BuiltinType.ExtensionObject };
  if (id >= 1 && id <= 25) return { name: id === BuiltinType.Variant ? 'BaseDataType' : builtinTypeName(id), builtin: id === BuiltinType.Variant ? undefined : (id as BuiltinType) };
  return NS0_DATA_TYPES.get(id);
}

/**
 * The tag type a variable of a built-in type maps to when an operator picks it while browsing.
 * SByte and Byte widen to 16 bits (there is no 8-bit tag type); DateTime, Guid and text-like
 * types read as strings; StatusCode as its 32-bit code. ExtensionObject and the other structured
 * types have no tag type.
 */
export function tagTypeForBuiltin(type: BuiltinType | undefined, valueRank = -1): TagType | undefined {
  // Arrays: only a Byte array has a tag type (bytes); others have none.
  if (valueRank >= 1 || valueRank === 0) return type === BuiltinType.Byte ? 'bytes' : undefined;
  switch (type) {
    case BuiltinType.Boolean:
      return 'bool';
    case BuiltinType.SByte:
    case BuiltinType.Int16:
      return 'int16';
    case BuiltinType.Byte:
    case BuiltinType.UInt16:
      return 'uint16';
    case BuiltinType.Int32:
      return 'int32';
    case BuiltinType.UInt32:
    case BuiltinType.StatusCode:
      return 'uint32';
    case BuiltinType.Int64:
      return 'int64';
    case BuiltinType.UInt64:
      return 'uint64';
    case BuiltinType.Float:
      return 'float32';
    case BuiltinType.Double:
      return 'float64';
    case BuiltinType.String:
    case BuiltinType.DateTime:
    case BuiltinType.Guid:
    case BuiltinType.XmlElement:
    case BuiltinType.NodeId:
    case BuiltinType.ExpandedNodeId:
    case BuiltinType.QualifiedName:
    case BuiltinType.LocalizedText:
      return 'string';
    case BuiltinType.ByteString:
      return 'bytes';
    default:
      return undefined;
  }
}

/** Abstract numeric DataTypes map to the widest tag type of their family. */
export function tagTypeForAbstractNs0(id: number): TagType | undefined {
  if (id === 26) return 'float64';
  if (id === 27) return 'int64';
  if (id === 28) return 'uint64';
  return undefined;
}
