export {
  MethodInvocationError,
  startIotHubPeer,
  type CloudToDeviceMessage,
  type DeviceAuthentication,
  type DeviceRegistration,
  type DeviceToCloudMessage,
  type IotHubPeer,
  type IotHubPeerOptions,
  type MethodResult,
  type Refusal,
  type TwinDocument,
} from './iot-hub-peer.js';
export {
  createSelfSignedDeviceCertificate,
  createTestCa,
  issueDeviceCertificate,
  thumbprint,
  type KeyAndCertificate,
} from './certificates.js';
export {
  createSasToken,
  decodePropertyBag,
  encodePropertyBag,
  parseSasToken,
  parseUsername,
  verifyDeviceSas,
} from './protocol.js';
