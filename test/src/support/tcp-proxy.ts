import net from 'node:net';

export interface TcpProxy {
  /** Where clients connect instead of the target. */
  port: number;
  /** Connections open through the proxy now. */
  readonly open: number;
  /**
   * Destroys every connection at once, both ways, without a word on either protocol: to the
   * server it is a client that vanished (an MQTT broker then publishes its last will), to the
   * client a server that vanished.
   */
  cut(): void;
  /** While on, new connections are accepted and dropped at once: the network between them is down. */
  refuse(on: boolean): void;
  close(): Promise<void>;
}

/**
 * A TCP relay on a random local port to `targetPort`: a network between a client and a server
 * that a test can cut, or keep down for a while, with both ends real and running.
 */
export async function startTcpProxy(targetPort: number, host = '127.0.0.1'): Promise<TcpProxy> {
  const pairs = new Set<[net.Socket, net.Socket]>();
  let refusing = false;
  const server = net.createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    const upstream = net.connect({ port: targetPort, host });
    const pair: [net.Socket, net.Socket] = [client, upstream];
    pairs.add(pair);
    const drop = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const { port } = server.address() as net.AddressInfo;
  const cut = () => {
    for (const [a, b] of [...pairs]) {
      a.destroy();
      b.destroy();
    }
    pairs.clear();
  };
  return {
    port,
    get open() {
      return pairs.size;
    },
    cut,
    refuse(on) {
      refusing = on;
    },
    async close() {
      cut();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
