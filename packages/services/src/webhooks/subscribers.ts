// Who receives a domain event: the active webhooks subscribed to its type whose owner may read
// the resource through the API. Items are shared by every user; a user's own record (and every
// user, for admins) and a user's conversations are not, so those events go only to the webhooks
// of the users who could see them.
export type Subscriber = { id: string; userId: string | null; events: string[]; ownerIsAdmin: boolean };

/** Whether `subscriber` receives this event (see the rule above). */
export function receives(subscriber: Subscriber, eventType: string, data: unknown): boolean {
  if (!subscriber.events.includes(eventType)) return false;
  const record = (data ?? {}) as Record<string, unknown>;
  const owned = (ownerId: unknown) => subscriber.userId !== null && subscriber.userId === ownerId;
  switch (eventType.split('.')[0]) {
    case 'item':
      return true;
    case 'user':
      return owned(record.id) || subscriber.ownerIsAdmin;
    case 'conversation':
      return owned(record.user_id);
    default:
      return false;
  }
}
