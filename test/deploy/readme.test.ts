// The operator documentation keeps up with the contract: every configuration variable of
// CONTRACT section 2 and every operations command appears in README's "Operating the service".
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { tierSuite } from '../support/tiers';

const README = path.join(__dirname, '..', '..', 'README.md');

const VARIABLES = [
  'CREDENTIAL_HOST',
  'CREDENTIAL_PORT',
  'CREDENTIAL_DATABASE_URL',
  'CREDENTIAL_ENCRYPTION_KEY',
  'CREDENTIAL_ENCRYPTION_KEY_FILE',
  'CREDENTIAL_SESSION_TIMEOUT',
  'CREDENTIAL_AUDIT_RETENTION_DAYS',
  'CREDENTIAL_TLS_CERT',
  'CREDENTIAL_TLS_KEY',
  'CREDENTIAL_PUBLIC_URL',
  'DOCKER_HOST',
  'GITHUB_API_URL',
  'GITLAB_URL',
  'OPENAI_BASE_URL',
  'ANTHROPIC_BASE_URL',
  'GOOGLE_AI_BASE_URL',
  'CREDENTIAL_NEW_ENCRYPTION_KEY',
];

tierSuite('unit', 'deploy: operator documentation', function () {
  const text = readFileSync(README, 'utf8');
  const start = text.indexOf('\n## Operating the service');
  const section = text.slice(start);

  it('has the operator sections', function () {
    assert.ok(start > 0, 'README needs "## Operating the service"');
    for (const heading of [
      'Architecture',
      'Security model',
      'Configuration',
      'First run',
      'doctor',
      'Key rotation',
      'Backup and restore',
      'Audit export and retention',
      'Upgrades and migrations',
      'Scaling out',
    ]) {
      assert.match(section, new RegExp(`^### .*${heading}`, 'm'), heading);
    }
  });

  it('documents every configuration variable in the configuration table', function () {
    const table = section.slice(
      section.indexOf('### Configuration'),
      section.indexOf('### First run'),
    );
    for (const v of VARIABLES) assert.match(table, new RegExp(`\`${v}\``), v);
  });

  it('shows the operations commands', function () {
    for (const cmd of [
      'doctor',
      'user add',
      'rotate-key',
      'backup',
      'restore',
      'audit export',
      'migrate',
    ]) {
      assert.match(section, new RegExp(`xares-credentials\\.js ${cmd}`), cmd);
    }
  });
});
