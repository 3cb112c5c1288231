// The contract of ai.*: a user's AI gateway usage per provider and model.
import { z } from 'zod';

export const AiUsageRowSchema = z.object({
  provider: z.string(),
  model: z.string().nullable(),
  requests: z.number(),
  failed: z.number(),
  inputTokens: z.number(),
  outputTokens: z.number(),
});

export const AiUsageReportSchema = z.object({
  /** Start of today and of this month (UTC), ISO-8601. */
  todaySince: z.string(),
  monthSince: z.string(),
  today: z.array(AiUsageRowSchema),
  month: z.array(AiUsageRowSchema),
});

export type AiUsageRow = z.infer<typeof AiUsageRowSchema>;
export type AiUsageReport = z.infer<typeof AiUsageReportSchema>;
