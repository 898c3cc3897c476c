// The agent socket: open sockets, turns, time to the first token, tokens spent, tools and model
// failures. `model` and `tool` are bounded sets (AI_MODEL, the tool registry).
import { Counter, Gauge, Histogram } from 'prom-client';
import { registry } from './registry.ts';

export const agentOpenSockets = new Gauge({
  name: 'pa_agent_open_sockets',
  help: 'Agent WebSockets open in this process',
  registers: [registry],
});

export type TurnResult = 'completed' | 'failed' | 'cancelled' | 'refused';

export const agentTurns = new Counter<'result'>({
  name: 'pa_agent_turns_total',
  help: 'Agent turns by result: completed, failed, cancelled (by the client or a closed socket), refused (turn budget, ended login)',
  labelNames: ['result'],
  registers: [registry],
});

export const agentTimeToFirstToken = new Histogram({
  name: 'pa_agent_time_to_first_token_seconds',
  help: "Time from a turn's frame arriving to the first streamed part of the model's answer",
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60],
  registers: [registry],
});

export const agentTokens = new Counter<'model' | 'direction'>({
  name: 'pa_agent_tokens_total',
  help: 'Tokens the model API reported, by model and direction (input: the prompt, output: the completion)',
  labelNames: ['model', 'direction'],
  registers: [registry],
});

export const agentToolCalls = new Counter<'tool' | 'status'>({
  name: 'pa_agent_tool_calls_total',
  help: 'Tool calls the model asked for, by tool and status (completed, failed, rejected by the user)',
  labelNames: ['tool', 'status'],
  registers: [registry],
});

export const agentModelErrors = new Counter<'kind'>({
  name: 'pa_agent_model_errors_total',
  help: 'Failed model requests by kind: timeout, connection, http_4xx, http_5xx, not_configured, other',
  labelNames: ['kind'],
  registers: [registry],
});

export const agentUsageRecordFailures = new Counter({
  name: 'pa_agent_usage_record_failures_total',
  help: 'Model requests whose reported tokens could not be written to token_usage (usage reports and the daily quota miss them)',
  registers: [registry],
});
