import path from 'node:path';

// Tier tags for suites: scripts/test-tiers.mjs runs mocha once per tier with --grep @tier, so a
// suite belongs to the tier named in its title. Use these instead of a bare describe().
export type Tier = 'unit' | 'sqlite' | 'mysql' | 'docker' | 'e2e';

export function tierSuite(tier: Tier, title: string, body: (this: Mocha.Suite) => void): void {
  describe(`@${tier} ${title}`, body);
}

/** Where generated artifacts (screenshots, logs) of a test run go; ignored by git. */
export const ARTIFACTS_DIR = path.join(__dirname, '..', '..', 'test-artifacts');
