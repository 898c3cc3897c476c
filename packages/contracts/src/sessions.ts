import { z } from 'zod';
import { DateTime, idParam, UuidString } from './common.ts';

export const SessionRead = z
  .object({
    id: UuidString,
    device_name: z.string().nullable(),
    device_type: z.string().nullable(),
    ip_address: z.string().nullable(),
    is_current: z.boolean(),
    created_at: DateTime,
    last_used_at: DateTime,
  })
  .meta({ id: 'SessionRead' });
export type SessionRead = z.infer<typeof SessionRead>;

export const SessionList = z.object({ sessions: z.array(SessionRead), total: z.number().int() }).meta({ id: 'SessionListResponse' });
export type SessionList = z.infer<typeof SessionList>;

export const LogoutAllResponse = z.object({ message: z.string(), sessions_logged_out: z.number().int() }).meta({ id: 'LogoutAllResponse' });

export const SessionIdParam = idParam('session_id');
