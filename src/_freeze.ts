// Hook arguments reach implementations frozen, so that no plugin can change what
// later plugins or the host see.

/** Roots this module has frozen all the way down: later calls skip the walk. */
const deeplyFrozen = new WeakSet<object>();

/**
 * Freezes `value` and everything reachable from it, in place, and returns it.
 * Objects that were already frozen (shallowly, by someone else) are still walked.
 * Typed arrays cannot be frozen and are left as they are; functions are not frozen.
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== "object" || value === null || deeplyFrozen.has(value)) return value;
  walk(value, undefined);
  deeplyFrozen.add(value);
  return value;
}

function walk(value: object, seen: Set<object> | undefined): Set<object> | undefined {
  if (ArrayBuffer.isView(value)) return seen;
  if (Object.isFrozen(value)) {
    // Already frozen: its children may not be, but it may also close a cycle.
    if (seen?.has(value)) return seen;
    (seen ??= new Set()).add(value);
  } else {
    Object.freeze(value);
  }
  for (const key of Reflect.ownKeys(value)) {
    const child = (value as Record<PropertyKey, unknown>)[key];
    if (typeof child === "object" && child !== null) seen = walk(child, seen);
  }
  return seen;
}

/**
 * Returns a frozen deep copy of the plain objects and arrays in `value`, leaving the
 * original untouched. Other objects (Map, Date, class instances) are passed by
 * reference, unfrozen. Cycles are preserved, and an object reached twice is copied
 * once, except in small trees (under 4096 objects and 65 levels), where it is copied
 * where it occurs.
 */
export function frozenCopy<T>(value: T): T {
  // Most arguments are small trees: copied without remembering what was seen (a Map
  // per call cost more than the copy: 4.0 to 2.9 us for a task on Node). A tree over
  // DEEP levels (a cycle) or over NODES nodes (shared objects, copied again where
  // they recur, could make that exponential) is copied again, remembering, so that a
  // cycle stays a cycle and a shared object is copied once.
  let copy: unknown;
  const budget = { nodes: NODES };
  try {
    copy = copyTree(value, 0, budget);
  } catch (error) {
    if (error !== TOO_BIG) throw error;
    copy = copyNode(value, new Map());
  }
  if (typeof copy === "object" && copy !== null) deeplyFrozen.add(copy);
  return copy as T;
}

/** Levels copied without remembering what was seen. */
const DEEP = 64;
/** Objects and arrays copied without remembering what was seen. */
const NODES = 4096;
const TOO_BIG: unique symbol = Symbol("too big");

function copyTree(value: unknown, depth: number, budget: { nodes: number }): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (depth > DEEP || --budget.nodes < 0) throw TOO_BIG;
  if (Array.isArray(value)) {
    const copy: unknown[] = new Array(value.length);
    for (let i = 0; i < value.length; i++) copy[i] = copyTree(value[i], depth + 1, budget);
    // An array with holes or with other own properties (rare) is copied key by key.
    if (Reflect.ownKeys(value).length !== value.length + 1) return copyNode(value, new Map());
    return Object.freeze(copy);
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const copy: Record<PropertyKey, unknown> = proto === null ? Object.create(null) : {};
  for (const key of Reflect.ownKeys(value)) {
    copy[key] = copyTree((value as Record<PropertyKey, unknown>)[key], depth + 1, budget);
  }
  return Object.freeze(copy);
}

function copyNode(value: unknown, seen: Map<object, unknown>): unknown {
  if (typeof value !== "object" || value === null) return value;
  const isArray = Array.isArray(value);
  if (!isArray) {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return value;
  }
  const known = seen.get(value);
  if (known !== undefined) return known;
  const copy: Record<PropertyKey, unknown> = isArray
    ? [] as never
    : Object.create(Object.getPrototypeOf(value));
  seen.set(value, copy);
  for (const key of Reflect.ownKeys(value)) {
    copy[key] = copyNode((value as Record<PropertyKey, unknown>)[key], seen);
  }
  return Object.freeze(copy);
}
