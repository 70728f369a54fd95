/**
 * A small JSON Schema checker for the keywords `tests/result.schema.json` uses (type, const, enum,
 * required, properties, additionalProperties, items, $ref to #/$defs, oneOf, minimum, pattern).
 * Returns every violation with its JSON path, so a failing test says what broke.
 */
type Schema = Record<string, unknown>;

export function validate(value: unknown, schema: Schema, root: Schema = schema, path = "$"): string[] {
  if (typeof schema.$ref === "string") {
    const name = schema.$ref.replace("#/$defs/", "");
    return validate(value, (root.$defs as Record<string, Schema>)[name]!, root, path);
  }
  const errors: string[] = [];
  const fail = (message: string) => errors.push(`${path}: ${message}`);
  if ("const" in schema && value !== schema.const) fail(`expected ${JSON.stringify(schema.const)}`);
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) fail(`expected one of ${JSON.stringify(schema.enum)}`);
  if (schema.type !== undefined) {
    const types = [schema.type].flat() as string[];
    if (!types.some((type) => hasType(value, type))) return [`${path}: expected ${types.join(" or ")}, got ${JSON.stringify(value)}`];
  }
  if (Array.isArray(schema.oneOf)) {
    const matching = schema.oneOf.filter((option) => validate(value, option as Schema, root, path).length === 0).length;
    if (matching !== 1) fail(`expected exactly one of the alternatives to match, ${matching} did`);
  }
  if (typeof value === "number" && typeof schema.minimum === "number" && value < schema.minimum) fail(`below ${schema.minimum}`);
  if (typeof value === "string" && typeof schema.pattern === "string" && !new RegExp(schema.pattern).test(value)) fail(`does not match ${schema.pattern}`);
  if (Array.isArray(value) && schema.items) value.forEach((item, i) => errors.push(...validate(item, schema.items as Schema, root, `${path}[${i}]`)));
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    const object = value as Record<string, unknown>;
    for (const key of (schema.required as string[] | undefined) ?? []) if (!(key in object)) fail(`missing ${key}`);
    const properties = (schema.properties as Record<string, Schema> | undefined) ?? {};
    for (const [key, child] of Object.entries(object)) {
      if (key in properties) errors.push(...validate(child, properties[key]!, root, `${path}.${key}`));
      else if (schema.additionalProperties === false) fail(`unexpected property ${key}`);
      else if (typeof schema.additionalProperties === "object") errors.push(...validate(child, schema.additionalProperties as Schema, root, `${path}.${key}`));
    }
  }
  return errors;
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case "null":
      return value === null;
    case "integer":
      return Number.isInteger(value);
    case "number":
      return typeof value === "number" && Number.isFinite(value);
    case "array":
      return Array.isArray(value);
    case "object":
      return value !== null && typeof value === "object" && !Array.isArray(value);
    default:
      return typeof value === type;
  }
}
