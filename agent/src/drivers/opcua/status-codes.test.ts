import { describe, expect, it } from 'vitest';
import { StatusCodes } from 'node-opcua-client';
import { TagErrorNumber } from '@edgefleet/protocol';
import { describeStatus, isBad, isGood, Status, statusCodeOf, tagErrorForStatus } from './status-codes.js';

describe('OPC UA status codes', () => {
  it('match the values node-opcua decodes', () => {
    for (const [name, value] of Object.entries(Status)) {
      const sc = (StatusCodes as unknown as Record<string, { value: number }>)[name];
      expect(sc, name).toBeDefined();
      expect(sc!.value >>> 0, name).toBe(value);
    }
  });

  it('ignore the info bits when comparing codes', () => {
    expect(statusCodeOf(Status.BadTypeMismatch | 0x0400)).toBe(Status.BadTypeMismatch);
    expect(isBad(Status.BadTimeout)).toBe(true);
    expect(isGood(0x0000_0400)).toBe(true);
    expect(isGood(0x4000_0000)).toBe(false);
    expect(isBad(0x4000_0000)).toBe(false);
  });

  it('are described by name and hex', () => {
    expect(describeStatus(Status.BadTypeMismatch)).toBe('BadTypeMismatch (0x80740000)');
    expect(describeStatus(0x80ab_0000, 'BadSomethingNew')).toBe('BadSomethingNew (0x80AB0000)');
    expect(describeStatus(0x80ab_0000)).toBe('0x80AB0000');
  });

  it('map to Neuron-compatible per-tag error numbers', () => {
    expect(tagErrorForStatus(Status.Good)).toBeUndefined();
    expect(tagErrorForStatus(0x4000_0000)).toBeUndefined(); // Uncertain keeps its value
    expect(tagErrorForStatus(Status.BadNoCommunication)).toBe(TagErrorNumber.DEVICE_NO_RESPONSE);
    expect(tagErrorForStatus(Status.BadWaitingForInitialData)).toBe(TagErrorNumber.DEVICE_NO_RESPONSE);
    expect(tagErrorForStatus(Status.BadDeviceFailure)).toBe(TagErrorNumber.DEVICE_NO_RESPONSE);
    expect(tagErrorForStatus(Status.BadNodeIdUnknown)).toBe(TagErrorNumber.READ_FAILURE);
    expect(tagErrorForStatus(Status.BadNotReadable)).toBe(TagErrorNumber.READ_FAILURE);
  });
});
