/**
 * Temporal's TLS files, read and checked before a connection is attempted: a CA or client
 * certificate that is not a certificate, a key that is not a usable private key, or a pair that
 * does not belong together otherwise surfaces as a handshake failure that names none of them.
 */
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { TLSConfig } from '@temporalio/worker';
import type { TemporalTlsConfig } from '../config/config.js';
import { reasonOf, TributaryError } from '../errors/tributary-error.js';

/** One or more of the configured TLS files cannot be used; lists every problem. Never retriable. */
export class TemporalTlsError extends TributaryError {
  override readonly name = 'TemporalTlsError';

  constructor(readonly problems: readonly string[]) {
    super(`Temporal TLS is misconfigured: ${problems.join('; ')}`);
  }
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The setting that names a file, as the environment spells it. */
const SETTING = {
  caFile: 'TRIBUTARY_TEMPORAL_TLS_CA_FILE',
  certFile: 'TRIBUTARY_TEMPORAL_TLS_CERT_FILE',
  keyFile: 'TRIBUTARY_TEMPORAL_TLS_KEY_FILE',
} as const;

type FileSetting = keyof typeof SETTING;

function readPem(setting: FileSetting, path: string, problems: string[]): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    problems.push(`${SETTING[setting]} ${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? reasonOf(error)})`);
    return undefined;
  }
}

/** Every certificate of a PEM bundle, parsed; a problem for a file with none or with one that does not parse. */
function certificates(setting: FileSetting, path: string, text: string, problems: string[]): X509Certificate[] {
  const blocks = text.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) {
    problems.push(`${SETTING[setting]} ${path} holds no PEM certificate (no -----BEGIN CERTIFICATE----- block)`);
    return [];
  }
  const parsed: X509Certificate[] = [];
  for (const [index, block] of blocks.entries()) {
    try {
      parsed.push(new X509Certificate(block));
    } catch (error) {
      problems.push(`${SETTING[setting]} ${path}: certificate ${index + 1} does not parse (${reasonOf(error)})`);
    }
  }
  return parsed;
}

function privateKey(path: string, text: string, problems: string[]): KeyObject | undefined {
  if (/ENCRYPTED/.test(text)) {
    problems.push(`${SETTING.keyFile} ${path} is an encrypted private key; the Temporal client needs it unencrypted (openssl pkey -in <key> -out <plain key>)`);
    return undefined;
  }
  try {
    return createPrivateKey(text);
  } catch (error) {
    problems.push(`${SETTING.keyFile} ${path} is not a PEM private key (${reasonOf(error)})`);
    return undefined;
  }
}

function checkClientPair(certPath: string, certificate: X509Certificate, keyPath: string, key: KeyObject, now: Date, problems: string[]): void {
  if (!certificate.checkPrivateKey(key)) {
    problems.push(`the client certificate ${certPath} and the private key ${keyPath} do not belong together`);
  }
  if (new Date(certificate.validTo) < now) {
    problems.push(`the client certificate ${certPath} expired on ${new Date(certificate.validTo).toISOString()}`);
  }
}

/**
 * Reads the configured files into the SDK's TLS options, or throws a {@link TemporalTlsError}
 * naming every unusable file. Undefined when TLS is off.
 */
export function loadTemporalTls(tls: TemporalTlsConfig | undefined, now: Date = new Date()): TLSConfig | undefined {
  if (tls === undefined) return undefined;
  const problems: string[] = [];
  const ca = tls.caFile === undefined ? undefined : readPem('caFile', tls.caFile, problems);
  if (ca !== undefined && tls.caFile !== undefined) certificates('caFile', tls.caFile, ca, problems);
  const crt = tls.certFile === undefined ? undefined : readPem('certFile', tls.certFile, problems);
  const key = tls.keyFile === undefined ? undefined : readPem('keyFile', tls.keyFile, problems);
  const [certificate] = crt !== undefined && tls.certFile !== undefined ? certificates('certFile', tls.certFile, crt, problems) : [];
  const keyObject = key !== undefined && tls.keyFile !== undefined ? privateKey(tls.keyFile, key, problems) : undefined;
  if (certificate && keyObject && tls.certFile !== undefined && tls.keyFile !== undefined) checkClientPair(tls.certFile, certificate, tls.keyFile, keyObject, now, problems);
  if (problems.length > 0) throw new TemporalTlsError(problems);
  return {
    ...(tls.serverName === undefined ? {} : { serverNameOverride: tls.serverName }),
    ...(ca === undefined ? {} : { serverRootCACertificate: Buffer.from(ca) }),
    ...(crt !== undefined && key !== undefined ? { clientCertPair: { crt: Buffer.from(crt), key: Buffer.from(key) } } : {}),
  };
}
