/**
 * The ways one Modbus request can fail, as classes the driver tells apart: a slave that did not
 * answer (retry, then skip it), a slave that answered with an exception (a definite answer, no
 * retry), and a connection that is not there (the whole device is down).
 */

/** Modbus exception codes and their names in the specification's words. */
export const MODBUS_EXCEPTION_NAMES: Readonly<Record<number, string>> = {
  1: 'illegal function',
  2: 'illegal data address',
  3: 'illegal data value',
  4: 'slave device failure',
  5: 'acknowledge',
  6: 'slave device busy',
  7: 'negative acknowledge',
  8: 'memory parity error',
  10: 'gateway path unavailable',
  11: 'gateway target device failed to respond',
};

export const ILLEGAL_DATA_ADDRESS = 2;

/**
 * Exceptions a gateway answers for the device behind it (10: no path to it, 11: it did not
 * respond). The slave itself said nothing: for backoff it is as silent as a timeout.
 */
export function isGatewayException(code: number): boolean {
  return code === 10 || code === 11;
}

export function exceptionName(code: number): string {
  return MODBUS_EXCEPTION_NAMES[code] ?? 'unknown exception';
}

/** The slave answered with a Modbus exception. */
export class ModbusExceptionError extends Error {
  constructor(
    readonly slave: number,
    readonly code: number,
  ) {
    super(`slave ${slave} answered exception ${code} (${exceptionName(code)})`);
    this.name = 'ModbusExceptionError';
  }
}

/** No answer within the timeout (after every retry). */
export class ModbusTimeoutError extends Error {
  constructor(
    readonly slave: number,
    readonly timeoutMs: number,
  ) {
    super(`slave ${slave} not answering: timed out after ${timeoutMs} ms`);
    this.name = 'ModbusTimeoutError';
  }
}

/** The connection or serial port is not open, or closed while the request was under way. */
export class ModbusConnectionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModbusConnectionError';
  }
}

/** A garbled answer (bad CRC, wrong length, unexpected function): worth a retry, like a timeout. */
export class ModbusFrameError extends Error {
  constructor(
    readonly slave: number,
    detail: string,
  ) {
    super(`slave ${slave} gave an unusable answer: ${detail}`);
    this.name = 'ModbusFrameError';
  }
}

/** A value that cannot be encoded for its tag (out of range, wrong kind, too long). */
export class ModbusValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModbusValueError';
  }
}
