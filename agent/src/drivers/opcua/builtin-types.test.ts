import { describe, expect, it } from 'vitest';
import { DataType } from 'node-opcua-client';
import { BuiltinType, builtinTypeName, ns0DataType, tagTypeForAbstractNs0, tagTypeForBuiltin } from './builtin-types.js';

describe('OPC UA built-in types', () => {
  it('uses the numbers of the specification, as node-opcua does', () => {
    for (const [name, id] of Object.entries(BuiltinType)) expect(DataType[name as keyof typeof DataType], name).toBe(id);
    expect(builtinTypeName(BuiltinType.Float)).toBe('Float');
    expect(builtinTypeName(99)).toBe('BuiltinType(99)');
  });

  it('names namespace-0 DataTypes and the built-in type behind them', () => {
    expect(ns0DataType(11)).toEqual({ name: 'Double', builtin: BuiltinType.Double });
    expect(ns0DataType(22)).toEqual({ name: 'Structure', builtin: BuiltinType.ExtensionObject });
    expect(ns0DataType(24)).toEqual({ name: 'BaseDataType', builtin: undefined });
    expect(ns0DataType(290)).toEqual({ name: 'Duration', builtin: BuiltinType.Double });
    expect(ns0DataType(294)).toEqual({ name: 'UtcTime', builtin: BuiltinType.DateTime });
    expect(ns0DataType(29)).toEqual({ name: 'Enumeration', builtin: BuiltinType.Int32 });
    expect(ns0DataType(26)).toEqual({ name: 'Number', builtin: undefined });
    expect(ns0DataType(123456)).toBeUndefined();
  });

  it('maps built-in types to the tag type an operator would pick', () => {
    expect(tagTypeForBuiltin(BuiltinType.Boolean)).toBe('bool');
    expect(tagTypeForBuiltin(BuiltinType.SByte)).toBe('int16');
    expect(tagTypeForBuiltin(BuiltinType.Byte)).toBe('uint16');
    expect(tagTypeForBuiltin(BuiltinType.Int64)).toBe('int64');
    expect(tagTypeForBuiltin(BuiltinType.UInt64)).toBe('uint64');
    expect(tagTypeForBuiltin(BuiltinType.Float)).toBe('float32');
    expect(tagTypeForBuiltin(BuiltinType.Double)).toBe('float64');
    expect(tagTypeForBuiltin(BuiltinType.DateTime)).toBe('string');
    expect(tagTypeForBuiltin(BuiltinType.ByteString)).toBe('bytes');
    expect(tagTypeForBuiltin(BuiltinType.ExtensionObject)).toBeUndefined();
    expect(tagTypeForBuiltin(undefined)).toBeUndefined();
  });

  it('gives arrays a tag type only when they are octets', () => {
    expect(tagTypeForBuiltin(BuiltinType.Byte, 1)).toBe('bytes');
    expect(tagTypeForBuiltin(BuiltinType.Double, 1)).toBeUndefined();
  });

  it('maps the abstract numeric types to the widest of their family', () => {
    expect(tagTypeForAbstractNs0(26)).toBe('float64');
    expect(tagTypeForAbstractNs0(27)).toBe('int64');
    expect(tagTypeForAbstractNs0(28)).toBe('uint64');
    expect(tagTypeForAbstractNs0(24)).toBeUndefined();
  });
});
