/**
 * A forward proxy as corporate networks run them (squid's behaviour, RFC 9110 §9.3.6 CONNECT and
 * §7.1 absolute-form requests): plain-HTTP requests arrive in absolute form
 * (`GET http://host/path`) and are forwarded; HTTPS goes through a `CONNECT host:port` tunnel.
 * It records everything it carries, so tests can tell what went through it and what did not.
 * It only connects to loopback addresses: a test can never use it to reach anything else.
 */
import { createServer, request as httpRequest } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';

/** One thing the proxy carried. */
export interface Carried {
  kind: 'http' | 'connect';
  /** `127.0.0.1:5000` */
  host: string;
  /** HTTP method (CONNECT for tunnels). */
  method: string;
  /** Path and query of a forwarded request; empty for a tunnel. */
  path: string;
}

/** A running forward proxy. */
export interface ForwardProxy {
  /** `http://127.0.0.1:PORT`, for HTTP_PROXY / HTTPS_PROXY. */
  url: string;
  carried: Carried[];
  stop(): Promise<void>;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/;

/** Start the proxy on a free loopback port. */
export async function startForwardProxy(): Promise<ForwardProxy> {
  const carried: Carried[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    let target: URL;
    try { target = new URL(req.url ?? ''); } catch { res.writeHead(400).end('absolute-form request expected'); return; }
    if (target.protocol !== 'http:' || !LOOPBACK.test(target.hostname)) { res.writeHead(403).end('the rig proxy reaches loopback only'); return; }
    carried.push({ kind: 'http', host: target.host, method: req.method ?? 'GET', path: target.pathname + target.search });
    const headers = { ...req.headers };
    delete headers['proxy-connection'];
    const upstream = httpRequest({ host: target.hostname, port: Number(target.port || 80), method: req.method, path: target.pathname + target.search, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => { if (!res.headersSent) res.writeHead(502); res.end(); });
    req.pipe(upstream);
  });
  server.on('connect', (req, client: Socket, head: Buffer) => {
    const [hostname, port] = (req.url ?? '').split(/:(?=\d+$)/);
    if (!LOOPBACK.test(hostname) || !port) { client.end('HTTP/1.1 403 Forbidden\r\n\r\n'); return; }
    carried.push({ kind: 'connect', host: `${hostname}:${port}`, method: 'CONNECT', path: '' });
    const upstream = connect(Number(port), hostname.replace(/^\[|\]$/g, ''), () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream); sockets.add(client);
    const drop = () => { upstream.destroy(); client.destroy(); };
    upstream.on('error', drop); client.on('error', drop);
    upstream.on('close', () => sockets.delete(upstream)); client.on('close', () => sockets.delete(client));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    carried,
    stop: async () => {
      for (const s of sockets) s.destroy();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
