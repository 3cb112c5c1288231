// The boundary rules of CONTRACT.md section 5 as the zod schemas state them, and the way errors
// are turned into the words a client sees.
import assert from 'node:assert/strict';
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { NameSchema } from '../../../service/api/common';
import { GitCredentialInput } from '../../../service/api/gitCredential';
import {
  CreateTokenInput,
  ProviderUrlSchema,
  RestCreateTokenInput,
  TokenSecretSchema,
} from '../../../service/api/tokens';
import { describeIssues, publicMessage } from '../../../service/httpErrors';
import { tierSuite } from '../../support/tiers';

tierSuite('unit', 'input schemas and error words', () => {
  it('provider URLs are https, or http to loopback only', () => {
    for (const ok of [
      'https://git.example.com',
      'https://git.example.com:8443/sub',
      'http://127.0.0.1:3000',
      'http://127.9.9.9',
      'http://[::1]:8080',
      'http://localhost:3000',
    ]) {
      assert.ok(ProviderUrlSchema.safeParse(ok).success, ok);
    }
    for (const bad of [
      'http://git.example.com',
      'http://localhost.evil.example',
      'http://10.0.0.1',
      'ftp://git.example.com',
      'javascript:alert(1)',
      'https://git.example.com/\r\nX: y',
    ]) {
      assert.ok(!ProviderUrlSchema.safeParse(bad).success, bad);
    }
  });

  it('names are 1-100 of letters, digits, dot, underscore and dash', () => {
    assert.ok(NameSchema.safeParse('work_2.main-x').success);
    for (const bad of ['', 'a b', 'a/b', 'ä', 'x'.repeat(101), 'a\u0000']) {
      assert.ok(!NameSchema.safeParse(bad).success, JSON.stringify(bad));
    }
  });

  it('tokens: up to 4096 characters, no control characters', () => {
    assert.ok(TokenSecretSchema.safeParse('t'.repeat(4096)).success);
    for (const bad of ['', 't'.repeat(4097), 'a\nb', 'a\rb', 'a\u0000b', 'a\tb']) {
      assert.ok(!TokenSecretSchema.safeParse(bad).success);
    }
  });

  it('a custom AI key needs envVar; other providers refuse it', () => {
    const base = { type: 'ai_token', token: 'k' } as const;
    assert.ok(!CreateTokenInput.safeParse({ ...base, provider: 'custom' }).success);
    assert.ok(
      CreateTokenInput.safeParse({ ...base, provider: 'custom', envVar: 'MY_KEY' }).success,
    );
    assert.ok(
      !CreateTokenInput.safeParse({ ...base, provider: 'openai', envVar: 'MY_KEY' }).success,
    );
    assert.ok(!CreateTokenInput.safeParse({ ...base, provider: 'custom', envVar: '1BAD' }).success);
  });

  it("the REST body infers the type and takes the original design's 'ai_provider'", () => {
    assert.ok(RestCreateTokenInput.safeParse({ provider: 'github', token: 'x' }).success);
    assert.ok(
      RestCreateTokenInput.safeParse({ provider: 'openai', token: 'x', type: 'ai_provider' })
        .success,
    );
    assert.ok(
      !RestCreateTokenInput.safeParse({ provider: 'github', token: 'x', type: 'ai_provider' })
        .success,
    );
  });

  it('git credential requests refuse control characters in the host', () => {
    assert.ok(GitCredentialInput.safeParse({ protocol: 'https', host: 'github.com' }).success);
    assert.ok(!GitCredentialInput.safeParse({ protocol: 'https', host: 'github.com\nx' }).success);
  });

  it('issues become one sentence that names each field', () => {
    const result = CreateTokenInput.safeParse({
      type: 'git_token',
      provider: 'github',
      name: 'a b',
    });
    assert.ok(!result.success);
    assert.equal(
      describeIssues(result.error.issues),
      "invalid input: name may contain only letters, digits, '.', '_' and '-'; token is required",
    );
    const generic = z.object({ n: z.number() }).safeParse({ n: 'x' });
    assert.ok(!generic.success);
    assert.match(describeIssues(generic.error.issues), /^invalid input: n: expected number/);
  });

  it('unexpected errors and JSON parse failures never show their own text', () => {
    const internal = new TRPCError({
      code: 'INTERNAL_SERVER_ERROR',
      cause: new Error('insert into credentials values (secret)'),
    });
    assert.equal(publicMessage(internal), 'internal error');
    let syntax: unknown;
    try {
      JSON.parse('{"token": "ghp_secret');
    } catch (err) {
      syntax = err;
    }
    const parse = new TRPCError({ code: 'BAD_REQUEST', cause: syntax });
    assert.equal(publicMessage(parse), 'the request is not valid JSON');
    assert.equal(publicMessage(new TRPCError({ code: 'CONFLICT', message: 'taken' })), 'taken');
  });
});
