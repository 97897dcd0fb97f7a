import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ShoalError } from '../../protocol/index.js';

/**
 * A throwaway self-signed certificate for 127.0.0.1/localhost (needs the `openssl` CLI), for
 * local fakes of TLS-only endpoints (the `openai` package always dials Realtime over wss).
 */
export async function selfSignedCertificate(): Promise<{ key: string; cert: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'shoal-tls-'));
  try {
    await promisify(execFile)('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ]);
    return {
      key: await readFile(join(dir, 'key.pem'), 'utf8'),
      cert: await readFile(join(dir, 'cert.pem'), 'utf8'),
    };
  } catch (err) {
    throw new ShoalError(
      'UNAVAILABLE',
      `cannot make a test certificate with openssl: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
