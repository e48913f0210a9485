import { Type } from "typebox";

/** A string restricted to fixed values, rendered as a plain JSON Schema `enum` (clear validation messages). */
export function StringEnum<const T extends readonly string[]>(values: T, options: { description?: string } = {}) {
  return Type.Unsafe<T[number]>({ type: "string", enum: [...values], ...options });
}
