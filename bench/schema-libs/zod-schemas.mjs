// The REST API's request schemas (src/api/schemas.ts), written with zod 4.
import { z } from "zod";

const Decimal = z.string().regex(/^\s*\d{1,15}(\.\d+)?\s*$/);
const Period = z.string().regex(/^[0-9]{4}-(0[1-9]|1[0-2])$/);
const Id = z
  .string()
  .regex(/^[1-9][0-9]{0,15}$/)
  .transform(Number)
  .refine(Number.isSafeInteger);

export const schemas = {
  budget: z.object({ amount: Decimal }),
  thing: z.object({ url: z.string(), title: z.string(), description: z.string().nullish() }),
  query: z.object({ period: Period.optional(), format: z.enum(["json", "csv"]).optional() }),
  params: z.object({ id: Id }),
};

export const parse = (name, value) => schemas[name].safeParse(value);

export const toJsonSchema = () =>
  Object.fromEntries(
    Object.entries(schemas).map(([k, s]) => [k, z.toJSONSchema(s, { io: "input" })]),
  );
