import type { MqttClient } from 'mqtt';

/** How long a clean DISCONNECT may wait for the broker to acknowledge what is still in flight. */
export const END_LIMIT_MS = 3_000;

/**
 * Ends an MQTT.js client and settles within `limitMs`, whatever the broker does.
 *
 * `end(false)` sends DISCONNECT only once every QoS 1/2 message in flight is acknowledged, so the
 * broker does not publish the last will [MQTT-3.1.2-10]. A broker that never acknowledges (a half-open
 * connection, one too busy to answer) would keep that wait open forever, and a second `end()` is
 * a no-op once the client is disconnecting. So after `limitMs` the socket is destroyed instead.
 * Answers whether the clean end made it in time.
 */
export async function endMqttClient(client: MqttClient, limitMs = END_LIMIT_MS): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const clean = new Promise<true>((resolve) => client.end(false, {}, () => resolve(true)));
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), limitMs);
  });
  const inTime = await Promise.race([clean, late]);
  clearTimeout(timer);
  if (!inTime) client.stream?.destroy();
  return inTime;
}
