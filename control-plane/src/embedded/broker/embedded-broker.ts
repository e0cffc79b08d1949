import { once } from 'node:events';
import type { AddressInfo, Socket } from 'node:net';
import tls from 'node:tls';
import { Aedes, type AuthenticateError, type Client } from 'aedes';
import type { BrokerIdentity } from '@edgefleet/protocol';
import { decideConnect, decidePublish, decideSubscribe, peerCommonName } from './access-control.js';

export interface EmbeddedBrokerOptions {
  /** 0 picks a free port. */
  port: number;
  /** Default '0.0.0.0'. */
  host?: string;
  /** The broker's server certificate and the fleet CA(s) client certificates must chain to. */
  tls: { keyPem: string; certPem: string; caPem: string[] };
  /** Refuses a CONNECT whose certificate CN is revoked (checked at connect time). */
  isRevoked?: (commonName: string) => boolean | Promise<boolean>;
  log?: (level: 'debug' | 'info' | 'warn', message: string) => void;
}

export interface EmbeddedBroker {
  port: number;
  /** `mqtts://localhost:{port}` */
  url: string;
  clientCount(): number;
  close(): Promise<void>;
}

/** CONNACK return code 5, "Connection Refused, not authorized" [MQTT-3.2.2.3]. */
const NOT_AUTHORIZED = 5;

function notAuthorized(): AuthenticateError {
  return Object.assign(new Error('not authorized'), { returnCode: NOT_AUTHORIZED }) as AuthenticateError;
}

/**
 * The embedded fleet broker for `npm start` and tests: aedes (MQTT 3.1.1) behind a mutual-TLS
 * listener, enforcing the same identities and topic rules as the production brokers.
 *
 * A publish the rule denies closes the client's connection (aedes can refuse a PUBLISH only by
 * disconnecting; Mosquitto instead acknowledges and drops it). Either way nothing is delivered;
 * clients must not publish outside their namespace in the first place.
 * A denied subscription gets the SUBACK failure code 0x80 [MQTT-3.9.3-2].
 */
export async function startEmbeddedBroker(opts: EmbeddedBrokerOptions): Promise<EmbeddedBroker> {
  const log = opts.log ?? (() => {});
  const identities = new WeakMap<Client, BrokerIdentity>();
  const wills = new WeakMap<Client, { topic: string } | undefined>();

  const aedes = await Aedes.createBroker({
    preConnect: (client, packet, done) => {
      wills.set(client, packet.will ? { topic: packet.will.topic } : undefined);
      done(null, true);
    },
    authenticate: (client, _username, _password, done) => {
      const commonName = peerCommonName(client.conn as tls.TLSSocket);
      const decide = async (): Promise<void> => {
        const revoked = commonName !== undefined && opts.isRevoked ? await opts.isRevoked(commonName) : false;
        const decision = decideConnect({ commonName, clientId: client.id, will: wills.get(client), revoked });
        if (!decision.ok) {
          log('warn', `refused connection (client id ${JSON.stringify(client.id)}): ${decision.reason}`);
          done(notAuthorized(), false);
          return;
        }
        identities.set(client, decision.identity);
        done(null, true);
      };
      decide().catch((err: unknown) => {
        log('warn', `refused connection: revocation check failed: ${(err as Error).message}`);
        done(Object.assign(new Error('server unavailable'), { returnCode: 3 }) as AuthenticateError, false);
      });
    },
    authorizePublish: (client, packet, done) => {
      // A null client is the broker itself (e.g. a will restored from persistence).
      if (!client) return done(null);
      const identity = identities.get(client);
      if (identity && decidePublish(identity, packet.topic)) return done(null);
      log('warn', `denied publish to ${packet.topic} by ${client.id}; disconnecting it`);
      done(new Error(`publish to ${packet.topic} not allowed`));
    },
    authorizeSubscribe: (client, subscription, done) => {
      const identity = identities.get(client);
      if (identity && decideSubscribe(identity, subscription.topic)) return done(null, subscription);
      log('warn', `denied subscription to ${subscription.topic} by ${client.id}`);
      done(null, null);
    },
  });

  aedes.on('clientReady', (client) => log('debug', `client ${client.id} connected`));
  aedes.on('clientDisconnect', (client) => log('debug', `client ${client.id} disconnected`));
  aedes.on('clientError', (client, err) => log('debug', `client ${client.id}: ${err.message}`));
  aedes.on('connectionError', (_client, err) => log('debug', `connection error: ${err.message}`));

  const sockets = new Set<Socket>();
  const server = tls.createServer({
    key: opts.tls.keyPem,
    cert: opts.tls.certPem,
    ca: opts.tls.caPem,
    requestCert: true,
    rejectUnauthorized: true,
  });
  server.on('connection', (socket: Socket) => {
    // QoS 1 with a bounded in-flight window stalls on Nagle + delayed ACK (≈ 45 ms per window).
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('secureConnection', (socket) => {
    aedes.handle(socket);
  });
  server.on('tlsClientError', (err) => log('debug', `TLS handshake refused: ${err.message}`));

  try {
    server.listen(opts.port, opts.host ?? '0.0.0.0');
    await Promise.race([once(server, 'listening'), once(server, 'error').then(([err]) => Promise.reject(err as Error))]);
  } catch (err) {
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    throw err;
  }
  const port = (server.address() as AddressInfo).port;
  log('info', `MQTT broker listening on mqtts://localhost:${port}`);

  let closing: Promise<void> | undefined;
  return {
    port,
    url: `mqtts://localhost:${port}`,
    clientCount: () => aedes.connectedClients,
    close: () => {
      closing ??= (async () => {
        const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
        await new Promise<void>((resolve) => aedes.close(() => resolve()));
        // Connections still in the TLS handshake never reached aedes.
        for (const socket of sockets) socket.destroy();
        await serverClosed;
      })();
      return closing;
    },
  };
}
