import { UsageQuery, UsageReport, UserUsageQuery } from '@personal-automations/contracts';
import { adminProcedure, authedProcedure, router } from '../trpc.ts';

const tags = ['usage'];
const rangeRules =
  'Days are UTC days. `from` must not be after `to`, and a report spans at most 366 days (defaults included); ' +
  'a bad date or range is a 422.';

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
    })
    .input(UserUsageQuery)
    .output(UsageReport)
    .query(({ ctx, input: { user_id, ...range } }) => ctx.services.usage.reportFor(user_id, range)),
});
