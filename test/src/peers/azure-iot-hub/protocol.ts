import { createHmac, timingSafeEqual } from 'node:crypto';
import { topicMatches } from '@edgefleet/protocol';

/**
 * The parts of the Azure IoT Hub MQTT contract that the hub checks, as pure functions so the rules
 * can be read and tested without a socket. The references are the IoT Hub MQTT documentation
 * ("Communicate with an IoT hub using the MQTT protocol") and the IoT Hub security documentation
 * ("Control access to IoT Hub with shared access signatures").
 */

/**
 * Device ids accepted by the registry here: IoT Hub's character set (case-sensitive, up to 128
 * characters of ASCII letters, digits and `- . % _ * ? ! ( ) , : = @ $ '`) without `+` and `#`,
 * which IoT Hub allows but which are MQTT wildcards and cannot appear in a topic this broker routes.
 */
export const DEVICE_ID_PATTERN = /^[A-Za-z0-9\-.%_*?!(),:=@$']{1,128}$/;

export type Verdict<T = undefined> = { ok: true; value: T } | { ok: false; reason: string };

const ok = <T>(value: T): Verdict<T> => ({ ok: true, value });
const refuse = <T = never>(reason: string): Verdict<T> => ({ ok: false, reason });

// ---------------------------------------------------------------------------------------------
// Property bags: `k1=v1&k2=v2`, keys and values URL-encoded (RFC 3986 percent-encoding).

/** Encodes a property bag the way IoT Hub and the device SDKs put it in a topic. */
export function encodePropertyBag(properties: Readonly<Record<string, string>>): string {
  return Object.entries(properties)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&');
}

/** Decodes a property bag; a key without `=` has the empty value. Malformed encodings are refused. */
export function decodePropertyBag(bag: string): Verdict<Record<string, string>> {
  const properties: Record<string, string> = {};
  if (bag === '') return ok(properties);
  for (const pair of bag.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const rawKey = eq < 0 ? pair : pair.slice(0, eq);
    const rawValue = eq < 0 ? '' : pair.slice(eq + 1);
    try {
      const key = decodeURIComponent(rawKey);
      if (key === '') return refuse(`empty property name in ${JSON.stringify(bag)}`);
      properties[key] = decodeURIComponent(rawValue);
    } catch {
      return refuse(`malformed URL encoding in property bag ${JSON.stringify(bag)}`);
    }
  }
  return ok(properties);
}

/** System properties are the `$.`-prefixed keys (`$.ct`, `$.ce`, `$.mid`, `$.cid`, `$.to`, `$.exp`, …). */
export function splitProperties(properties: Readonly<Record<string, string>>): {
  system: Record<string, string>;
  application: Record<string, string>;
} {
  const system: Record<string, string> = {};
  const application: Record<string, string> = {};
  for (const [k, v] of Object.entries(properties)) (k.startsWith('$.') ? system : application)[k] = v;
  return { system, application };
}

// ---------------------------------------------------------------------------------------------
// CONNECT

export interface ParsedUsername {
  hostName: string;
  deviceId: string;
  apiVersion: string;
  /** Every query parameter after `?`, decoded (api-version, DeviceClientType, model-id, …). */
  query: Record<string, string>;
}

/**
 * `{hostName}/{deviceId}/?api-version={version}` with optional `&DeviceClientType=…`, `&model-id=…`
 * and further query parameters. IoT Hub requires the api-version; which version is not checked.
 */
export function parseUsername(username: string | undefined): Verdict<ParsedUsername> {
  if (username === undefined || username === '') return refuse('no user name');
  const q = username.indexOf('/?');
  if (q < 0) return refuse(`user name ${JSON.stringify(username)} is not {hostName}/{deviceId}/?api-version=…`);
  const path = username.slice(0, q);
  const slash = path.indexOf('/');
  if (slash <= 0 || slash === path.length - 1) return refuse(`user name ${JSON.stringify(username)} is not {hostName}/{deviceId}/?api-version=…`);
  const hostName = path.slice(0, slash);
  const deviceId = path.slice(slash + 1);
  if (deviceId.includes('/')) return refuse(`user name ${JSON.stringify(username)} names a module or a path, not a device`);
  const query = decodePropertyBag(username.slice(q + 2));
  if (!query.ok) return refuse(`user name query: ${query.reason}`);
  const apiVersion = query.value['api-version'];
  if (apiVersion === undefined || apiVersion === '') return refuse(`user name ${JSON.stringify(username)} has no api-version`);
  return ok({ hostName, deviceId, apiVersion, query: query.value });
}

export interface SasToken {
  /** `sr` exactly as it appears in the token (URL-encoded); the signature covers this form. */
  srRaw: string;
  /** `sr` decoded: `{hostName}/devices/{deviceId}`. */
  resourceUri: string;
  signature: string;
  expiry: number;
  keyName: string | undefined;
}

export const SAS_PREFIX = 'SharedAccessSignature ';

/** `SharedAccessSignature sr={url-encoded resource}&sig={url-encoded base64}&se={expiry}[&skn={policy}]`, fields in any order. */
export function parseSasToken(token: string): Verdict<SasToken> {
  if (!token.startsWith(SAS_PREFIX)) return refuse('the password is not a SharedAccessSignature');
  const fields = new Map<string, string>();
  for (const pair of token.slice(SAS_PREFIX.length).split('&')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) return refuse(`malformed SharedAccessSignature field ${JSON.stringify(pair)}`);
    const key = pair.slice(0, eq);
    if (!['sr', 'sig', 'se', 'skn'].includes(key)) return refuse(`unknown SharedAccessSignature field ${JSON.stringify(key)}`);
    if (fields.has(key)) return refuse(`SharedAccessSignature field ${key} given twice`);
    fields.set(key, pair.slice(eq + 1));
  }
  const srRaw = fields.get('sr');
  const sig = fields.get('sig');
  const se = fields.get('se');
  if (srRaw === undefined || sig === undefined || se === undefined) return refuse('SharedAccessSignature needs sr, sig and se');
  if (!/^\d+$/.test(se)) return refuse(`SharedAccessSignature se ${JSON.stringify(se)} is not a number of seconds`);
  try {
    const skn = fields.get('skn');
    return ok({
      srRaw,
      resourceUri: decodeURIComponent(srRaw),
      signature: decodeURIComponent(sig),
      expiry: Number(se),
      keyName: skn === undefined ? undefined : decodeURIComponent(skn),
    });
  } catch {
    return refuse('malformed URL encoding in the SharedAccessSignature');
  }
}

/** base64(HMAC-SHA256(base64-decoded key, `{url-encoded sr}\n{expiry}`)), the IoT Hub signature. */
export function signSas(srRaw: string, expiry: number, base64Key: string): string {
  return createHmac('sha256', Buffer.from(base64Key, 'base64')).update(`${srRaw}\n${expiry}`).digest('base64');
}

/** The string a device would send as its password (what the SDKs compute from a device key). */
export function createSasToken(hostName: string, deviceId: string, base64Key: string, expiry: number): string {
  const srRaw = encodeURIComponent(`${hostName}/devices/${deviceId}`);
  return `${SAS_PREFIX}sr=${srRaw}&sig=${encodeURIComponent(signSas(srRaw, expiry, base64Key))}&se=${expiry}`;
}

/**
 * Device-scoped token check, as IoT Hub does it for a device identity's symmetric keys:
 * the resource is the device (`{hostName}/devices/{deviceId}`; host name case-insensitive, device
 * id exact), the expiry is in the future, no policy name (`skn` is for hub-level shared access
 * policies, which are not supported here), and the signature matches one of the device's keys.
 */
export function verifyDeviceSas(
  token: string,
  expected: { hostName: string; deviceId: string; keys: readonly string[]; nowSeconds: number },
): Verdict {
  const parsed = parseSasToken(token);
  if (!parsed.ok) return parsed;
  const sas = parsed.value;
  if (sas.keyName !== undefined) return refuse(`SharedAccessSignature names policy ${JSON.stringify(sas.keyName)}; only device keys are accepted`);
  const prefix = `${expected.hostName.toLowerCase()}/devices/`;
  const resource = sas.resourceUri;
  if (!resource.toLowerCase().startsWith(prefix) || resource.slice(prefix.length) !== expected.deviceId) {
    return refuse(`SharedAccessSignature sr ${JSON.stringify(resource)} is not ${expected.hostName}/devices/${expected.deviceId}`);
  }
  if (sas.expiry <= expected.nowSeconds) return refuse(`SharedAccessSignature expired at ${new Date(sas.expiry * 1000).toISOString()}`);
  const given = Buffer.from(sas.signature, 'base64');
  for (const key of expected.keys) {
    const wanted = Buffer.from(signSas(sas.srRaw, sas.expiry, key), 'base64');
    if (given.length === wanted.length && timingSafeEqual(given, wanted)) return ok(undefined);
  }
  return refuse('SharedAccessSignature signature does not match the device key');
}

// ---------------------------------------------------------------------------------------------
// Topics a device may use.

export type DevicePublish =
  | { kind: 'event'; properties: Record<string, string> }
  | { kind: 'method-response'; status: number; requestId: string }
  | { kind: 'twin-get'; requestId: string }
  | { kind: 'twin-reported'; requestId: string };

function requestIdOf(query: string, topic: string): Verdict<string> {
  const bag = decodePropertyBag(query);
  if (!bag.ok) return bag;
  const rid = bag.value['$rid'];
  if (rid === undefined || rid === '') return refuse(`${topic} has no $rid`);
  return ok(rid);
}

/**
 * What a device may publish: its own telemetry `devices/{itsId}/messages/events/{property bag}`,
 * direct-method responses `$iothub/methods/res/{status}/?$rid={rid}`, reported-property patches
 * `$iothub/twin/PATCH/properties/reported/?$rid={rid}` and twin reads `$iothub/twin/GET/?$rid={rid}`.
 */
export function classifyDevicePublish(deviceId: string, topic: string): Verdict<DevicePublish> {
  const events = `devices/${deviceId}/messages/events/`;
  if (topic === `devices/${deviceId}/messages/events`) return ok({ kind: 'event', properties: {} });
  if (topic.startsWith(events)) {
    const bag = topic.slice(events.length);
    if (bag.includes('/')) return refuse(`${topic}: the property bag may not contain '/'`);
    const properties = decodePropertyBag(bag);
    if (!properties.ok) return properties;
    return ok({ kind: 'event', properties: properties.value });
  }
  const methodRes = /^\$iothub\/methods\/res\/(\d{3})\/\?(.*)$/.exec(topic);
  if (methodRes) {
    const rid = requestIdOf(methodRes[2] ?? '', topic);
    if (!rid.ok) return rid;
    return ok({ kind: 'method-response', status: Number(methodRes[1]), requestId: rid.value });
  }
  const twinGet = /^\$iothub\/twin\/GET\/\?(.*)$/.exec(topic);
  if (twinGet) {
    const rid = requestIdOf(twinGet[1] ?? '', topic);
    if (!rid.ok) return rid;
    return ok({ kind: 'twin-get', requestId: rid.value });
  }
  const twinReported = /^\$iothub\/twin\/PATCH\/properties\/reported\/\?(.*)$/.exec(topic);
  if (twinReported) {
    const rid = requestIdOf(twinReported[1] ?? '', topic);
    if (!rid.ok) return rid;
    return ok({ kind: 'twin-reported', requestId: rid.value });
  }
  return refuse(`device ${deviceId} may not publish to ${topic}`);
}

/** The four filters a device may subscribe to (exactly these, no other wildcards). */
export function deviceSubscriptionFilters(deviceId: string): string[] {
  return [
    `devices/${deviceId}/messages/devicebound/#`,
    '$iothub/methods/POST/#',
    '$iothub/twin/res/#',
    '$iothub/twin/PATCH/properties/desired/#',
  ];
}

export function maySubscribe(deviceId: string, filter: string): boolean {
  return deviceSubscriptionFilters(deviceId).includes(filter);
}

/** MQTT 3.1.1 topic-filter matching; a leading wildcard never matches a `$` topic [MQTT-4.7.2-1]. */
export function filterMatches(filter: string, topic: string): boolean {
  if ((filter.startsWith('#') || filter.startsWith('+')) && topic.startsWith('$')) return false;
  return topicMatches(filter, topic);
}
