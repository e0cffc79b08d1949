import { modbusSuite } from '../peers/modbus/suite.js';

// RTU framing over a TCP socket (serial servers, gateways): the driver against pymodbus's RTU-framer TCP server.
modbusSuite('rtu-over-tcp');
