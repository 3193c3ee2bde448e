import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AccountError } from "../../src/accounts/errors.ts";
import {
  createInvites,
  generateInviteCode,
  invitesRemaining,
  listInvites,
  normalizeInviteCode,
} from "../../src/accounts/invites.ts";
import { signUp } from "../../src/accounts/signup.ts";
import { createUser, type User } from "../../src/accounts/users.ts";
import { fixedClock } from "../../src/config/clock.ts";
import { testConfig } from "../../src/config/config.ts";
import type { Database } from "../../src/db/client.ts";
import { createTestDatabase, usingPostgres } from "../helpers/db.ts";

let database: Database;
let inviter: User;
let admin: User;
const clock = fixedClock("2026-03-10T12:00:00Z");
const config = testConfig({ REGISTRATION: "invite", INVITES_PER_USER: "3" });

beforeAll(async () => {
  database = await createTestDatabase();
  inviter = await createUser(database.db, clock, {
    username: "inviter",
    email: "inviter@example.org",
    password: "password1",
  });
  admin = await createUser(database.db, clock, {
    username: "boss",
    email: "boss@example.org",
    password: "password1",
    isAdmin: true,
  });
});
afterAll(async () => {
  await database?.close();
});

const code = (e: unknown) => (e as AccountError).code;

describe("invite codes", () => {
  it("are 16 characters of Crockford base32 and survive retyping", () => {
    const c = generateInviteCode();
    expect(c).toMatch(/^[0-9a-hjkmnp-tv-z]{16}$/);
    expect(normalizeInviteCode(` ${c.toUpperCase().slice(0, 8)}-${c.slice(8)} `)).toBe(c);
    expect(normalizeInviteCode("O1l0abcdefghjkmn")).toBe("0110abcdefghjkmn");
    expect(normalizeInviteCode("short")).toBeNull();
    expect(normalizeInviteCode("uuuuuuuuuuuuuuuu")).toBeNull();
  });

  it("each user may create the configured number; admins unlimited", async () => {
    expect(await invitesRemaining(database.db, config, inviter)).toBe(3);
    const two = await createInvites(database.db, clock, config, { creator: inviter, count: 2 });
    expect(two).toHaveLength(2);
    const e = await createInvites(database.db, clock, config, { creator: inviter, count: 2 }).catch(
      (x) => x,
    );
    expect(code(e)).toBe("invite_quota");
    expect((e as Error).message).toBe("You can create only 1 more invite.");
    await createInvites(database.db, clock, config, { creator: inviter });
    expect(await invitesRemaining(database.db, config, inviter)).toBe(0);
    expect(
      code(await createInvites(database.db, clock, config, { creator: inviter }).catch((x) => x)),
    ).toBe("invite_quota");

    expect(await invitesRemaining(database.db, config, admin)).toBeNull();
    expect(
      await createInvites(database.db, clock, config, { creator: admin, count: 10 }),
    ).toHaveLength(10);
    // The operator (CLI) may create them for anyone, beyond the quota.
    expect(
      await createInvites(database.db, clock, config, { creator: inviter, unlimited: true }),
    ).toHaveLength(1);
    expect(
      await createInvites(database.db, clock, config, { creator: null, count: 3 }),
    ).toHaveLength(3);
    expect((await listInvites(database.db, inviter.id)).length).toBe(4);
  });

  it("a code signs up one account, and the list says who used it", async () => {
    const [c] = await createInvites(database.db, clock, config, { creator: admin });
    const user = await signUp(database.db, clock, config, {
      username: "newbie",
      email: "newbie@example.org",
      password: "password1",
      inviteCode: c!.toUpperCase(),
    });
    const e = await signUp(database.db, clock, config, {
      username: "second",
      email: "second@example.org",
      password: "password1",
      inviteCode: c,
    }).catch((x) => x);
    expect(code(e)).toBe("invite_used");
    const row = (await listInvites(database.db, admin.id)).find((i) => i.code === c)!;
    expect(row.usedByUsername).toBe(user.username);
    expect(row.usedAt?.toISOString()).toBe("2026-03-10T12:00:00.000Z");
  });

  it("a failed sign-up leaves the code unused", async () => {
    const [c] = await createInvites(database.db, clock, config, { creator: admin });
    const e = await signUp(database.db, clock, config, {
      username: "NEWBIE", // taken
      email: "other@example.org",
      password: "password1",
      inviteCode: c,
    }).catch((x) => x);
    expect(code(e)).toBe("taken");
    expect((await listInvites(database.db, admin.id)).find((i) => i.code === c)!.usedAt).toBeNull();
    await signUp(database.db, clock, config, {
      username: "newbie2",
      email: "other@example.org",
      password: "password1",
      inviteCode: c,
    });
  });

  it("refuses missing, malformed and unknown codes, and sign-ups when closed", async () => {
    const input = { username: "nocode", email: "nocode@example.org", password: "password1" };
    expect(code(await signUp(database.db, clock, config, input).catch((x) => x))).toBe(
      "invite_required",
    );
    expect(
      code(
        await signUp(database.db, clock, config, { ...input, inviteCode: "!!" }).catch((x) => x),
      ),
    ).toBe("invite_invalid");
    expect(
      code(
        await signUp(database.db, clock, config, {
          ...input,
          inviteCode: generateInviteCode(),
        }).catch((x) => x),
      ),
    ).toBe("invite_invalid");
    const closed = testConfig({ REGISTRATION: "closed" });
    expect(code(await signUp(database.db, clock, closed, input).catch((x) => x))).toBe(
      "registration_closed",
    );
    // Open registration needs no code.
    const open = testConfig({ REGISTRATION: "open" });
    expect((await signUp(database.db, clock, open, input)).username).toBe("nocode");
  });

  it("two sign-ups racing for one code: exactly one wins", async () => {
    for (let round = 0; round < 5; round++) {
      const [c] = await createInvites(database.db, clock, config, { creator: admin });
      // On PostgreSQL, hold the row so every contender is queued on it, then let go at once.
      let release: (() => Promise<void>) | undefined;
      if (usingPostgres) {
        const url = (database as Database & { url: string }).url;
        const sql = postgres(url, { max: 1, onnotice: () => {} });
        const reserved = await sql.reserve();
        await reserved`begin`;
        await reserved`select code from invites where code = ${c!} for update`;
        release = async () => {
          await reserved`commit`;
          reserved.release();
          await sql.end();
        };
      }
      const contenders = Array.from({ length: 4 }, (_, i) =>
        signUp(database.db, clock, config, {
          username: `race${round}_${i}`,
          email: `race${round}_${i}@example.org`,
          password: "password1",
          inviteCode: c,
        }),
      );
      const settled = Promise.allSettled(contenders);
      if (release) {
        // Wait until all four really are blocked on the invite row, then release them together.
        const url = (database as Database & { url: string }).url;
        const probe = postgres(url, { max: 1, onnotice: () => {} });
        let waiting = 0;
        for (let i = 0; i < 100 && waiting < 4; i++) {
          await new Promise((r) => setTimeout(r, 50));
          const [row] = await probe<{ n: number }[]>`
            select count(*)::int4 as n from pg_stat_activity
            where datname = current_database() and wait_event_type = 'Lock'`;
          waiting = row!.n;
        }
        await probe.end();
        expect(waiting).toBe(4);
        await release();
      }
      const results = await settled;
      const won = results.filter((r) => r.status === "fulfilled");
      expect(won).toHaveLength(1);
      for (const r of results) {
        if (r.status === "rejected") expect(code(r.reason)).toBe("invite_used");
      }
      const row = (await listInvites(database.db, admin.id)).find((i) => i.code === c)!;
      expect(row.usedByUsername).toBe((won[0] as PromiseFulfilledResult<User>).value.username);
    }
  });

  it("concurrent invite creation never exceeds the quota", async () => {
    const user = await createUser(database.db, clock, {
      username: "quota",
      email: "quota@example.org",
      password: "password1",
    });
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, () => createInvites(database.db, clock, config, { creator: user })),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(3);
    expect(await listInvites(database.db, user.id)).toHaveLength(3);
  });
});

it("AccountError is what callers catch", () => {
  expect(new AccountError("invalid", "x")).toBeInstanceOf(Error);
});
