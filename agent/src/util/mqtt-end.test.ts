import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { endMqttClient } from './mqtt-end.js';

/** An in-process broker that can be told to stop acknowledging publishes (a broker gone half-open). */
async function startBroker(opts: { ackPublishes: boolean }) {
  const aedes = await Aedes.createBroker({
    authorizePublish: (_client, _packet, done) => {
      if (opts.ackPublishes) done(null);
      // else: never answer, so the PUBACK never comes.
    },
  });
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    aedes.handle(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`,
    sockets,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
    },
  };
}

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

describe('endMqttClient', () => {
  it('ends cleanly once what is in flight is acknowledged', async () => {
    const broker = await startBroker({ ackPublishes: true });
    close = broker.close;
    const client = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
    await client.publishAsync('t', 'x', { qos: 1 });
    expect(await endMqttClient(client, 2_000)).toBe(true);
    expect(client.connected).toBe(false);
  });

  it('settles and closes the socket when the broker never acknowledges a QoS 1 publish', async () => {
    const broker = await startBroker({ ackPublishes: false });
    close = broker.close;
    const client = await mqtt.connectAsync(broker.url, { reconnectPeriod: 1_000 });
    client.publish('t', 'x', { qos: 1 });
    await new Promise((r) => setTimeout(r, 50));
    expect(broker.sockets.size).toBe(1);
    const started = Date.now();
    expect(await endMqttClient(client, 300)).toBe(false);
    expect(Date.now() - started).toBeLessThan(2_000);
    // The broker sees the connection go, and the client does not come back by itself.
    await expect.poll(() => broker.sockets.size, { timeout: 2_000 }).toBe(0);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(broker.sockets.size).toBe(0);
  });
});
