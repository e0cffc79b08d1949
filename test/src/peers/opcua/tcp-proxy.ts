import net from 'node:net';
import { freePort } from '../../support/ports.js';

/**
 * A TCP relay between the agent and a server, to break the network on purpose:
 * `cut()` resets every relayed connection (the server keeps its sessions, as after a network
 * drop); `blackhole(true)` keeps connections open but lets nothing through (a pulled cable:
 * no FIN, no RST, only silence) until `blackhole(false)`.
 */
export class TcpProxy {
  readonly url: string;
  private readonly pairs = new Set<{ client: net.Socket; upstream: net.Socket }>();
  private dropping = false;

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
    targetPort: number,
  ) {
    this.url = `opc.tcp://localhost:${port}`;
    server.on('connection', (client) => {
      const upstream = net.connect(targetPort, '127.0.0.1');
      const pair = { client, upstream };
      this.pairs.add(pair);
      const close = () => {
        this.pairs.delete(pair);
        client.destroy();
        upstream.destroy();
      };
      client.on('data', (d) => {
        if (!this.dropping) upstream.write(d);
      });
      upstream.on('data', (d) => {
        if (!this.dropping) client.write(d);
      });
      client.on('close', close);
      upstream.on('close', close);
      client.on('error', close);
      upstream.on('error', close);
    });
  }

  static async start(targetPort: number): Promise<TcpProxy> {
    const port = await freePort();
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    return new TcpProxy(server, port, targetPort);
  }

  get connections(): number {
    return this.pairs.size;
  }

  cut(): void {
    for (const { client, upstream } of this.pairs) {
      client.resetAndDestroy();
      upstream.resetAndDestroy();
    }
    this.pairs.clear();
  }

  blackhole(on: boolean): void {
    this.dropping = on;
  }

  async stop(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
