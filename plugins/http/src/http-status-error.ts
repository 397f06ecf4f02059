/**
 * A request the HTTP source refuses, with the status to answer. `code` is a stable short name
 * returned in the JSON error body (`{"error": code, "message": ...}`) so clients can branch on it.
 */
export class HttpStatusError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
    this.name = 'HttpStatusError';
  }
}
