import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AccountError } from "../../src/accounts/errors.ts";
import {
  createSession,
  deleteSession,
  findSessionUser,
  hashSessionToken,
} from "../../src/accounts/sessions.ts";
import {
  authenticate,
  countUsers,
  createUser,
  findUserByUsername,
  updateProfile,
} from "../../src/accounts/users.ts";
import { fixedClock } from "../../src/config/clock.ts";
import type { Database } from "../../src/db/client.ts";
import { sessions, users } from "../../src/db/schema/index.ts";
import { createTestDatabase, usingPostgres } from "../helpers/db.ts";

let database: Database;
const clock = fixedClock("2026-03-10T12:00:00Z");
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.close();
});

const refused = async (p: Promise<unknown>, code: string, field?: string) => {
  const e = await p.then(
    () => null,
    (err) => err,
  );
  expect(e).toBeInstanceOf(AccountError);
  expect((e as AccountError).code).toBe(code);
  if (field) expect((e as AccountError).field).toBe(field);
  return e as AccountError;
};

describe("users", () => {
  it("creates a user with a hashed password", async () => {
    expect(await countUsers(database.db)).toBe(0);
    const user = await createUser(database.db, clock, {
      username: "Alice",
      email: "Alice@Example.org",
      password: "correct horse",
    });
    expect(user).toMatchObject({ username: "Alice", isAdmin: false, displayName: "" });
    const [row] = await database.db.select().from(users).where(eq(users.id, user.id));
    expect(row!.passwordHash).toMatch(/^\$scrypt\$ln=15,r=8,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/);
    expect(row!.passwordHash).not.toContain("correct horse");
    expect(row!.createdAt.toISOString()).toBe("2026-03-10T12:00:00.000Z");
    expect(await countUsers(database.db)).toBe(1);
  });

  it("keeps usernames and e-mails unique regardless of case", async () => {
    const e = await refused(
      createUser(database.db, clock, {
        username: "aLICE",
        email: "x@example.org",
        password: "password1",
      }),
      "taken",
      "username",
    );
    expect(e.message).toContain("already taken");
    await refused(
      createUser(database.db, clock, {
        username: "alice2",
        email: "ALICE@example.ORG",
        password: "password1",
      }),
      "taken",
      "email",
    );
    expect((await findUserByUsername(database.db, "ALICE"))?.username).toBe("Alice");
  });

  it("validates usernames as Mastodon does for local accounts", async () => {
    for (const bad of ["", "a b", "al.ice", "al-ice", "ålice", "a".repeat(31), "x@y", "é"]) {
      await refused(
        createUser(database.db, clock, {
          username: bad,
          email: "v@example.org",
          password: "password1",
        }),
        "invalid",
        "username",
      );
    }
    for (const good of ["b", "B_2", "_", "z".repeat(30)]) {
      const u = await createUser(database.db, clock, {
        username: good,
        email: `${good}@example.org`,
        password: "password1",
      });
      expect(u.username).toBe(good);
    }
  });

  it("refuses reserved names unless the operator asks", async () => {
    await refused(
      createUser(database.db, clock, {
        username: "Admin",
        email: "a@example.org",
        password: "password1",
      }),
      "taken",
      "username",
    );
    const admin = await createUser(database.db, clock, {
      username: "admin",
      email: "admin@example.org",
      password: "password1",
      isAdmin: true,
      allowReserved: true,
    });
    expect(admin.isAdmin).toBe(true);
  });

  it("validates e-mail and password", async () => {
    await refused(
      createUser(database.db, clock, {
        username: "carol",
        email: "not-an-email",
        password: "password1",
      }),
      "invalid",
      "email",
    );
    await refused(
      createUser(database.db, clock, {
        username: "carol",
        email: "c@example.org",
        password: "short",
      }),
      "invalid",
      "password",
    );
    await refused(
      createUser(database.db, clock, {
        username: "carol",
        email: "c@example.org",
        password: "x".repeat(1001),
      }),
      "invalid",
      "password",
    );
  });

  it("authenticates by username or e-mail, case-insensitively", async () => {
    expect((await authenticate(database.db, "alice", "correct horse"))?.username).toBe("Alice");
    expect((await authenticate(database.db, "ALICE@example.org", "correct horse"))?.username).toBe(
      "Alice",
    );
    expect(await authenticate(database.db, "alice", "wrong horse")).toBeNull();
    expect(await authenticate(database.db, "nobody", "correct horse")).toBeNull();
    expect(await authenticate(database.db, "", "")).toBeNull();
  });

  it("updates the profile within Mastodon's limits", async () => {
    const alice = (await findUserByUsername(database.db, "alice"))!;
    const updated = await updateProfile(database.db, alice.id, {
      displayName: "  Alice 🌷 ",
      bio: "Line one\r\nLine two",
    });
    expect(updated).toMatchObject({ displayName: "Alice 🌷", bio: "Line one\nLine two" });
    // 30 grapheme clusters, some of them several code points, are fine.
    await updateProfile(database.db, alice.id, { displayName: "👩‍👩‍👧".repeat(30), bio: "" });
    await refused(
      updateProfile(database.db, alice.id, { displayName: "a".repeat(31), bio: "" }),
      "invalid",
      "displayName",
    );
    await refused(
      updateProfile(database.db, alice.id, { displayName: "a\nb", bio: "" }),
      "invalid",
      "displayName",
    );
    await refused(
      updateProfile(database.db, alice.id, { displayName: "", bio: "b".repeat(501) }),
      "invalid",
      "bio",
    );
  });

  it.runIf(usingPostgres)("settles a race for one username with exactly one winner", async () => {
    const attempts = ["Racer", "racer", "RACER", "rAcEr"].map((username, i) =>
      createUser(database.db, clock, {
        username,
        email: `racer${i}@example.org`,
        password: "password1",
      }),
    );
    const results = await Promise.allSettled(attempts);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    for (const r of results) {
      if (r.status === "rejected") expect((r.reason as AccountError).code).toBe("taken");
    }
  });
});

describe("sessions", () => {
  it("stores only the token's hash and finds the user until expiry", async () => {
    const alice = (await findUserByUsername(database.db, "alice"))!;
    const { token, expiresAt } = await createSession(database.db, clock, alice.id, 3600);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(expiresAt.toISOString()).toBe("2026-03-10T13:00:00.000Z");
    const rows = await database.db.select().from(sessions).where(eq(sessions.userId, alice.id));
    expect(rows.map((r) => r.tokenHash)).toContain(hashSessionToken(token));
    expect(rows.map((r) => r.tokenHash)).not.toContain(token);

    expect(await findSessionUser(database.db, clock, token)).toMatchObject({
      id: alice.id,
      username: "Alice",
    });
    expect(
      await findSessionUser(
        database.db,
        clock,
        `${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}`,
      ),
    ).toBeNull();
    expect(await findSessionUser(database.db, clock, "garbage")).toBeNull();

    const later = fixedClock("2026-03-10T13:00:00Z");
    expect(await findSessionUser(database.db, later, token)).toBeNull();
  });

  it("logout deletes the session", async () => {
    const alice = (await findUserByUsername(database.db, "alice"))!;
    const { token } = await createSession(database.db, clock, alice.id);
    await deleteSession(database.db, token);
    expect(await findSessionUser(database.db, clock, token)).toBeNull();
  });
});
