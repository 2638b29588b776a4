import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { AuthError, type AuthErrorCode } from "../../../src/errors.ts";
import { readCredential } from "../../../src/auth/credentials.ts";
import { authorizeGit, type PolicyRepo } from "../../../src/auth/policy.ts";
import { fixture, OTHER_REPO, REPO } from "./helpers.ts";

const WRITABLE: PolicyRepo = { ...REPO, readOnly: false };
const READ_ONLY: PolicyRepo = { ...REPO, readOnly: true };

function gitRequest(authorization?: string): Request {
  const headers: Record<string, string> = authorization === undefined ? {} : { authorization };
  return new Request("http://localhost/git/prod/app.git/git-receive-pack", { method: "POST", headers });
}

function basic(userPass: string): string {
  return `Basic ${btoa(userPass)}`;
}

async function assertRefused(promise: Promise<unknown>, code: AuthErrorCode, message: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof AuthError);
    assert.equal(error.code, code);
    assert.equal(error.message, message);
    return true;
  });
}

describe("authorizeGit", () => {
  it("lets a write token read and write, and a read token read", async () => {
    const { tokens } = fixture();
    const write = await tokens.issue(REPO, "write");
    const read = await tokens.issue(REPO, "read");
    const credential = readCredential(gitRequest(`Bearer ${write.plaintext}`));
    for (const action of ["read", "write"] as const) {
      assert.deepEqual(await authorizeGit({ credential, tokens, repo: WRITABLE, action }), {
        tokenId: write.id,
        scope: "write",
      });
    }
    const readCredentialValue = readCredential(gitRequest(basic(`:${read.plaintext}`)));
    assert.deepEqual(
      await authorizeGit({ credential: readCredentialValue, tokens, repo: WRITABLE, action: "read" }),
      {
        tokenId: read.id,
        scope: "read",
      },
    );
  });

  it("asks for credentials when none were sent, or the secret sat in the Basic username", async () => {
    const { tokens } = fixture();
    const write = await tokens.issue(REPO);
    await assertRefused(
      authorizeGit({ credential: null, tokens, repo: WRITABLE, action: "read" }),
      "ERR_AUTH_REQUIRED",
      "Authentication required",
    );
    const inUsername = readCredential(gitRequest(basic(`${write.plaintext}:`)));
    await assertRefused(
      authorizeGit({ credential: inUsername, tokens, repo: WRITABLE, action: "read" }),
      "ERR_AUTH_REQUIRED",
      "Authentication required",
    );
  });

  it("accepts a percent-encoded full token as the Basic password with any username", async () => {
    const { tokens } = fixture();
    const write = await tokens.issue(REPO);
    for (const user of ["", "anything"]) {
      const credential = readCredential(gitRequest(basic(`${user}:${encodeURIComponent(write.plaintext)}`)));
      assert.equal(
        (await authorizeGit({ credential, tokens, repo: WRITABLE, action: "write" })).tokenId,
        write.id,
      );
    }
  });

  it("refuses invalid, other-repo and revoked tokens as invalid", async () => {
    const { tokens } = fixture();
    const other = await tokens.issue(OTHER_REPO);
    const revoked = await tokens.issue(REPO);
    await tokens.revoke(REPO.id, revoked.id);
    for (const secret of [other.plaintext, revoked.plaintext, "garbage"]) {
      const credential = { kind: "bearer", secret } as const;
      await assertRefused(
        authorizeGit({ credential, tokens, repo: WRITABLE, action: "read" }),
        "ERR_AUTH_INVALID",
        "Invalid or expired token",
      );
    }
  });

  it("refuses a read token pushing as insufficient", async () => {
    const { tokens } = fixture();
    const read = await tokens.issue(REPO, "read");
    const credential = { kind: "bearer", secret: read.plaintext } as const;
    await assertRefused(
      authorizeGit({ credential, tokens, repo: WRITABLE, action: "write" }),
      "ERR_AUTH_INSUFFICIENT",
      "Insufficient permissions",
    );
    await assertRefused(
      authorizeGit({ credential, tokens, repo: READ_ONLY, action: "write" }),
      "ERR_AUTH_INSUFFICIENT",
      "Insufficient permissions",
    );
  });

  it("refuses pushes to a read-only repo but allows reads", async () => {
    const { tokens } = fixture();
    const write = await tokens.issue(REPO, "write");
    const credential = { kind: "basic", secret: write.plaintext } as const;
    await assertRefused(
      authorizeGit({ credential, tokens, repo: READ_ONLY, action: "write" }),
      "ERR_READ_ONLY",
      "Repository is read-only",
    );
    assert.equal(
      (await authorizeGit({ credential, tokens, repo: READ_ONLY, action: "read" })).scope,
      "write",
    );
  });
});
