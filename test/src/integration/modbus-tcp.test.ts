import { modbusSuite } from '../peers/modbus/suite.js';

// Modbus TCP: the driver against a pymodbus server on a random free port.
modbusSuite('tcp');
