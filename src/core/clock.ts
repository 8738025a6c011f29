/**
 * The one clock expiry decisions read: when a session is issued, until when it lives, and
 * whether it has expired. The app's, not the database's, so a process-local cache (or a test)
 * judges expiry exactly as the query does. Record timestamps (updated_at…) are the database's.
 */
export type Clock = () => Date

export const systemClock: Clock = () => new Date()
