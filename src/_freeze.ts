// Hook arguments reach implementations frozen, so that no plugin can change what
// later plugins or the host see.

/**
 * Freezes `value` and everything reachable from it, in place, and returns it.
 * Objects that are already frozen are taken as done, which also ends cycles.
 * Functions and typed arrays are left as they are (typed arrays cannot be frozen).
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== "object" || value === null || Object.isFrozen(value)) {
    return value;
  }
  if (ArrayBuffer.isView(value)) return value;
  Object.freeze(value);
  for (const key of Reflect.ownKeys(value)) {
    const child = (value as Record<PropertyKey, unknown>)[key];
    if (typeof child === "object" && child !== null) deepFreeze(child);
  }
  return value;
}
