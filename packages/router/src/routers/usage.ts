import { UsageQuery, UsageReport, UserUsageQuery } from '@personal-automations/contracts';
import { adminProcedure, authedProcedure, router } from '../trpc.ts';

const tags = ['usage'];
const rangeRules =
  'Days are UTC days. A day that is not `YYYY-MM-DD` is a 422 with a `detail` list; `from` after `to`, or a range ' +
  'over 366 days (defaults included), a 422 with the error envelope (`VALIDATION_ERROR`).';

export const usageRouter = router({
  mine: authedProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/usage',
        tags,
        summary: "The caller's token usage",
        description: `Prompt and completion tokens per day and model, with totals and the daily quota. ${rangeRules}`,
      },
      errorStatuses: [422],
    })
    .input(UsageQuery)
    .output(UsageReport)
    .query(({ ctx, input }) => ctx.services.usage.report(ctx.user.id, input)),
  ofUser: adminProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/users/{user_id}/usage',
        tags,
        summary: "A user's token usage (admin)",
        description: `As GET /usage, for any user; an unknown user is 404. ${rangeRules}`,
      },
      errorStatuses: [422],
    })
    .input(UserUsageQuery)
    .output(UsageReport)
    .query(({ ctx, input: { user_id, ...range } }) => ctx.services.usage.reportFor(user_id, range)),
});
