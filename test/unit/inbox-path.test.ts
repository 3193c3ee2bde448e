import { expect, it } from "vitest";
import { mayBeInbox } from "../../src/federation/inbox-guard.ts";

// The inbox guard skips building a Fedify context for paths that cannot be an inbox; it must
// never skip one that Fedify could route to an inbox, however it is spelled.
it("treats every spelling of an inbox path as a possible inbox, and API paths as none", () => {
  for (const p of [
    "/inbox",
    "/inbox/",
    "/users/alice/inbox",
    "/users/alice/INBOX",
    "/users/alice/%69nbox",
    "/users/alice/%2569nbox",
    "/users/%E0%A4%A/inbox",
    "/%E0%A4%A",
  ])
    expect(mayBeInbox(p), p).toBe(true);
  for (const p of ["/api/flattr/v1/things/1/flattr", "/submit", "/users/alice", "/users/a%20b"])
    expect(mayBeInbox(p), p).toBe(false);
});
