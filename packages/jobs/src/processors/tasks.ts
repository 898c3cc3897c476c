// The example tasks (the template for a new task; docs/webhooks.md), run by the worker process.
// The long-running task honours cancellation: when shutdown outlasts its grace period it goes
// back to the queue.
import type { Logger } from 'pino';
import { PermanentJobError, type RunningJob, type TaskData, type TaskName, type TaskResult } from '@personal-automations/services';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function longRunning(job: RunningJob<TaskData>, duration: number, logger: Logger): Promise<TaskResult<'long_running_task'>> {
  const totalMs = duration * 1000;
  for (let elapsed = 0; elapsed < totalMs; ) {
    // back to the queue for another worker, instead of counting as a failed attempt
    if (job.signal.aborted) throw await job.returnToQueue();
    const step = Math.min(1000, totalMs - elapsed);
    await sleep(step);
    elapsed += step;
    const progress = Math.round((elapsed / totalMs) * 100);
    await job.updateProgress(progress);
    logger.info({ jobId: job.id, progress }, 'long_running_task progress');
  }
  return { status: 'completed', duration };
}

export function taskProcessor(logger: Logger) {
  return async (job: RunningJob<TaskData>): Promise<TaskResult> => {
    switch (job.name as TaskName) {
      case 'example_task': {
        const { message } = job.data as TaskData<'example_task'>;
        await sleep(1000);
        return { status: 'completed', message: `Processed: ${message}` };
      }
      case 'long_running_task':
        return longRunning(job, (job.data as TaskData<'long_running_task'>).duration, logger);
      case 'send_email': {
        const { to, subject } = job.data as TaskData<'send_email'>;
        await sleep(500);
        logger.info({ jobId: job.id, to, subject }, 'send_email (stub): not sent anywhere');
        return { status: 'sent', to, subject };
      }
      default:
        throw new PermanentJobError(`Unknown task: ${job.name}`);
    }
  };
}
