import type { MqttClient } from 'mqtt';

/** The QoS the broker granted, or 128 (0x80) when it refused [MQTT-3.9.3]. */
export async function grantedQos(client: MqttClient, filter: string): Promise<number> {
  try {
    const granted = await client.subscribeAsync(filter, { qos: 1 });
    return granted[0]?.qos ?? -1;
  } catch (err) {
    // mqtt.js rejects a SUBACK carrying a failure code, with the packet attached.
    const packet = (err as { packet?: { granted?: unknown[] } }).packet;
    if (packet?.granted) return Number(packet.granted[0]);
    throw err;
  }
}
