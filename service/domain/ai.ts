// The caller's AI gateway usage: requests and reported tokens per provider and model, today and
// this month (UTC).
import type { AiUsageReport, AiUsageRow } from '../api/ai';
import { type AiUsageLine, summarizeAiUsage } from '../store/aiUsage';
import type { DomainContext } from './deps';

export function startOfUtcDay(now: number): number {
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
}

export function startOfUtcMonth(now: number): number {
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

const row = (l: AiUsageLine): AiUsageRow => ({
  provider: l.provider,
  model: l.model,
  requests: l.requests,
  failed: l.failed,
  inputTokens: l.inputTokens,
  outputTokens: l.outputTokens,
});

export async function aiUsageReport(
  ctx: DomainContext,
  now: number = Date.now(),
): Promise<AiUsageReport> {
  const db = ctx.deps.store.db;
  const userId = ctx.caller.userId;
  const todaySince = startOfUtcDay(now);
  const monthSince = startOfUtcMonth(now);
  const [today, month] = await Promise.all([
    summarizeAiUsage(db, { userId, since: todaySince }),
    summarizeAiUsage(db, { userId, since: monthSince }),
  ]);
  return {
    todaySince: new Date(todaySince).toISOString(),
    monthSince: new Date(monthSince).toISOString(),
    today: today.map(row),
    month: month.map(row),
  };
}
