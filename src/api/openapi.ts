import type { Config } from "../config/config.ts";
import { apiBaseUrl } from "../http/urls.ts";
import { STATEMENT_CSV_COLUMNS } from "../settlement/statement-csv.ts";
import type { OpenApiDocument, Operation, Ref, Response, Schema } from "./openapi-types.ts";

/*
 * The API's OpenAPI 3.1 document, served at /api/flattr/v1/openapi.json. test/api/openapi.test.ts
 * checks that it lists exactly the routes the router has and that answers match these schemas.
 */

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const res = (name: string): Ref => ({ $ref: `#/components/responses/${name}` });
const json = (schema: Schema, description: string, extra: Partial<Response> = {}): Response => ({
  description,
  ...extra,
  content: { "application/json": { schema } },
});
const str = (description: string, extra: Schema = {}): Schema => ({
  type: "string",
  description,
  ...extra,
});
const int = (description: string): Schema => ({ type: "integer", description });
const object = (properties: Record<string, Schema>, description?: string): Schema => ({
  type: "object",
  ...(description ? { description } : {}),
  properties,
  required: Object.keys(properties),
  additionalProperties: false,
});

const amount = (description: string): Schema => ({
  $ref: "#/components/schemas/Amount",
  description,
});
const time = (description: string): Schema => str(description, { format: "date-time" });

const errors = {
  read: { "401": res("Unauthorized"), "403": res("Forbidden") },
  body: {
    "400": res("BadRequest"),
    "413": res("PayloadTooLarge"),
    "415": res("UnsupportedMediaType"),
    "422": res("Unprocessable"),
  },
};

const read = (op: Operation): Operation => ({
  ...op,
  description: `${op.description ?? ""}${op.description ? " " : ""}Needs the \`read\` scope.`,
  responses: { ...op.responses, ...errors.read },
});
const write = (op: Operation): Operation => ({
  ...op,
  description: `${op.description ?? ""}${op.description ? " " : ""}Needs the \`write\` scope.`,
  responses: { ...op.responses, ...errors.read },
});

const schemas: Record<string, Schema> = {
  Error: {
    type: "object",
    description: "Every error: a message for people and, for refusals, a stable machine code.",
    properties: {
      error: str("What went wrong, in words a person understands."),
      code: str(
        "Machine-readable reason: unauthorized, invalid_token, insufficient_scope, not_found, " +
          "method_not_allowed, malformed_json, unsupported_media_type, body_too_large, " +
          "invalid_request, invalid_amount, invalid_period, or a flattr refusal: budget_too_low, " +
          "budget_too_high, invalid_url, invalid_title, invalid_description, thing_not_found, " +
          "own_thing, no_budget, already_flattred, not_flattred, period_closed, rate_limited, " +
          "period_limit; or a post refusal: invalid_content, invalid_reply, post_not_found, " +
          "not_author.",
      ),
    },
    required: ["error"],
    additionalProperties: false,
  },
  Amount: str(
    'A decimal amount in the `currency` of the enclosing object, e.g. "5.00". Never a number.',
    {
      pattern: "^-?[0-9]+(\\.[0-9]+)?$",
    },
  ),
  Currency: str("ISO 4217 currency code of every amount in the object.", { pattern: "^[A-Z]{3}$" }),
  Period: str("A settlement period: a calendar month in the instance time zone.", {
    pattern: "^[0-9]{4}-(0[1-9]|1[0-2])$",
    examples: ["2026-03"],
  }),
  PeriodStatus: {
    type: "string",
    enum: ["open", "closing", "closed"],
    description:
      "open: values are projections from the current budget and balance; closing: the month " +
      "close is running; closed: values are final (paid).",
  },
  Me: object({
    id: int("User id."),
    username: str("Local username."),
    display_name: str("Display name (may be empty)."),
    url: str("Profile page.", { format: "uri" }),
    currency: ref("Currency"),
    wallet_balance: amount("Prepaid balance."),
    budget: {
      oneOf: [ref("Amount"), { type: "null" }],
      description: "Monthly budget, or null when none is set (flattring needs one).",
    },
    period: ref("Period"),
    fee_bp: int("Instance fee in basis points, taken from the monthly amount before the split."),
    min_budget: amount("Smallest allowed budget."),
    max_budget: amount("Largest allowed budget."),
  }),
  BudgetInput: {
    type: "object",
    properties: { amount: amount("The new monthly budget, a decimal string.") },
    required: ["amount"],
  },
  BudgetResult: object({
    budget: amount("The budget now set."),
    currency: ref("Currency"),
    updated_at: time("When it was set."),
    wallet_balance: amount("Current wallet balance."),
    above_balance: { type: "boolean", description: "The budget is above the wallet balance." },
    warning: {
      type: ["string", "null"],
      description:
        "Set when the budget is above the balance: the close takes only what is in the wallet.",
    },
  }),
  ThingInput: {
    type: "object",
    properties: {
      url: str(
        "The page's http(s) URL, without user name or password; control characters (NUL, " +
          "line breaks) are refused (422 invalid_url).",
        { maxLength: 2048 },
      ),
      title: str("Title, up to 200 characters.", { maxLength: 200 }),
      description: str("Optional description, up to 2000 characters.", { maxLength: 2000 }),
    },
    required: ["url", "title"],
  },
  Owner: object({
    username: str("The owner's username."),
    display_name: str("The owner's display name."),
    url: str("The owner's profile page.", { format: "uri" }),
  }),
  Thing: object({
    id: int("Thing id."),
    kind: { type: "string", enum: ["page", "profile", "note"] },
    url: str(
      "The thing's URL in canonical form (percent-encoded, lowercase host, no fragment): " +
        "registering any spelling of it finds this thing.",
      { format: "uri" },
    ),
    title: str("Title."),
    description: str("Description (may be empty)."),
    owner: ref("Owner"),
    created_at: time("When it was registered."),
    period: ref("Period"),
    flattrs_this_period: int("Active flattrs in `period` (the current one)."),
    flattrs_all_time: int("Active flattrs over all periods."),
  }),
  Flattr: object({
    id: int("Flattr id."),
    thing_id: int("The flattred thing."),
    period: ref("Period"),
    created_at: time("When it was made."),
  }),
  WithdrawnFlattr: object({
    id: int("Flattr id."),
    thing_id: int("The thing."),
    period: ref("Period"),
    created_at: time("When it was made."),
    withdrawn: { const: true },
  }),
  ThingRef: object({
    id: int("Thing id."),
    kind: { type: "string", enum: ["page", "profile", "note"] },
    title: str("Title."),
    url: str("URL.", { format: "uri" }),
    owner: object({
      username: str("Owner's username."),
      url: str("Owner's profile.", { format: "uri" }),
    }),
  }),
  FlattrValue: object({
    id: int("Flattr id."),
    thing: ref("ThingRef"),
    created_at: time("When it was made."),
    value: amount(
      "This flattr's share: projected while the period is open, final after the close.",
    ),
  }),
  MyFlattrs: object({
    period: ref("Period"),
    status: ref("PeriodStatus"),
    final: { type: "boolean", description: "The values are what the close paid (or is paying)." },
    currency: ref("Currency"),
    amount: amount("min(budget, wallet balance): what the close takes (or took)."),
    fee: amount("The instance fee out of `amount`."),
    flattrs: { type: "array", items: ref("FlattrValue") },
  }),
  ThingEarnings: object({
    thing: object({
      id: int("Thing id."),
      kind: { type: "string", enum: ["page", "profile", "note"] },
      title: str("Title."),
      url: str("URL.", { format: "uri" }),
    }),
    flattrs: int("Active flattrs of the thing in the period."),
    amount: amount("What they are worth to you."),
  }),
  Earnings: object({
    period: ref("Period"),
    status: ref("PeriodStatus"),
    final: { type: "boolean", description: "Every payer of the period has been processed." },
    currency: ref("Currency"),
    total: amount("Sum over the things."),
    flattrs: int("Flattrs received in the period."),
    posted: amount("What the ledger credited to your earnings for this period so far."),
    things: { type: "array", items: ref("ThingEarnings") },
  }),
  Movement: object({
    entry_id: int("Ledger entry."),
    kind: str("deposit, close, reversal, ..."),
    created_at: time("When it was posted."),
    amount: amount("Signed: + into the wallet, − out of it."),
  }),
  Statement: object({
    period: ref("Period"),
    status: ref("PeriodStatus"),
    final: { type: "boolean", description: "The payer side is final." },
    currency: ref("Currency"),
    payer: object({
      budget: { oneOf: [ref("Amount"), { type: "null" }], description: "The budget as set now." },
      opening_balance: amount("Wallet before the period's movements."),
      movements: {
        type: "array",
        items: ref("Movement"),
        description:
          "Wallet entries of the period: deposits made in it and its close (posted after it ended).",
      },
      closing_balance: amount("opening_balance plus the movements."),
      spent: amount("Taken for the period's flattrs, fee included (projected until final)."),
      fee: amount("The instance fee."),
      to_creators: amount("spent − fee, split over the flattrs."),
      flattrs: { type: "array", items: ref("FlattrValue") },
    }),
    creator: object({
      total: amount("Earnings of the period."),
      flattrs: int("Flattrs received."),
      posted: amount("What the ledger credited so far."),
      things: { type: "array", items: ref("ThingEarnings") },
    }),
  }),
  PostInput: {
    type: "object",
    properties: {
      content: str(
        "Plain text, up to 5000 characters (code points); links and @user@server mentions are " +
          "found and rendered; control characters are refused (422 invalid_content).",
      ),
      in_reply_to: str("The ActivityPub id (or page URL of a post known here) this post answers.", {
        format: "uri",
        maxLength: 2048,
      }),
    },
    required: ["content"],
  },
  PostEditInput: {
    type: "object",
    properties: { content: str("The new text; same rules as when writing.") },
    required: ["content"],
  },
  PostCreated: object({
    id: str("Post id: decimal digits of an int8 that sorts by time."),
    uri: str("Its ActivityPub id (the Note).", { format: "uri" }),
    url: str("Its HTML page.", { format: "uri" }),
    thing_id: int("Its flattrable thing (kind note)."),
  }),
  Post: object({
    id: str("Post id: decimal digits of an int8 that sorts by time."),
    uri: str("Its ActivityPub id (the Note).", { format: "uri" }),
    url: str("Its HTML page.", { format: "uri" }),
    thing_id: int("Its flattrable thing (kind note)."),
    content: str("The text as written."),
    content_html: str("The HTML other servers and pages show."),
    in_reply_to: { type: ["string", "null"], description: "What it answers, if anything." },
    created_at: time("When it was written."),
    edited_at: {
      type: ["string", "null"],
      format: "date-time",
      description: "When it was last edited.",
    },
    author: object({
      username: str("The author."),
      url: str("The author's profile.", { format: "uri" }),
    }),
    mentions: {
      type: "array",
      items: object({
        handle: str("@user@host"),
        actor: str("Its ActivityPub id.", { format: "uri" }),
        url: str("Its profile page.", { format: "uri" }),
      }),
    },
  }),
  DeletedPost: object({
    id: str("Post id."),
    thing_id: int("Its thing, which stays with its flattrs."),
    deleted: { const: true },
  }),
};
// A registered thing is a Thing with `created`.
schemas.RegisteredThing = {
  ...schemas.Thing,
  description: "The thing, and whether this call created it (false: it was registered before).",
  properties: { ...schemas.Thing!.properties, created: { type: "boolean" } },
  required: [...schemas.Thing!.required!, "created"],
};

const errorResponse = (description: string, headers?: Response["headers"]): Response =>
  json(ref("Error"), description, headers ? { headers } : {});

const periodParam = {
  name: "period",
  in: "query" as const,
  required: false,
  description: "YYYY-MM; default: the current period. Anything else is a 400 (invalid_period).",
  schema: ref("Period"),
};

export function openApiDocument(config: Config): OpenApiDocument {
  return {
    openapi: "3.1.0",
    info: {
      title: "Fediflattr REST API",
      version: "1.0.0",
      description:
        "Flattr for the fediverse: your wallet, budget, things, flattrs, earnings and statements. " +
        "Authenticate with a personal access token (`Authorization: Bearer …`, created at " +
        "/settings/tokens or with `fediflattr token create`); cookies are never accepted, and " +
        "any origin may call the API (CORS, no credentials). Amounts are decimal strings in the " +
        `\`currency\` of the same object (${config.currency} on this instance); errors are ` +
        '`{"error": "…", "code": "…"}`.',
      license: { name: "AGPL-3.0-only", identifier: "AGPL-3.0-only" },
    },
    servers: [{ url: apiBaseUrl(config) }],
    security: [{ bearer: [] }],
    tags: [
      { name: "me", description: "The token's user." },
      { name: "things", description: "Things and flattrs." },
      { name: "reports", description: "Values, earnings, statements." },
      { name: "posts", description: "Your posts: each is a Note to your followers and a thing." },
      { name: "meta", description: "This document." },
    ],
    paths: {
      "/openapi.json": {
        get: {
          operationId: "getOpenApi",
          summary: "This OpenAPI document",
          tags: ["meta"],
          security: [],
          responses: {
            "200": {
              description: "The document.",
              content: { "application/json": { schema: { type: "object" } } },
            },
          },
        },
      },
      "/me": {
        get: read({
          operationId: "getMe",
          summary: "The token's user: wallet balance, budget, currency",
          tags: ["me"],
          responses: { "200": json(ref("Me"), "The user.") },
        }),
      },
      "/me/budget": {
        put: write({
          operationId: "setBudget",
          summary: "Set the monthly budget",
          description:
            "Between min_budget and max_budget (422 budget_too_low / budget_too_high otherwise). " +
            "A budget above the wallet balance is accepted with a `warning`.",
          tags: ["me"],
          requestBody: {
            required: true,
            content: {
              "application/json": { schema: ref("BudgetInput"), example: { amount: "5.00" } },
            },
          },
          responses: { "200": json(ref("BudgetResult"), "The budget was set."), ...errors.body },
        }),
      },
      "/me/flattrs": {
        get: read({
          operationId: "listMyFlattrs",
          summary: "Your flattrs of a period, each with its projected or final value",
          tags: ["reports"],
          parameters: [periodParam],
          responses: { "200": json(ref("MyFlattrs"), "The flattrs."), "400": res("BadRequest") },
        }),
      },
      "/me/earnings": {
        get: read({
          operationId: "getMyEarnings",
          summary: "Your earnings of a period, total and per thing",
          tags: ["reports"],
          parameters: [periodParam],
          responses: { "200": json(ref("Earnings"), "The earnings."), "400": res("BadRequest") },
        }),
      },
      "/me/statement": {
        get: read({
          operationId: "getMyStatement",
          summary: "Your monthly statement (JSON, or CSV)",
          description:
            "CSV with `?format=csv` or `Accept: text/csv` (RFC 4180, CRLF, header line; columns " +
            `${STATEMENT_CSV_COLUMNS.join(", ")}).`,
          tags: ["reports"],
          parameters: [
            periodParam,
            {
              name: "format",
              in: "query",
              required: false,
              description: "json (default) or csv; overrides Accept.",
              schema: { type: "string", enum: ["json", "csv"] },
            },
          ],
          responses: {
            "200": {
              description: "The statement.",
              content: {
                "application/json": { schema: ref("Statement") },
                "text/csv": { schema: { type: "string" } },
              },
            },
            "400": res("BadRequest"),
          },
        }),
      },
      "/things": {
        post: write({
          operationId: "registerThing",
          summary: "Register a web page as your thing",
          description:
            "201 with Location for a new thing. Registering a URL you registered before is " +
            "idempotent: 200 with the existing thing (title and description unchanged), " +
            "`created: false`, and the same Location.",
          tags: ["things"],
          requestBody: {
            required: true,
            content: { "application/json": { schema: ref("ThingInput") } },
          },
          responses: {
            "201": json(ref("RegisteredThing"), "Registered.", {
              headers: { Location: { $ref: "#/components/headers/Location" } },
            }),
            "200": json(ref("RegisteredThing"), "Already registered by you.", {
              headers: { Location: { $ref: "#/components/headers/Location" } },
            }),
            ...errors.body,
          },
        }),
      },
      "/things/{id}": {
        get: read({
          operationId: "getThing",
          summary: "A thing with its owner and flattr counts",
          tags: ["things"],
          parameters: [{ $ref: "#/components/parameters/ThingId" }],
          responses: { "200": json(ref("Thing"), "The thing."), "404": res("NotFound") },
        }),
      },
      "/things/{id}/flattr": {
        post: write({
          operationId: "flattrThing",
          summary: "Flattr a thing in the current period",
          description:
            "Refusals are 422 with the reason's code (own_thing, no_budget, already_flattred, " +
            "period_closed, period_limit), 429 rate_limited with Retry-After.",
          tags: ["things"],
          parameters: [{ $ref: "#/components/parameters/ThingId" }],
          responses: {
            "201": json(ref("Flattr"), "Flattred."),
            "404": res("NotFound"),
            "422": res("Unprocessable"),
            "429": res("TooManyRequests"),
          },
        }),
        delete: write({
          operationId: "unflattrThing",
          summary: "Withdraw your flattr of a thing while the period is open",
          tags: ["things"],
          parameters: [{ $ref: "#/components/parameters/ThingId" }],
          responses: {
            "200": json(ref("WithdrawnFlattr"), "Withdrawn."),
            "404": res("NotFound"),
            "422": res("Unprocessable"),
          },
        }),
      },
      "/posts": {
        post: write({
          operationId: "createPost",
          summary: "Write a post",
          description:
            "Delivered as a Create to your followers and the accounts it mentions, and " +
            "flattrable at once (its thing, kind note). Refusals: 422 invalid_content, " +
            "invalid_reply.",
          tags: ["posts"],
          requestBody: {
            required: true,
            content: {
              "application/json": {
                schema: ref("PostInput"),
                example: { content: "Hello, fediverse! @someone@server.example" },
              },
            },
          },
          responses: {
            "201": json(ref("PostCreated"), "Written.", {
              headers: { Location: { $ref: "#/components/headers/Location" } },
            }),
            ...errors.body,
          },
        }),
      },
      "/posts/{id}": {
        get: read({
          operationId: "getPost",
          summary: "A post (404 once deleted)",
          tags: ["posts"],
          parameters: [{ $ref: "#/components/parameters/PostId" }],
          responses: { "200": json(ref("Post"), "The post."), "404": res("NotFound") },
        }),
        ...Object.fromEntries(
          (["put", "patch"] as const).map((method) => [
            method,
            write({
              operationId: method === "put" ? "editPost" : "patchPost",
              summary: "Edit your post (delivered as an Update)",
              description: "Only its author (403 not_author). The same text again changes nothing.",
              tags: ["posts"],
              parameters: [{ $ref: "#/components/parameters/PostId" }],
              requestBody: {
                required: true,
                content: { "application/json": { schema: ref("PostEditInput") } },
              },
              responses: {
                "200": json(ref("Post"), "Edited."),
                "404": res("NotFound"),
                ...errors.body,
              },
            }),
          ]),
        ),
        delete: write({
          operationId: "deletePost",
          summary: "Delete your post (delivered as a Delete; its thing and flattrs stay)",
          tags: ["posts"],
          parameters: [{ $ref: "#/components/parameters/PostId" }],
          responses: { "200": json(ref("DeletedPost"), "Deleted."), "404": res("NotFound") },
        }),
      },
    },
    components: {
      schemas,
      parameters: {
        PostId: {
          name: "id",
          in: "path",
          required: true,
          description: "Post id (decimal digits); anything else is a 404.",
          schema: { type: "string", pattern: "^[1-9][0-9]{0,18}$" },
        },
        ThingId: {
          name: "id",
          in: "path",
          required: true,
          description: "Thing id; anything but a positive whole number is a 404.",
          schema: { type: "integer", minimum: 1 },
        },
      },
      headers: {
        Location: {
          description: "URL of the thing or post in this API.",
          schema: { type: "string", format: "uri" },
        },
      },
      responses: {
        BadRequest: errorResponse(
          "Malformed JSON (malformed_json) or a bad query parameter (invalid_period, invalid_request).",
        ),
        Unauthorized: errorResponse(
          "No token (unauthorized), or an unknown or revoked one (invalid_token).",
          {
            "WWW-Authenticate": {
              description: 'Bearer realm="fediflattr"[, error="invalid_token"]',
              schema: { type: "string" },
            },
          },
        ),
        Forbidden: errorResponse(
          "The token lacks the scope (insufficient_scope), or the post is someone else's (not_author).",
          {
            "WWW-Authenticate": {
              description: 'Bearer …, error="insufficient_scope", scope="…"',
              schema: { type: "string" },
            },
          },
        ),
        NotFound: errorResponse(
          "No such thing or post (not_found, thing_not_found, post_not_found).",
        ),
        PayloadTooLarge: errorResponse("The body is larger than 16 KiB (body_too_large)."),
        UnsupportedMediaType: errorResponse(
          "The body is not application/json (unsupported_media_type).",
        ),
        Unprocessable: errorResponse(
          "Valid JSON the request cannot be done with: a missing or mistyped field (invalid_request, invalid_amount) or a refusal with its code.",
        ),
        TooManyRequests: errorResponse("Too many flattrs in a short time (rate_limited).", {
          "Retry-After": { description: "Seconds to wait at most.", schema: { type: "string" } },
        }),
      },
      securitySchemes: {
        bearer: {
          type: "http",
          scheme: "bearer",
          bearerFormat: "ffpat_…",
          description: "A personal access token with the scopes read and/or write.",
        },
      },
    },
  };
}
