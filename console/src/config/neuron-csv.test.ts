import { describe, expect, it } from 'vitest';
import { DeviceSchema, type Device, type TagInput } from '@edgefleet/protocol/browser';
import { exportNeuronCsv, importNeuronCsv } from './neuron-csv';

const modbusDevice: Device = DeviceSchema.parse({
  name: 'press',
  driver: 'modbus-tcp',
  settings: { host: '127.0.0.1', port: 502 },
});

describe('exportNeuronCsv', () => {
  it("writes Neuron's columns first, our extra ones after, with a BOM and CRLF line ends", () => {
    const csv = exportNeuronCsv([
      { name: 'temp', address: '1!400001#BB', type: 'float32', access: 'r', scale: 0.1, precision: 3, offset: -40, unit: '°C', deadbandAbs: 0.5, description: 'oven temperature' },
      { name: 'setpoint', address: '1!400010', type: 'int16', access: 'rw' },
    ]);
    expect(csv.startsWith('\uFEFF')).toBe(true);
    const lines = csv.slice(1).split('\r\n');
    expect(lines[0]).toBe('name,address,attribute,type,description,decimal,precision,bias,unit,deadbandAbs');
    expect(lines[1]).toBe('temp,1!400001#BB,Read,FLOAT,oven temperature,0.1,3,-40,°C,0.5');
    expect(lines[2]).toBe('setpoint,1!400010,Read Write,INT16,,,,,,');
    expect(lines[3]).toBe('');
    expect(lines).toHaveLength(4);
  });

  it('writes a leading group column when asked, as Neuron\'s group import needs', () => {
    const csv = exportNeuronCsv([{ name: 'a', address: '1!000001', type: 'bit' }], { group: 'fast' });
    expect(csv.slice(1).split('\r\n').slice(0, 2)).toEqual(['group,name,address,attribute,type,description,decimal,precision,bias,unit,deadbandAbs', 'fast,a,1!000001,Read,BIT,,,,,,']);
  });

  it('quotes cells with commas, quotes and line breaks, and keeps formula-like text inert', () => {
    const csv = exportNeuronCsv([{ name: 'a', address: '1!400001', type: 'int16', description: 'pump 1, "main"\nline 2' }, { name: 'b', address: '1!400002', type: 'int16', description: '=HYPERLINK("x")' }]);
    expect(csv).toContain('"pump 1, ""main""\nline 2"');
    expect(csv).toContain(`"'=HYPERLINK(""x"")"`);
  });
});

describe('importNeuronCsv', () => {
  it('reads back what it exported, every field and type', () => {
    const tags: TagInput[] = [
      { name: 'temp', address: '1!400001#BB', type: 'float32', access: 'r', scale: 0.1, precision: 3, offset: -40, unit: '°C', deadbandAbs: 0.5, description: 'oven temperature' },
      { name: 'setpoint', address: '1!400010', type: 'int16', access: 'rw' },
      { name: 'energy', address: '1!300001', type: 'float64', access: 'r', precision: 17 },
      { name: 'count', address: '1!400020', type: 'uint64', access: 'r', scale: 2.5e-7 },
      { name: 'run', address: '1!000001', type: 'bool', access: 'rw' },
      { name: 'alarm', address: '1!400030.3', type: 'bit', access: 'r' },
      { name: 'serial', address: '1!400040.10H', type: 'string', access: 'r', description: 'line 1, "quoted"\r\nline 2' },
      { name: 'raw', address: '1!400050.4', type: 'bytes', access: 'r' },
      { name: 'i32', address: '1!400060', type: 'int32', access: 'r' },
      { name: 'u32', address: '1!400062', type: 'uint32', access: 'r' },
      { name: 'i64', address: '1!400064', type: 'int64', access: 'r' },
      { name: 'u16', address: '1!400068', type: 'uint16', access: 'r' },
      { name: '=formula-like', address: '1!400069', type: 'uint16', access: 'r', description: '@not a formula' },
    ];
    const back = importNeuronCsv(exportNeuronCsv(tags));
    expect(back.issues).toEqual([]);
    expect(back.tags).toEqual(tags);
    expect(back.groups).toEqual([]);
  });

  it('loads a sheet as Neuron exports it: group column, attribute labels, its type names, zeros for unset', () => {
    const sheet = [
      'group,name,address,attribute,type,description,decimal,precision',
      'group-1,tag-int16,1!400001,Read Write,INT16,,0,0',
      'group-1,tag-float,1!400003#LB,Read Subscribe,FLOAT,flow rate,0.01,2',
      'group-2,tag-bit,1!000001,Read Write Subscribe,BIT,,0,0',
      'group-2,tag-word,1!300001,Read,WORD,,1,0',
      'group-2,tag-string,1!400100.20H,Write,STRING,serial number,0,0',
    ].join('\n');
    const result = importNeuronCsv(sheet);
    expect(result.issues).toEqual([]);
    expect(result.groups).toEqual(['group-1', 'group-2']);
    expect(result.tags).toEqual([
      { name: 'tag-int16', address: '1!400001', type: 'int16', access: 'rw' },
      { name: 'tag-float', address: '1!400003#LB', type: 'float32', access: 'r', description: 'flow rate', scale: 0.01, precision: 2 },
      { name: 'tag-bit', address: '1!000001', type: 'bit', access: 'rw' },
      { name: 'tag-word', address: '1!300001', type: 'uint16', access: 'r', scale: 1 },
      { name: 'tag-string', address: '1!400100.20H', type: 'string', access: 'rw', description: 'serial number' },
    ]);
  });

  it('matches headers in any case and order, ignores unknown columns, and reads attribute bitmasks', () => {
    const sheet = 'Type,NAME,Value,Address,Attribute,Bias\nuint32,flow,,1!400001,3,5\ndouble,level,,1!400003,5,0\n';
    expect(importNeuronCsv(sheet)).toEqual({
      tags: [
        { name: 'flow', address: '1!400001', type: 'uint32', access: 'rw', offset: 5 },
        { name: 'level', address: '1!400003', type: 'float64', access: 'r' },
      ],
      issues: [],
      groups: [],
    });
  });

  it('reports bad type, attribute and address rows with their line numbers, and imports the good ones', () => {
    const sheet = [
      'name,address,attribute,type,decimal',
      'ok-1,1!400001,Read,INT16,',
      'bad-type,1!400002,Read,REAL,',
      'byte,1!400003,Read,INT8,',
      'bad-attr,1!400004,Readable,INT16,',
      'static,1!400005,Static,INT16,',
      'no-address,,Read,INT16,',
      'bad/name,1!400006,Read,INT16,',
      'bad-number,1!400007,Read,FLOAT,ten',
      'ok-2,1!400008,Read Write,UINT16,',
      'ok-1,1!400009,Read,UINT16,',
    ].join('\r\n');
    const result = importNeuronCsv(sheet);
    expect(result.tags.map((t) => t.name)).toEqual(['ok-1', 'ok-2']);
    expect(result.issues).toEqual([
      { row: 3, message: "type: 'REAL' is not a Neuron data type; use one of BOOL, BIT, INT16, UINT16, INT32, UINT32, INT64, UINT64, FLOAT, DOUBLE, STRING, BYTES" },
      { row: 4, message: 'type: INT8 (one byte) is not supported; use INT16 or UINT16' },
      { row: 5, message: "attribute: 'Readable' is not a Neuron attribute; use Read, Write or Subscribe, e.g. 'Read Write'" },
      { row: 6, message: 'attribute: static tags (a fixed value with no device address) are not supported' },
      { row: 7, message: 'address: must not be empty' },
      { row: 8, message: "name: must not contain '/', '+', '#' nor start with '$' or a space" },
      { row: 9, message: "decimal: 'ten' is not a number" },
      { row: 11, message: "name: duplicate tag name 'ok-1' (first on line 2)" },
    ]);
  });

  it("gives the API's messages for what the schema checks, named by the sheet's column", () => {
    const result = importNeuronCsv('name,address,attribute,type,precision\nt,1!400001,Read,FLOAT,18\n');
    expect(result.tags).toEqual([]);
    expect(result.issues).toEqual([{ row: 2, message: 'precision: must be at most 17' }]);
  });

  it("checks addresses against the device's driver when given, with the API's message", () => {
    const sheet = 'name,address,attribute,type\ngood,1!400001,Read,INT16\nsyntax,400001,Read,INT16\nwrite-input,1!300001,Read Write,INT16\n';
    const result = importNeuronCsv(sheet, { device: modbusDevice });
    expect(result.tags.map((t) => t.name)).toEqual(['good']);
    expect(result.issues).toHaveLength(2);
    expect(result.issues[0]).toEqual({ row: 3, message: "address: tag 'syntax': '400001' is not a Modbus address: expected slave!<area><address>[#order][.bit|.len[H|L|D|E]], e.g. 1!400001 or 1!400010#BB" });
    expect(result.issues[1]?.row).toBe(4);
    expect(result.issues[1]?.message).toMatch(/^address: tag 'write-input' \(1!300001, int16, rw\): /);
    // Without a device the address is only checked for presence and length.
    expect(importNeuronCsv(sheet).tags).toHaveLength(3);
  });

  it('reads quoted cells with commas, quotes and line breaks, and counts lines of the file for issues', () => {
    const sheet = [
      'name,address,attribute,type,description',
      '"pump, main",1!400001,Read,INT16,"the ""main"" pump, line 7"',
      'multi,1!400002,Read,INT16,"first line',
      'second line"',
      'after,1!400003,Read,NOPE,',
    ].join('\n');
    const result = importNeuronCsv(sheet);
    expect(result.tags).toEqual([
      { name: 'pump, main', address: '1!400001', type: 'int16', access: 'r', description: 'the "main" pump, line 7' },
      { name: 'multi', address: '1!400002', type: 'int16', access: 'r', description: 'first line\nsecond line' },
    ]);
    expect(result.issues.map((i) => i.row)).toEqual([5]);
  });

  it('reads a UTF-8 BOM, CRLF line ends, blank lines, and semicolons with decimal commas from European Excel', () => {
    const sheet = '\uFEFFname;address;attribute;type;description;decimal;bias;unit\r\n\r\ntemp;1!400001;Read;FLOAT;Ofen, Zone 1;0,1;-40,5;°C\r\n;;;;;;;\r\nspeed;1!400003;Read Write;UINT16;;2;;rpm\r\n';
    const result = importNeuronCsv(sheet);
    expect(result.issues).toEqual([]);
    expect(result.tags).toEqual([
      { name: 'temp', address: '1!400001', type: 'float32', access: 'r', description: 'Ofen, Zone 1', scale: 0.1, offset: -40.5, unit: '°C' },
      { name: 'speed', address: '1!400003', type: 'uint16', access: 'rw', scale: 2, unit: 'rpm' },
    ]);
  });

  it("honours Excel's sep= line and counts it as a line", () => {
    const result = importNeuronCsv('sep=;\nname;address;attribute;type\na;1!400001;Read;INT16\nb;1!400002;Read;BAD\n');
    expect(result.tags.map((t) => t.name)).toEqual(['a']);
    expect(result.issues.map((i) => i.row)).toEqual([4]);
  });

  it('says in one issue which required columns a file lacks, and imports nothing', () => {
    expect(importNeuronCsv('tag,addr,type\na,1!400001,INT16\n')).toEqual({
      tags: [],
      groups: [],
      issues: [
        {
          row: 1,
          message:
            "The header line has no 'name', 'address', 'attribute' columns: a Neuron tag sheet needs name, address, attribute and type (and may have group, description, decimal, precision, bias, unit, deadbandAbs)",
        },
      ],
    });
    expect(importNeuronCsv('\uFEFF\r\n').issues).toEqual([{ row: 1, message: expect.stringContaining('The file is empty') }]);
  });

  it('reports an unclosed quote instead of swallowing the rest silently', () => {
    const result = importNeuronCsv('name,address,attribute,type,description\na,1!400001,Read,INT16,ok\nb,1!400002,Read,INT16,"never closed\nc,1!400003,Read,INT16,\n');
    expect(result.tags.map((t) => t.name)).toEqual(['a']);
    expect(result.issues).toEqual([{ row: 3, message: expect.stringContaining('a quoted cell is not closed') }]);
  });
});
