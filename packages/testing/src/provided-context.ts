// Values the global setup hands to every test file through vitest's inject().
declare module 'vitest' {
  export interface ProvidedContext {
    templateDatabaseUrl: string;
    testRunId: string;
    /** TEST_MODE=embedded only: a closed, migrated embedded data dir that each test file copies. */
    embeddedTemplateDir: string;
  }
}

export {};
