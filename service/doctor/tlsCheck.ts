// Checks the TLS files the service would serve HTTPS with: readable, a certificate and its
// matching private key, and in date. Without TLS, warns when the service listens beyond loopback.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Config } from '../config';
import { isLoopbackHost } from './redact';
import { describeError } from './timeout';
import type { CheckResult } from './types';

const SOON_MS = 14 * 24 * 3600 * 1000;

export function checkTls(config: Config, now = Date.now()): CheckResult {
  if (!config.tls) {
    if (isLoopbackHost(config.host)) {
      return { name: 'tls', status: 'ok', message: `plain HTTP on loopback (${config.host})` };
    }
    return {
      name: 'tls',
      status: 'warn',
      message: `plain HTTP on ${config.host}: tokens and passwords cross the network unencrypted unless a TLS proxy is in front`,
      fix: 'publish the service only through a TLS-terminating proxy, or set CREDENTIAL_TLS_CERT and CREDENTIAL_TLS_KEY',
    };
  }
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(readFileSync(config.tls.cert));
  } catch (err) {
    return {
      name: 'tls',
      status: 'fail',
      message: `CREDENTIAL_TLS_CERT ${config.tls.cert} is not a readable PEM certificate: ${describeError(err)}`,
      fix: 'point CREDENTIAL_TLS_CERT at a PEM certificate file the service user can read',
    };
  }
  try {
    const key = createPrivateKey(readFileSync(config.tls.key));
    if (!cert.checkPrivateKey(key)) {
      return {
        name: 'tls',
        status: 'fail',
        message: `CREDENTIAL_TLS_KEY ${config.tls.key} is not the private key of CREDENTIAL_TLS_CERT`,
        fix: 'use the key the certificate was issued for',
      };
    }
  } catch (err) {
    return {
      name: 'tls',
      status: 'fail',
      message: `CREDENTIAL_TLS_KEY ${config.tls.key} is not a readable PEM private key: ${describeError(err)}`,
      fix: 'point CREDENTIAL_TLS_KEY at an unencrypted PEM key file the service user can read',
    };
  }
  const validTo = Date.parse(cert.validTo);
  const subject = cert.subject.replace(/\n/g, ', ');
  if (validTo <= now) {
    return {
      name: 'tls',
      status: 'fail',
      message: `the certificate (${subject}) expired on ${cert.validTo}`,
      fix: 'renew the certificate',
    };
  }
  if (validTo - now < SOON_MS) {
    return {
      name: 'tls',
      status: 'warn',
      message: `the certificate (${subject}) expires on ${cert.validTo}`,
      fix: 'renew the certificate soon',
    };
  }
  return {
    name: 'tls',
    status: 'ok',
    message: `certificate ${subject}, valid until ${cert.validTo}`,
  };
}
