import { TAG_TYPES, type BrowseNode, type Tag, type TagType } from '@edgefleet/protocol/browser';

/**
 * From OPC UA browse results to tags: names valid for `NameSchema` (protocol/src/config/names.ts),
 * unique within the target group, types mapped to `TAG_TYPES`, and the reason for every node that
 * cannot become a tag. Pure, so the screen and its tests share one definition.
 */

/** The longest name `NameSchema` accepts. */
export const MAX_NAME_LENGTH = 128;
/** The longest tag address `TagSchema` accepts; a NodeId may be longer (up to 4096). */
export const MAX_ADDRESS_LENGTH = 256;

/**
 * A QualifiedName's text form is `<namespaceIndex>:<name>` (OPC 10000-6 §5.3.1.14); the index
 * says nothing to a person and changes between servers, so the name is the part after it.
 */
export function browseNameText(browseName: string): string {
  return browseName.replace(/^\d+:/, '');
}

/**
 * A name `NameSchema` accepts, as close to `raw` as possible: topic separators and wildcards
 * (`/`, `+`, `#` [MQTT-4.7.1]) become `_`, a leading `$` (broker topics [MQTT-4.7.2]) becomes
 * `_`, runs of white space become one space, the ends are trimmed, and the length is capped.
 */
export function sanitizeName(raw: string): string {
  let name = raw
    .replace(/[/+#]/g, '_')
    .replace(/\s+/gu, ' ')
    .trim()
    .replace(/^\$/, '_');
  if (name.length > MAX_NAME_LENGTH) name = name.slice(0, MAX_NAME_LENGTH).trimEnd();
  return name === '' ? 'tag' : name;
}

/** `base`, or `base_2`, `base_3`… — the first not in `taken` (compared exactly, as names are). */
export function uniqueName(base: string, taken: ReadonlySet<string>): string {
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) {
    const suffix = `_${n}`;
    const candidate = `${base.slice(0, MAX_NAME_LENGTH - suffix.length).trimEnd()}${suffix}`;
    if (!taken.has(candidate)) return candidate;
  }
}

/**
 * OPC UA DataType names → tag types, for a node whose `tagType` the agent did not give. Mirrors
 * the agent's mapping (agent/src/drivers/opcua/builtin-types.ts): built-in types (OPC 10000-6
 * §5.1.2), the well-known types of namespace 0 that travel as one of them, and the abstract
 * numeric types as the widest of their family. SByte and Byte widen to 16 bits (there is no
 * 8-bit tag type); time, identifiers and text read as strings.
 */
const DATA_TYPE_TAG_TYPES: Readonly<Record<string, TagType>> = {
  Boolean: 'bool',
  SByte: 'int16',
  Int16: 'int16',
  Byte: 'uint16',
  UInt16: 'uint16',
  Int32: 'int32',
  Enumeration: 'int32',
  UInt32: 'uint32',
  StatusCode: 'uint32',
  IntegerId: 'uint32',
  Counter: 'uint32',
  Int64: 'int64',
  Integer: 'int64',
  UInt64: 'uint64',
  UInteger: 'uint64',
  BitFieldMaskDataType: 'uint64',
  Float: 'float32',
  Double: 'float64',
  Duration: 'float64',
  Number: 'float64',
  String: 'string',
  LocalizedText: 'string',
  QualifiedName: 'string',
  XmlElement: 'string',
  NodeId: 'string',
  ExpandedNodeId: 'string',
  Guid: 'string',
  DateTime: 'string',
  UtcTime: 'string',
  Date: 'string',
  Time: 'string',
  LocaleId: 'string',
  NumericRange: 'string',
  NormalizedString: 'string',
  DecimalString: 'string',
  DurationString: 'string',
  TimeString: 'string',
  DateString: 'string',
  ByteString: 'bytes',
  Image: 'bytes',
  ImageBMP: 'bytes',
  ImageGIF: 'bytes',
  ImageJPG: 'bytes',
  ImagePNG: 'bytes',
  AudioDataType: 'bytes',
};

function isTagType(value: string): value is TagType {
  return (TAG_TYPES as readonly string[]).includes(value);
}

/** The tag type of an OPC UA DataType name as browse shows it (`Double`, `Byte[]`), if it has one. */
export function tagTypeForDataType(dataType: string): TagType | undefined {
  // Arrays: only an array of bytes has a tag type.
  if (dataType.endsWith('[]')) return dataType === 'Byte[]' ? 'bytes' : undefined;
  return Object.hasOwn(DATA_TYPE_TAG_TYPES, dataType) ? DATA_TYPE_TAG_TYPES[dataType] : undefined;
}

/** The tag type for a browsed variable: the agent's mapping when it gave one, else the DataType's. */
export function tagTypeForNode(node: BrowseNode): TagType | undefined {
  if (node.tagType !== undefined && isTagType(node.tagType)) return node.tagType;
  return node.dataType !== undefined ? tagTypeForDataType(node.dataType) : undefined;
}

/** Why a browsed node cannot be a tag, or undefined when it can. */
export function whyNotATag(node: BrowseNode): string | undefined {
  if (node.nodeClass !== 'Variable') return `it is ${node.nodeClass === 'Object' ? 'an' : 'a'} ${node.nodeClass}, not a Variable`;
  if (node.nodeId.length > MAX_ADDRESS_LENGTH) return `its NodeId is longer than the ${MAX_ADDRESS_LENGTH} characters a tag address may have`;
  if (tagTypeForNode(node) === undefined) {
    return node.dataType ? `its data type ${node.dataType} has no matching tag type` : 'the server did not say its data type';
  }
  return undefined;
}

export interface RenamedTag {
  nodeId: string;
  /** The browse name without its namespace index. */
  from: string;
  to: string;
  reason: 'invalid characters' | 'name taken';
}

export interface SkippedNode {
  nodeId: string;
  name: string;
  reason: string;
}

export interface TagPlan {
  tags: Tag[];
  renamed: RenamedTag[];
  skipped: SkippedNode[];
}

/**
 * The tags that adding `nodes` to a group holding `existing` would create, in order: one per
 * variable, named from its browse name, addressed by its NodeId, `rw` when the user may write it.
 * A node already in the group (same address) is skipped rather than added twice.
 */
export function planTags(nodes: readonly BrowseNode[], existing: ReadonlyArray<Pick<Tag, 'name' | 'address'>>): TagPlan {
  const taken = new Set(existing.map((t) => t.name));
  const byAddress = new Map(existing.map((t) => [t.address, t.name]));
  const plan: TagPlan = { tags: [], renamed: [], skipped: [] };
  for (const node of nodes) {
    const original = browseNameText(node.browseName) || node.displayName;
    const already = byAddress.get(node.nodeId);
    if (already !== undefined) {
      plan.skipped.push({ nodeId: node.nodeId, name: original, reason: `the group already has it as tag '${already}'` });
      continue;
    }
    const why = whyNotATag(node);
    const type = tagTypeForNode(node);
    if (why !== undefined || type === undefined) {
      plan.skipped.push({ nodeId: node.nodeId, name: original, reason: why ?? 'it has no tag type' });
      continue;
    }
    const valid = sanitizeName(original);
    const name = uniqueName(valid, taken);
    taken.add(name);
    byAddress.set(node.nodeId, name);
    if (name !== original) plan.renamed.push({ nodeId: node.nodeId, from: original, to: name, reason: name === valid ? 'invalid characters' : 'name taken' });
    plan.tags.push({ name, address: node.nodeId, type, access: node.writable === true ? 'rw' : 'r' });
  }
  return plan;
}
