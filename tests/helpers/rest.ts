/** A small REST client for tests (Wrangler-style calls against the Artifacts paths). */
export interface Envelope<T = any> {
  result: T;
  success: boolean;
  errors: { code: number; message: string; documentation_url?: string; source?: { pointer?: string } }[];
  messages: unknown[];
  result_info?: Record<string, unknown>;
}

export class Rest {
  readonly base: string;
  readonly apiToken: string;
  constructor(url: string, apiToken: string, account = "test-account") {
    this.base = `${url}/client/v4/accounts/${account}/artifacts`;
    this.apiToken = apiToken;
  }

  async call<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Envelope<T>; response: Response }> {
    const response = await fetch(this.base + path, {
      method,
      headers: { Authorization: `Bearer ${this.apiToken}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }), ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    let parsed: Envelope<T>;
    try {
      parsed = JSON.parse(text) as Envelope<T>;
    } catch {
      parsed = { result: text as unknown as T, success: false, errors: [], messages: [] };
    }
    return { status: response.status, body: parsed, response };
  }

  /** Creates a repository and returns its remote and initial write token. */
  async createRepo(ns: string, name: string, extra: Record<string, unknown> = {}): Promise<{ id: string; remote: string; token: string }> {
    const { status, body } = await this.call("POST", `/namespaces/${ns}/repos`, { name, ...extra });
    if (status !== 201) throw new Error(`createRepo ${ns}/${name} failed: ${status} ${JSON.stringify(body)}`);
    return { id: body.result.id, remote: body.result.remote, token: body.result.token };
  }

  async token(ns: string, repo: string, scope: "read" | "write" = "write", ttl?: number): Promise<string> {
    const { status, body } = await this.call("POST", `/namespaces/${ns}/tokens`, { repo, scope, ...(ttl ? { ttl } : {}) });
    if (status !== 201) throw new Error(`token failed: ${status} ${JSON.stringify(body)}`);
    return body.result.plaintext;
  }
}
