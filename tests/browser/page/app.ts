/**
 * The page of tests/browser/isomorphic-git.test.ts, bundled with esbuild and loaded in Chromium from
 * a different origin than the Reposit server: isomorphic-git (http/web = the page's fetch) with
 * lightning-fs (IndexedDB) clones, commits and pushes over Git smart HTTP, so every request is a
 * real cross-origin request subject to CORS. The test drives it through `window.reposit`.
 */
import git from "isomorphic-git";
import http from "isomorphic-git/http/web";
import LightningFS from "@isomorphic-git/lightning-fs";

export interface CloneCommitPushOptions {
  url: string;
  token: string;
  file: string;
  content: string;
  message: string;
  author: { name: string; email: string; timestamp: number };
}

export interface CloneCommitPushResult {
  oid: string;
  parent: string;
  pushed: boolean;
  /** How often isomorphic-git asked for credentials (it does after the first 401). */
  authCalls: number;
  pushError: string | null;
}

export interface ProbeResult {
  ok: boolean;
  error: string | null;
}

function show(line: string): void {
  const log = document.getElementById("log")!;
  log.textContent += line + "\n";
}

async function cloneCommitPush(options: CloneCommitPushOptions): Promise<CloneCommitPushResult> {
  const fs = new LightningFS(`reposit-${Date.now()}`, { wipe: true });
  const dir = "/repo";
  let authCalls = 0;
  const onAuth = () => {
    authCalls++;
    return { username: "x", password: options.token };
  };
  show(`clone ${options.url}`);
  await git.clone({ fs, http, dir, url: options.url, onAuth, singleBranch: true });
  const parent = await git.resolveRef({ fs, dir, ref: "HEAD" });
  await fs.promises.writeFile(`${dir}/${options.file}`, options.content, "utf8");
  await git.add({ fs, dir, filepath: options.file });
  const who = { ...options.author, timezoneOffset: 0 };
  const oid = await git.commit({ fs, dir, message: options.message, author: who, committer: who });
  show(`commit ${oid} (parent ${parent})`);
  const branch = (await git.currentBranch({ fs, dir })) ?? "main";
  const result = await git.push({ fs, http, dir, remote: "origin", ref: branch, onAuth });
  const pushError = result.ok ? null : JSON.stringify(result.refs);
  show(result.ok ? `pushed ${branch}` : `push failed ${pushError}`);
  return { oid, parent, pushed: result.ok, authCalls, pushError };
}

/** Tries to read a remote's refs; reports the error instead of throwing. */
async function probe(url: string, token: string): Promise<ProbeResult> {
  try {
    await git.getRemoteInfo({ http, url, onAuth: () => ({ username: "x", password: token }) });
    show(`probe ${url}: ok`);
    return { ok: true, error: null };
  } catch (error) {
    const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    show(`probe ${url}: ${text}`);
    return { ok: false, error: text };
  }
}

/** A preflighted request (it carries Authorization), made with the page's own fetch. */
async function fetchWithAuth(url: string, token: string): Promise<ProbeResult> {
  try {
    const response = await fetch(url, { headers: { Authorization: `Basic ${btoa(`x:${token}`)}` } });
    show(`fetch ${url}: ${response.status}`);
    return { ok: true, error: null };
  } catch (error) {
    const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    show(`fetch ${url}: ${text}`);
    return { ok: false, error: text };
  }
}

(window as unknown as { reposit: unknown }).reposit = { cloneCommitPush, probe, fetchWithAuth };
document.getElementById("status")!.textContent = `ready at ${location.origin}`;
