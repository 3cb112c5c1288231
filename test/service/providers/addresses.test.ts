// One loopback rule everywhere (issue 12: `http://git.localhost` was refused when saved but
// accepted by the git credential helper), and the addresses a provider URL may never name
// (issue 11: link-local, cloud metadata, unspecified), in every spelling.
import assert from 'node:assert/strict';
import { isLoopbackHost as doctorLoopback } from '../../../service/doctor/redact';
import { forbiddenAddressReason, isLoopbackHost } from '../../../service/providers/addresses';
import { gitProtocolAllowed } from '../../../service/providers/gitHosts';
import { validateProviderUrl } from '../../../service/providers/urls';
import { ProviderUrlSchema } from '../../../service/api/tokens';
import { tierSuite } from '../../support/tiers';

function savedByApi(url: string): boolean {
  return ProviderUrlSchema.safeParse(url).success;
}

function savedByProviders(url: string): boolean {
  try {
    validateProviderUrl(url);
    return true;
  } catch {
    return false;
  }
}

tierSuite('unit', 'one loopback rule and forbidden provider addresses', () => {
  const hosts = [
    'localhost',
    'LOCALHOST',
    'git.localhost',
    'a.b.localhost',
    '127.0.0.1',
    '127.8.9.10',
    '[::1]',
    '[::ffff:127.0.0.1]',
    'localhost.example.com',
    '127.0.0.1.nip.io',
    '10.0.0.1',
    '192.168.1.10',
    'git.example.com',
    '[::2]',
  ];

  it('plain http is accepted on saving (API and provider clients), by git and by the doctor alike', () => {
    for (const host of hosts) {
      const url = `http://${host}:3000`;
      const git = gitProtocolAllowed('http', `${host}:3000`);
      const answers = {
        api: savedByApi(url),
        providers: savedByProviders(url),
        git,
        doctor: doctorLoopback(new URL(url).hostname),
      };
      assert.deepEqual(
        answers,
        { api: git, providers: git, git, doctor: git },
        `${host}: ${JSON.stringify(answers)}`,
      );
    }
    // And which ones those are: loopback names and addresses only.
    assert.ok(gitProtocolAllowed('http', 'git.localhost:3000'));
    assert.ok(gitProtocolAllowed('http', '[::1]:3000'));
    assert.ok(!gitProtocolAllowed('http', '10.0.0.1:3000'));
    assert.ok(!gitProtocolAllowed('http', 'localhost.example.com'));
    assert.ok(gitProtocolAllowed('https', 'git.example.com'));
    assert.ok(!gitProtocolAllowed('ftp', 'localhost'));
  });

  it('knows loopback in its IPv4-mapped IPv6 spelling', () => {
    assert.ok(isLoopbackHost('[::ffff:7f00:1]'));
    assert.ok(isLoopbackHost('::ffff:127.0.0.1'));
    assert.ok(!isLoopbackHost('0.0.0.0'));
    assert.ok(!isLoopbackHost('::'));
  });

  it('link-local, metadata and unspecified addresses are refused when a URL is saved', () => {
    for (const url of [
      'https://169.254.169.254/latest',
      'http://169.254.169.254',
      'https://169.254.1.1',
      'https://[fd00:ec2::254]',
      'https://[fe80::1]',
      'https://[febf::1]',
      'https://0.0.0.0:3000',
      'https://0.1.2.3',
      'https://0/',
      'https://[::]',
      'https://[::ffff:169.254.169.254]',
      'https://[::ffff:a9fe:a9fe]',
      'https://[::ffff:0.0.0.0]',
      'https://0xa9.0xfe.0xa9.0xfe',
      'https://2852039166',
    ]) {
      assert.ok(!savedByApi(url), `API accepted ${url}`);
      assert.throws(
        () => validateProviderUrl(url),
        (e: unknown) => e instanceof Error && /must not name/.test(e.message),
        url,
      );
    }
  });

  it('loopback and private networks stay allowed', () => {
    for (const url of [
      'http://127.0.0.1:3000',
      'https://10.1.2.3',
      'https://192.168.0.5:8443/forgejo',
      'https://172.16.0.1',
      'https://[fd12:3456::1]',
      'https://[fec0::1]',
      'https://git.example.com',
    ]) {
      assert.ok(savedByApi(url), url);
      assert.ok(savedByProviders(url), url);
    }
  });

  it('classifies addresses, host names unresolved', () => {
    assert.match(forbiddenAddressReason('169.254.169.254') ?? '', /metadata/);
    assert.match(forbiddenAddressReason('fd00:ec2::254') ?? '', /metadata/);
    assert.match(forbiddenAddressReason('::') ?? '', /unspecified/);
    assert.equal(forbiddenAddressReason('metadata.google.internal'), undefined);
    assert.equal(forbiddenAddressReason('::1'), undefined);
  });
});
