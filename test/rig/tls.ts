/** A throwaway CA and a server certificate for 127.0.0.1 and localhost, made with openssl (P-256, one day). */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';

/** Files of a test PKI. */
export interface TestPki {
  ca: string;
  certificate: string;
  key: string;
}

/** Create the CA and the server certificate in `dir`. */
export async function createTestPki(dir: string): Promise<TestPki> {
  const f = (name: string) => path.join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await execa('openssl', ['req', '-x509', ...ec, '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '1', '-subj', '/CN=mirror test CA']);
  await execa('openssl', ['req', ...ec, '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=127.0.0.1']);
  await writeFile(f('ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n');
  await execa('openssl', ['x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('server.pem'), '-days', '1', '-extfile', f('ext.cnf')]);
  return { ca: f('ca.pem'), certificate: f('server.pem'), key: f('server.key') };
}
