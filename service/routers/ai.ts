// ai.*: the caller's AI gateway usage (the view's usage rows). Any session of the user may read
// it, as it may read its lists; a gateway token is no session here.
import { aiUsageReport } from '../domain/ai';
import { protectedProcedure, router } from '../trpc';
import { AiUsageReportSchema } from '../api/ai';

export const aiRouter = router({
  usage: protectedProcedure.output(AiUsageReportSchema).query(({ ctx }) => aiUsageReport(ctx)),
});
