// Answers of procedures this release of the extension calls by name, because the service it
// talks to may predate them (contract section 4: `ai.usage`, `settings.*` with `aiKeyDelivery`
// and `commitSigning`, `tokens.create` with `pathPrefix`, `sshKeys.register` with `usage`).
// Every answer is checked here; a field the service does not send means "not offered".
// Once the gateway and git-account branches are merged into the service's AppRouter, switch these
// calls to the typed client (client.ts `createServiceClient`) and keep the schemas as the check.
import { z } from 'zod';
import type { AiUsageView, SecuritySettings } from '../protocol/model';

export const settingsAnswerSchema = z.object({
  autoInject: z.boolean(),
  auditLogging: z.boolean(),
  clearOnSessionTimeout: z.boolean(),
  aiKeyDelivery: z.enum(['gateway', 'environment']).optional(),
  commitSigning: z.boolean().optional(),
});

export function toSettingsView(answer: z.infer<typeof settingsAnswerSchema>): SecuritySettings {
  return {
    autoInject: answer.autoInject,
    auditLogging: answer.auditLogging,
    clearOnSessionTimeout: answer.clearOnSessionTimeout,
    aiKeyDelivery: answer.aiKeyDelivery ?? null,
    commitSigning: answer.commitSigning ?? null,
  };
}

const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const usageRowSchema = z.object({
  provider: z.string().max(200),
  model: z.string().max(300).nullable(),
  requests: count,
  failed: count,
  inputTokens: count,
  outputTokens: count,
});

export const aiUsageAnswerSchema = z.object({
  todaySince: z.string(),
  monthSince: z.string(),
  today: z.array(usageRowSchema).max(1000),
  month: z.array(usageRowSchema).max(1000),
});

export function toAiUsageView(answer: z.infer<typeof aiUsageAnswerSchema>): AiUsageView {
  // Field by field, so nothing else the service sends rides along to the webview.
  const rows = (list: typeof answer.today) =>
    list.map((r) => ({
      provider: r.provider,
      model: r.model,
      requests: r.requests,
      failed: r.failed,
      inputTokens: r.inputTokens,
      outputTokens: r.outputTokens,
    }));
  return {
    available: true,
    todaySince: answer.todaySince,
    monthSince: answer.monthSince,
    today: rows(answer.today),
    month: rows(answer.month),
  };
}

export const registerAnswerSchema = z.object({
  status: z.string().max(100),
  detail: z.string().max(1000).nullable().optional(),
});
