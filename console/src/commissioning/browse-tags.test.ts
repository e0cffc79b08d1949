import { describe, expect, it } from 'vitest';
import { NameSchema, TagSchema, type BrowseNode } from '@edgefleet/protocol/browser';
import { browseNameText, planTags, sanitizeName, tagTypeForDataType, tagTypeForNode, uniqueName, whyNotATag } from './browse-tags';

const variable = (browseName: string, extra: Partial<BrowseNode> = {}): BrowseNode => ({
  nodeId: `ns=2;s=${browseNameText(browseName)}`,
  browseName,
  displayName: browseNameText(browseName),
  nodeClass: 'Variable',
  dataType: 'Double',
  tagType: 'float64',
  readable: true,
  writable: false,
  hasChildren: false,
  ...extra,
});

describe('sanitizeName', () => {
  it.each([
    ['Speed', 'Speed'],
    ['Line 1/Speed', 'Line 1_Speed'],
    ['a+b#c', 'a_b_c'],
    ['$Server', '_Server'],
    ['  padded\tname  ', 'padded name'],
    ['', 'tag'],
    ['   ', 'tag'],
    ['/', '_'],
  ])('%j → %j', (raw, expected) => {
    expect(sanitizeName(raw)).toBe(expected);
    expect(NameSchema.safeParse(sanitizeName(raw)).success).toBe(true);
  });

  it('caps the length at 128 without leaving a trailing space', () => {
    const name = sanitizeName(`${'x'.repeat(127)} tail`);
    expect(name).toBe('x'.repeat(127));
    expect(NameSchema.safeParse(name).success).toBe(true);
  });

  it('gives a valid name for any input', () => {
    for (const raw of ['$$', '#', ' $a', '\u00a0lead', 'trail\u2003', 'a\nb', '++', 'ok name']) {
      expect(NameSchema.safeParse(sanitizeName(raw)).success, raw).toBe(true);
    }
  });
});

describe('uniqueName', () => {
  it('suffixes _2, _3… until the name is free, staying within 128 characters', () => {
    expect(uniqueName('Speed', new Set())).toBe('Speed');
    expect(uniqueName('Speed', new Set(['Speed']))).toBe('Speed_2');
    expect(uniqueName('Speed', new Set(['Speed', 'Speed_2']))).toBe('Speed_3');
    const long = 'y'.repeat(128);
    const unique = uniqueName(long, new Set([long]));
    expect(unique).toHaveLength(128);
    expect(unique.endsWith('_2')).toBe(true);
  });
});

describe('tag types', () => {
  it('maps OPC UA data types to tag types like the agent does', () => {
    expect(tagTypeForDataType('Boolean')).toBe('bool');
    expect(tagTypeForDataType('SByte')).toBe('int16');
    expect(tagTypeForDataType('Byte')).toBe('uint16');
    expect(tagTypeForDataType('UInt32')).toBe('uint32');
    expect(tagTypeForDataType('Int64')).toBe('int64');
    expect(tagTypeForDataType('Float')).toBe('float32');
    expect(tagTypeForDataType('Double')).toBe('float64');
    expect(tagTypeForDataType('DateTime')).toBe('string');
    expect(tagTypeForDataType('LocalizedText')).toBe('string');
    expect(tagTypeForDataType('ByteString')).toBe('bytes');
    expect(tagTypeForDataType('Byte[]')).toBe('bytes');
    expect(tagTypeForDataType('Double[]')).toBeUndefined();
    expect(tagTypeForDataType('Structure')).toBeUndefined();
    expect(tagTypeForDataType('toString')).toBeUndefined();
  });

  it("prefers the agent's tag type and falls back to the data type", () => {
    expect(tagTypeForNode(variable('2:A', { dataType: 'MyEnum', tagType: 'int32' }))).toBe('int32');
    expect(tagTypeForNode(variable('2:B', { dataType: 'Float', tagType: undefined }))).toBe('float32');
    expect(tagTypeForNode(variable('2:C', { dataType: 'Float', tagType: 'float128' }))).toBe('float32');
    expect(tagTypeForNode(variable('2:D', { dataType: undefined, tagType: undefined }))).toBeUndefined();
  });

  it('says why a node cannot be a tag', () => {
    expect(whyNotATag(variable('2:Speed'))).toBeUndefined();
    expect(whyNotATag({ ...variable('2:Line1'), nodeClass: 'Object' })).toBe('it is an Object, not a Variable');
    expect(whyNotATag(variable('2:Recipe', { dataType: 'RecipeType', tagType: undefined }))).toBe('its data type RecipeType has no matching tag type');
    expect(whyNotATag(variable('2:Long', { nodeId: `ns=2;s=${'z'.repeat(300)}` }))).toMatch(/longer than the 256 characters/);
  });
});

describe('planTags', () => {
  it('names tags from browse names, made valid and unique, with mapped types and access', () => {
    const plan = planTags(
      [
        variable('2:Speed', { writable: true }),
        variable('3:Speed', { nodeId: 'ns=3;s=Speed' }),
        variable('3:Temp/Top', { dataType: 'Float', tagType: undefined }),
        variable('2:Running', { dataType: 'Boolean', tagType: 'bool' }),
        variable('2:Counter', { nodeId: 'ns=2;i=1001', dataType: 'UInt32', tagType: 'uint32' }),
        variable('2:Blob', { dataType: 'Structure', tagType: undefined }),
        { ...variable('2:Motor'), nodeClass: 'Object' },
      ],
      [
        { name: 'Running', address: 'ns=2;s=Other' },
        { name: 'total', address: 'ns=2;i=1001' },
      ],
    );
    expect(plan.tags).toEqual([
      { name: 'Speed', address: 'ns=2;s=Speed', type: 'float64', access: 'rw' },
      { name: 'Speed_2', address: 'ns=3;s=Speed', type: 'float64', access: 'r' },
      { name: 'Temp_Top', address: 'ns=2;s=Temp/Top', type: 'float32', access: 'r' },
      { name: 'Running_2', address: 'ns=2;s=Running', type: 'bool', access: 'r' },
    ]);
    for (const tag of plan.tags) expect(TagSchema.safeParse(tag).success).toBe(true);
    expect(plan.renamed).toEqual([
      { nodeId: 'ns=3;s=Speed', from: 'Speed', to: 'Speed_2', reason: 'name taken' },
      { nodeId: 'ns=2;s=Temp/Top', from: 'Temp/Top', to: 'Temp_Top', reason: 'invalid characters' },
      { nodeId: 'ns=2;s=Running', from: 'Running', to: 'Running_2', reason: 'name taken' },
    ]);
    expect(plan.skipped).toEqual([
      { nodeId: 'ns=2;i=1001', name: 'Counter', reason: "the group already has it as tag 'total'" },
      { nodeId: 'ns=2;s=Blob', name: 'Blob', reason: 'its data type Structure has no matching tag type' },
      { nodeId: 'ns=2;s=Motor', name: 'Motor', reason: 'it is an Object, not a Variable' },
    ]);
  });

  it('does not add the same node twice in one go', () => {
    const plan = planTags([variable('2:Speed'), variable('2:Speed')], []);
    expect(plan.tags.map((t) => t.name)).toEqual(['Speed']);
    expect(plan.skipped[0]?.reason).toBe("the group already has it as tag 'Speed'");
  });
});
