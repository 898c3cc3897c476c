// Times every statement Prisma sends through the pg driver adapter, for the metrics' query
// duration: the adapter is the one point all of them pass (model queries, raw SQL, the statements
// of a transaction), and it runs in this process, so no engine event (which would copy each query's
// text and parameters) is needed. Everything else of the adapter passes through untouched.
import type { SqlDriverAdapterFactory } from '@prisma/driver-adapter-utils';

/** Told each statement's time in seconds: `query` read rows, `execute` changed them. */
export type QueryObserver = (seconds: number, operation: 'query' | 'execute') => void;

const TIMED = { queryRaw: 'query', executeRaw: 'execute' } as const;

type Method = (...args: unknown[]) => Promise<unknown>;

/** `target` with its queryRaw/executeRaw timed and the transactions it starts timed likewise. */
function timed<T extends object>(target: T, observe: QueryObserver): T {
  const replaced = new Map<PropertyKey, unknown>();
  return new Proxy(target, {
    get(object, property) {
      const value = Reflect.get(object, property, object) as unknown;
      if (typeof value !== 'function') return value;
      let wrapped = replaced.get(property);
      if (wrapped) return wrapped;
      const method = value as Method;
      const operation = TIMED[property as keyof typeof TIMED];
      if (operation) {
        wrapped = async (...args: unknown[]) => {
          const started = performance.now();
          try {
            return await method.apply(object, args);
          } finally {
            observe((performance.now() - started) / 1000, operation);
          }
        };
      } else if (property === 'startTransaction') {
        wrapped = async (...args: unknown[]) => timed((await method.apply(object, args)) as object, observe);
      } else {
        wrapped = method.bind(object);
      }
      replaced.set(property, wrapped);
      return wrapped;
    },
  });
}

/** The factory, whose adapters time their statements. */
export function timedAdapterFactory<F extends SqlDriverAdapterFactory>(factory: F, observe: QueryObserver): F {
  return new Proxy(factory, {
    get(object, property) {
      const value = Reflect.get(object, property, object) as unknown;
      if (property === 'connect') return async () => timed(await factory.connect(), observe);
      return typeof value === 'function' ? (value as Method).bind(object) : value;
    },
  });
}
