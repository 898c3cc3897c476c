import { testConfig } from '@personal-automations/testing/vitest-config';

export default testConfig();
