// One row per AI gateway call, and the usage report over them: requests and reported tokens per
// user, provider and model since a time.
import { randomUUID } from 'node:crypto';
import type { Executor } from './database';

export interface NewAiUsage {
  userId: string;
  workspaceId: string | null;
  credentialId: string | null;
  provider: string;
  name: string | null;
  model: string | null;
  status: number;
  inputTokens: number | null;
  outputTokens: number | null;
  at?: number;
}

export async function recordAiUsage(db: Executor, u: NewAiUsage): Promise<void> {
  await db
    .insertInto('ai_usage')
    .values({
      id: randomUUID(),
      user_id: u.userId,
      workspace_id: u.workspaceId?.slice(0, 128) ?? null,
      credential_id: u.credentialId,
      provider: u.provider.slice(0, 16),
      name: u.name?.slice(0, 100) ?? null,
      model: u.model?.slice(0, 200) ?? null,
      status: u.status,
      input_tokens: u.inputTokens,
      output_tokens: u.outputTokens,
      created_at: u.at ?? Date.now(),
    })
    .execute();
}

export interface AiUsageLine {
  userId: string;
  username: string;
  provider: string;
  model: string | null;
  requests: number;
  failed: number;
  inputTokens: number;
  outputTokens: number;
}

/** Usage since `since` (epoch ms), per user, provider and model; one user's when userId is set. */
export async function summarizeAiUsage(
  db: Executor,
  filter: { since: number; userId?: string },
): Promise<AiUsageLine[]> {
  let q = db
    .selectFrom('ai_usage')
    .innerJoin('users', 'users.id', 'ai_usage.user_id')
    .select(['ai_usage.user_id', 'users.username', 'ai_usage.provider', 'ai_usage.model'])
    .select((eb) => [
      eb.fn.countAll().as('requests'),
      eb.fn.sum(eb.case().when('ai_usage.status', '>=', 400).then(1).else(0).end()).as('failed'),
      eb.fn.sum('ai_usage.input_tokens').as('input_tokens'),
      eb.fn.sum('ai_usage.output_tokens').as('output_tokens'),
    ])
    .where('ai_usage.created_at', '>=', filter.since);
  if (filter.userId) q = q.where('ai_usage.user_id', '=', filter.userId);
  const rows = await q
    .groupBy(['ai_usage.user_id', 'users.username', 'ai_usage.provider', 'ai_usage.model'])
    .orderBy('users.username')
    .orderBy('ai_usage.provider')
    .orderBy('ai_usage.model')
    .execute();
  // SUM comes back as a string on MySQL and may be null when every value was null.
  const n = (v: unknown) => (v === null || v === undefined ? 0 : Number(v));
  return rows.map((r) => ({
    userId: r.user_id,
    username: r.username,
    provider: r.provider,
    model: r.model,
    requests: n(r.requests),
    failed: n(r.failed),
    inputTokens: n(r.input_tokens),
    outputTokens: n(r.output_tokens),
  }));
}
