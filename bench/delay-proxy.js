// A TCP proxy that adds network latency, for bench/plan --rtt: every chunk is delivered
// rtt/2 ms after it arrived, in both directions, in order; and a new connection carries nothing
// until one round trip has passed (the TCP handshake a real network costs before the first
// request). No TLS is emulated: the rig speaks plain HTTP, so real HTTPS would cost one more round
// trip per new connection (TLS 1.3) than this measures.
import net from 'node:net';

/** Start a proxy on a free loopback port in front of `target` (`host:port`). */
export async function startDelayProxy(target, rttMs) {
  const [targetHost, targetPort] = target.split(':');
  const oneWay = rttMs / 2;
  const sockets = new Set();
  let connections = 0;
  const server = net.createServer((client) => {
    connections += 1;
    const upstream = net.connect(Number(targetPort), targetHost);
    sockets.add(client); sockets.add(upstream);
    const open = Date.now() + rttMs; // the handshake: nothing arrives before one round trip
    // Same delay for every chunk of a direction, so timers fire in arrival order.
    const relay = (from, to, notBefore) => {
      from.on('data', (chunk) => {
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
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const host = `127.0.0.1:${server.address().port}`;
  return {
    host,
    url: `http://${host}`,
    connections: () => connections,
    stop: () => new Promise((resolve) => { for (const s of sockets) s.destroy(); server.close(() => resolve()); }),
  };
}
