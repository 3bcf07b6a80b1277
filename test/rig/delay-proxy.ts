/**
 * A TCP proxy that adds network latency (bench/plan --rtt) and counts connections: every chunk is
 * delivered rtt/2 ms after it arrived, in both directions, in order; and a new connection carries
 * nothing until one round trip has passed (the TCP handshake a real network costs before the
 * first request). No TLS is emulated: the rig speaks plain HTTP, so real HTTPS would cost one more
 * round trip per new connection (TLS 1.3) than this measures.
 */
import net from 'node:net';

/** A running delay proxy. */
export interface DelayProxy {
  /** `127.0.0.1:PORT` */
  host: string;
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** Connections accepted so far. */
  connections(): number;
  stop(): Promise<void>;
}

/** Start a proxy on a free loopback port in front of `target` (`host:port`). */
export async function startDelayProxy(target: string, rttMs: number): Promise<DelayProxy> {
  const [targetHost, targetPort] = target.split(':');
  const oneWay = rttMs / 2;
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const server = net.createServer((client) => {
    connections += 1;
    const upstream = net.connect(Number(targetPort), targetHost);
    sockets.add(client); sockets.add(upstream);
    const open = Date.now() + rttMs; // the handshake: nothing arrives before one round trip
    // Same delay for every chunk of a direction, so timers fire in arrival order.
    const relay = (from: net.Socket, to: net.Socket, notBefore: number) => {
      from.on('data', (chunk: Buffer) => {
        const wait = Math.max(oneWay, notBefore - Date.now() + oneWay);
        setTimeout(() => { if (!to.destroyed) to.write(chunk); }, rttMs === 0 ? 0 : wait);
      });
      from.on('end', () => setTimeout(() => to.end(), oneWay));
      from.on('error', () => to.destroy());
      from.on('close', () => { sockets.delete(from); setTimeout(() => to.destroy(), oneWay); });
    };
    relay(client, upstream, open);
    relay(upstream, client, 0);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const host = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  return {
    host,
    url: `http://${host}`,
    connections: () => connections,
    stop: () => new Promise<void>((resolve) => { for (const s of sockets) s.destroy(); server.close(() => resolve()); }),
  };
}
