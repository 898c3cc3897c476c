// The tools the model may call. Each tool declares its arguments as a zod schema: the registry
// sends the schema to the model as JSON Schema and checks the model's arguments against it.
import { z } from 'zod';
import { agentToolCalls } from '@personal-automations/observability';

/** What a tool run may use besides its arguments. */
export type ToolContext = { userId: string; signal: AbortSignal };

export type AgentTool<Args extends z.ZodType = z.ZodType> = {
  name: string;
  description: string;
  parameters: Args;
  run(args: z.infer<Args>, context: ToolContext): string | Promise<string>;
};

/** The function description the model is given. */
export type ToolDefinition = { name: string; description: string; parameters: Record<string, unknown> };

/** `rejected`: not run, as the user decided (tool approvals); `result` tells the model so. */
export type ToolOutcome = { status: 'completed' | 'failed' | 'rejected'; result: string; args: Record<string, unknown> };

/** Builds a tool with its argument type inferred from the schema. */
export const defineTool = <Args extends z.ZodType>(tool: AgentTool<Args>): AgentTool<Args> => tool;

const pad = (n: number) => String(n).padStart(2, '0');

/** The server's local date and time: the model has no clock, so "what day is it" needs this tool. */
export const currentDatetimeTool = defineTool({
  name: 'current_datetime',
  description: 'Get the current date and time.',
  parameters: z.object({}),
  run: () => {
    const now = new Date();
    const date = `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
    const time = `${pad(now.getHours())}:${pad(now.getMinutes())}:${pad(now.getSeconds())}`;
    return `Current date: ${date}, Current time: ${time}`;
  },
});

/** Parses a tool call's JSON arguments; absent arguments are an empty object. */
export function parseToolArgs(text: string): Record<string, unknown> | undefined {
  if (!text.trim()) return {};
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export class ToolRegistry {
  private readonly tools = new Map<string, AgentTool>();

  constructor(tools: AgentTool[] = []) {
    for (const tool of tools) this.register(tool);
  }

  register(tool: AgentTool): this {
    if (this.tools.has(tool.name)) throw new Error(`tool ${tool.name} is already registered`);
    this.tools.set(tool.name, tool);
    return this;
  }

  definitions(): ToolDefinition[] {
    return [...this.tools.values()].map((tool) => {
      const { $schema: _schema, ...parameters } = z.toJSONSchema(tool.parameters) as Record<string, unknown>;
      return { name: tool.name, description: tool.description, parameters };
    });
  }

  /**
   * Runs one call. Failures (unknown tool, bad arguments, a tool that throws) are reported to
   * the model as the result text, so it can recover; only cancellation propagates.
   */
  async run(name: string, argsText: string, context: ToolContext): Promise<ToolOutcome> {
    return this.count(name, await this.runOne(name, argsText, context));
  }

  /** A call the user rejected: not run, `reason` its result. */
  reject(name: string, argsText: string, reason: string): ToolOutcome {
    return this.count(name, { status: 'rejected', result: reason, args: parseToolArgs(argsText) ?? {} });
  }

  private count(name: string, outcome: ToolOutcome): ToolOutcome {
    // A name the model made up is counted as `unknown`: the label stays within the registry.
    agentToolCalls.inc({ tool: this.tools.has(name) ? name : 'unknown', status: outcome.status });
    return outcome;
  }

  names(): string[] {
    return [...this.tools.keys()];
  }

  private async runOne(name: string, argsText: string, context: ToolContext): Promise<ToolOutcome> {
    const args = parseToolArgs(argsText);
    const tool = this.tools.get(name);
    if (!tool) return { status: 'failed', result: `Unknown tool: ${name}`, args: args ?? {} };
    const parsed = tool.parameters.safeParse(args);
    if (!args || !parsed.success) return { status: 'failed', result: `Invalid arguments for ${name}: ${argsText}`, args: args ?? {} };
    try {
      return { status: 'completed', result: await tool.run(parsed.data, context), args };
    } catch (error) {
      context.signal.throwIfAborted();
      return { status: 'failed', result: `Tool ${name} failed: ${error instanceof Error ? error.message : String(error)}`, args };
    }
  }
}

/** The tools every agent turn offers. */
export const defaultTools = (): AgentTool[] => [currentDatetimeTool];
