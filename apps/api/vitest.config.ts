import { testConfig } from '@personal-automations/testing/vitest-config';

// The API's tests drive the services and contracts end to end; count them in its coverage.
export default testConfig({ coverageOf: ['../../packages/services', '../../packages/contracts'] });
