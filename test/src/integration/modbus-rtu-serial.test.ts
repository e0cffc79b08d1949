import { modbusSuite } from '../peers/modbus/suite.js';

// Modbus RTU on a serial line: the driver and a pymodbus serial server on the two ends of a socat pseudo-terminal pair.
modbusSuite('rtu');
