// Which run of a suite this is. TEST_MODE=embedded runs a suite on embedded PostgreSQL (PGlite data
// dirs) instead of databases on the real server; TEST_MODE=jobs-table runs the job runtime's suites
// with their jobs in the database's jobs table and no Redis; anything else is the normal mode.
export const isEmbeddedTestMode = (): boolean => process.env.TEST_MODE === 'embedded';

export const isJobsTableTestMode = (): boolean => process.env.TEST_MODE === 'jobs-table';
