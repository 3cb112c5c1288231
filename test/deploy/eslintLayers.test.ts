// Issue 12: the layer rules of eslint.config.mjs (README, "What is where"). ESLint itself lints
// planted sources at real paths, so a rule that stops matching (a moved folder, a deeper path, a
// renamed option, a later block that replaces an earlier one) fails here, not silently.
import assert from 'node:assert/strict';
import path from 'node:path';
import { ESLint } from 'eslint';
import { tierSuite } from '../support/tiers';

const REPO = path.join(__dirname, '..', '..');

async function restricted(filePath: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: REPO });
  const [result] = await eslint.lintText(code, { filePath: path.join(REPO, filePath) });
  return (result?.messages ?? [])
    .filter(
      (m) =>
        m.ruleId === 'no-restricted-imports' ||
        m.ruleId === '@typescript-eslint/no-restricted-imports' ||
        m.ruleId === 'no-restricted-syntax',
    )
    .map((m) => `${m.line}: ${m.ruleId}`);
}

tierSuite('unit', 'deploy: ESLint keeps service code out of the webview and protocol', function () {
  this.timeout(60_000); // the first lint loads typescript-eslint

  const refused = [
    "import { GIT_PROVIDERS } from '../service/vocabulary';\nexport const p = GIT_PROVIDERS;\n",
    "export { GIT_PROVIDERS } from '../service/vocabulary';\n",
    "export * from '../extension/client';\n",
    "import '../service/server';\n",
    "export const load = () => import('../service/vocabulary');\n",
  ];
  const allowed = [
    "import type { GitProvider } from '../service/vocabulary';\nexport type P = GitProvider;\n",
    "export type { AppRouter } from '../service/routers/_app';\n",
    "import type { ServiceError } from '../extension/client';\nexport type E = ServiceError;\n",
    "import { daysLeft } from './model';\nexport const d = daysLeft;\n",
  ];

  for (const [i, code] of refused.entries()) {
    it(`refuses service or host code as a value (${i + 1}: ${code.split('\n')[0]})`, async () => {
      for (const file of ['protocol/planted.ts', 'webview/planted.ts']) {
        assert.equal((await restricted(file, code)).length, 1, `${file}: ${code}`);
      }
      // Deeper in the webview, the same import climbs one folder more.
      const deeper = code.replace(/'\.\.\//g, "'../../");
      assert.equal((await restricted('webview/sections/planted.ts', deeper)).length, 1, deeper);
    });
  }

  for (const [i, code] of allowed.entries()) {
    it(`lets types through (${i + 1}: ${code.split('\n')[0]})`, async () => {
      for (const file of ['protocol/planted.ts', 'webview/planted.ts']) {
        assert.deepEqual(await restricted(file, code), [], `${file}: ${code}`);
      }
    });
  }

  it('the extension host itself may import service code (the rule is the webview’s)', async () => {
    const code =
      "import { envVarRefusal } from '../service/envNames';\nexport const r = envVarRefusal;\n";
    assert.deepEqual(await restricted('extension/planted.ts', code), []);
  });
});

tierSuite('unit', 'deploy: ESLint refuses an arrow up the service layers', function () {
  this.timeout(60_000);

  const cases: { file: string; code: string; refused: boolean }[] = [
    {
      file: 'service/store/planted.ts',
      code: "import { x } from '../commands/user';",
      refused: true,
    },
    {
      file: 'service/store/planted.ts',
      code: "import { x } from '../domain/tokens';",
      refused: true,
    },
    { file: 'service/store/planted.ts', code: "import { x } from '../http/app';", refused: true },
    {
      file: 'service/store/planted.ts',
      code: "import { x } from '../workspaces/service';",
      refused: true,
    },
    {
      file: 'service/store/planted.ts',
      code: "import { x } from '../vocabulary';",
      refused: false,
    },
    { file: 'service/domain/planted.ts', code: "import { x } from '../http/app';", refused: true },
    {
      file: 'service/domain/planted.ts',
      code: "import { x } from '../commands/user';",
      refused: true,
    },
    {
      file: 'service/workspaces/planted.ts',
      code: "import { x } from '../gateway/app';",
      refused: true,
    },
    {
      file: 'service/domain/planted.ts',
      code: "import { x } from '../store/users';",
      refused: false,
    },
    {
      file: 'service/store/migrations/0099_planted.ts',
      code: "import { x } from '../dialect';",
      refused: true,
    },
    {
      file: 'service/store/migrations/0099_planted.ts',
      code: "import { x } from './frozenTypes';",
      refused: false,
    },
  ];
  for (const c of cases) {
    it(`${c.file}: ${c.code} is ${c.refused ? 'refused' : 'allowed'}`, async () => {
      const found = await restricted(c.file, `${c.code}\nexport const y = x;\n`);
      assert.equal(found.length, c.refused ? 1 : 0, found.join('; '));
    });
  }
});
