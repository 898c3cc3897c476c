// TEST_MODE=embedded runs a suite on embedded PostgreSQL (PGlite data dirs) instead of databases
// on the real server; anything else is the normal mode.
export const isEmbeddedTestMode = (): boolean => process.env.TEST_MODE === 'embedded';
