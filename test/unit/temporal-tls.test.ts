import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type TemporalTlsConfig, type TributaryConfig } from '../../src/config/config.js';
import { ConfigError } from '../../src/config/errors.js';
import { connectClient, connectWorker } from '../../src/worker/temporal-connection.js';
import { loadTemporalTls, TemporalTlsError } from '../../src/worker/temporal-tls.js';

let dir: string;
const at = (name: string): string => join(dir, name);
const openssl = (...args: string[]): void => {
  execFileSync('openssl', args, { stdio: 'ignore' });
};

/** A self-signed certificate and its key, valid for `days`. */
function selfSigned(name: string, days = 30): void {
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', String(days), '-subj', `/CN=${name}`, '-keyout', at(`${name}.key`), '-out', at(`${name}.pem`));
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'temporal-tls-'));
  selfSigned('ca');
  selfSigned('client');
  selfSigned('other');
  openssl('pkey', '-in', at('client.key'), '-aes256', '-passout', 'pass:secret', '-out', at('client-encrypted.key'));
  writeFileSync(at('not-pem.txt'), 'hello\n');
  writeFileSync(at('broken.pem'), '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const tls = (files: Partial<TemporalTlsConfig>): TemporalTlsConfig => ({ caFile: undefined, certFile: undefined, keyFile: undefined, serverName: undefined, ...files });

function tlsError(files: Partial<TemporalTlsConfig>, now?: Date): TemporalTlsError {
  try {
    loadTemporalTls(tls(files), now);
  } catch (error) {
    if (error instanceof TemporalTlsError) return error;
    throw error;
  }
  throw new Error('expected a TemporalTlsError');
}

describe('loadTemporalTls', () => {
  it('is undefined with TLS off', () => {
    expect(loadTemporalTls(undefined)).toBeUndefined();
  });

  it('reads a CA, a client pair and the server name into the SDK options', () => {
    const options = loadTemporalTls(tls({ caFile: at('ca.pem'), certFile: at('client.pem'), keyFile: at('client.key'), serverName: 'ns.a1b2c.tmprl.cloud' }));
    expect(options).toStrictEqual({
      serverNameOverride: 'ns.a1b2c.tmprl.cloud',
      serverRootCACertificate: readFileSync(at('ca.pem')),
      clientCertPair: { crt: readFileSync(at('client.pem')), key: readFileSync(at('client.key')) },
    });
  });

  it('accepts TLS with the system roots and no client certificate (API-key auth)', () => {
    expect(loadTemporalTls(tls({}))).toStrictEqual({});
  });

  it('refuses a CA file without a certificate', () => {
    expect(tlsError({ caFile: at('not-pem.txt') }).message).toBe(
      `Temporal TLS is misconfigured: TRIBUTARY_TEMPORAL_TLS_CA_FILE ${at('not-pem.txt')} holds no PEM certificate (no -----BEGIN CERTIFICATE----- block)`,
    );
  });

  it('refuses a certificate block that does not parse', () => {
    expect(tlsError({ caFile: at('broken.pem') }).message).toMatch(
      new RegExp(`^Temporal TLS is misconfigured: TRIBUTARY_TEMPORAL_TLS_CA_FILE ${at('broken.pem')}: certificate 1 does not parse \\(.+\\)$`),
    );
  });

  it('refuses a key file that holds a certificate instead of a key', () => {
    expect(tlsError({ certFile: at('client.pem'), keyFile: at('client.pem') }).message).toMatch(
      new RegExp(`^Temporal TLS is misconfigured: TRIBUTARY_TEMPORAL_TLS_KEY_FILE ${at('client.pem')} is not a PEM private key \\(.+\\)$`),
    );
  });

  it('refuses an encrypted key and says how to decrypt it', () => {
    expect(tlsError({ certFile: at('client.pem'), keyFile: at('client-encrypted.key') }).message).toBe(
      `Temporal TLS is misconfigured: TRIBUTARY_TEMPORAL_TLS_KEY_FILE ${at('client-encrypted.key')} is an encrypted private key; ` +
        'the Temporal client needs it unencrypted (openssl pkey -in <key> -out <plain key>)',
    );
  });

  it('refuses a certificate and key that are not one pair', () => {
    expect(tlsError({ certFile: at('client.pem'), keyFile: at('other.key') }).message).toBe(
      `Temporal TLS is misconfigured: the client certificate ${at('client.pem')} and the private key ${at('other.key')} do not belong together`,
    );
  });

  it('refuses an expired client certificate', () => {
    const validTo = new Date(new X509Certificate(readFileSync(at('client.pem'))).validTo);
    const later = new Date(validTo.getTime() + 86_400_000);
    expect(tlsError({ certFile: at('client.pem'), keyFile: at('client.key') }, later).message).toBe(
      `Temporal TLS is misconfigured: the client certificate ${at('client.pem')} expired on ${validTo.toISOString()}`,
    );
  });

  it('lists every problem at once', () => {
    const error = tlsError({ caFile: at('missing.pem'), certFile: at('not-pem.txt'), keyFile: at('other.key') });
    expect(error.problems).toStrictEqual([
      `TRIBUTARY_TEMPORAL_TLS_CA_FILE ${at('missing.pem')} cannot be read (ENOENT)`,
      `TRIBUTARY_TEMPORAL_TLS_CERT_FILE ${at('not-pem.txt')} holds no PEM certificate (no -----BEGIN CERTIFICATE----- block)`,
    ]);
  });
});

describe('connecting with unusable TLS files', () => {
  const config = (): TributaryConfig => {
    const base = loadConfig({ env: {} });
    // An address nothing listens on: the refusal must come before any connection attempt.
    return { ...base, temporal: { ...base.temporal, address: '127.0.0.1:1', tls: tls({ certFile: at('client.pem'), keyFile: at('other.key') }) } };
  };

  it('fails the client and the worker connection with the TLS problem, not a network error', async () => {
    await expect(connectClient(config())).rejects.toThrow(TemporalTlsError);
    await expect(connectWorker(config())).rejects.toThrow(/do not belong together/);
  });
});

describe('Temporal API key configuration', () => {
  it('refuses an API key with TLS off, naming the switch', () => {
    const error = (() => {
      try {
        loadConfig({ env: { TRIBUTARY_TEMPORAL_API_KEY: 'tmprl-secret-key' } });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(
      'invalid configuration (1 problem):\n' +
        '  TRIBUTARY_TEMPORAL_API_KEY (environment): is set but TRIBUTARY_TEMPORAL_TLS is not true; an API key is only sent over TLS (Temporal Cloud requires it), so enable TLS or remove the key',
    );
    expect((error as Error).message).not.toContain('tmprl-secret-key');
  });

  it('accepts an API key with TLS on (Temporal Cloud: address, namespace, key)', () => {
    const config = loadConfig({
      env: {
        TRIBUTARY_TEMPORAL_ADDRESS: 'eu-west-1.aws.api.temporal.io:7233',
        TRIBUTARY_TEMPORAL_NAMESPACE: 'tributary.a1b2c',
        TRIBUTARY_TEMPORAL_TLS: 'true',
        TRIBUTARY_TEMPORAL_API_KEY: 'tmprl-secret-key',
      },
    });
    expect(config.temporal).toMatchObject({ address: 'eu-west-1.aws.api.temporal.io:7233', namespace: 'tributary.a1b2c', apiKey: 'tmprl-secret-key' });
    expect(config.temporal.tls).toStrictEqual(tls({}));
  });
});
