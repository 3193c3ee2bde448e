// The same schemas with valibot 1.
import { toJsonSchema as convert } from "@valibot/to-json-schema";
import * as v from "valibot";

const Decimal = v.pipe(v.string(), v.regex(/^\s*\d{1,15}(\.\d+)?\s*$/));
const Period = v.pipe(v.string(), v.regex(/^[0-9]{4}-(0[1-9]|1[0-2])$/));
const Id = v.pipe(
  v.string(),
  v.regex(/^[1-9][0-9]{0,15}$/),
  v.transform(Number),
  v.check(Number.isSafeInteger),
);

export const schemas = {
  budget: v.object({ amount: Decimal }),
  thing: v.object({ url: v.string(), title: v.string(), description: v.nullish(v.string()) }),
  query: v.object({ period: v.optional(Period), format: v.optional(v.picklist(["json", "csv"])) }),
  params: v.object({ id: Id }),
};

export const parse = (name, value) => v.safeParse(schemas[name], value);

export const toJsonSchema = () =>
  Object.fromEntries(
    Object.entries(schemas).map(([k, s]) => [
      k,
      convert(s, { errorMode: "ignore", typeMode: "input" }),
    ]),
  );
